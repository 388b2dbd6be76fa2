package dynamic_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// barrier lets n resolvers through only once all n are waiting in it: it
// proves they run concurrently, or fails after a while.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait() error {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the resolvers did not run concurrently")
	}
}

func TestResolverFieldsRunConcurrently(t *testing.T) {
	b := newBarrier(3)
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.slow": func(_ context.Context, _ any, args map[string]any) (any, error) {
			return args["n"], b.wait()
		},
	})
	require.Equal(t, `{"data":{"a":1,"t":"Query","b":2,"c":3}}`,
		run(t, es, `{ a: slow(n: 1) t: __typename b: slow(n: 2) c: slow(n: 3) }`, nil))
}

func TestListElementsWithResolversRunConcurrently(t *testing.T) {
	const n = 5
	b := newBarrier(n)
	items := make([]any, n)
	for i := range items {
		items[i] = item{"s": fmt.Sprint(i)}
	}
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items": value(items),
		"Item.resolved": func(_ context.Context, parent any, _ map[string]any) (any, error) {
			return "r" + parent.(item)["s"].(string), b.wait()
		},
	})
	require.Equal(t,
		`{"data":{"items":[{"resolved":"r0","s":"0"},{"resolved":"r1","s":"1"},{"resolved":"r2","s":"2"},{"resolved":"r3","s":"3"},{"resolved":"r4","s":"4"}]}}`,
		run(t, es, `{ items { resolved s } }`, nil))
}

func TestMutationFieldsRunSerially(t *testing.T) {
	var (
		mu    sync.Mutex
		order []int
	)
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Mutation.step": func(_ context.Context, _ any, args map[string]any) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, args["n"].(int))
			if args["n"].(int) == 2 {
				return nil, errors.New("step 2 fails")
			}
			return args["n"], nil
		},
	})
	require.Equal(t,
		`{"errors":[{"message":"step 2 fails","path":["b"],"locations":[{"line":1,"column":32}]}],"data":null}`,
		run(t, es, `mutation { a: step(n: 1) ... { b: step(n: 2) } c: step(n: 3) }`, nil))
	require.Equal(t, []int{1, 2, 3}, order)
}

// TestConcurrentOperations runs many operations at once on one schema,
// for the race detector.
func TestConcurrentOperations(t *testing.T) {
	items := []any{item{"s": "a", "nchild": item{"ns": "x"}}, item{"s": "b", "nchild": item{"ns": "y"}}}
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items":   value(items),
		"Query.slow":    func(_ context.Context, _ any, args map[string]any) (any, error) { return args["n"], nil },
		"Item.resolved": func(_ context.Context, p any, _ map[string]any) (any, error) { return p.(item)["s"], nil },
	})
	const query = `query($n: Int!) { a: slow(n: $n) items { s resolved nchild { ns } } b: slow(n: 2) }`
	want := run(t, es, query, map[string]any{"n": 1})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 20 {
				if got := run(t, es, query, map[string]any{"n": 1}); got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
		})
	}
	wg.Wait()
}

// TestFieldMiddleware checks that field middleware sees resolver-backed
// fields with the FieldContext generated code gives them: path, parents,
// arguments. (Fields read from their parent value do not go through field
// middleware: see the package documentation.)
func TestFieldMiddleware(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items":   value([]any{item{"nchild": item{}}, item{"nchild": item{}}}),
		"Item.resolved": value("r"),
	})
	var (
		mu    sync.Mutex
		seen  []string
		roots []string
	)
	middleware := func(e *executor.Executor) {
		e.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s %s.%s %v", fc.Path(), fc.Object, fc.Field.Name, fc.Args))
			mu.Unlock()
			return next(ctx)
		})
		e.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
			rc := graphql.GetRootFieldContext(ctx)
			mu.Lock()
			roots = append(roots, rc.Field.Alias)
			mu.Unlock()
			return next(ctx)
		})
	}
	require.Equal(t,
		`{"data":{"t":"Query","items":[{"nchild":{"resolved":"r"}},{"nchild":{"resolved":"r"}}],"e":"{c:string(RED),s:nil}"}}`,
		run(t, es, `{ t: __typename items { nchild { resolved } } e: echo(c: RED, s: null) }`, nil, middleware))
	slices.Sort(seen)
	require.Equal(t, []string{
		"e Query.echo map[c:RED s:<nil>]",
		"items Query.items map[]",
		"items[0].nchild.resolved Item.resolved map[]",
		"items[1].nchild.resolved Item.resolved map[]",
	}, seen)
	slices.Sort(roots)
	require.Equal(t, []string{"e", "items"}, roots)
}

