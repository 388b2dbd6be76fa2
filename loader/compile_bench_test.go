package loader_test

import (
	"testing"

	"github.com/tenantgraph/tenantgraph/loader"
)

// BenchmarkCompile measures the compilation of customerA's schema: parsing
// the base schema and the tenant's file, the policy check, the derivation
// and gqlparser's validation. BenchmarkCompile/base is the same without
// extension files, the floor of every compilation.
func BenchmarkCompile(b *testing.B) {
	b.Run("customerA", func(b *testing.B) {
		srcs := tenantSources(b, "customerA")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := loader.Compile(srcs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("base", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := loader.Compile(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("customerA/SDL", func(b *testing.B) {
		srcs := tenantSources(b, "customerA")
		b.ReportAllocs()
		for b.Loop() {
			s, err := loader.Compile(srcs)
			if err != nil {
				b.Fatal(err)
			}
			_ = s.SDL()
		}
	})
}
