package cost_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"
)

// BenchmarkOperation costs operations as the gateway does on every
// request: a document validated once (gqlgen caches parsed documents) and
// variables coerced per request.
//
//	go test -run '^$' -bench Operation -benchmem ./internal/cost
func BenchmarkOperation(b *testing.B) {
	s := compileTenant(b, "", "")
	benchmarks := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"W1", w1, map[string]any{"id": "00000000-0000-7000-8000-000000000001"}},
		{"List100", `query($first: Int, $filter: GoodsFilter) {
			goodsList(first: $first, filter: $filter, orderBy: [{field: PRICE, direction: DESC}]) {
				totalCount
				edges { cursor node { id name price description createdAt updatedAt } }
				pageInfo { hasNextPage endCursor }
			}
		}`, map[string]any{"first": 100, "filter": map[string]any{"nameContains": "tea", "price": map[string]any{"gte": 1.5}}}},
		{"Fragments", `query { a: goodsList(first: 100) { ...Page } b: goodsList(first: 10) { ...Page } }
			fragment Page on GoodsConnection { nodes { ...G } pageInfo { hasNextPage } }
			fragment G on Goods { id name price }`, nil},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			doc, errs := gqlparser.LoadQuery(s.AST, bm.query)
			if errs != nil {
				b.Fatal(errs)
			}
			op := doc.Operations[0]
			vars, err := validator.VariableValues(s.AST, op, bm.vars)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Cost.Operation(doc, op, vars)
			}
		})
	}
}
