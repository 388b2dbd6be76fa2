package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
	"github.com/tenantgraph/tenantgraph/loader"
)

// TestMetrics makes known traffic (successes, an error, refusals, tenants
// the gateway does not serve, persisted queries, a reload) and checks what
// a scrape of /metrics says of it, by tenant and code.
func TestMetrics(t *testing.T) {
	m := telemetry.New()
	var refusals gateway.Refusals
	var documents, apq gateway.CacheCounts
	dir := writeTenants(t, defaultTenants)
	g := newTestGatewayWith(t, store.NewMemory(slog.New(slog.DiscardHandler)), dir, testSetup{
		limits: limits.Limits{MaxDepth: 3},
		handler: func(o *gateway.HandlerOptions) {
			o.Observer, o.QueryCacheCounts, o.PersistedQueryCounts = m, &documents, &apq
		},
		gateway: []func(*gateway.Options){func(o *gateway.Options) {
			o.Observer, o.Refusals = m, &refusals
		}},
		onLoad: m.ObserveLoad,
	})
	require.NoError(t, m.Register(telemetry.Sources{
		Refusals: &refusals, Documents: &documents, PersistedQueries: &apq, Tenants: g.registry,
	}))
	acme := g.token(t, "acme")

	const list = `{ goodsList { totalCount } }`
	g.mustData(t, acme, list, nil, new(any))
	g.mustData(t, acme, list, nil, new(any))
	g.mustData(t, acme, `mutation { createGoods(input: {name: "Apple", price: 1}) { id } }`, nil, new(any))
	g.mustData(t, g.token(t, "beta"), list, nil, new(any))

	_, resp := g.post(t, acme, `{ goodsList { nope } }`, nil)
	invalid := resp.code()
	require.NotEmpty(t, invalid)
	_, resp = g.post(t, acme, `{ goodsList { edges { node { id } } } }`, nil)
	require.Equal(t, string(apperr.MaxDepthLimit), resp.code())
	_, resp = g.post(t, g.token(t, "nobody"), list, nil)
	require.Equal(t, string(apperr.TenantUnknown), resp.code())
	_, resp = g.post(t, g.token(t, "frozen"), list, nil)
	require.Equal(t, string(apperr.TenantSuspended), resp.code())

	// Automatic persisted queries: the hash alone (a miss), then the
	// query with its hash, then the hash alone again (a hit).
	sum := sha256.Sum256([]byte(list))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	persisted := func(query string) gqlResponse {
		body, err := json.Marshal(map[string]any{"query": query, "extensions": ext})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+acme)
		_, resp := g.serve(t, req)
		return resp
	}
	notFound := persisted("").code()
	require.NotEmpty(t, notFound)
	require.Empty(t, persisted(list).Errors)
	require.Empty(t, persisted("").Errors)

	// A reload: beta changed, and a new tenant that fails to load.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "beta", loader.ConfigFile), []byte("name: Beta 2\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "broken"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken", loader.ConfigFile), []byte("name: [\n"), 0o644))
	require.Error(t, g.registry.Reload())

	fams := scrape(t, m)
	requests := func(tenant, op, code string) float64 {
		return metricValue(t, fams, "tenantgraph_requests_total", map[string]string{"tenant": tenant, "operation": op, "code": code})
	}
	require.Equal(t, 4.0, requests("acme", "query", "ok"), "two lists, two persisted")
	require.Equal(t, 1.0, requests("acme", "mutation", "ok"))
	require.Equal(t, 1.0, requests("beta", "query", "ok"))
	require.Equal(t, 1.0, requests("acme", "none", invalid))
	require.Equal(t, 1.0, requests("acme", "none", string(apperr.MaxDepthLimit)))
	require.Equal(t, 1.0, requests("acme", "none", notFound))
	require.Equal(t, 1.0, requests("", "none", string(apperr.TenantUnknown)), "an unknown tenant is no label")
	require.Equal(t, 1.0, requests("frozen", "none", string(apperr.TenantSuspended)))

	latency := findMetric(t, fams, "tenantgraph_request_duration_seconds", map[string]string{"tenant": "acme"})
	require.EqualValues(t, 8, latency.GetHistogram().GetSampleCount())
	require.Len(t, latency.GetHistogram().GetBucket(), len(telemetry.LatencyBuckets)+1, "classic buckets and +Inf in the text format")

	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_graphql_errors_total", map[string]string{"code": invalid}))
	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_graphql_errors_total", map[string]string{"code": string(apperr.MaxDepthLimit)}))
	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_refusals_total", map[string]string{"tenant": "acme", "code": string(apperr.MaxDepthLimit)}))

	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_cache_lookups_total", map[string]string{"cache": "apq", "result": "hit"}))
	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_cache_lookups_total", map[string]string{"cache": "apq", "result": "miss"}))
	require.Positive(t, metricValue(t, fams, "tenantgraph_cache_lookups_total", map[string]string{"cache": "document", "result": "hit"}))
	require.Positive(t, metricValue(t, fams, "tenantgraph_cache_lookups_total", map[string]string{"cache": "document", "result": "miss"}))

	require.Equal(t, 4.0, metricValue(t, fams, "tenantgraph_tenant_loads_total", map[string]string{"result": "ok"}), "three at start, beta again")
	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_tenant_loads_total", map[string]string{"result": "error"}))
	require.Equal(t, 3.0, metricValue(t, fams, "tenantgraph_tenants_serving", nil))
	require.Equal(t, 1.0, metricValue(t, fams, "tenantgraph_tenants_failing", nil))
	require.Contains(t, fams, "go_goroutines")
	require.Contains(t, fams, "process_cpu_seconds_total")
}

// scrape GETs m's handler as Prometheus does and parses the text format.
func scrape(t *testing.T, m *telemetry.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	return fams
}

// findMetric returns the metric of family name whose labels are exactly
// labels.
func findMetric(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "no metric %s", name)
	for _, m := range f.GetMetric() {
		got := make(map[string]string)
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) == len(labels) && func() bool {
			for k, v := range labels {
				if got[k] != v {
					return false
				}
			}
			return true
		}() {
			return m
		}
	}
	require.Failf(t, "no such series", "%s%v", name, labels)
	return nil
}

// metricValue returns the value of a counter or gauge.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := findMetric(t, fams, name, labels)
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}
