package graphiql_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// introspection is the smallest schema GraphiQL accepts: type Query { hello: String }.
const introspection = `{"data":{"__schema":{
  "queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null,
  "types":[
    {"kind":"OBJECT","name":"Query","description":null,"fields":[
      {"name":"hello","description":null,"args":[],"type":{"kind":"SCALAR","name":"String","ofType":null},
       "isDeprecated":false,"deprecationReason":null}],
     "inputFields":null,"interfaces":[],"enumValues":null,"possibleTypes":null},
    {"kind":"SCALAR","name":"String","description":null,"fields":null,"inputFields":null,
     "interfaces":null,"enumValues":null,"possibleTypes":null}],
  "directives":[]}}}`

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// TestBrowser loads the page in headless Chromium and checks that GraphiQL
// renders with the dev-mode header filled in and the role picker of the
// tenant shown, loads every asset, sends the header with its schema
// request, and logs nothing to the console (such as a
// Content-Security-Policy violation). TestGraphiQLInBrowser, in the root
// package, uses the page against the gateway.
//
// It skips without Chromium (apt-get install chromium), and fails then
// under TENANTGRAPH_REQUIRE_SERVICES=1, as in CI. CHROMIUM names the
// browser binary; default chromium from PATH.
func TestBrowser(t *testing.T) {
	browser := testenv.ChromiumPath(t)

	var (
		mu     sync.Mutex
		failed []string // asset requests that did not succeed
		auths  []string // Authorization headers of schema requests
	)
	assets := graphiql.Assets()
	mux := http.NewServeMux()
	mux.Handle("/graphiql", graphiql.Handler(graphiql.Options{
		DevTokens: []graphiql.DevToken{
			{Tenant: "acme", Token: "token-of-acme"},
			{Tenant: "acme", Role: "editor", Token: "token-of-acme-editor"},
		},
	}))
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		assets.ServeHTTP(sw, r)
		if sw.status != http.StatusOK {
			mu.Lock()
			failed = append(failed, r.URL.Path)
			mu.Unlock()
		}
	})))
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(introspection))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var dom, log bytes.Buffer
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,800", "--virtual-time-budget=5000",
		"--enable-logging=stderr", "--v=0", "--dump-dom", srv.URL+"/graphiql")
	cmd.Stdout, cmd.Stderr = &dom, &log
	require.NoError(t, cmd.Run(), "chromium: %s", log.String())

	page := dom.String()
	require.Contains(t, page, `class="graphiql-container"`, "GraphiQL did not render")
	require.Contains(t, page, `id="graphiql-tenant"`)
	require.Contains(t, page, "Bearer token-of-acme", "header editor lacks the dev token")
	require.Contains(t, page, `<label id="graphiql-role-label">role`, "role picker hidden")
	require.Contains(t, page, `<option value="0">all roles</option><option value="1">editor</option>`)
	require.Empty(t, regexp.MustCompile(`(?m)^.*:CONSOLE.*$`).FindAllString(log.String(), -1),
		"console messages")
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, failed, "asset requests that failed")
	require.Contains(t, auths, "Bearer token-of-acme", "schema request without the dev token")
}
