package dynamic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// TestPlanCache runs documents many times, concurrently, with different
// variables and callers, through one executor whose query cache hands
// out the same document for the same text, so that the schema's plan
// cache serves their plans; each response must be the one a schema
// without the cache gives for the same request, executed alone.
func TestPlanCache(t *testing.T) {
	newSchema := func(planCacheBytes int) *dynamic.ExecutableSchema {
		schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL + `
extend type Pet { greet(name: String, when: DateTime): String }
extend type Query { mixed(pets: Boolean!): [Thing] }
`})
		require.NoError(t, err)
		a, b := &node{s: "a", child: &node{s: "ac"}}, &node{s: "b"}
		echo := func(_ context.Context, _ any, args map[string]any) (any, error) { return describe(args), nil }
		return dynamic.New(dynamic.Config{
			Schema: schema,
			Resolvers: map[string]dynamic.FieldResolver{
				"Query.echo":  echo,
				"Item.echo":   echo,
				"Pet.greet":   echo,
				"Query.item":  value(a),
				"Query.items": value([]any{a, b, &node{s: "bad"}, nil, &node{s: "null"}}),
				"Query.things": value([]any{
					&pet{name: "Rex"},
					map[string]any{"__typename": "Robot", "name": "R2", "model": "D2"},
					&pet{name: "Tom"},
				}),
				"Query.named": value(&pet{name: "Kit"}),
				"Query.mixed": func(_ context.Context, _ any, args map[string]any) (any, error) {
					robot := map[string]any{"__typename": "Robot", "name": "R2", "model": "D2"}
					if args["pets"] == true {
						return []any{robot, &pet{name: "Rex"}}, nil
					}
					return []any{robot}, nil
				},
				"Mutation.step": func(_ context.Context, _ any, args map[string]any) (any, error) {
					if args["n"] == 0 {
						return nil, errors.New("no step")
					}
					return args["n"], nil
				},
			},
			Batches:        []*dynamic.Batch{{Type: "Item", Fields: []string{"resolved", "nresolved"}, Resolve: (&batchCalls{}).resolve}},
			PlanCacheBytes: planCacheBytes,
		})
	}
	cached, fresh := newSchema(0), newSchema(-1)

	deny := dynamic.WithAccess(context.Background(), denyList{"Item.s": true, "Pet.legs": true, "Color.BLUE": true, "Point.tags": true})
	callers := []struct {
		name string
		ctx  context.Context
	}{{"everything", context.Background()}, {"restricted", deny}}

	type request struct {
		query string
		vars  map[string]any
	}
	var requests []request
	add := func(query string, vars ...map[string]any) {
		if len(vars) == 0 {
			vars = []map[string]any{nil}
		}
		for _, v := range vars {
			requests = append(requests, request{query, v})
		}
	}
	// @skip and @include with variables, on fields, inline fragments and
	// fragment spreads, over fields of a batch.
	add(`query($s: Boolean!, $i: Boolean!) {
		items { s @skip(if: $s) resolved @include(if: $i) child @include(if: $i) { s nresolved } ... on Item @skip(if: $i) { ns } }
		item { ...F @skip(if: $s) s }
	}
	fragment F on Item { ns nresolved echo(c: RED) child { s @include(if: $i) } }`,
		map[string]any{"s": true, "i": true}, map[string]any{"s": true, "i": false},
		map[string]any{"s": false, "i": true}, map[string]any{"s": false, "i": false})
	// A condition with a default, given or not. (Given as null, it
	// makes gqlgen's CollectFields panic, as in generated code.)
	add(`query($s: Boolean = true) { item { s @skip(if: $s) ns } }`,
		map[string]any{"s": false}, map[string]any{})
	// Arguments from variables, valid and not (DateTime is coerced by
	// the executor, not by gqlgen's variable validation), next to
	// literal ones.
	add(`query($p: Point, $c: Color, $dt: DateTime, $s: String) {
		echo(p: $p, c: $c, dt: $dt, s: $s)
		lit: echo(p: {x: 3, tags: ["a"], inner: {n: 1.5}}, c: BLUE)
		mixed: echo(p: {x: 4, when: $dt}, c: GREEN)
		items { echo(c: $c) }
	}`,
		map[string]any{"c": "RED", "dt": "2024-01-02T03:04:05Z", "s": "x"},
		map[string]any{"p": map[string]any{"x": 7, "tags": []any{"t"}}, "c": "BLUE", "dt": "not a date"},
		map[string]any{"p": map[string]any{"when": "nope"}, "dt": nil},
		map[string]any{"p": map[string]any{"x": 1, "inner": map[string]any{"deep": "q"}}, "c": "GREEN", "dt": "2025-12-31T23:59:59Z"})
	// More fields with arguments from variables than an execution keeps
	// in a list, in the elements of a list too.
	var root, item strings.Builder
	for i := range 12 {
		fmt.Fprintf(&root, " a%d: echo(i: $i, s: \"%d\")", i, i)
		fmt.Fprintf(&item, " a%d: echo(p: {x: $i, y: %d})", i, i)
	}
	add(`query($i: Int, $c: Color) {`+root.String()+` items {`+item.String()+` echo(c: $c) } }`,
		map[string]any{"i": 1, "c": "RED"}, map[string]any{"i": 2, "c": "BLUE"}, map[string]any{})
	// Literal arguments that fail to coerce: an error at each execution,
	// at each path.
	add(`{ echo(dt: "nope") items { s echo(p: {when: "bad"}) } }`)
	// Abstract types, with arguments from variables and conditions in
	// the plans built for their concrete types.
	add(`query($n: String, $when: DateTime, $x: Boolean!) {
		things { __typename ... on Pet { name greet(name: $n, when: $when) legs @include(if: $x) } ... on Robot { model @skip(if: $x) } }
		named { name ... on Pet { greet(name: "lit") } }
	}`,
		map[string]any{"n": "ann", "x": true}, map[string]any{"n": "bob", "when": "bad", "x": false},
		map[string]any{"when": "2024-01-02T03:04:05Z", "x": true})
	// The plan of a concrete type first needed by an execution served
	// from the cache, with an argument from a variable: it is shared.
	add(`query($pets: Boolean!, $n: String) { mixed(pets: $pets) { ... on Pet { greet(name: $n) } ... on Robot { model } } }`,
		map[string]any{"pets": false, "n": "a"}, map[string]any{"pets": true, "n": "b"}, map[string]any{"pets": true, "n": "c"})
	// Mutations, serial, with an argument from a variable.
	add(`mutation($n: Int!) { a: step(n: $n) b: step(n: 2) }`, map[string]any{"n": 1}, map[string]any{"n": 0})

	// Executions under a caller's Access are not cached, and never
	// served a cached plan: the restricted caller alternates with the
	// others.
	type job struct {
		request
		caller int
		want   string
	}
	var jobs []job
	for _, r := range requests {
		for c, caller := range callers {
			want := sortedErrors(t, runContext(t, caller.ctx, fresh, r.query, r.vars))
			require.NotContains(t, want, "GRAPHQL_VALIDATION_FAILED", r.query)
			jobs = append(jobs, job{r, c, want})
		}
	}

	exec := executor.New(cached)
	exec.Use(extension.Introspection{})
	exec.SetQueryCache(lru.New[*ast.QueryDocument](100))
	// The first pass, one at a time, puts each document in the query
	// cache (concurrent first uses would parse it more than once); the
	// others run concurrently.
	for _, j := range jobs {
		got, err := execute(callers[j.caller].ctx, exec, j.query, j.vars)
		require.NoError(t, err)
		require.Equal(t, j.want, sortedErrors(t, got), "%s\nvariables %v, caller %s", j.query, j.vars, callers[j.caller].name)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 * len(jobs) {
				j := jobs[(g*7+i)%len(jobs)]
				got, err := execute(callers[j.caller].ctx, exec, j.query, j.vars)
				if err == nil {
					got, err = sortErrors(got)
				}
				if err != nil {
					t.Errorf("%s %v (%s): %v", j.query, j.vars, callers[j.caller].name, err)
					return
				}
				if got != j.want {
					t.Errorf("%s\nvariables %v, caller %s:\ngot  %s\nwant %s", j.query, j.vars, callers[j.caller].name, got, j.want)
					return
				}
			}
		})
	}
	wg.Wait()

	hits, misses, ops, _ := dynamic.PlanCacheStats(cached)
	t.Logf("plan cache: %d hits, %d misses, %d operations", hits, misses, ops)
	// Every condition key of every document is planned once, in the
	// first pass; the rest are hits.
	require.Greater(t, hits, 10*misses, "hits")
	queries := map[string]bool{}
	for _, r := range requests {
		queries[r.query] = true
	}
	require.Equal(t, len(queries), ops, "operations cached")
}

