package dynamic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// cacheTestSchema returns the test schema with a counted Query.item, its
// introspection cache bounded by cacheBytes (see
// Config.IntrospectionCacheBytes), and the counter.
func cacheTestSchema(t testing.TB, cacheBytes int) (*dynamic.ExecutableSchema, *atomic.Int64) {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL})
	require.NoError(t, err)
	var calls atomic.Int64
	es := dynamic.New(dynamic.Config{
		Schema: schema,
		Resolvers: map[string]dynamic.FieldResolver{
			"Query.item": func(context.Context, any, map[string]any) (any, error) {
				return item{"s": fmt.Sprint("call ", calls.Add(1))}, nil
			},
		},
		IntrospectionCacheBytes: cacheBytes,
	})
	return es, &calls
}

// runParams executes params on es through gqlgen's executor, with
// introspection enabled or not, and returns the response as JSON.
func runParams(t testing.TB, ctx context.Context, es graphql.ExecutableSchema, params graphql.RawParams, introspect bool, opts ...func(*executor.Executor)) string {
	t.Helper()
	exec := executor.New(es)
	if introspect {
		exec.Use(extension.Introspection{})
	}
	for _, o := range opts {
		o(exec)
	}
	ctx = graphql.StartOperationTrace(ctx)
	oc, errs := exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		return marshal(t, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
	}
	h, ctx := exec.DispatchOperation(ctx, oc)
	resp := h(ctx)
	require.NotNil(t, resp)
	require.Nil(t, h(ctx), "a second response")
	return marshal(t, resp)
}

// TestIntrospectionCache sends each operation twice to a schema with the
// cache and once to one without: all three responses must be the same
// bytes, and the second must come from the cache exactly when the
// operation selects only __schema, __type and __typename.
func TestIntrospectionCache(t *testing.T) {
	graphqlJS, err := os.ReadFile(filepath.Join(corpusDir, "introspection_full.graphql"))
	require.NoError(t, err)
	tests := []struct {
		name      string
		query     string
		operation string
		vars      map[string]any
		cached    bool
	}{
		{name: "gqlgen's full introspection", query: introspection.Query, cached: true},
		{name: "graphql-js's full introspection", query: string(graphqlJS), cached: true},
		{name: "__type with a variable", query: `query($n: String!) { __type(name: $n) { name kind fields { name } } }`, vars: map[string]any{"n": "Item"}, cached: true},
		{name: "__type of no type", query: `{ __type(name: "Nope") { name } }`, cached: true},
		{name: "__typename alone", query: `{ __typename }`, cached: true},
		{name: "aliases", query: `{ a: __typename b: __schema { queryType { name } } }`, cached: true},
		{name: "introspection in a fragment", query: `{ ...F } fragment F on Query { __schema { queryType { name } } }`, cached: true},
		{name: "introspection in an inline fragment", query: `{ ... on Query { __typename } __type(name: "Color") { enumValues { name } } }`, cached: true},
		{name: "a skipped data field", query: `{ __typename item @skip(if: true) { s } }`, cached: true},
		{name: "a data field skipped by a variable", query: `query($s: Boolean!) { __typename item @skip(if: $s) { s } }`, vars: map[string]any{"s": true}, cached: true},
		{name: "a data field not skipped by a variable", query: `query($s: Boolean!) { __typename item @skip(if: $s) { s } }`, vars: map[string]any{"s": false}},
		{name: "a data field not included", query: `query($i: Boolean!) { __typename ...F @include(if: $i) } fragment F on Query { item { s } }`, vars: map[string]any{"i": false}, cached: true},
		{name: "a data field included", query: `query($i: Boolean!) { __typename ...F @include(if: $i) } fragment F on Query { item { s } }`, vars: map[string]any{"i": true}},
		{name: "__typename and data", query: `{ __typename item { s } }`},
		{name: "__schema and data", query: `{ __schema { queryType { name } } item { s } }`},
		{name: "data in a fragment", query: `{ ...F } fragment F on Query { __typename item { s } }`},
		{name: "data in a nested fragment", query: `{ ...F } fragment F on Query { ...G } fragment G on Query { ... on Query { item { s } } }`},
		{name: "data in an inline fragment", query: `{ __typename ... on Query { item { s } } }`},
		{name: "mutation __typename", query: `mutation { __typename }`},
		{name: "the introspection operation of two", query: `query A { __typename } query B { item { s } }`, operation: "A", cached: true},
		{name: "the data operation of two", query: `query A { __typename } query B { item { s } }`, operation: "B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := graphql.RawParams{Query: tc.query, OperationName: tc.operation, Variables: tc.vars}
			uncached, _ := cacheTestSchema(t, -1)
			want := runParams(t, t.Context(), uncached, params, true)
			require.NotContains(t, want, `"errors"`)

			es, calls := cacheTestSchema(t, 0)
			first := runParams(t, t.Context(), es, params, true)
			second := runParams(t, t.Context(), es, params, true)
			stats := es.IntrospectionCacheStats()
			if tc.cached {
				require.Equal(t, dynamic.IntrospectionCacheStats{Hits: 1, Misses: 1, Entries: 1, Bytes: stats.Bytes}, stats)
				require.Positive(t, stats.Bytes)
			} else {
				require.Zero(t, stats, "not an introspection-only operation")
			}
			require.Equal(t, want, first)
			if strings.Contains(want, `"call 1"`) {
				// Data is never served from the cache: the second
				// request resolves it again.
				require.Equal(t, strings.Replace(want, `"call 1"`, `"call 2"`, 1), second)
				require.EqualValues(t, 2, calls.Load())
				return
			}
			require.Equal(t, want, second)
		})
	}
}

