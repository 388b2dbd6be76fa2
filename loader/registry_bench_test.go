package loader_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

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
	res := &resolvers.Resolver{}
	logger := slog.New(slog.DiscardHandler)
	opts := loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return res.NewExecutable(s)
		},
		NewHandler: func(_ string, es graphql.ExecutableSchema) http.Handler {
			return gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Logger: logger})
		},
		Logger: logger,
	}
	b.ReportAllocs()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		reg, err := loader.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		reg.Preload(b.Context())
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := len(reg.Tenants()); got != n {
			b.Fatalf("%d tenants loaded, want %d: %v", got, n, reg.Problems())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/tenant")
		runtime.KeepAlive(reg)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tenant")
}