// TestPlanCacheBounds checks what the plan cache keeps: within its
// budget, the most recent operations; nothing when it is off, or for a
// caller with an Access.
func TestPlanCacheBounds(t *testing.T) {
	newExec := func(es graphql.ExecutableSchema) *executor.Executor {
		exec := executor.New(es)
		exec.SetQueryCache(lru.New[*ast.QueryDocument](1000))
		return exec
	}
	query := func(i int) string { return fmt.Sprintf(`{ item { s } a%d: item { ns s } }`, i) }
	const want = `{"data":{"item":{"s":"a"},"a%d":{"ns":"b","s":"a"}}}`
	item := map[string]dynamic.FieldResolver{"Query.item": value(item{"s": "a", "ns": "b"})}

	t.Run("within the budget", func(t *testing.T) {
		const budget = 4 << 10
		es := newTestSchema(t, item, func(c *dynamic.Config) { c.PlanCacheBytes = budget })
		exec := newExec(es)
		for i := range 100 {
			for range 2 {
				got, err := execute(context.Background(), exec, query(i), nil)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf(want, i), got)
			}
		}
		hits, misses, ops, bytes := dynamic.PlanCacheStats(es)
		require.Equal(t, uint64(100), hits, "the second execution of each is a hit")
		require.Equal(t, uint64(100), misses)
		require.LessOrEqual(t, bytes, budget)
		require.Greater(t, ops, 1)
		require.Less(t, ops, 100)

		// The most recent operation is still there; the first is not.
		_, err := execute(context.Background(), exec, query(99), nil)
		require.NoError(t, err)
		_, err = execute(context.Background(), exec, query(0), nil)
		require.NoError(t, err)
		hits, misses, _, _ = dynamic.PlanCacheStats(es)
		require.Equal(t, uint64(101), hits)
		require.Equal(t, uint64(101), misses)
	})
	t.Run("an operation larger than half the budget", func(t *testing.T) {
		es := newTestSchema(t, item, func(c *dynamic.Config) { c.PlanCacheBytes = 1 << 10 })
		exec := newExec(es)
		var q strings.Builder
		q.WriteString("{")
		for i := range 20 {
			fmt.Fprintf(&q, " a%d: item { s }", i)
		}
		q.WriteString(" }")
		want, err := execute(context.Background(), executor.New(newTestSchema(t, item)), q.String(), nil)
		require.NoError(t, err)
		for range 3 {
			got, err := execute(context.Background(), exec, q.String(), nil)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
		hits, misses, ops, bytes := dynamic.PlanCacheStats(es)
		require.Zero(t, hits)
		require.Equal(t, uint64(3), misses)
		require.Equal(t, 1, ops, "the operation's entry, without its plan")
		require.Less(t, bytes, 1<<9)
	})
	t.Run("off", func(t *testing.T) {
		es := newTestSchema(t, item, func(c *dynamic.Config) { c.PlanCacheBytes = -1 })
		exec := newExec(es)
		for range 3 {
			got, err := execute(context.Background(), exec, query(1), nil)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf(want, 1), got)
		}
		hits, misses, ops, _ := dynamic.PlanCacheStats(es)
		require.Zero(t, hits+misses+uint64(ops))
	})
	t.Run("a caller with an Access", func(t *testing.T) {
		es := newTestSchema(t, item)
		exec := newExec(es)
		ctx := dynamic.WithAccess(context.Background(), denyList{"Item.ns": true})
		for range 3 {
			got, err := execute(ctx, exec, query(1), nil)
			require.NoError(t, err)
			require.Contains(t, got, `"a1":null`)
		}
		hits, misses, ops, _ := dynamic.PlanCacheStats(es)
		require.Zero(t, hits+misses+uint64(ops))
	})
}

