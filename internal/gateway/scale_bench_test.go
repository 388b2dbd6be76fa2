package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/loader"
)

// BenchmarkW1Tenants is W1 (goods by ID through the whole HTTP handler,
// for tenant acme) on a gateway serving the 3 default tenants and on one
// serving 10,000 (the default tenants and 9,997 more, each with a schema
// of its own), all resident:
// what holding many tenants costs a request, in time per request and in
// its latency percentiles.
//
//	go test -run '^$' -bench W1Tenants -count 6 -timeout 60m ./internal/gateway > w8.txt && benchstat -col /tenants w8.txt
func BenchmarkW1Tenants(b *testing.B) {
	for _, n := range []int{3, loader.DefaultMaxResident} {
		dir := writeTenants(b, defaultTenants)
		for i := range n - len(defaultTenants) {
			id := fmt.Sprintf("t%05d", i)
			d := filepath.Join(dir, id)
			require.NoError(b, os.Mkdir(d, 0o755))
			require.NoError(b, os.WriteFile(filepath.Join(d, loader.ConfigFile), []byte("name: Tenant "+id+"\n"), 0o644))
			require.NoError(b, os.WriteFile(filepath.Join(d, "goods.graphqls"), fmt.Appendf(nil,
				"extend type Goods {\n  %sCode: String @filterable\n}\n", id), 0o644))
		}
		g := newTestGatewayIn(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir)
		require.Len(b, g.registry.Tenants(), n, "all tenants resident")
		tok := g.token(b, "acme")
		id := g.create(b, tok, "Teapot", 12.5).ID
		body, err := json.Marshal(map[string]any{
			"query":     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
			"variables": map[string]any{"id": id},
		})
		require.NoError(b, err)
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			var took []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				g.handler.ServeHTTP(rec, req)
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(id)) {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