// TestIntrospectionCacheVariables sends __type queries with different
// variables and operation names: each gets its own entry, and its own
// response.
func TestIntrospectionCacheVariables(t *testing.T) {
	uncached, _ := cacheTestSchema(t, -1)
	es, _ := cacheTestSchema(t, 0)
	const doc = `query Fields($n: String!) { __type(name: $n) { name fields { name } } }
query Values($n: String!, $d: Boolean = false) { __type(name: $n) { name enumValues(includeDeprecated: $d) { name } } }`
	requests := []graphql.RawParams{
		{Query: doc, OperationName: "Fields", Variables: map[string]any{"n": "Item"}},
		{Query: doc, OperationName: "Fields", Variables: map[string]any{"n": "Pet"}},
		{Query: doc, OperationName: "Values", Variables: map[string]any{"n": "Color"}},
		{Query: doc, OperationName: "Values", Variables: map[string]any{"n": "Color", "d": true}},
		{Query: doc, OperationName: "Fields", Variables: map[string]any{"n": "Color"}},
	}
	seen := map[string]bool{}
	for round := range 2 {
		for _, p := range requests {
			want := runParams(t, t.Context(), uncached, p, true)
			require.Equal(t, want, runParams(t, t.Context(), es, p, true), "round %d: %s %v", round, p.OperationName, p.Variables)
			seen[want] = true
		}
	}
	require.Len(t, seen, 4, "Values of Color answers the same with and without deprecated values")
	stats := es.IntrospectionCacheStats()
	require.Equal(t, uint64(len(requests)), stats.Hits)
	require.Equal(t, uint64(len(requests)), stats.Misses)
	require.Equal(t, len(requests), stats.Entries)
}

// disableIntrospection turns introspection off again after gqlgen's
// Introspection extension turned it on, as a tenant's policy may.
type disableIntrospection struct{}

func (disableIntrospection) ExtensionName() string                   { return "DisableIntrospection" }
func (disableIntrospection) Validate(graphql.ExecutableSchema) error { return nil }
func (disableIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = true
	return nil
}

