package dynamic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// BenchmarkExecutor compares the dynamic executor with gqlgen's generated
// one on the same queries (goods by ID, a page of 100 goods, the full
// introspection query), both behind gateway.NewGraphQLHandler over the
// same in-memory store (parse and validation are cached, as in
// production). Compare them with
//
//	go test -run '^$' -bench Executor -count 10 ./internal/dynamic | tee bench.txt
//	benchstat -col /executor bench.txt
func BenchmarkExecutor(b *testing.B) {
	logger := slog.New(slog.DiscardHandler)
	st := store.NewMemory(logger)
	ctx := tenant.WithID(context.Background(), "acme")
	var id string
	for i := range 100 {
		in := store.NewGoods{Name: fmt.Sprintf("Goods %03d", i), Price: 10 + float64(i)/4}
		if i%2 == 0 {
			d := fmt.Sprintf("Description of goods %d, \"quoted\".", i)
			in.Description = &d
		}
		g, err := st.Create(ctx, "acme", in)
		if err != nil {
			b.Fatal(err)
		}
		id = g.ID
	}

	res := &resolvers.Resolver{Store: st}
	schema, err := gqlparser.LoadSchema(graph.Sources()...)
	if err != nil {
		b.Fatal(err)
	}
	opts := gateway.HandlerOptions{Logger: logger}
	executors := []struct {
		name    string
		handler http.Handler
	}{
		{"generated", gateway.NewGraphQLHandler(graph.NewExecutableSchema(graph.Config{Resolvers: res}), opts)},
		{"dynamic", gateway.NewGraphQLHandler(dynamic.New(dynamic.Config{Schema: schema, Resolvers: res.FieldResolvers(nil)}), opts)},
	}

	queries := []struct {
		name      string
		query     string
		variables map[string]any
	}{
		{
			name:      "byID",
			query:     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
			variables: map[string]any{"id": id},
		},
		{
			name: "list100",
			query: `{ goodsList(first: 100) {
				totalCount
				pageInfo { hasNextPage endCursor }
				edges { cursor node { id name price description createdAt updatedAt } }
			} }`,
		},
		{
			// What GraphiQL sends on every load.
			name:  "introspection",
			query: introspection.Query,
		},
	}
	for _, q := range queries {
		body, err := json.Marshal(map[string]any{"query": q.query, "variables": q.variables})
		if err != nil {
			b.Fatal(err)
		}
		serve := func(h http.Handler) *httptest.ResponseRecorder {
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		// Both must answer the same, and without errors, or the
		// comparison means nothing.
		want := serve(executors[0].handler).Body.Bytes()
		if bytes.Contains(want, []byte(`"errors"`)) {
			b.Fatalf("query %s: %s", q.name, want)
		}
		b.Run("query="+q.name, func(b *testing.B) {
			for _, ex := range executors {
				if got := serve(ex.handler).Body.Bytes(); !bytes.Equal(got, want) {
					b.Fatalf("executor %s answers\n%s\nwant\n%s", ex.name, got, want)
				}
				b.Run("executor="+ex.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if rec := serve(ex.handler); rec.Code != http.StatusOK {
							b.Fatalf("status %d: %s", rec.Code, rec.Body)
						}
					}
				})
			}
		})
	}
}
