package gateway_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestViewBuildTimeout: a caller whose view of its tenant's schema is not
// built yet waits for a compile slot within its tenant's time limit.
// While every slot is busy building views of other grants, it gets
// REQUEST_TIMEOUT (504) at about its deadline, and its grant's view is
// built by its next request, not left half made.
func TestViewBuildTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	slots := runtime.GOMAXPROCS(0)
	// A field per grant: callers with scope fi are served views of their
	// own, one for each of the slots and one more.
	var fields strings.Builder
	for i := range slots + 1 {
		fmt.Fprintf(&fields, "  f%d: Int @requiresScopes(scopes: [[\"f%d\"]])\n", i, i)
	}
	dir := writeTenants(t, map[string]string{"roles": "name: Roles\nlimits:\n  timeout: " + timeout.String() + "\nauthorization:\n  unauthorized: hide\n"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "roles", "goods.graphqls"), []byte("extend type Goods {\n"+fields.String()+"}\n"), 0o644))

	// Once armed, the first builds of views block until released, each
	// holding its compile slot.
	var armed atomic.Bool
	var builds atomic.Int64
	building := make(chan struct{}, slots)
	unblock := make(chan struct{})
	release := sync.OnceFunc(func() { close(unblock) })
	t.Cleanup(release)
	// Not forever, should the request not give up.
	time.AfterFunc(timeout+2*time.Second, release)
	g := newTestGatewayWith(t, store.NewMemory(slog.New(slog.DiscardHandler)), dir, testSetup{
		executable: func(*dynamic.ExecutableSchema) {
			if armed.Load() && builds.Add(1) <= int64(slots) {
				building <- struct{}{}
				<-unblock
			}
		},
	})
	const query = `{ goodsList { totalCount } }`
	request := func(i int) *http.Request {
		tok := g.tokenWith(t, "roles", auth.Grant{Scopes: []string{fmt.Sprintf("f%d", i)}})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(`{"query":"`+query+`"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	tn, ok := g.registry.Lookup("roles")
	require.True(t, ok)
	require.NotNil(t, tn.Policy)

	armed.Store(true)
	var wg sync.WaitGroup
	for i := range slots {
		req := request(i)
		wg.Go(func() { g.handler.ServeHTTP(httptest.NewRecorder(), req) })
	}
	for range slots {
		<-building
	}
	began := time.Now()
	rec, resp := g.serve(t, request(slots))
	took := time.Since(began)
	release()
	wg.Wait()
	require.Equal(t, http.StatusGatewayTimeout, rec.Code, rec.Body.String())
	require.Equal(t, string(apperr.RequestTimeout), resp.code())
	require.GreaterOrEqual(t, took, timeout)
	require.Less(t, took, timeout+time.Second, "answered at about the tenant's time limit")
	// The builds under way when their callers gave up finish, for the
	// next callers; the one that never got a slot left nothing.
	require.Eventually(t, func() bool { return tn.Views() == slots }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, int64(slots), builds.Load())
	require.NotContains(t, g.logs.String(), `"level":"ERROR"`)

	rec, resp = g.serve(t, request(slots))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Empty(t, resp.Errors)
	require.Equal(t, slots+1, tn.Views())
}