// TestSharedPlanCache checks that executable schemas sharing a plan
// cache are never served each other's plans, even for one document.
func TestSharedPlanCache(t *testing.T) {
	shared := dynamic.NewPlanCache(1 << 20)
	newSchema := func(s string) *dynamic.ExecutableSchema {
		return newTestSchema(t, map[string]dynamic.FieldResolver{"Query.item": value(item{"s": s})},
			func(c *dynamic.Config) { c.PlanCache = shared })
	}
	a, b := newSchema("a"), newSchema("b")
	exec := executor.New(a)
	ctx := graphql.StartOperationTrace(context.Background())
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: `{ item { s } }`})
	require.Nil(t, errs)
	octx := graphql.WithOperationContext(ctx, oc)
	for range 2 {
		for _, es := range []*dynamic.ExecutableSchema{a, b} {
			rctx := graphql.WithResponseContext(octx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
			data := es.Exec(rctx)(rctx).Data
			want := map[*dynamic.ExecutableSchema]string{a: "a", b: "b"}[es]
			require.JSONEq(t, `{"item":{"s":"`+want+`"}}`, string(data))
		}
	}
	hits, misses, ops, _ := dynamic.PlanCacheStats(a)
	require.Equal(t, uint64(2), hits)
	require.Equal(t, uint64(2), misses)
	require.Equal(t, 2, ops, "one operation of each schema")
}