// TestIntrospectionCacheDisabled checks that an operation run with
// introspection disabled is never answered from the cache, nor fills it.
func TestIntrospectionCacheDisabled(t *testing.T) {
	params := graphql.RawParams{Query: `{ __typename __schema { queryType { name } } }`}
	disabled := func(e *executor.Executor) { e.Use(disableIntrospection{}) }
	const refused = `{"errors":[{"message":"introspection disabled","path":["__schema"],"locations":[{"line":1,"column":14}]}],"data":{"__typename":"Query","__schema":null}}`
	const served = `{"data":{"__typename":"Query","__schema":{"queryType":{"name":"Query"}}}}`

	es, _ := cacheTestSchema(t, 0)
	require.Equal(t, refused, runParams(t, t.Context(), es, params, false))
	require.Equal(t, refused, runParams(t, t.Context(), es, params, true, disabled))
	require.Zero(t, es.IntrospectionCacheStats(), "refused operations do not use the cache")

	require.Equal(t, served, runParams(t, t.Context(), es, params, true))
	require.Equal(t, served, runParams(t, t.Context(), es, params, true))
	require.Equal(t, refused, runParams(t, t.Context(), es, params, false), "cached, and still refused")
	require.Equal(t, refused, runParams(t, t.Context(), es, params, true, disabled))
	stats := es.IntrospectionCacheStats()
	require.Equal(t, uint64(1), stats.Hits)
	require.Equal(t, uint64(1), stats.Misses)
}

// TestIntrospectionCacheErrors checks that a response with an error is
// not kept, and that a cached response runs no field middleware.
func TestIntrospectionCacheErrors(t *testing.T) {
	es, _ := cacheTestSchema(t, 0)
	params := graphql.RawParams{Query: `{ __schema { queryType { name } } }`}
	var fail atomic.Bool
	var calls atomic.Int64
	middleware := func(e *executor.Executor) {
		e.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			calls.Add(1)
			if fail.Load() {
				return nil, errors.New("middleware failed")
			}
			return next(ctx)
		})
	}
	fail.Store(true)
	failed := runParams(t, t.Context(), es, params, true, middleware)
	require.Contains(t, failed, "middleware failed")
	require.Equal(t, failed, runParams(t, t.Context(), es, params, true, middleware), "the failure was not kept")
	require.Zero(t, es.IntrospectionCacheStats().Entries)

	fail.Store(false)
	const served = `{"data":{"__schema":{"queryType":{"name":"Query"}}}}`
	require.Equal(t, served, runParams(t, t.Context(), es, params, true, middleware))
	require.EqualValues(t, 3, calls.Load())
	require.Equal(t, served, runParams(t, t.Context(), es, params, true, middleware))
	require.EqualValues(t, 3, calls.Load(), "a cached response runs no field middleware")
	require.Equal(t, uint64(1), es.IntrospectionCacheStats().Hits)

	// An operation whose context ended is executed, as without the cache
	// (gqlgen's executor ends such responses before Exec's handler runs,
	// so the handler is called directly here).
	exec := executor.New(es)
	exec.Use(extension.Introspection{})
	oc, errs := exec.CreateOperationContext(graphql.StartOperationTrace(t.Context()), &params)
	require.Nil(t, errs)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ctx = graphql.WithResponseContext(graphql.WithOperationContext(ctx, oc), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	resp := es.Exec(ctx)(ctx)
	require.JSONEq(t, `{"__schema":null}`, string(resp.Data))
	require.Len(t, graphql.GetErrors(ctx), 1)
	require.Equal(t, uint64(1), es.IntrospectionCacheStats().Hits, "not answered from the cache")
}

// denyAll is an Access that refuses every field, input field and value.
type denyAll struct{}

func (denyAll) Field(object, field string) error     { return errors.New("no " + object + "." + field) }
func (denyAll) InputField(input, field string) error { return errors.New("no " + input + "." + field) }
func (denyAll) EnumValue(enum, value string) error   { return errors.New("no " + enum + "." + value) }
func (denyAll) RestrictsEnum(string) bool            { return true }

