package cost_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/cost"
	"github.com/tenantgraph/tenantgraph/loader"
)

// compileTenant compiles the base schema with the tenant's files under
// ../../tenants/<id>, or with sdl as a tenant file if id is "".
func compileTenant(t testing.TB, id, sdl string) *loader.Schema {
	t.Helper()
	var srcs []*ast.Source
	if id != "" {
		names, err := filepath.Glob(filepath.Join("..", "..", "tenants", id, "*.graphqls"))
		require.NoError(t, err)
		for _, name := range names {
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			srcs = append(srcs, &ast.Source{Name: filepath.ToSlash(name), Input: string(b)})
		}
	} else if sdl != "" {
		srcs = []*ast.Source{{Name: "tenants/test/goods.graphqls", Input: sdl}}
	}
	s, err := loader.Compile(srcs)
	require.NoError(t, err)
	require.NotNil(t, s.Cost)
	return s
}

// costCase is an operation and its expected cost.
type costCase struct {
	name  string
	query string
	vars  string // JSON
	op    string // the operation's name, if the document has several
	want  int
}

// runCostCases checks the cost of each case with s's model, which shares
// parts with the base schema's, and with a model built afresh, which
// must agree.
func runCostCases(t *testing.T, s *loader.Schema, tests []costCase) {
	t.Helper()
	own, err := cost.New(s.Authoring)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, operationCost(t, s.AST, s.Cost, tt.query, tt.vars, tt.op))
			require.Equal(t, tt.want, operationCost(t, s.AST, own, tt.query, tt.vars, tt.op), "model of its own")
		})
	}
}

// w1 is the W1 query of the gateway's benchmarks: goods by ID.
const w1 = `query($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`