// TestSharedPlanCacheForgetsDroppedSchemas checks that the plans of a
// schema no longer referenced (its tenant evicted from memory, or
// reloaded) leave a shared cache with it, rather than keeping its types
// alive, and that the document text is charged to the budget.
func TestSharedPlanCacheForgetsDroppedSchemas(t *testing.T) {
	shared := dynamic.NewPlanCache(1 << 20)
	run := func(s string) (*dynamic.ExecutableSchema, *executor.Executor) {
		es := newTestSchema(t, map[string]dynamic.FieldResolver{"Query.item": value(item{"s": s})},
			func(c *dynamic.Config) { c.PlanCache = shared })
		exec := executor.New(es)
		exec.SetQueryCache(lru.New[*ast.QueryDocument](10)) // the same document for the same query
		out, err := execute(context.Background(), exec, `{ item { s } }`, nil)
		require.NoError(t, err)
		require.JSONEq(t, `{"data":{"item":{"s":"`+s+`"}}}`, out)
		return es, exec
	}
	kept, exec := run("kept")
	run("dropped")
	ops, bytes := dynamic.SharedPlanCacheStats(shared)
	require.Equal(t, 2, ops)
	require.Greater(t, bytes, 2*len(`{ item { s } }`))

	deadline := time.Now().Add(5 * time.Second)
	for ops > 1 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		ops, _ = dynamic.SharedPlanCacheStats(shared)
	}
	require.Equal(t, 1, ops, "the dropped schema's plans are still cached")
	hits, _, _, _ := dynamic.PlanCacheStats(kept)
	out, err := execute(context.Background(), exec, `{ item { s } }`, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"data":{"item":{"s":"kept"}}}`, out)
	after, _, _, _ := dynamic.PlanCacheStats(kept)
	require.Equal(t, hits+1, after, "the kept schema's plan is still served")
}

// TestPlanCacheAccounting checks that an entry evicted while a request
// held it, and added to again by that request, is charged as it then is:
// the cache's count of bytes does not drift.
func TestPlanCacheAccounting(t *testing.T) {
	require.Equal(t, 0, dynamic.PlanCacheReaddAfterEviction())
}

// TestPlanCacheTenantShare checks that a schema sending ever new
// operations to a shared cache replaces its own plans, not another
// schema's.
func TestPlanCacheTenantShare(t *testing.T) {
	flooder, other := dynamic.PlanCacheFlood(1000)
	require.Equal(t, 64, flooder, "operations the flooding schema keeps")
	require.Equal(t, 1, other, "the other schema's plan was pushed out")
}

// execute is runContext for use in any goroutine: it returns the
// response, or an error.
func execute(ctx context.Context, exec *executor.Executor, query string, vars map[string]any) (string, error) {
	ctx = graphql.StartOperationTrace(ctx)
	// gqlparser's variable validation writes into the variables' input
	// objects (their defaults): each execution gets its own.
	vars, _ = deepCopy(vars).(map[string]any)
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
	var resp *graphql.Response
	if errs != nil {
		resp = exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
	} else {
		h, ctx := exec.DispatchOperation(ctx, oc)
		if resp = h(ctx); resp == nil {
			return "", errors.New("no response")
		}
	}
	b, err := json.Marshal(resp)
	return string(b), err
}

// sortErrors is sortedErrors for use in any goroutine.
func sortErrors(resp string) (string, error) {
	var v map[string]any
	if err := json.Unmarshal([]byte(resp), &v); err != nil {
		return "", err
	}
	if errs, ok := v["errors"].([]any); ok {
		slices.SortFunc(errs, func(a, b any) int {
			return strings.Compare(fmt.Sprint(a.(map[string]any)["path"]), fmt.Sprint(b.(map[string]any)["path"]))
		})
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// deepCopy returns a copy of v, a variable's value, sharing none of its
// maps and slices.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
