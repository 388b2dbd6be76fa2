package gateway_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// cachingGateway is a test gateway over the shipped tenants and rejectA
// (customerA's schema and roles, with unauthorized: reject), which keeps
// every executable schema it makes, of tenants and of views, to read
// their introspection caches.
type cachingGateway struct {
	*testGateway
	mu          sync.Mutex
	executables []*dynamic.ExecutableSchema
}

func newCachingGateway(t *testing.T, setup testSetup) *cachingGateway {
	t.Helper()
	dir := shippedTenants(t)
	yaml, err := os.ReadFile(filepath.Join("..", "..", "tenants", "customerA", "tenant.yaml"))
	require.NoError(t, err)
	copyTenant(t, dir, "customerA", "rejectA", strings.Replace(string(yaml), "unauthorized: hide", "unauthorized: reject", 1))
	g := &cachingGateway{}
	setup.executable = func(es *dynamic.ExecutableSchema) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.executables = append(g.executables, es)
	}
	g.testGateway = newTestGatewayWith(t, store.NewMemory(slog.New(slog.DiscardHandler)), dir, setup)
	return g
}

// introspectionHits returns the requests answered from the introspection
// caches of all executable schemas so far.
func (g *cachingGateway) introspectionHits() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var hits uint64
	for _, es := range g.executables {
		hits += es.IntrospectionCacheStats().Hits
	}
	return hits
}

// get sends one GraphQL request over GET.
func (g *testGateway) get(t testing.TB, token, query, vars string) *httptest.ResponseRecorder {
	t.Helper()
	q := url.Values{"query": {query}}
	if vars != "" {
		q.Set("variables", vars)
	}
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec, _ := g.serve(t, req)
	return rec
}

// TestIntrospectionCache checks through the whole gateway that a repeated
// introspection-only operation is answered from its schema's cache with
// the bytes of its first, executed, response: on a tenant's schema, on a
// caller's view of it, for __type with variables and over GET; that a
// tenant without introspection is refused although it shares the cached
// runtime; and that data never comes from the cache.
func TestIntrospectionCache(t *testing.T) {
	g := newCachingGateway(t, testSetup{})
	full, err := os.ReadFile(filepath.Join("..", "dynamic", "testdata", "corpus", "introspection_full.graphql"))
	require.NoError(t, err)
	admin := g.customerA(t, "editor", "buyer")
	viewer := g.customerA(t, "viewer")
	rejectViewer := g.tokenWith(t, "rejectA", auth.Grant{Roles: []string{"viewer"}})

	body := func(token, query string, vars map[string]any) string {
		t.Helper()
		rec, resp := g.post(t, token, query, vars)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, resp.Errors, rec.Body.String())
		return rec.Body.String()
	}
	// twice sends a request twice: the second answer must come from the
	// cache, with the bytes of the first.
	twice := func(token, query string, vars map[string]any) string {
		t.Helper()
		first := body(token, query, vars)
		hits := g.introspectionHits()
		require.Equal(t, first, body(token, query, vars))
		require.Equal(t, hits+1, g.introspectionHits(), "the second request was not answered from the cache")
		return first
	}

	whole := twice(admin, string(full), nil)
	require.Contains(t, whole, `"purchasePrice"`)

	t.Run("a tenant without introspection on the same runtime", func(t *testing.T) {
		hits := g.introspectionHits()
		sealed := g.token(t, "sealed")
		_, resp := g.post(t, sealed, string(full), nil)
		require.Equal(t, string(gateway.IntrospectionDisabled), resp.code())
		require.Equal(t, `{"data":{"__typename":"Query"}}`, body(sealed, `{ __typename }`, nil))
		require.Equal(t, `{"data":{"__typename":"Query"}}`, body(sealed, `{ __typename }`, nil))
		require.Equal(t, hits, g.introspectionHits())
	})

	t.Run("reject: the tenant's runtime, under an Access", func(t *testing.T) {
		hits := g.introspectionHits()
		require.Equal(t, whole, body(rejectViewer, string(full), nil), "reject shows the whole schema")
		require.Equal(t, hits+1, g.introspectionHits(), "rejectA shares customerA's runtime and its cache")
	})

	t.Run("hide: the caller's view", func(t *testing.T) {
		view := twice(viewer, string(full), nil)
		require.NotContains(t, view, "purchasePrice")
		require.NotEqual(t, whole, view)
	})

	t.Run("__type with variables", func(t *testing.T) {
		const query = `query($n: String!) { __type(name: $n) { name fields { name } inputFields { name } } }`
		goods := twice(viewer, query, map[string]any{"n": "Goods"})
		filter := twice(viewer, query, map[string]any{"n": "GoodsFilter"})
		require.Contains(t, goods, `"name":"Goods"`)
		require.Contains(t, filter, `"name":"GoodsFilter"`)
		require.NotContains(t, goods+filter, "purchasePrice")
		require.Contains(t, twice(admin, query, map[string]any{"n": "Goods"}), "purchasePrice")

		hits := g.introspectionHits()
		rec := g.get(t, viewer, query, `{"n": "Goods"}`)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, goods, rec.Body.String(), "GET answers as POST")
		require.Equal(t, hits+1, g.introspectionHits())
	})

	t.Run("data is never cached", func(t *testing.T) {
		hits := g.introspectionHits()
		const query = `{ __typename goodsList { totalCount } }`
		before := body(admin, query, nil)
		g.mustData(t, admin, `mutation { createGoods(input: {name: "New", price: 1, categoryCode: "C", vendorCode: "V"}) { id } }`, nil, new(any))
		after := body(admin, query, nil)
		require.NotEqual(t, before, after)
		require.Contains(t, after, `"totalCount":1`)
		require.Equal(t, hits, g.introspectionHits())
	})
}