func TestOperationBase(t *testing.T) {
	runCostCases(t, compileTenant(t, "", ""), []costCase{
		// A row.
		{name: "W1: goods by ID", query: w1, vars: `{"id": "1"}`, want: 1},
		{name: "__typename is free", query: `{ __typename goods(id: "1") { __typename id } }`, want: 1},

		// goodsList: 1 for the statement, plus first rows.
		{name: "first's default", query: `{ goodsList { nodes { id } } }`, want: 1 + 20},
		{name: "first literal", query: `{ goodsList(first: 100) { nodes { id name } } }`, want: 1 + 100},
		{name: "first zero", query: `{ goodsList(first: 0) { nodes { id } } }`, want: 1},
		{name: "first negative", query: `{ goodsList(first: -1) { nodes { id } } }`, want: 1},
		{name: "first variable", query: `query($n: Int) { goodsList(first: $n) { nodes { id } } }`, vars: `{"n": 50}`, want: 1 + 50},
		{name: "first variable not given", query: `query($n: Int) { goodsList(first: $n) { nodes { id } } }`, want: 1 + 20},
		{name: "first variable null", query: `query($n: Int) { goodsList(first: $n) { nodes { id } } }`, vars: `{"n": null}`, want: 1 + 20},
		{name: "first null literal", query: `{ goodsList(first: null) { nodes { id } } }`, want: 1 + 20},
		{name: "first variable's default", query: `query($n: Int = 7) { goodsList(first: $n) { nodes { id } } }`, want: 1 + 7},
		{name: "first beyond the page size", query: `{ goodsList(first: 3000000000) { nodes { id } } }`, want: 1 + 3000000000},

		// sizedFields: edges and nodes have first items; the rest of the
		// connection reads nothing but totalCount.
		{name: "edges and nodes", query: `{ goodsList(first: 10) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }`, want: 1 + 10 + 10},
		{name: "totalCount", query: `{ goodsList(first: 0) { totalCount } }`, want: 1 + 20},
		{name: "a counted default page", query: `{ goodsList { totalCount nodes { id } pageInfo { hasNextPage } } }`, want: 1 + 20 + 20},
		{name: "aliases add up", query: `{ a: goodsList(first: 100) { nodes { id } } b: goodsList(first: 100) { edges { node { id } } } c: goods(id: "1") { id } }`, want: 101 + 101 + 1},

		// Arguments: input objects cost 1, nameContains its weight.
		{name: "filter", query: `{ goodsList(first: 5, filter: {nameContains: "tea", price: {gt: 1}}) { nodes { id } } }`, want: 1 + 5 + (1 + 20 + 1)},
		{name: "filter variable", query: `query($f: GoodsFilter) { goodsList(filter: $f) { totalCount } }`, vars: `{"f": {"nameContains": "x", "createdAt": {"gte": "2026-01-01T00:00:00Z"}}}`, want: 1 + 20 + (1 + 20 + 1)},
		{name: "filter null", query: `{ goodsList(filter: null) { totalCount } }`, want: 1 + 20},
		{name: "orderBy: 1 per key", query: `{ goodsList(orderBy: [{field: PRICE, direction: DESC}, {field: NAME}]) { nodes { id } } }`, want: 1 + 20 + 2},
		{name: "orderBy variable", query: `query($o: [GoodsOrder!]) { goodsList(orderBy: $o) { nodes { id } } }`, vars: `{"o": {"field": "NAME"}}`, want: 1 + 20 + 1},

		// Fragments cost what they select where they are spread.
		{name: "named fragments", query: `{ goodsList(first: 30) { ...Page } } fragment Page on GoodsConnection { nodes { ...G } totalCount } fragment G on Goods { id name }`, want: 1 + 30 + 20},
		{name: "a fragment in two list sizes", query: `{ a: goodsList(first: 5) { ...Page } b: goodsList(first: 50) { ...Page } } fragment Page on GoodsConnection { nodes { id } totalCount }`, want: (1 + 5 + 20) + (1 + 50 + 20)},
		{name: "a fragment spread twice", query: `{ goodsList(first: 5) { ...N ...N } } fragment N on GoodsConnection { nodes { id } }`, want: 1 + 5 + 5},
		{name: "inline fragments", query: `{ goodsList(first: 3) { ... on GoodsConnection { nodes { ... { id } } } } }`, want: 1 + 3},
		{name: "root fragment", query: `query { ...Q } fragment Q on Query { goods(id: "1") { id } }`, want: 1},

		// @skip and @include.
		{name: "skip literal", query: `{ goodsList(first: 100) @skip(if: true) { nodes { id } } goods(id: "1") { id } }`, want: 1},
		{name: "include literal", query: `{ goodsList(first: 100) @include(if: false) { nodes { id } } goods(id: "1") @include(if: true) { id } }`, want: 1},
		{name: "skip variable", query: `query($s: Boolean!) { goodsList(first: 100) @skip(if: $s) { nodes { id } } }`, vars: `{"s": true}`, want: 0},
		{name: "skip variable false", query: `query($s: Boolean!) { goodsList(first: 100) @skip(if: $s) { nodes { id } } }`, vars: `{"s": false}`, want: 101},
		{name: "include variable on a spread", query: `query($i: Boolean = false) { goodsList(first: 100) { ...N @include(if: $i) } } fragment N on GoodsConnection { nodes { id } }`, want: 1},
		{name: "skip on an inline fragment", query: `{ goodsList(first: 100) { ... @skip(if: true) { nodes { id } } totalCount } }`, want: 1 + 20},

		// Mutations: 10, then as queries.
		{name: "createGoods", query: `mutation { createGoods(input: {name: "Teapot", price: 12.5}) { id name createdAt } }`, want: 10 + 1 + 1},
		{name: "updateGoods", query: `mutation($in: UpdateGoodsInput!) { updateGoods(id: "1", input: $in) { id } }`, vars: `{"in": {"price": 2}}`, want: 10 + 1 + 1},
		{name: "deleteGoods", query: `mutation { deleteGoods(id: "1") }`, want: 10},
		{name: "two mutations", query: `mutation { a: deleteGoods(id: "1") b: createGoods(input: {name: "x", price: 1}) { id } }`, want: 10 + 0 + 2},

		// Introspection: 1 per field, no lists.
		{name: "__schema", query: `{ __schema { queryType { name } types { name fields { name } } } }`, want: 7},
		{name: "__type", query: `{ __type(name: "Goods") { name fields { name type { name ofType { name } } } } }`, want: 8},
		{name: "__typename in introspection", query: `{ __schema { __typename queryType { __typename name } } }`, want: 3},
		{name: "introspection in fragments", query: `{ ...Q } fragment Q on Query { __schema { types { ...T } } } fragment T on __Type { name ... on __Type { kind } }`, want: 4},
		{name: "introspection beside data", query: `{ __typename __type(name: "Goods") { name } goods(id: "1") { id } }`, want: 2 + 1},

		{name: "several operations", query: `query A { goods(id: "1") { id } } query B { goodsList { nodes { id } } }`, op: "B", want: 21},
	})
}

// TestOperationGraphiQLIntrospection costs GraphiQL's introspection query,
// which tools send on every page load: it must stay far below the default
// budget (limits.Defaults().MaxCost, 1000).
func TestOperationGraphiQLIntrospection(t *testing.T) {
	s := compileTenant(t, "", "")
	for _, name := range []string{"introspection_graphiql_default", "introspection_full"} {
		b, err := os.ReadFile(filepath.Join("..", "dynamic", "testdata", "corpus", name+".graphql"))
		require.NoError(t, err)
		got := operationCost(t, s.AST, s.Cost, string(b), "", "IntrospectionQuery")
		t.Logf("%s costs %d", name, got)
		require.Less(t, got, 300, name)
	}
	b, err := os.ReadFile(filepath.Join("..", "dynamic", "testdata", "corpus", "introspection_graphiql_default.graphql"))
	require.NoError(t, err)
	require.Equal(t, 220, operationCost(t, s.AST, s.Cost, string(b), "", "IntrospectionQuery"))
}