// TestIntrospectionCacheAccess checks that an Access does not change the
// response of an introspection-only operation (so that one cache entry
// serves callers with and without one), while it does refuse data.
func TestIntrospectionCacheAccess(t *testing.T) {
	uncached, _ := cacheTestSchema(t, -1)
	es, _ := cacheTestSchema(t, 0)
	denied := dynamic.WithAccess(t.Context(), denyAll{})
	for _, q := range []string{
		introspection.Query,
		`{ __typename __type(name: "Color") { kind enumValues { name } } }`,
	} {
		params := graphql.RawParams{Query: q}
		want := runParams(t, t.Context(), uncached, params, true)
		require.NotContains(t, want, `"errors"`)
		require.Equal(t, want, runParams(t, denied, uncached, params, true), "an Access changes introspection")
		require.Equal(t, want, runParams(t, denied, es, params, true))
		require.Equal(t, want, runParams(t, t.Context(), es, params, true))
		require.Equal(t, want, runParams(t, denied, es, params, true))
	}
	stats := es.IntrospectionCacheStats()
	require.Equal(t, uint64(4), stats.Hits)
	require.Equal(t, uint64(2), stats.Misses)

	data := graphql.RawParams{Query: `{ __typename item { s } }`}
	require.Contains(t, runParams(t, denied, es, data, true), "no Query.item")
}

// TestIntrospectionCacheBounds checks the cache's memory bound: endless
// distinct __type names keep it within its budget, and a response larger
// than half the budget is not kept.
func TestIntrospectionCacheBounds(t *testing.T) {
	const budget = 8 << 10
	es, _ := cacheTestSchema(t, budget)
	params := graphql.RawParams{Query: `query($n: String!) { __type(name: $n) { name } }`}
	for i := range 500 {
		params.Variables = map[string]any{"n": fmt.Sprint("Type", i)}
		require.Equal(t, `{"data":{"__type":null}}`, runParams(t, t.Context(), es, params, true))
		require.LessOrEqual(t, es.IntrospectionCacheStats().Bytes, budget)
	}
	stats := es.IntrospectionCacheStats()
	require.Positive(t, stats.Entries)
	require.Less(t, stats.Entries, 100)
	// The most recent names stayed.
	runParams(t, t.Context(), es, params, true)
	require.Equal(t, uint64(1), es.IntrospectionCacheStats().Hits)

	full := graphql.RawParams{Query: introspection.Query}
	want := runParams(t, t.Context(), es, full, true)
	require.Greater(t, len(want), budget/2)
	require.Equal(t, want, runParams(t, t.Context(), es, full, true))
	require.Equal(t, uint64(1), es.IntrospectionCacheStats().Hits, "too large to keep")
}

// TestIntrospectionCacheConcurrent sends the full introspection query
// from many goroutines at once: every response is the same.
func TestIntrospectionCacheConcurrent(t *testing.T) {
	uncached, _ := cacheTestSchema(t, -1)
	es, _ := cacheTestSchema(t, 0)
	params := graphql.RawParams{Query: introspection.Query}
	want := runParams(t, t.Context(), uncached, params, true)
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() { got[i] = runParams(t, t.Context(), es, params, true) })
	}
	wg.Wait()
	for i := range got {
		require.Equal(t, want, got[i])
	}
	stats := es.IntrospectionCacheStats()
	require.Equal(t, uint64(len(got)), stats.Hits+stats.Misses)
	require.Equal(t, 1, stats.Entries)
}

