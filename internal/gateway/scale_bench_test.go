package gateway_test

import (
	"fmt"
	"log/slog"
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
		w := newW1(b, g)
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			var took []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				w.serve(b, g.handler)
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
