package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestCORSClientHeaders sends the preflights of common clients: Apollo
// Client with its client awareness and CSRF headers, a traced frontend,
// and a frontend with a header of its own, allowed by configuration.
func TestCORSClientHeaders(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), writeTenants(t, defaultTenants), func(o *gateway.Options) {
		o.CORSOrigins = []string{"https://app.example.com"}
		o.CORSHeaders = []string{"X-Client-Version"}
	})
	preflight := func(headers string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		rec := httptest.NewRecorder()
		g.handler.ServeHTTP(rec, req)
		return rec
	}
	for name, headers := range map[string]string{
		"apollo client":  "apollographql-client-name,apollographql-client-version,authorization,content-type",
		"apollo upload":  "apollo-require-preflight,authorization",
		"trace context":  "traceparent,tracestate,x-request-id,content-type",
		"configured one": "authorization,x-client-version",
	} {
		t.Run(name, func(t *testing.T) {
			rec := preflight(headers)
			require.Less(t, rec.Code, 300, rec.Body.String())
			require.Equal(t, "https://app.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
			allowed := strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers"))
			for h := range strings.SplitSeq(headers, ",") {
				require.Contains(t, allowed, h)
			}
		})
	}
	t.Run("other header", func(t *testing.T) {
		rec := preflight("authorization,x-unknown")
		require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "a header neither default nor configured is refused")
	})
}

// TestHeadRoot: HEAD / answers as GET / does, without a body, as uptime
// checks and curl -I expect.
func TestHeadRoot(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), writeTenants(t, defaultTenants), func(o *gateway.Options) {
		o.GraphiQL = graphiql.Handler(graphiql.Options{})
		o.Assets = graphiql.Assets()
		o.AssetsPath = "/graphiql/"
	})
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Empty(t, rec.Body.String())
}