func TestOperationCustomerA(t *testing.T) {
	// customerA has @filterable and @sortable fields: their filters cost
	// 20, as nameContains does, and so does every sort key.
	runCostCases(t, compileTenant(t, "customerA", ""), []costCase{
		{name: "extension fields are in the row", query: `{ goodsList(first: 10) { nodes { name categoryCode vendorCode taxRate } } }`, want: 1 + 10},
		{name: "README query", query: `{ goodsList(filter: {categoryCode: {eq: "FRUIT"}}, orderBy: [{field: CATEGORY_CODE, direction: DESC}, {field: NAME}]) { nodes { name categoryCode taxRate } } }`, want: 1 + 20 + (1 + 20) + 2*(1+20)},
		{name: "in filter", query: `{ goodsList(filter: {vendorCode: {in: ["a", "b", "c"]}, nameContains: "x"}) { totalCount } }`, want: 1 + 20 + (1 + 20 + 20)},
		{name: "createGoods", query: `mutation { createGoods(input: {name: "Teapot", price: 12.5, categoryCode: "KITCHEN", vendorCode: "V1"}) { id categoryCode taxRate } }`, want: 10 + 1 + 1},
	})
}

func TestOperationCustomerB(t *testing.T) {
	// Dimensions, a value object, is stored in the goods row: it weighs 0.
	runCostCases(t, compileTenant(t, "customerB", ""), []costCase{
		{name: "value objects and lists in the row", query: `{ goodsList(first: 10) { nodes { id shipping dimensions { width unit } tags restockAt } } }`, want: 1 + 10},
		{name: "goods", query: `{ goods(id: "1") { dimensions { width height depth unit } tags } }`, want: 1},
		{name: "enum filter", query: `{ goodsList(filter: {shipping: {in: [PARCEL, FREIGHT]}, hazardous: false}) { totalCount } }`, want: 1 + 20 + (1 + 20 + 20)},
		{name: "range filter variable", query: `query($f: GoodsFilter) { goodsList(filter: $f) { nodes { id } } }`, vars: `{"f": {"minOrderQuantity": {"gte": 2}}}`, want: 1 + 20 + (1 + 20)},
		{name: "sort by an extension field", query: `{ goodsList(orderBy: [{field: SHIPPING}]) { nodes { id } } }`, want: 1 + 20 + (1 + 20)},
		{name: "createGoods with a value object", query: `mutation { createGoods(input: {name: "Crate", price: 1, dimensions: {width: 1, height: 2, depth: 3, unit: CM}}) { id } }`, want: 10 + 1 + (1 + 1)},
	})
}

// annotated is a tenant that weighs its own fields.
const annotated = `
"Grades are computed on read."
enum Grade @cost(weight: "0.5") { A B }
"A part, stored in the row; costs 2 because the gateway resolves its code."
type Part @cost(weight: "2") {
  code: ID!
  grade: Grade
  serials: [String!] @listSize(assumedSize: 3)
  notes: [Note!]
}
type Note { text: String! }
type Box { items: [Note!]! }
extend type Goods {
  parts: [Part!] @listSize(assumedSize: 4)
  bom: [Part!]
  grade: Grade @filterable
  heavy: Float @cost(weight: "3.25")
  main: Part
  cheap: Part @cost(weight: "0")
  notes: [Note!]! @listSize(assumedSize: 2) @default(value: [])
  box: Box
}
`

func TestOperationTenantAnnotations(t *testing.T) {
	runCostCases(t, compileTenant(t, "", annotated), []costCase{
		{name: "assumedSize", query: `{ goods(id: "1") { parts { code } } }`, want: 1 + 4*2},
		{name: "default list size, weighted enum", query: `{ goods(id: "1") { bom { code grade } } }`, want: 1 + 10*(2+0.5) + 0},
		{name: "fractional weights round up", query: `{ goods(id: "1") { grade heavy } }`, want: 5}, // 1 + 0.5 + 3.25
		{name: "on every row", query: `{ goodsList(first: 100) { nodes { heavy } } }`, want: 1 + 100*(1+3.25)},
		{name: "field weight over type weight", query: `{ goods(id: "1") { main { code } cheap { code } } }`, want: 1 + 2 + 0},
		{name: "value objects weigh 0 unless weighed", query: `{ goods(id: "1") { notes { text } box { items { text } } } }`, want: 1},
		{name: "nested lists", query: `{ goodsList(first: 100) { nodes { parts { serials notes { text } } } } }`, want: 1 + 100*(1+4*2)},
		{name: "enum weight in a filter", query: `{ goodsList(filter: {grade: {eq: A}}) { totalCount } }`, want: 43}, // 1 + 20 + (1 + 20 + 0.5)
	})
}
