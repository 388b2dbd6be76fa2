package dynamic_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// testSDL is the schema of the unit tests: every kind of output and input
// type, nullable and not.
const testSDL = `
scalar DateTime
scalar JSON

enum Color { RED GREEN BLUE }

interface Named { name: String! }
type Pet implements Named { name: String! legs: Int }
type Robot implements Named { name: String! model: String }
union Thing = Pet | Robot

input Inner { deep: String = "d", n: Float }
input Point {
  x: Int! = 1
  y: Int = 2
  tags: [String!]
  color: Color = RED
  when: DateTime
  inner: Inner
  inners: [Inner!]
}

type Item {
  s: String
  ns: String!
  i: Int
  ni: Int!
  f: Float
  nf: Float!
  b: Boolean
  id: ID
  dt: DateTime
  c: Color
  nc: Color!
  j: JSON
  list: [Int]
  nnList: [Int!]!
  items: [Item!]
  nitems: [Item]
  child: Item
  nchild: Item!
  resolved: String
  nresolved: String!
  echo(p: Point, c: Color): String
}

type Query {
  echo(p: Point, ps: [Point!], c: Color, cs: [Color], id: ID, i: Int, f: Float, b: Boolean, dt: DateTime, s: String = "def", ss: [[String]]): String
  item: Item
  nitem: Item!
  items: [Item]
  nitems: [Item!]!
  things: [Thing]
  named: Named
  slow(n: Int!): Int
  fails: String
  nfails: String!
  panics: String
}

type Mutation {
  step(n: Int!): Int!
}
`

// item is a test Object: its fields are a map, read by FieldValue.
type item map[string]any

func (it item) FieldValue(name string) any { return it[name] }

// pet and robot are values of Thing and Named.
type pet struct{ name string }

func (p *pet) FieldValue(name string) any {
	if name == "name" {
		return &p.name
	}
	return nil
}
func (*pet) TypeName() string { return "Pet" }

// run executes query on es through gqlgen's executor, as handler.Server
// does, and returns the response as JSON.
func run(t testing.TB, es graphql.ExecutableSchema, query string, vars map[string]any, opts ...func(*executor.Executor)) string {
	t.Helper()
	return runContext(t, context.Background(), es, query, vars, opts...)
}

// runContext is run in the context ctx.
func runContext(t testing.TB, ctx context.Context, es graphql.ExecutableSchema, query string, vars map[string]any, opts ...func(*executor.Executor)) string {
	t.Helper()
	exec := executor.New(es)
	exec.Use(extension.Introspection{})
	for _, o := range opts {
		o(exec)
	}
	ctx = graphql.StartOperationTrace(ctx)
	params := &graphql.RawParams{Query: query, Variables: vars}
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		return marshal(t, resp)
	}
	h, ctx := exec.DispatchOperation(ctx, oc)
	resp := h(ctx)
	require.NotNil(t, resp)
	require.Nil(t, h(ctx), "a second response")
	return marshal(t, resp)
}

func marshal(t testing.TB, resp *graphql.Response) string {
	t.Helper()
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	return string(b)
}

// newTestSchema returns the test schema with resolvers rs added to the
// default ones, configured further by opts.
func newTestSchema(t testing.TB, rs map[string]dynamic.FieldResolver, opts ...func(*dynamic.Config)) *dynamic.ExecutableSchema {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL})
	require.NoError(t, err)
	all := map[string]dynamic.FieldResolver{
		"Query.echo": func(_ context.Context, _ any, args map[string]any) (any, error) {
			return describe(args), nil
		},
		"Item.echo": func(_ context.Context, _ any, args map[string]any) (any, error) {
			return describe(args), nil
		},
	}
	for k, r := range rs {
		all[k] = r
	}
	cfg := dynamic.Config{Schema: schema, Resolvers: all}
	for _, o := range opts {
		o(&cfg)
	}
	return dynamic.New(cfg)
}

// value returns a resolver that returns v.
func value(v any) dynamic.FieldResolver {
	return func(context.Context, any, map[string]any) (any, error) { return v, nil }
}

// describe writes v with the Go types of its parts, maps in key order:
// {p:{x:int(1)}}.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + describe(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case time.Time:
		return "time(" + x.Format(time.RFC3339Nano) + ")"
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}