// TestRootFieldMiddlewareAnswers checks that a root field middleware's
// own answer replaces the field's value.
func TestRootFieldMiddlewareAnswers(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{"Query.nitem": value(item{"s": "a"})})
	block := func(e *executor.Executor) {
		e.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
			if graphql.GetRootFieldContext(ctx).Field.Name == "nitem" {
				return graphql.Null
			}
			return next(ctx)
		})
	}
	require.Equal(t, `{"data":null}`, run(t, es, `{ nitem { s } }`, nil, block))
	require.Equal(t, `{"data":{"echo":"{s:string(def)}"}}`, run(t, es, `{ echo }`, nil, block))
}

// TestIntrospectionDisabled checks that without gqlgen's Introspection
// extension __schema and __type fail as in generated code, and
// __typename still works.
func TestIntrospectionDisabled(t *testing.T) {
	schema := newTestSchema(t, nil)
	exec := executor.New(schema)
	ctx := graphql.StartOperationTrace(context.Background())
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: `{ __typename __schema { queryType { name } } t: __type(name: "Item") { name } }`})
	require.Nil(t, errs)
	h, ctx := exec.DispatchOperation(ctx, oc)
	require.Equal(t,
		`{"errors":[{"message":"introspection disabled","path":["__schema"],"locations":[{"line":1,"column":14}]},{"message":"introspection disabled","path":["t"],"locations":[{"line":1,"column":46}]}],"data":{"__typename":"Query","__schema":null,"t":null}}`,
		marshal(t, h(ctx)))
}

func TestAbstractTypes(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.things": value([]any{
			&pet{name: "Rex"},
			map[string]any{"__typename": "Robot", "name": "R2", "model": "D2"},
			map[string]any{"name": "nobody"},
		}),
		"Query.named": value(&pet{name: "Tom"}),
	})
	require.Equal(t,
		`{"errors":[{"message":"dynamic: a value of type map[string]interface {} is no object type of Thing (TypeName \"\")","path":["things",2]}],`+
			`"data":{"things":[{"__typename":"Pet","name":"Rex","legs":null},{"__typename":"Robot","model":"D2"},null],"named":{"name":"Tom","__typename":"Pet"}}}`,
		run(t, es, `{
			things { __typename ... on Pet { name legs } ... on Robot { model } }
			named { name ... on Robot { model } __typename }
		}`, nil))
}

// TestExecResponses checks the response handler's contract: one response,
// then nil, for queries and mutations; an error for subscriptions.
func TestExecResponses(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{"Mutation.step": value(1)})
	for _, op := range []ast.Operation{ast.Query, ast.Mutation, ast.Subscription} {
		t.Run(string(op), func(t *testing.T) {
			doc := &ast.QueryDocument{}
			oc := &graphql.OperationContext{
				Operation:              &ast.OperationDefinition{Operation: op},
				Doc:                    doc,
				RecoverFunc:            graphql.DefaultRecover,
				ResolverMiddleware:     func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) },
				RootResolverMiddleware: func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler { return next(ctx) },
			}
			ctx := graphql.WithOperationContext(context.Background(), oc)
			ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
			h := es.Exec(ctx)
			resp := h(ctx)
			require.NotNil(t, resp)
			if op == ast.Subscription {
				require.Len(t, resp.Errors, 1)
				require.Equal(t, "unsupported GraphQL operation", resp.Errors[0].Message)
			} else {
				require.Equal(t, "{}", string(resp.Data))
			}
			require.Nil(t, h(ctx))
			require.Nil(t, h(ctx))
		})
	}
}

