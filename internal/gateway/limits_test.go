package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// postAs sends query with the Accept header accept.
func (g *testGateway) postAs(t testing.TB, token, accept string, body map[string]any) (*httptest.ResponseRecorder, gqlResponse) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer "+token)
	return g.serve(t, req)
}

// logLines returns the gateway's log lines with the message msg.
func (g *testGateway) logLines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for l := range strings.Lines(g.logs.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		if m["msg"] == msg {
			lines = append(lines, m)
		}
	}
	return lines
}

// TestStructuralLimits checks each limit of a document's shape at the
// limit and one past it, directly and through named and inline fragments,
// over HTTP: past it the request is refused before validation with
// Apollo Router's code, 400 under application/graphql-response+json and
// 200 under application/json.
func TestStructuralLimits(t *testing.T) {
	lim := limits.Limits{MaxDepth: 3, MaxAliases: 2, MaxRootFields: 2, MaxFields: 6, MaxDirectives: 2, MaxOperationName: 8}
	g := newTestGatewayWith(t, store.NewMemory(nil), writeTenants(t, map[string]string{
		"acme":  "name: Acme\n",
		"roomy": "name: Roomy\nlimits:\n  maxDepth: 10\n  maxFields: 100\n",
	}), testSetup{limits: lim})
	tok := g.token(t, "acme")
	tests := []struct {
		name  string
		query string
		op    string // the request's operationName
		code  apperr.Code
	}{
		{name: "depth at the limit", query: `{ goodsList { pageInfo { hasNextPage } } }`},
		{name: "depth one past", query: `{ goodsList { edges { node { id } } } }`, code: apperr.MaxDepthLimit},
		{name: "depth in a named fragment", query: `{ goodsList { ...F } } fragment F on GoodsConnection { edges { node { id } } }`, code: apperr.MaxDepthLimit},
		{name: "depth in an inline fragment", query: `{ goodsList { ... on GoodsConnection { edges { node { id } } } } }`, code: apperr.MaxDepthLimit},
		{name: "depth in introspection", query: `{ __schema { types { fields { name } } } }`, code: apperr.MaxDepthLimit},

		{name: "aliases at the limit", query: `{ a: __typename b: __typename }`},
		{name: "aliases one past", query: `{ a: __typename b: __typename c: __typename }`, code: apperr.MaxAliasesLimit},
		{name: "aliases of a fragment spread twice", query: `{ goods(id: "1") { ...F } goodsList { nodes { ...F } } } fragment F on Goods { a: id b: name }`, code: apperr.MaxAliasesLimit},

		{name: "root fields at the limit", query: `{ goods(id: "1") { id } goodsList { totalCount } }`},
		{name: "root fields one past, in an inline fragment", query: `{ goods(id: "1") { id } ... on Query { goodsList { totalCount } __typename } }`, code: apperr.MaxRootFieldsLimit},
		{name: "root fields one past, in a named fragment", query: `{ ...R __typename } fragment R on Query { goods(id: "1") { id } goodsList { totalCount } }`, code: apperr.MaxRootFieldsLimit},

		{name: "selections at the limit", query: `{ goodsList { nodes { id name price } } }`},
		{name: "selections one past", query: `{ goodsList { nodes { id name price description createdAt } } }`, code: apperr.MaxHeightLimit},
		{name: "selections of a fragment spread twice", query: `{ goods(id: "1") { ...F } goodsList { nodes { ...F } } } fragment F on Goods { id name }`, code: apperr.MaxHeightLimit},

		{name: "selections of all operations at 10 times the limit", query: manyOperations(12, 5), op: "Q0"},
		{name: "selections of all operations past 10 times the limit", query: manyOperations(13, 5), op: "Q0", code: apperr.MaxHeightLimit},

		{name: "directives at the limit", query: `{ __typename @include(if: true) @skip(if: false) }`},
		{name: "directives one past", query: `{ __typename @include(if: true) @skip(if: false) @include(if: true) }`, code: apperr.MaxDirectivesLimit},

		{name: "operation name at the limit", query: `query Abcdefgh { __typename }`},
		{name: "operation name one past", query: `query Abcdefghi { __typename }`, code: apperr.MaxOperationNameLimit},
		{name: "requested operation name one past", query: `{ __typename }`, op: "Abcdefghi", code: apperr.MaxOperationNameLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, accept := range []string{"application/graphql-response+json", "application/json"} {
				body := map[string]any{"query": tt.query}
				if tt.op != "" {
					body["operationName"] = tt.op
				}
				rec, resp := g.postAs(t, tok, accept, body)
				if tt.code == "" {
					require.NotContains(t, rec.Body.String(), "LIMIT", accept)
					continue
				}
				require.Equal(t, string(tt.code), resp.code(), rec.Body.String())
				require.Len(t, resp.Errors, 1)
				require.Nil(t, resp.Data, "refused before execution")
				want := http.StatusOK
				if accept == "application/graphql-response+json" {
					want = http.StatusBadRequest
				}
				require.Equal(t, want, rec.Code, accept)
			}
		})
	}

	t.Run("a tenant's own limits", func(t *testing.T) {
		rec, resp := g.post(t, g.token(t, "roomy"), `{ goodsList { edges { node { id name } } } }`, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, resp.Errors, "roomy raised maxDepth and maxFields")
		_, resp = g.post(t, g.token(t, "roomy"), `{ a: __typename b: __typename c: __typename }`, nil)
		require.Equal(t, string(apperr.MaxAliasesLimit), resp.code(), "and keeps the gateway's other limits")
	})

	t.Run("refusals are logged and counted once, with tenant and code", func(t *testing.T) {
		var lines []map[string]any
		for _, l := range g.logLines(t, "request") {
			if l["code"] == string(apperr.MaxDirectivesLimit) {
				lines = append(lines, l)
			}
		}
		require.Len(t, lines, 2, "the two requests of 'directives one past'")
		require.Equal(t, "acme", lines[0]["tenant"])
		require.Equal(t, "INFO", lines[0]["level"])

		rec, _ := g.serve(t, adminRequest(http.MethodGet, "/admin/tenants"))
		var body struct {
			Refusals map[string]map[string]int `json:"refusals"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, 2, body.Refusals["acme"][string(apperr.MaxDirectivesLimit)], rec.Body.String())
		require.Equal(t, 8, body.Refusals["acme"][string(apperr.MaxDepthLimit)], "four cases, each with two media types")
	})
}

// manyOperations returns n operations Q0, Q1, ... of size selections each.
func manyOperations(n, size int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "query Q%d { goodsList { nodes {%s } } } ", i, strings.Repeat(" id", size-2))
	}
	return b.String()
}

func adminRequest(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	return req
}

// TestInputLimits checks the input limits over HTTP on both stores: a
// string or list too long and a control character are BAD_USER_INPUT
// naming the argument, before anything reaches the store.
func TestInputLimits(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGatewayWith(t, newStore(t), writeTenants(t, defaultTenants), testSetup{limits: limits.Defaults()})
			tok := g.token(t, "acme")
			tests := []struct {
				name, query string
				vars        map[string]any
				arg         string // "" for success
			}{
				{"filter at 200", `query($q: String) { goodsList(filter: {nameContains: $q}) { totalCount } }`, map[string]any{"q": strings.Repeat("é", 200)}, ""},
				{"filter at 201", `query($q: String) { goodsList(filter: {nameContains: $q}) { totalCount } }`, map[string]any{"q": strings.Repeat("é", 201)}, "filter.nameContains"},
				{"NUL in a name", `mutation { createGoods(input: {name: "a\u0000b", price: 1}) { id } }`, nil, "input.name"},
				{"escape in a variable", `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`, map[string]any{"in": map[string]any{"name": "x", "price": 1, "description": "bell\a"}}, "input.description"},
				{"description of 10,001", `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`, map[string]any{"in": map[string]any{"name": "x", "price": 1, "description": strings.Repeat("d", 10_001)}}, "input.description"},
				{"orderBy of 101", `query($o: [GoodsOrder!]) { goodsList(orderBy: $o) { totalCount } }`, map[string]any{"o": repeat(map[string]any{"field": "NAME"}, 101)}, "orderBy"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					rec, resp := g.post(t, tok, tt.query, tt.vars)
					if tt.arg == "" {
						require.Empty(t, resp.Errors, rec.Body.String())
						return
					}
					require.Equal(t, "BAD_USER_INPUT", resp.code(), rec.Body.String())
					require.Equal(t, tt.arg, resp.Errors[0].Extensions["argument"])
				})
			}
			var data struct{ GoodsList struct{ TotalCount int } }
			g.mustData(t, tok, `{ goodsList { totalCount } }`, nil, &data)
			require.Zero(t, data.GoodsList.TotalCount, "nothing refused was stored")
			require.NotContains(t, g.logs.String(), `"level":"ERROR"`)
		})
	}
}

func repeat(v any, n int) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = v
	}
	return l
}

// TestErrorCap sends a document with 30 errors: the response carries 20
// and one more saying how many were dropped.
func TestErrorCap(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(nil))
	var q strings.Builder
	q.WriteString("{")
	for i := range 30 {
		q.WriteString(" f" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	q.WriteString(" }")
	_, resp := g.post(t, g.token(t, "acme"), q.String(), nil)
	require.Len(t, resp.Errors, 21)
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.Errors[19].Extensions["code"])
	last := resp.Errors[20]
	require.Equal(t, string(apperr.TooManyErrors), last.Extensions["code"])
	require.Equal(t, "10 more errors were dropped; at most 20 are shown", last.Message)
}

// TestSuggestions checks where "Did you mean ...?" may appear: only with
// the gateway's switch on, and only for a tenant whose introspection is
// on.
func TestSuggestions(t *testing.T) {
	tenants := map[string]string{"acme": "name: Acme\n", "closed": "name: Closed\nintrospection: false\n"}
	for _, on := range []bool{true, false} {
		g := newTestGatewayWith(t, store.NewMemory(nil), writeTenants(t, tenants), testSetup{
			handler: func(o *gateway.HandlerOptions) { o.Suggestions = on },
		})
		for tenant, want := range map[string]bool{"acme": on, "closed": false} {
			for _, q := range []string{
				`{ goodsList { totlCount } }`,                           // FieldsOnCorrectType
				`{ goodsList(frist: 1) { totalCount } }`,                // KnownArgumentNames
				`{ goodsList(orderBy: [{field: NAM}]) { totalCount } }`, // ValuesOfCorrectType
			} {
				rec, resp := g.post(t, g.token(t, tenant), q, nil)
				require.NotEmpty(t, resp.Errors, q)
				require.Equal(t, want, strings.Contains(rec.Body.String(), "Did you mean"), "switch %v, tenant %s: %s", on, tenant, rec.Body.String())
			}
		}
	}
}

func TestTrailingBytes(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(nil))
	for body, want := range map[string]int{
		`{"query":"{ __typename }"}`:         http.StatusOK,
		`{"query":"{ __typename }"}` + "\n ": http.StatusOK,
		`{"query":"{ __typename }"} {}`:      http.StatusBadRequest,
		`{"query":"{ __typename }"}x`:        http.StatusBadRequest,
	} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token(t, "acme"))
		rec, resp := g.serve(t, req)
		require.Equal(t, want, rec.Code, body)
		if want != http.StatusOK {
			require.Equal(t, "BAD_REQUEST", resp.code())
			require.NotContains(t, rec.Body.String(), "__typename", "the body is not echoed")
		}
	}
}

func TestClientStringsTruncatedInLogs(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(nil))
	name := "Op" + strings.Repeat("é", 500)
	g.post(t, g.token(t, "acme"), `query `+name+` { __typename }`, nil)
	lines := g.logLines(t, "request")
	op := lines[len(lines)-1]["operation"].(string)
	require.LessOrEqual(t, len(op), 128+len("…"))
	require.True(t, strings.HasPrefix(name, strings.TrimSuffix(op, "…")), "cut at a character boundary: %q", op)
}

// blockGoods holds a lock on the goods table of the database at url, so
// that statements on it wait, until the test ends.
func blockGoods(t *testing.T, url string) {
	t.Helper()
	conn, err := pgxConnect(t, url)
	require.NoError(t, err)
	tx, err := conn.Begin(t.Context())
	require.NoError(t, err)
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	_, err = tx.Exec(t.Context(), "LOCK TABLE goods IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
}

// activity describes the statements waiting for a lock in the database of
// conn, for failure messages.
func activity(t *testing.T, conn *pgx.Conn) string {
	rows, err := conn.Query(t.Context(), `SELECT pid, query, now() - query_start, now() - state_change FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'`)
	require.NoError(t, err)
	var b strings.Builder
	for rows.Next() {
		var (
			pid          int
			query        string
			age, changed time.Duration
		)
		require.NoError(t, rows.Scan(&pid, &query, &age, &changed))
		fmt.Fprintf(&b, "[pid %d, running %v, changed %v ago: %s] ", pid, age, changed, query)
	}
	return b.String()
}

// waitingStatements counts the statements waiting for a lock in the
// database of conn, which must not be in a transaction: there
// pg_stat_activity is a snapshot taken at its first use.
func waitingStatements(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'
		  AND pid <> pg_backend_pid()`).Scan(&n))
	return n
}

// TestRequestTimeout runs a query whose statement waits on a lock past
// its tenant's timeout: the client gets REQUEST_TIMEOUT (504) at about the
// deadline, the statement is gone from Postgres soon after it (within
// 300 ms: the margin is for a loaded test machine; without the store's
// cancel request and statement timeout it would wait for the lock), and
// the log has one warning for the request and no internal error.
func TestRequestTimeout(t *testing.T) {
	url := testenv.PostgresURL(t)
	pg := openPostgres(t, url)
	g := newTestGatewayIn(t, pg, writeTenants(t, map[string]string{"acme": "name: Acme\nlimits:\n  timeout: 300ms\n"}))
	tok := g.token(t, "acme")
	g.create(t, tok, "Teapot", 1)
	const query = `{ goodsList { totalCount nodes { id } } }`
	// Statements are prepared on their connection's first use, before the
	// statement timeout of the request is set: warm the pool up, as a
	// running gateway is. (On a connection's first use a cancel request
	// ends the statement instead, which Postgres serves more slowly.)
	for range 3 {
		g.post(t, tok, query, nil)
	}
	blockGoods(t, url)
	observer, err := pgxConnect(t, url)
	require.NoError(t, err)

	for _, accept := range []string{"application/graphql-response+json", "application/json"} {
		began := time.Now()
		type result struct {
			rec  *httptest.ResponseRecorder
			resp gqlResponse
		}
		done := make(chan result, 1)
		go func() {
			rec, resp := g.postAs(t, tok, accept, map[string]any{"query": query})
			done <- result{rec, resp}
		}()
		for waitingStatements(t, observer) == 0 {
			require.Less(t, time.Since(began), 300*time.Millisecond, "the statement never waited")
			time.Sleep(5 * time.Millisecond) // polling interval
		}
		var gone time.Duration
		for {
			n := waitingStatements(t, observer)
			gone = time.Since(began)
			if n == 0 {
				break
			}
			require.Less(t, gone, 600*time.Millisecond, "the statement is still on the server: %s", activity(t, observer))
			time.Sleep(5 * time.Millisecond) // polling interval
		}
		r := <-done
		took := time.Since(began)
		require.Equal(t, http.StatusGatewayTimeout, r.rec.Code, accept)
		require.Equal(t, string(apperr.RequestTimeout), r.resp.code(), r.rec.Body.String())
		require.Nil(t, r.resp.Data)
		t.Logf("%s: statement gone after %v, response after %v", accept, gone.Round(time.Millisecond), took.Round(time.Millisecond))
	}
	lines := g.logLines(t, "request")
	last := lines[len(lines)-1]
	require.Equal(t, "WARN", last["level"])
	require.Equal(t, string(apperr.RequestTimeout), last["code"])
	require.EqualValues(t, 504, last["status"])
	require.NotContains(t, g.logs.String(), "internal error")
	require.NotContains(t, g.logs.String(), `"level":"ERROR"`)
}

// TestMutationTimeout runs a mutation of two root fields whose first waits
// past the deadline: the second never runs, and the client learns which
// fields did not take effect.
func TestMutationTimeout(t *testing.T) {
	url := testenv.PostgresURL(t)
	pg := openPostgres(t, url)
	g := newTestGatewayIn(t, pg, writeTenants(t, map[string]string{"acme": "name: Acme\nlimits:\n  timeout: 300ms\n"}))
	tok := g.token(t, "acme")
	blockGoods(t, url)
	rec, resp := g.post(t, tok, `mutation {
		a: createGoods(input: {name: "A", price: 1}) { id }
		b: createGoods(input: {name: "B", price: 1}) { id }
	}`, nil)
	require.Equal(t, http.StatusOK, rec.Code, "a mutation answers with what it did")
	require.Len(t, resp.Errors, 2, rec.Body.String())
	for i, name := range []string{"a", "b"} {
		require.Equal(t, string(apperr.RequestTimeout), resp.Errors[i].Extensions["code"])
		require.Equal(t, []any{name}, resp.Errors[i].Path)
	}
	require.NotContains(t, g.logs.String(), `"level":"ERROR"`)
}

// TestCancelledRequest: a client that goes away is logged once, at info,
// with its tenant, as 499 REQUEST_CANCELLED; not as internal errors.
func TestCancelledRequest(t *testing.T) {
	url := testenv.PostgresURL(t)
	g := newTestGatewayIn(t, openPostgres(t, url), writeTenants(t, defaultTenants))
	tok := g.token(t, "acme")
	blockGoods(t, url)
	ctx, cancel := context.WithCancel(t.Context())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ a: goodsList { totalCount } b: goodsList(first: 1) { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	time.AfterFunc(100*time.Millisecond, cancel)
	g.serve(t, req)

	lines := g.logLines(t, "request")
	last := lines[len(lines)-1]
	require.Equal(t, "INFO", last["level"])
	require.EqualValues(t, 499, last["status"])
	require.Equal(t, string(apperr.RequestCancelled), last["code"])
	require.Equal(t, "acme", last["tenant"])
	require.NotContains(t, g.logs.String(), "internal error")
	require.NotContains(t, g.logs.String(), `"level":"ERROR"`)
}

// TestOverloaded holds a slot with a request that waits on a lock. Over
// its tenant's share, the tenant's next request waits briefly, then gets
// 503 OVERLOADED with Retry-After, while another tenant is served at once;
// over the gateway's total, every tenant's request is refused so.
func TestOverloaded(t *testing.T) {
	for _, tt := range []struct {
		name       string
		total      int // the gateway's in-flight cap; 0: none
		acmeShare  int
		betaServed bool
		message    string
	}{
		{"over the tenant's share", 0, 1, true, "too many requests of this tenant at once"},
		{"over the gateway's total", 1, 4, false, "the gateway is at capacity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := testenv.PostgresURL(t)
			g := newTestGatewayWith(t, openPostgres(t, url), writeTenants(t, map[string]string{
				"acme": fmt.Sprintf("name: Acme\nlimits:\n  maxConcurrent: %d\n", tt.acmeShare),
				"beta": "name: Beta\n",
			}), testSetup{
				limits: limits.Limits{MaxConcurrent: 4, Timeout: 5 * time.Second},
				gateway: []func(*gateway.Options){func(o *gateway.Options) {
					o.Share = fairshare.New(tt.total)
					o.QueueTimeout = 50 * time.Millisecond
				}},
			})
			acme, beta := g.token(t, "acme"), g.token(t, "beta")
			g.create(t, beta, "Kettle", 1)
			goods := g.create(t, acme, "Teapot", 1)

			// A row lock: acme's update of its goods waits; reads do not.
			conn, err := pgxConnect(t, url)
			require.NoError(t, err)
			tx, err := conn.Begin(t.Context())
			require.NoError(t, err)
			defer tx.Rollback(context.Background())
			_, err = tx.Exec(t.Context(), "SELECT 1 FROM goods WHERE id = $1 FOR UPDATE", goods.ID)
			require.NoError(t, err)
			held := make(chan string, 1)
			go func() {
				rec, _ := g.post(t, acme, `mutation($id: ID!) { updateGoods(id: $id, input: {price: 2}) { id } }`, map[string]any{"id": goods.ID})
				held <- fmt.Sprintf("%d %s", rec.Code, rec.Body)
			}()
			// Not conn: in a transaction, pg_stat_activity is a snapshot
			// taken at its first use.
			observer, err := pgxConnect(t, url)
			require.NoError(t, err)
			deadline := time.Now().Add(10 * time.Second)
			for waitingStatements(t, observer) == 0 {
				select {
				case got := <-held:
					t.Fatalf("the update did not wait on the lock: %s", got)
				default:
				}
				require.True(t, time.Now().Before(deadline), "the update never waited on the lock")
				time.Sleep(5 * time.Millisecond) // polling interval
			}

			began := time.Now()
			rec, resp := g.post(t, acme, `{ goodsList { totalCount } }`, nil)
			require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
			require.Equal(t, string(apperr.Overloaded), resp.code())
			require.Contains(t, resp.Errors[0].Message, tt.message)
			require.Equal(t, "1", rec.Header().Get("Retry-After"))
			require.GreaterOrEqual(t, time.Since(began), 50*time.Millisecond, "it waited for a slot first")

			rec, resp = g.post(t, beta, `{ goodsList { totalCount } }`, nil)
			if tt.betaServed {
				require.Equal(t, http.StatusOK, rec.Code, "another tenant is served")
				require.Empty(t, resp.Errors)
			} else {
				require.Equal(t, http.StatusServiceUnavailable, rec.Code, "every tenant is refused at capacity")
				require.Contains(t, resp.Errors[0].Message, tt.message)
			}

			require.NoError(t, tx.Rollback(t.Context()))
			<-held
			rec, _ = g.post(t, acme, `{ goodsList { totalCount } }`, nil)
			require.Equal(t, http.StatusOK, rec.Code, "the slot is free again")
		})
	}
}

// pgxConnect opens a connection to url, closed when the test ends.
func pgxConnect(t *testing.T, url string) (*pgx.Conn, error) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err == nil {
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	return conn, err
}

// TestCost checks the static cost limit over HTTP, with first given as a
// literal, as a variable and by its default, and extensions.cost.
func TestCost(t *testing.T) {
	g := newTestGatewayWith(t, store.NewMemory(nil), writeTenants(t, map[string]string{
		"acme": "name: Acme\nlimits:\n  maxCost: 100\n",
	}), testSetup{
		limits:  limits.Defaults(),
		handler: func(o *gateway.HandlerOptions) { o.ExposeCost = true },
	})
	tok := g.token(t, "acme")
	// A page costs 1 for the connection and 1 per goods of first.
	const page = `query($n: Int) { goodsList(first: $n) { nodes { id } } }`
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		cost  int
		ok    bool
	}{
		{"literal at the limit", `{ goodsList(first: 99) { nodes { id } } }`, nil, 100, true},
		{"literal one past", `{ goodsList(first: 100) { nodes { id } } }`, nil, 101, false},
		{"variable at the limit", page, map[string]any{"n": 99}, 100, true},
		{"variable one past", page, map[string]any{"n": 100}, 101, false},
		{"the default", page, nil, 21, true},
		{"aliases add up", `{ a: goodsList(first: 50) { nodes { id } } b: goodsList(first: 49) { nodes { id } } }`, nil, 101, false},
		{"through a fragment", `{ goodsList(first: 100) { ...N } } fragment N on GoodsConnection { nodes { id } }`, nil, 101, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, resp := g.postAs(t, tok, "application/graphql-response+json", map[string]any{"query": tt.query, "variables": tt.vars})
			var body struct {
				Extensions struct{ Cost struct{ Estimated, Max int } }
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			if tt.ok {
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				require.Empty(t, resp.Errors)
				require.Equal(t, tt.cost, body.Extensions.Cost.Estimated, "extensions.cost of the response")
				require.Equal(t, 100, body.Extensions.Cost.Max)
				return
			}
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Equal(t, string(apperr.CostTooExpensive), resp.code())
			require.Equal(t, map[string]any{"estimated": float64(tt.cost), "max": float64(100)}, resp.Errors[0].Extensions["cost"])
		})
	}
}

// TestRateLimits checks a tenant's request rate and cost budget, in
// process (the Redis-backed budget shared by replicas is tested in the
// root package).
func TestRateLimits(t *testing.T) {
	rl, err := ratelimit.New(ratelimit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { rl.Close() })
	g := newTestGatewayWith(t, store.NewMemory(nil), writeTenants(t, map[string]string{
		"acme": "name: Acme\nlimits:\n  rate: {requests: 3, per: 1m}\n",
		"beta": "name: Beta\nlimits:\n  costPerMinute: 100\n",
	}), testSetup{
		limits:  limits.Defaults(),
		handler: func(o *gateway.HandlerOptions) { o.RateLimiter = rl },
		gateway: []func(*gateway.Options){func(o *gateway.Options) { o.RateLimiter = rl }},
	})

	t.Run("requests", func(t *testing.T) {
		tok := g.token(t, "acme")
		for i := range 3 {
			rec, _ := g.post(t, tok, `{ __typename }`, nil)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, `"requests";q=3;w=60`, rec.Header().Get("RateLimit-Policy"))
			require.Contains(t, rec.Header().Get("RateLimit"), fmt.Sprintf(`"requests";r=%d;`, 2-i))
		}
		rec, resp := g.post(t, tok, `{ __typename }`, nil)
		require.Equal(t, http.StatusTooManyRequests, rec.Code)
		require.Equal(t, string(apperr.RateLimited), resp.code())
		require.NotEmpty(t, rec.Header().Get("Retry-After"))
		rec, _ = g.post(t, g.token(t, "beta"), `{ __typename }`, nil)
		require.Equal(t, http.StatusOK, rec.Code, "another tenant has a budget of its own")
	})

	t.Run("cost", func(t *testing.T) {
		tok := g.token(t, "beta")
		const q = `{ goodsList { totalCount nodes { id } } }` // 41
		for range 2 {
			rec, _ := g.post(t, tok, q, nil)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, `"cost";q=100;w=60`, rec.Header().Get("RateLimit-Policy"))
		}
		rec, resp := g.post(t, tok, q, nil)
		require.Equal(t, http.StatusTooManyRequests, rec.Code, "82 of 100 spent: 41 more do not fit")
		require.Equal(t, string(apperr.RateLimited), resp.code())
		require.NotEmpty(t, rec.Header().Get("Retry-After"))
		rec, _ = g.post(t, tok, `{ goods(id: "1") { id } }`, nil)
		require.Equal(t, http.StatusOK, rec.Code, "a cost of 1 still fits")
		rec, resp = g.post(t, tok, `{ goodsList(first: 100) { nodes { id } } }`, nil)
		require.Equal(t, http.StatusTooManyRequests, rec.Code)
		require.Contains(t, resp.Errors[0].Message, "more than the tenant's whole cost budget")
		require.Empty(t, rec.Header().Get("Retry-After"), "no wait lets an operation of 101 into a budget of 100")
	})
}