// TestIntrospectionCacheCorpus sends every query of the differential
// corpus twice to one dynamic handler: both responses must be what the
// corpus expects, whether the second came from the cache or not; those
// of the introspection-only cases do.
func TestIntrospectionCacheCorpus(t *testing.T) {
	// The corpus's introspection-only operations, named independently of
	// the executor's judgment (directives_skip_root_fields skips every
	// field it selects).
	introspectionOnly := func(name string) bool {
		return strings.HasPrefix(name, "introspection_") && name != "introspection_with_data" ||
			name == "typename_only_query" || name == "operations_name_with_single_anonymous" ||
			name == "directives_skip_root_fields"
	}
	cached := 0
	for _, c := range loadCorpus(t) {
		if c.want == nil {
			continue
		}
		if doc, err := parser.ParseQuery(&ast.Source{Input: c.query}); err == nil {
			if op := doc.Operations.ForName(c.operationName); op != nil && op.Operation != ast.Query {
				continue // a mutation changes the store: its repetition answers differently
			}
		}
		t.Run(c.name, func(t *testing.T) {
			schema, err := gqlparser.LoadSchema(graph.Sources()...)
			require.NoError(t, err)
			st := &faultyStore{Store: seededStore(t)}
			es := dynamic.New(dynamic.Config{Schema: schema, Resolvers: (&resolvers.Resolver{Store: st}).FieldResolvers(nil)})
			h := gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Suggestions: true, Logger: slog.New(slog.DiscardHandler)})
			want := c.want
			if c.spec != nil {
				want = c.spec
			}
			body, err := json.Marshal(map[string]any{"query": c.query, "operationName": c.operationName, "variables": c.variables})
			require.NoError(t, err)
			for i := range 2 {
				req := httptest.NewRequestWithContext(tenant.WithID(t.Context(), caseTenant), http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if c.accept != "" {
					req.Header.Set("Accept", c.accept)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				require.Equal(t, string(want), rec.Body.String(), "request %d", i+1)
				require.True(t, rec.Code == http.StatusOK || rec.Code == http.StatusBadRequest)
			}
			stats := es.IntrospectionCacheStats()
			if introspectionOnly(c.name) && !bytes.Contains(want, []byte(`"errors"`)) {
				require.Equal(t, uint64(1), stats.Hits, "an introspection-only operation")
				cached++
			} else {
				require.Zero(t, stats.Hits+stats.Misses)
			}
		})
	}
	require.GreaterOrEqual(t, cached, 15)
}

// TestIntrospectionCacheShared checks that schemas sharing one cache
// (Config.IntrospectionCache) are each answered about themselves.
func TestIntrospectionCacheShared(t *testing.T) {
	shared := dynamic.NewIntrospectionCache(1 << 20)
	schema := func(sdl string) *dynamic.ExecutableSchema {
		s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: sdl})
		require.NoError(t, err)
		return dynamic.New(dynamic.Config{Schema: s, IntrospectionCache: shared})
	}
	a := schema("type Query { a: Int }")
	b := schema("type Query { b: String }")
	const query = `{ __type(name: "Query") { fields { name } } }`
	params := graphql.RawParams{Query: query}
	for range 2 {
		require.JSONEq(t, `{"data":{"__type":{"fields":[{"name":"a"}]}}}`, runParams(t, t.Context(), a, params, true))
		require.JSONEq(t, `{"data":{"__type":{"fields":[{"name":"b"}]}}}`, runParams(t, t.Context(), b, params, true))
	}
	st := shared.Stats()
	require.EqualValues(t, 2, st.Hits)
	require.EqualValues(t, 2, st.Misses)
	require.Equal(t, 2, st.Entries)
	require.Equal(t, st, a.IntrospectionCacheStats(), "a schema reports the shared cache")
}

// TestIntrospectionCacheTenantShare checks that a schema sending ever new
// introspection queries to a shared cache replaces its own responses,
// not another schema's.
func TestIntrospectionCacheTenantShare(t *testing.T) {
	flooder, other := dynamic.IntrospectionCacheFlood(1000)
	require.Equal(t, 32, flooder, "responses the flooding schema keeps")
	require.Equal(t, 1, other, "the other schema's response was pushed out")
}