// TestIntrospectionOfAbstractTypes checks a few introspection answers
// whose shape the differential corpus does not pin down for tenant types:
// enums, unions, interfaces.
func TestIntrospectionOfAbstractTypes(t *testing.T) {
	es := newTestSchema(t, nil)
	out := run(t, es, `{
		thing: __type(name: "Thing") { kind possibleTypes { name } }
		named: __type(name: "Named") { kind fields { name type { kind ofType { name } } } possibleTypes { name } }
		pet: __type(name: "Pet") { interfaces { name } }
		color: __type(name: "Color") { enumValues { name } }
	}`, nil)
	require.Equal(t, `{"data":{`+
		`"thing":{"kind":"UNION","possibleTypes":[{"name":"Pet"},{"name":"Robot"}]},`+
		`"named":{"kind":"INTERFACE","fields":[{"name":"name","type":{"kind":"NON_NULL","ofType":{"name":"String"}}}],"possibleTypes":[{"name":"Pet"},{"name":"Robot"}]},`+
		`"pet":{"interfaces":[{"name":"Named"}]},`+
		`"color":{"enumValues":[{"name":"RED"},{"name":"GREEN"},{"name":"BLUE"}]}}}`, out)
}

// TestIntrospectionFieldMiddleware checks that __schema and __type go
// through field middleware, as the package documentation says, and the
// fields of their values, read from the introspection model, do not.
func TestIntrospectionFieldMiddleware(t *testing.T) {
	es := newTestSchema(t, nil)
	var (
		mu   sync.Mutex
		seen []string
	)
	middleware := func(e *executor.Executor) {
		e.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s %s.%s %v", fc.Path(), fc.Object, fc.Field.Name, fc.Args))
			mu.Unlock()
			return next(ctx)
		})
	}
	require.Equal(t,
		`{"data":{"__schema":{"queryType":{"name":"Query"}},"t":{"name":"Item"}}}`,
		run(t, es, `{ __schema { queryType { name } } t: __type(name: "Item") { name } }`, nil, middleware))
	slices.Sort(seen)
	require.Equal(t, []string{
		"__schema Query.__schema map[]",
		"t Query.__type map[name:Item]",
	}, seen)
}

// TestDeferIgnored checks that deferred fragments are delivered in the
// initial response, as the package documentation says.
func TestDeferIgnored(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{"Query.item": value(item{"s": "a", "ns": "b", "i": 1})})
	require.Equal(t, `{"data":{"item":{"s":"a","ns":"b","i":1}}}`,
		run(t, es, `{ item { s ... @defer { ns } ...later @defer(label: "l") } } fragment later on Item { i }`, nil))
}

// TestNewResolverKeys checks New's documented panic for a resolver key
// that names no field, and that resolvers of fields the schema does not
// have (as a view of it) are left unused.
func TestNewResolverKeys(t *testing.T) {
	require.PanicsWithValue(t, `dynamic: resolver key "Query" is not of the form Type.field`, func() {
		newTestSchema(t, map[string]dynamic.FieldResolver{"Query": value(nil)})
	})
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.nope": value(nil),
		"Nope.s":     value(nil),
		"Query.item": value(item{"s": "a"}),
	})
	require.Equal(t, `{"data":{"item":{"s":"a"}}}`, run(t, es, `{ item { s } }`, nil))
}

// TestNoResolverAfterContextEnds cancels the operation's context in its
// first mutation field: the next root fields must not run, and are errors
// carrying the context's error at their paths.
func TestNoResolverAfterContextEnds(t *testing.T) {
	var (
		mu    sync.Mutex
		order []int
	)
	ctx, cancel := context.WithCancel(graphql.StartOperationTrace(t.Context()))
	defer cancel()
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Mutation.step": func(_ context.Context, _ any, args map[string]any) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, args["n"].(int))
			cancel() // the client goes away while the first field runs
			return args["n"], nil
		},
	})
	exec := executor.New(es)
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: `mutation { a: step(n: 1) b: step(n: 2) c: step(n: 3) }`})
	require.Nil(t, errs)
	h, rctx := exec.DispatchOperation(ctx, oc)
	resp := h(rctx)
	require.NotNil(t, resp)
	require.Equal(t, []int{1}, order, "no mutation field ran after the context ended")
	require.JSONEq(t, `null`, string(resp.Data), "step is non-null: the nulls propagate to data")
	require.Len(t, resp.Errors, 2)
	for i, name := range []string{"b", "c"} {
		require.Equal(t, ast.Path{ast.PathName(name)}, resp.Errors[i].Path)
		require.ErrorIs(t, resp.Errors[i], context.Canceled)
	}
}
