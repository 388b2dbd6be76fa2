package loader_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// productionOptions are the options of a registry of dir that compiles
// tenants as the gateway does: the dynamic executor of package resolvers
// (with a shared introspection cache) behind the gateway's gqlgen handler.
func productionOptions(dir string) loader.Options {
	res := &resolvers.Resolver{IntrospectionCache: dynamic.NewIntrospectionCache(16 << 20)}
	logger := slog.New(slog.DiscardHandler)
	return loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return res.NewExecutable(s)
		},
		NewHandler: func(_ string, es graphql.ExecutableSchema) http.Handler {
			return gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Logger: logger})
		},
		Logger: logger,
	}
}

// BenchmarkRegistry1000Tenants loads 1,000 tenants with distinct schemas,
// each compiled into a runtime of its own as in production (dynamic
// executor and gqlgen handler), and reports the live heap per tenant:
//
//	go test -run '^$' -bench Registry1000 -benchtime 3x ./loader
func BenchmarkRegistry1000Tenants(b *testing.B) {
	const n = 1000
	dir := b.TempDir()
	for i := range n {
		id := fmt.Sprintf("t%04d", i)
		writeFile(b, filepath.Join(dir, id, "tenant.yaml"), "name: Tenant "+id+"\n")
		writeFile(b, filepath.Join(dir, id, "goods.graphqls"), fmt.Sprintf(`extend type Goods {
  "Category code %d"
  code%d: String! @filterable @sortable
  vendorCode: String! @filterable
  taxRate: Float! @default(value: 0.1)
}
`, i, i))
	}
	opts := productionOptions(dir)
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		before := readHeap()
		reg, err := loader.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		reg.Preload(b.Context())
		runtime.GC()
		after := readHeap()
		if got := len(reg.Tenants()); got != n {
			b.Fatalf("%d tenants loaded, want %d: %v", got, n, reg.Problems())
		}
		b.ReportMetric(float64(after.live-before.live)/n, "heap-B/tenant")
		b.ReportMetric(float64(after.scan-before.scan)/n, "scan-B/tenant")
		b.ReportMetric(float64(after.objects-before.objects)/n, "objects/tenant")
		reg.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tenant")
}

// heap is what the garbage collector holds and scans.
type heap struct {
	// live is the heap the last collection found live, scan the part of
	// the heap that may hold pointers (what a collection scans), and
	// objects the number of objects in the heap.
	live, scan, objects uint64
}

// readHeap returns the heap as the last collection left it.
func readHeap() heap {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	return heap{live: s[0].Value.Uint64(), scan: s[1].Value.Uint64(), objects: s[2].Value.Uint64()}
}

// BenchmarkTenThousandTenants is W8: 10,000 tenants with distinct
// schemas, compiled as in production (dynamic executor and gqlgen
// handler). It reports the start-up (reading and hashing every tenant
// directory), the time to compile all of them and the live heap they take
// once all are resident, and the added latency of a cold tenant's first
// lookup (a compile) against a resident one's:
//
//	go test -run '^$' -bench TenThousand -benchtime 1x -timeout 30m ./loader
func BenchmarkTenThousandTenants(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	ids := writeDistinctTenants(b, dir, n)
	opts := productionOptions(dir)
	opts.MaxResident = n
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		reg, err := loader.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "startup-s")
		start = time.Now()
		reg.Preload(b.Context())
		b.ReportMetric(time.Since(start).Seconds(), "preload-s")
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := len(reg.Tenants()); got != n {
			b.Fatalf("%d tenants resident, want %d: %v", got, n, reg.Problems())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/tenant")

		// Cold: a new registry's first lookup of each of 200 tenants
		// compiles it; warm: a resident tenant.
		cold, err := loader.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		const lookups = 200
		start = time.Now()
		for _, id := range ids[:lookups] {
			if _, ok := cold.Lookup(id); !ok {
				b.Fatalf("tenant %s: %v", id, cold.Problems())
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/lookups/1000, "cold-lookup-ms")
		start = time.Now()
		for range lookups {
			reg.Lookup(ids[0])
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/lookups/1e6, "warm-lookup-ms")
		reg.Close()
		cold.Close()
	}
}
