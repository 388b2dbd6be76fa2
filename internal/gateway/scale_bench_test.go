package gateway_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/loader"
)

// BenchmarkW1Tenants is W1 (goods by ID through the whole HTTP handler,
// for tenant acme) on a gateway serving the 3 default tenants and on
// gateways serving 10,000 (the default tenants and 9,997 more, each with
// a schema of its own): what holding many tenants costs a request, in
// time per request and in its latency percentiles, and the live heap
// (heap-MiB, after a collection) while it runs, under two collectors
// (see BenchmarkStitchingInterleaved): gc=runtime, GOGC as the
// environment says, and gc=gateway, the heap headroom the binary gives
// itself.
//
//   - tenants=10000: all 10,000 compiled and resident, as after each
//     was used within the idle timeout (loader.Options.IdleTimeout);
//
//   - tenants=10000-idle: all 10,000 compiled at start-up, then all but
//     those W1 uses evicted by the idle timeout (2 s here, 15 minutes by
//     default), as when most tenants have been idle for longer.
//
//     go test -run '^$' -bench W1Tenants -count 6 -timeout 60m ./internal/gateway > w8.txt && benchstat -col /tenants -row /gc w8.txt
func BenchmarkW1Tenants(b *testing.B) {
	cases := []struct {
		name    string
		tenants int
		idle    time.Duration
	}{
		{"3", 3, 0},
		{"10000", loader.DefaultMaxResident, 0},
		{"10000-idle", loader.DefaultMaxResident, 2 * time.Second},
	}
	for _, c := range cases {
		// Each gateway is made in its sub-benchmark and closed at its end,
		// so that no other case's tenants are in the heap while it runs.
		b.Run("tenants="+c.name, func(b *testing.B) {
			dir := writeTenants(b, defaultTenants)
			for i := range c.tenants - len(defaultTenants) {
				id := fmt.Sprintf("t%05d", i)
				d := filepath.Join(dir, id)
				require.NoError(b, os.Mkdir(d, 0o755))
				require.NoError(b, os.WriteFile(filepath.Join(d, loader.ConfigFile), []byte("name: Tenant "+id+"\n"), 0o644))
				require.NoError(b, os.WriteFile(filepath.Join(d, "goods.graphqls"), fmt.Appendf(nil,
					"extend type Goods {\n  %sCode: String @filterable\n}\n", id), 0o644))
			}
			g := newTestGatewayWith(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir, testSetup{idleTimeout: c.idle})
			w := newW1(b, g)
			if c.idle > 0 {
				// Preload compiled every tenant; wait until the sweeper has
				// evicted all but those W1 has used since.
				deadline := time.Now().Add(time.Minute)
				for len(g.registry.Tenants()) > len(defaultTenants) {
					if time.Now().After(deadline) {
						b.Fatalf("%d tenants still resident a minute after start-up", len(g.registry.Tenants()))
					}
					w.serve(b, g.handler)
					time.Sleep(100 * time.Millisecond)
				}
			} else {
				require.Len(b, g.registry.Tenants(), c.tenants, "all tenants resident")
			}
			for _, gc := range []string{"runtime", "gateway"} {
				b.Run("gc="+gc, func(b *testing.B) {
					if gc == "gateway" {
						useGatewayGC(b)
					}
					runtime.GC()
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
					runtime.GC()
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MiB")
				})
			}
		})
	}
}
