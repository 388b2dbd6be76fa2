package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
)

// TestRepeatedOperationsHitCaches sends a mix of operations (POST and
// GET, different variables, a tenant's schema and callers' views under
// hide and reject, automatic persisted queries, a mutation,
// introspection) once to warm the caches, then three times more: every
// repetition must find its document in the parsed-document cache, and
// every persisted query its text, as tenantgraph_cache_lookups_total
// counts them.
func TestRepeatedOperationsHitCaches(t *testing.T) {
	m := telemetry.New()
	var documents, apq gateway.CacheCounts
	g := newCachingGateway(t, testSetup{handler: func(o *gateway.HandlerOptions) {
		o.QueryCacheCounts, o.PersistedQueryCounts = &documents, &apq
	}})
	require.NoError(t, m.Register(telemetry.Sources{Documents: &documents, PersistedQueries: &apq}))
	admin := g.customerA(t, "editor", "buyer")
	viewer := g.customerA(t, "viewer")
	rejectViewer := g.tokenWith(t, "rejectA", auth.Grant{Roles: []string{"viewer"}})
	acme := g.token(t, "acme")

	const (
		list      = `query List($n: Int) { goodsList(first: $n) { totalCount nodes { name } } }`
		persisted = `{ goodsList { nodes { id name } } }`
	)
	sum := sha256.Sum256([]byte(persisted))
	apqExt := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`

	post := func(token string, body map[string]any) func(t *testing.T) {
		return func(t *testing.T) {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec, resp := g.serve(t, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.NotNil(t, resp.Data, rec.Body.String())
		}
	}
	get := func(token string, params url.Values) func(t *testing.T) {
		return func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec, resp := g.serve(t, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Empty(t, resp.Errors, rec.Body.String())
		}
	}
	var ext map[string]any
	require.NoError(t, json.Unmarshal([]byte(apqExt), &ext))
	requests := []struct {
		name string
		do   func(t *testing.T)
		apq  bool
	}{
		{name: "POST with variables", do: post(admin, map[string]any{"query": list, "variables": map[string]any{"n": 1}})},
		{name: "POST with other variables", do: post(admin, map[string]any{"query": list, "variables": map[string]any{"n": 2}})},
		{name: "GET with variables", do: get(admin, url.Values{"query": {list}, "variables": {`{"n": 3}`}})},
		{name: "POST on a view", do: post(viewer, map[string]any{"query": list})},
		{name: "GET on a view", do: get(viewer, url.Values{"query": {list}, "variables": {`{"n": 4}`}})},
		{name: "POST under reject", do: post(rejectViewer, map[string]any{"query": `{ goodsList { nodes { name purchasePrice } } }`})},
		{name: "another tenant", do: post(acme, map[string]any{"query": list, "operationName": "List"})},
		{name: "mutation", do: post(admin, map[string]any{
			"query":     `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`,
			"variables": map[string]any{"in": map[string]any{"name": "A", "price": 1, "categoryCode": "C", "vendorCode": "V"}},
		})},
		{name: "introspection", do: post(viewer, map[string]any{"query": `{ __schema { types { name } } }`})},
		{name: "persisted query by POST", do: post(admin, map[string]any{"extensions": ext}), apq: true},
		{name: "persisted query by GET on a view", do: get(viewer, url.Values{"extensions": {apqExt}}), apq: true},
	}

	// Register the persisted query with each handler that serves it.
	post(admin, map[string]any{"query": persisted, "extensions": ext})(t)
	post(viewer, map[string]any{"query": persisted, "extensions": ext})(t)
	for _, r := range requests {
		t.Run("first "+r.name, r.do)
	}

	lookups := func(cache, result string) float64 {
		return metricValue(t, scrape(t, m), "tenantgraph_cache_lookups_total", map[string]string{"cache": cache, "result": result})
	}
	docHits, docMisses := lookups("document", "hit"), lookups("document", "miss")
	apqHits, apqMisses := lookups("apq", "hit"), lookups("apq", "miss")
	const rounds = 3
	persistedRequests := 0
	for range rounds {
		for _, r := range requests {
			t.Run(r.name, r.do)
			if r.apq {
				persistedRequests++
			}
		}
	}
	hits, misses := lookups("document", "hit"), lookups("document", "miss")
	t.Logf("document cache: %.0f hits, %.0f misses (warm-up included): hit rate %.1f%%", hits, misses, 100*hits/(hits+misses))
	require.Equal(t, docMisses, lookups("document", "miss"), "a repeated operation missed the document cache")
	require.Equal(t, docHits+float64(rounds*len(requests)), lookups("document", "hit"))
	require.Equal(t, apqMisses, lookups("apq", "miss"), "a repeated persisted query missed")
	require.Equal(t, apqHits+float64(persistedRequests), lookups("apq", "hit"))
}
