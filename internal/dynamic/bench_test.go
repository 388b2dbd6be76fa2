package dynamic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// BenchmarkExecutor compares the dynamic executor with gqlgen's generated
// one on the same queries (goods by ID, a page of 100 goods, the full
// introspection query), both behind gateway.NewGraphQLHandler over the
// same in-memory store (parse and validation are cached, as in
// production). The dynamic executor's introspection cache is off, so
// that introspection is executed (W3), not answered from the cache
// (BenchmarkIntrospectionCache measures that). Compare them with
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
		{"dynamic", gateway.NewGraphQLHandler(dynamic.New(dynamic.Config{
			Schema:                  schema,
			Resolvers:               res.FieldResolvers(nil),
			IntrospectionCacheBytes: -1,
		}), opts)},
	}

	// What GraphiQL sends on every load, and what each executor answers:
	// generated code its reference bytes, the dynamic executor the
	// spec's (null, not [], for fields of __Type that do not apply to a
	// kind), as TestDifferential holds them.
	introspection, err := loadCase("introspection_graphiql_default")
	if err != nil {
		b.Fatal(err)
	}
	if introspection.want == nil || introspection.spec == nil {
		b.Fatalf("case %s needs a .want.json and a .spec.json", introspection.name)
	}

	queries := []struct {
		name          string
		query         string
		operationName string
		variables     map[string]any
		// want holds the response each executor owes, by name; without
		// it, both must answer the same.
		want map[string][]byte
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
			name:          "introspection",
			query:         introspection.query,
			operationName: introspection.operationName,
			want:          map[string][]byte{"generated": introspection.want, "dynamic": introspection.spec},
		},
	}
	for _, q := range queries {
		body, err := json.Marshal(map[string]any{"query": q.query, "operationName": q.operationName, "variables": q.variables})
		if err != nil {
			b.Fatal(err)
		}
		serve := func(h http.Handler) *httptest.ResponseRecorder { return post(ctx, h, body) }
		// Both must answer what they owe, and without errors, or the
		// comparison means nothing.
		same := serve(executors[0].handler).Body.Bytes()
		if bytes.Contains(same, []byte(`"errors"`)) {
			b.Fatalf("query %s: %s", q.name, same)
		}
		b.Run("query="+q.name, func(b *testing.B) {
			for _, ex := range executors {
				want, ok := q.want[ex.name]
				if !ok {
					want = same
				}
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

// BenchmarkAccess measures what executing under an Access costs (a tenant
// with unauthorized: reject, whose caller may not use some fields): a page
// of 100 of customerA's goods with every field an editor may use, served
// to an editor, once without an Access (the cost of a caller granted
// everything) and once with the editor's, which refuses purchasePrice
// (not selected, so the responses are the same). Compare with
//
//	go test -run '^$' -bench Access -count 10 ./internal/dynamic | tee access.txt
//	benchstat -col /access access.txt
func BenchmarkAccess(b *testing.B) {
	ctx, s, h := customerABench(b)
	policy := authz.NewPolicy(s.Authoring, &authz.Config{Unauthorized: authz.Reject})
	access := policy.Grant(authz.NewScopes([]string{"goods:read", "goods:write"})).Access()
	if access == nil {
		b.Fatal("the editor's grant refuses nothing")
	}
	body, err := json.Marshal(map[string]any{"query": `{ goodsList(first: 100) {
		nodes { id name price description createdAt updatedAt categoryCode vendorCode taxRate }
	} }`})
	if err != nil {
		b.Fatal(err)
	}
	serve := func(ctx context.Context) *httptest.ResponseRecorder { return post(ctx, h, body) }
	contexts := []struct {
		name string
		ctx  context.Context
	}{
		{"none", ctx},
		{"reject", dynamic.WithAccess(ctx, access)},
	}
	want := serve(ctx).Body.Bytes()
	if bytes.Contains(want, []byte(`"errors"`)) || !bytes.Contains(want, []byte(`"Goods 099"`)) {
		b.Fatalf("%s", want)
	}
	for _, c := range contexts {
		if got := serve(c.ctx).Body.Bytes(); !bytes.Equal(got, want) {
			b.Fatalf("access %s answers\n%s\nwant\n%s", c.name, got, want)
		}
		b.Run("access="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := serve(c.ctx); rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// post serves a POST of the JSON request body with h, in ctx.
func post(ctx context.Context, h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// customerABench returns a context of tenant customerA, its compiled schema,
// and a handler of it on the dynamic executor over a memory store with 100
// of its goods.
func customerABench(b *testing.B) (context.Context, *loader.Schema, http.Handler) {
	b.Helper()
	ctx, s, st := customerAStore(b, false)
	res := &resolvers.Resolver{Store: st}
	return ctx, s, gateway.NewGraphQLHandler(res.NewExecutable(s), gateway.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
}

// customerAStore returns a context of tenant customerA, its compiled
// schema, and a memory store with 100 of its goods, each with every
// stored extension field set, and a description if withDescription.
func customerAStore(b *testing.B, withDescription bool) (context.Context, *loader.Schema, store.Store) {
	b.Helper()
	st := store.NewMemory(slog.New(slog.DiscardHandler))
	ctx := tenant.WithID(context.Background(), "customerA")
	for i := range 100 {
		in := store.NewGoods{Name: fmt.Sprintf("Goods %03d", i), Price: 10 + float64(i)/4, Ext: map[string]any{
			"categoryCode": "C", "vendorCode": fmt.Sprint("V", i%7), "taxRate": 0.07, "purchasePrice": 5.5,
		}}
		if withDescription {
			d := fmt.Sprintf("Description of goods %d, \"quoted\".", i)
			in.Description = &d
		}
		if _, err := st.Create(ctx, "customerA", in); err != nil {
			b.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "tenants", "customerA", "*.graphqls"))
	if err != nil {
		b.Fatal(err)
	}
	var srcs []*ast.Source
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, &ast.Source{Name: f, Input: string(text)})
	}
	s, err := loader.Compile(srcs)
	if err != nil {
		b.Fatal(err)
	}
	return ctx, s, st
}

// BenchmarkComputed measures a @computed field (customerA's priceWithTax,
// a CEL expression over price and taxRate) on a page of 100 goods: the
// same page with and without it. The difference divided by 100 is the
// cost of computing the field for one goods.
//
//	go test -run '^$' -bench Computed -count 10 ./internal/dynamic | tee computed.txt
//	benchstat -col /fields computed.txt
func BenchmarkComputed(b *testing.B) {
	ctx, _, h := customerABench(b)
	for _, q := range []struct{ name, fields string }{
		{"stored", "id name price taxRate"},
		{"computed", "id name price taxRate priceWithTax"},
	} {
		body, err := json.Marshal(map[string]any{"query": `{ goodsList(first: 100) { nodes { ` + q.fields + ` } } }`})
		if err != nil {
			b.Fatal(err)
		}
		if got := post(ctx, h, body).Body.Bytes(); bytes.Contains(got, []byte(`"errors"`)) || !bytes.Contains(got, []byte(`"Goods 099"`)) {
			b.Fatalf("%s", got)
		}
		b.Run("fields="+q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := post(ctx, h, body); rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkIntrospectionCache measures a repeated full introspection
// query (graphql-js's getIntrospectionQuery with every option, as in
// testdata/corpus/introspection_full.graphql) on customerA's schema,
// executed every time (part=uncached) and answered from the executable
// schema's cache (part=cached): at the executor (Exec on a parsed and
// validated operation) and through gateway.NewGraphQLHandler over HTTP.
//
//	go test -run '^$' -bench IntrospectionCache -count 10 ./internal/dynamic > introspection.txt
//	benchstat -col /part introspection.txt
func BenchmarkIntrospectionCache(b *testing.B) {
	ctx, s, _ := customerABench(b)
	query, err := os.ReadFile(filepath.Join(corpusDir, "introspection_full.graphql"))
	if err != nil {
		b.Fatal(err)
	}
	parts := []struct {
		name       string
		cacheBytes int
	}{{"uncached", -1}, {"cached", 0}}

	b.Run("level=executor", func(b *testing.B) {
		var want []byte
		for _, p := range parts {
			es := dynamic.New(dynamic.Config{Schema: s.AST, IntrospectionCacheBytes: p.cacheBytes})
			exec := executor.New(es)
			exec.Use(extension.Introspection{})
			run := operationRunner(ctx, b, es, exec, string(query))
			got := run()
			if want == nil {
				want = got
			} else if !bytes.Equal(run(), want) {
				b.Fatalf("part %s answers differently", p.name)
			}
			b.Run("part="+p.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					run()
				}
			})
		}
	})

	b.Run("level=http", func(b *testing.B) {
		body, err := json.Marshal(map[string]any{"query": string(query)})
		if err != nil {
			b.Fatal(err)
		}
		var want []byte
		for _, p := range parts {
			es := dynamic.New(dynamic.Config{Schema: s.AST, IntrospectionCacheBytes: p.cacheBytes})
			h := gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
			got := post(ctx, h, body).Body.Bytes()
			if want == nil {
				want = got
				if bytes.Contains(want, []byte(`"errors"`)) {
					b.Fatalf("%s", want)
				}
			} else if !bytes.Equal(post(ctx, h, body).Body.Bytes(), want) {
				b.Fatalf("part %s answers differently", p.name)
			}
			b.Run("part="+p.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if rec := post(ctx, h, body); rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		}
	})
}

// BenchmarkWideList is workload W2: a page of 100 of customerA's goods
// with every base and every stored extension field set and selected,
// executed by the dynamic executor (part=executor: Exec on a parsed and
// validated operation, resolvers and memory store included), set against
// the store's List call alone (part=store) and against encoding/json
// marshalling the very values that List returns (part=json: each goods
// with its base fields and its extension values, the Ext map, as a
// nested object). The executor's own allocations per item are
// (executor - store) / 100.
//
//	go test -run '^$' -bench WideList -count 10 ./internal/dynamic > widelist.txt
//	benchstat -col /part widelist.txt
func BenchmarkWideList(b *testing.B) {
	ctx, s, st := customerAStore(b, true)
	const query = `{ goodsList(first: 100) { nodes {
		id name price description createdAt updatedAt
		categoryCode vendorCode taxRate purchasePrice
	} } }`
	res := &resolvers.Resolver{Store: st}
	es := res.NewExecutable(s)
	exec := operationRunner(ctx, b, es, executor.New(es), query)
	// The parameters the goodsList resolver passes for this query.
	params := store.ListParams{First: 100, NoCursors: true}
	list := func() *store.Page {
		page, err := st.List(ctx, "customerA", params)
		if err != nil {
			b.Fatal(err)
		}
		return page
	}

	// encoding/json's view of the same goods: the base fields by their
	// json tags, the extension values as they are.
	type jsonGoods struct {
		*model.Goods
		Ext map[string]any `json:"ext"`
	}
	page := list()
	nodes := make([]jsonGoods, len(page.Edges))
	for i, e := range page.Edges {
		nodes[i] = jsonGoods{e.Node, e.Node.Ext}
	}
	encoded, err := json.Marshal(nodes)
	if err != nil {
		b.Fatal(err)
	}
	data := exec()
	if len(page.Edges) != 100 || !bytes.Contains(data, []byte(`"Goods 099"`)) || !bytes.Contains(data, []byte(`"purchasePrice":5.5`)) {
		b.Fatalf("unexpected page:\n%s", data)
	}
	b.Logf("response data %d bytes, encoding/json %d bytes", len(data), len(encoded))

	b.Run("part=store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list()
		}
	})
	b.Run("part=executor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			exec()
		}
	})
	b.Run("part=json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(nodes); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBatch measures what the executor adds to a list of 100 goods
// for fields resolved by a Batch, as those of a tenant's upstream: the
// page alone (part=page), and the page with stock and warehouse { code
// city } from a batch that answers at once with upstream.Objects decoded
// beforehand (part=page+batch), so that the difference is the
// executor's own: the batch's bookkeeping and the writing of its values,
// copied from the upstream's text; and the same with the values
// completed one by one, as for an upstream whose text is not clean
// (part=page+batch-completed).
//
//	go test -run '^$' -bench 'Batch$' -count 10 ./internal/dynamic > batch.txt
//	benchstat -col /part batch.txt
func BenchmarkBatch(b *testing.B) {
	const sdl = `
type Query { goodsList: [Goods!]! }
type Goods { id: ID! name: String! price: Float! stock: Int warehouse: Warehouse }
type Warehouse { code: String! city: String }
`
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "batch.graphqls", Input: sdl})
	if err != nil {
		b.Fatal(err)
	}
	goods := make([]any, 100)
	values := make([]dynamic.Object, len(goods))
	completed := make([]dynamic.Object, len(goods)) // the values, hidden from writeVerbatim
	for i := range goods {
		goods[i] = &benchGoods{id: fmt.Sprintf("%08d-0000-0000-0000-000000000000", i), name: fmt.Sprintf("Goods %03d", i), price: 1}
		// Decoded as an upstream's answer is, with the text of each value.
		o, err := upstream.ParseObject(fmt.Appendf(nil, `{"stock":%d,"warehouse":{"code":"W%d","city":"Lyon"}}`, i*3, i%4))
		if err != nil {
			b.Fatal(err)
		}
		values[i] = o
		completed[i] = plainObject{o}
	}
	es := dynamic.New(dynamic.Config{
		Schema: schema,
		Resolvers: map[string]dynamic.FieldResolver{
			"Query.goodsList": func(context.Context, any, map[string]any) (any, error) { return goods, nil },
		},
		Batches: []*dynamic.Batch{{
			Type: "Goods", Fields: []string{"stock", "warehouse"},
			Resolve: func(ctx context.Context, parents []any, _ []graphql.CollectedField) ([]dynamic.Object, []error) {
				if len(parents) != len(values) {
					return nil, nil
				}
				if ctx.Value(completedKey{}) != nil {
					return completed, nil
				}
				return values, nil
			},
		}},
	})
	for _, part := range []struct {
		name, query string
		ctx         context.Context
	}{
		{"page", `{ goodsList { id name price } }`, context.Background()},
		{"page+batch", `{ goodsList { id name price stock warehouse { code city } } }`, context.Background()},
		{"page+batch-completed", `{ goodsList { id name price stock warehouse { code city } } }`, context.WithValue(context.Background(), completedKey{}, true)},
	} {
		exec := operationRunner(part.ctx, b, es, executor.New(es), part.query)
		if data := exec(); !bytes.Contains(data, []byte(`"Goods 099"`)) {
			b.Fatalf("unexpected page:\n%s", data)
		}
		b.Run("part="+part.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				exec()
			}
		})
	}
}

// completedKey marks the context of BenchmarkBatch's part whose batch
// values are completed value by value rather than copied as text.
type completedKey struct{}

// benchGoods is a goods of BenchmarkBatch, by pointer.
type benchGoods struct {
	id, name string
	price    float64
}

func (g *benchGoods) FieldValue(name string) any {
	switch name {
	case "id":
		return &g.id
	case "name":
		return &g.name
	case "price":
		return &g.price
	}
	return nil
}

// operationRunner returns a function that executes query, prepared once
// by exec, on es, returning its data and failing b on any error.
func operationRunner(ctx context.Context, b *testing.B, es graphql.ExecutableSchema, exec *executor.Executor, query string) func() []byte {
	b.Helper()
	oc, errs := exec.CreateOperationContext(graphql.StartOperationTrace(ctx), &graphql.RawParams{Query: query})
	if errs != nil {
		b.Fatal(errs)
	}
	octx := graphql.WithOperationContext(ctx, oc)
	return func() []byte {
		rctx := graphql.WithResponseContext(octx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
		data := es.Exec(rctx)(rctx).Data
		if errs := graphql.GetErrors(rctx); errs != nil {
			b.Fatal(errs)
		}
		return data
	}
}
