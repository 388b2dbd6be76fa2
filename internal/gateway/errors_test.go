package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestInternalErrorsAreHidden breaks the real database under the gateway
// and checks that the client learns nothing of the SQL error, while the
// log has it with the request ID.
func TestInternalErrorsAreHidden(t *testing.T) {
	url := testenv.PostgresURL(t)
	g := newTestGateway(t, openPostgres(t, url))
	tok := g.token(t, "acme")
	g.create(t, tok, "Teapot", 1)

	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), `ALTER TABLE goods RENAME COLUMN description TO secret_column_name`)
	require.NoError(t, err)

	rec, resp := g.post(t, tok, `query Broken { goodsList { nodes { id description } } }`, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, resp.Errors, 1, rec.Body.String())
	e := resp.Errors[0]
	require.Equal(t, "internal system error", e.Message)
	require.Equal(t, "INTERNAL_SERVER_ERROR", e.Extensions["code"])
	require.Equal(t, []any{"goodsList"}, e.Path)
	require.NotEmpty(t, e.Locations)
	for _, leak := range []string{"column", "SQLSTATE", "description", "goods", "pgx"} {
		require.NotContains(t, strings.ToLower(e.Message), strings.ToLower(leak))
	}
	require.JSONEq(t, `null`, string(resp.Data), "goodsList is non-null, so null propagates to data")

	reqID := rec.Header().Get("X-Request-Id")
	var logged bool
	for l := range strings.Lines(g.logs.String()) {
		if strings.Contains(l, `"msg":"internal error"`) && strings.Contains(l, reqID) && strings.Contains(l, "description") {
			logged = true
		}
	}
	require.True(t, logged, "the SQL error is logged with the request ID:\n%s", g.logs.String())
}

// panickyStore is the in-memory store with a Count that panics, to drive
// the gateway's panic recovery.
type panickyStore struct{ *store.Memory }

func (panickyStore) Count(context.Context, string, store.Filter) (int, error) {
	panic("count exploded: password=hunter2")
}

func TestPanicsAreHidden(t *testing.T) {
	g := newTestGateway(t, panickyStore{store.NewMemory(nil)})
	tok := g.token(t, "acme")
	rec, resp := g.post(t, tok, `{ goodsList { totalCount } }`, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, resp.Errors, 1, rec.Body.String())
	require.Equal(t, "internal system error", resp.Errors[0].Message)
	require.Equal(t, "INTERNAL_SERVER_ERROR", resp.Errors[0].Extensions["code"])
	require.Equal(t, []any{"goodsList", "totalCount"}, resp.Errors[0].Path)
	require.NotContains(t, rec.Body.String(), "hunter2")
	require.NotContains(t, rec.Body.String(), "goroutine")
	require.Contains(t, g.logs.String(), "count exploded")
}
