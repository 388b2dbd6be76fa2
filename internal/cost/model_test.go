package cost_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/tenantgraph/tenantgraph/internal/cost"
)

// directives declares @cost and @listSize as the base schema does.
const directives = `
directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
`

// testSchema exercises what the base schema does not: argument weights,
// weighted scalars and enums, several slicing arguments, list arguments,
// assumedSize, interfaces and unions, and nested lists that saturate.
const testSchema = directives + `
scalar Money @cost(weight: "2")
enum Level @cost(weight: "3") { LOW HIGH }
input Where { level: Level, tags: [String!] @cost(weight: "1"), and: [Where!] }
interface Node { id: ID! }
union Thing = Item | Page
type Query {
  items(first: Int, last: Int, ids: [ID!], where: Where @cost(weight: "5")): [Item!]! @listSize(slicingArguments: ["first", "last", "ids"])
  page(size: Int! = 5): Page! @listSize(slicingArguments: ["size"], sizedFields: ["items"])
  deep(n: Int): [Deep] @listSize(slicingArguments: ["n"])
  fixed: [Item] @listSize(assumedSize: 2)
  node: Node
  things: [Thing!]!
  price: Money
  level: Level
  search(q: String @cost(weight: "7")): Int
  half: Int @cost(weight: "0.5")
  tiny: Int @cost(weight: "0.000001")
}
type Mutation { touch(id: ID!): Item }
type Item implements Node { id: ID!, price: Money, level: Level, related: [Item!] }
type Page { items: [Item!]!, other: [Item!]!, info: Info }
type Info @cost(weight: "0") { count: Int }
type Deep @cost(weight: "1000000") { deep(n: Int): [Deep] @listSize(slicingArguments: ["n"]) }
`

// mustModel loads sdl and builds its Model.
func mustModel(t testing.TB, sdl string) (*ast.Schema, *cost.Model) {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphql", Input: sdl})
	require.NoError(t, err)
	m, err := cost.New(schema)
	require.NoError(t, err)
	return schema, m
}

// operationCost validates query against schema, coerces vars (JSON, decoded
// with UseNumber as gqlgen's transports do) and returns the cost of the
// operation named opName (or the only one).
func operationCost(t testing.TB, schema *ast.Schema, m *cost.Model, query, vars, opName string) int {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, query)
	require.Empty(t, errs, "the query does not validate")
	op := doc.Operations.ForName(opName)
	require.NotNil(t, op, "no operation %q", opName)
	raw := map[string]any{}
	if vars != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(vars)))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&raw))
	}
	coerced, err := validator.VariableValues(schema, op, raw)
	require.NoError(t, err)
	return m.Operation(doc, op, coerced)
}

func TestModelOperation(t *testing.T) {
	schema, m := mustModel(t, testSchema)
	deep := "deep(n: 2147483647) { "
	tests := []struct {
		name  string
		query string
		vars  string
		want  int
	}{
		{"largest slicing argument", `{ items(first: 3, last: 8) { id } }`, "", 8},
		{"list slicing argument", `{ items(ids: ["a", "b"]) { id } }`, "", 2},
		{"list slicing variable", `query($ids: [ID!]) { items(ids: $ids) { id } }`, `{"ids": ["a", "b", "c"]}`, 3},
		{"single value for a list variable", `query($ids: [ID!]) { items(ids: $ids) { id } }`, `{"ids": "a"}`, 1},
		{"no slicing argument: the default list size", `{ items { id } }`, "", cost.DefaultListSize},
		{"negative slicing argument", `{ items(first: -5) { id } }`, "", 0},
		{"slicing argument as a string variable", `query($n: Int) { items(first: $n) { id } }`, `{"n": "4"}`, 4},
		{"weighted scalar and enum, nested default list", `{ items(first: 2) { price level related { id } } }`, "", 2 * (1 + 2 + 3 + cost.DefaultListSize)},
		{"input object with a weight, list input fields", `{ items(first: 1, where: {level: HIGH, tags: ["a", "b"], and: [{level: LOW}]}) { id } }`, "", 1 + 5 + 3 + (1 + 1 + 1) + (1 + 3)},
		{"the same input as a variable", `query($w: Where) { items(first: 1, where: $w) { id } }`, `{"w": {"level": "HIGH", "tags": ["a", "b"], "and": [{"level": "LOW"}]}}`, 1 + 5 + 3 + (1 + 1 + 1) + (1 + 3)},
		{"variables inside a literal", `query($l: Level, $t: [String!]) { items(first: 1, where: {level: $l, tags: $t}) { id } }`, `{"l": "LOW", "t": ["x"]}`, 1 + 5 + 3 + (1 + 1)},
		{"null argument", `{ items(first: 1, where: null) { id } }`, "", 1},
		{"sized fields and a default slicing argument", `{ page { items { id } other { id } info { count } } }`, "", 1 + 5 + cost.DefaultListSize},
		{"sized fields and a given slicing argument", `{ page(size: 2) { items { id } other { id } } }`, "", 1 + 2 + cost.DefaultListSize},
		{"assumedSize", `{ fixed { id } }`, "", 2},
		{"weighted leaves", `{ price level }`, "", 2 + 3},
		{"weighted argument given", `{ search(q: "x") }`, "", 7},
		{"weighted argument not given", `{ search }`, "", 0},
		{"weighted argument null", `{ search(q: null) }`, "", 0},
		{"fractions add up, then round up", `{ a: half b: half c: half }`, "", 2},
		{"a millionth is not nothing", `{ tiny }`, "", 1},
		{"interface", `{ node { id ... on Item { price } } }`, "", 1 + 2},
		{"union", `{ things { ... on Item { price } ... on Page { info { count } } } }`, "", cost.DefaultListSize * (1 + 2 + 0)},
		{"saturates", "{ " + strings.Repeat(deep, 5) + "__typename" + strings.Repeat(" }", 6), "", math.MaxInt},
		{"mutation", `mutation { touch(id: "1") { id } }`, "", 10 + 1},
		{"empty mutation selection", `mutation { __typename }`, "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, operationCost(t, schema, m, tt.query, tt.vars, ""))
		})
	}
}

// TestBaseNew checks that a model sharing parts with a base model costs
// as one of its own, for a schema that changes some of the base's types
// (Item gets a field of a new enum; Where's enum weighs more) and keeps
// others.
func TestBaseNew(t *testing.T) {
	baseSchema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphql", Input: testSchema})
	require.NoError(t, err)
	base, err := cost.NewBase(baseSchema)
	require.NoError(t, err)
	derived := strings.Replace(testSchema, "enum Level @cost(weight: \"3\")", "enum Level @cost(weight: \"4\")", 1) + `
enum Grade @cost(weight: "9") { A B }
extend type Item { grade: Grade, also: [Item!] @listSize(assumedSize: 3) }
`
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphql", Input: derived})
	require.NoError(t, err)
	// Share the base's definitions of types the extension leaves alone,
	// as the loader does, so that Base.New has something to share: Info
	// and Deep (which refers to itself) can be, Page (which refers to the
	// changed Item) cannot.
	for _, name := range []string{"Info", "Page", "Deep"} {
		schema.Types[name] = baseSchema.Types[name]
	}
	shared, err := base.New(schema)
	require.NoError(t, err)
	own, err := cost.New(schema)
	require.NoError(t, err)
	for _, q := range []string{
		`{ items(first: 3) { id price level grade also { grade } related { level } } }`,
		`{ items(where: {level: HIGH, tags: ["a", "b"], and: [{level: LOW}]}) { id } }`,
		`{ page { items { grade } other { id } info { count } } }`,
		`{ deep(n: 3) { deep(n: 2) { __typename } } }`,
		`{ node { id ... on Item { grade } } things { ... on Page { info { count } } } }`,
		`mutation { touch(id: "1") { grade also { id } } }`,
	} {
		require.Equal(t, operationCost(t, schema, own, q, "", ""), operationCost(t, schema, shared, q, "", ""), q)
	}
	require.Equal(t, 0, operationCost(t, baseSchema, base.Model, `{ page { info { count } } }`, "", "")-
		operationCost(t, schema, shared, `{ page { info { count } } }`, "", ""))
}

// TestManyFields checks the cost of fields of a type with more fields
// than a typeInfo searches in order.
func TestManyFields(t *testing.T) {
	var sdl strings.Builder
	sdl.WriteString(directives + "type Query { big: Big }\ntype Big {\n")
	for i := range 40 {
		fmt.Fprintf(&sdl, "  f%d: Int @cost(weight: \"%d\")\n", i, i)
	}
	sdl.WriteString("}\n")
	schema, m := mustModel(t, sdl.String())
	require.Equal(t, 1+3+17+39, operationCost(t, schema, m, `{ big { f3 f17 f39 } }`, "", ""))
}

func TestNewRefusesWhatItCannotRead(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "bad.graphql", Input: directives + `
scalar Money @cost(weight: "-1")
type Query {
  a: Int @cost(weight: "abc")
  b(first: Int): [Int] @listSize(slicingArguments: ["nope"], assumedSize: -1)
  c: Page @listSize(sizedFields: ["nope"])
  d: Money
  e: Int @cost(weight: 3)
}
type Page { items: [Int] }
`})
	require.NoError(t, err)
	m, err := cost.New(schema)
	require.Nil(t, m)
	var msgs []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var gerr *gqlerror.Error
		require.True(t, errors.As(e, &gerr), "%T is not a *gqlerror.Error", e)
		require.NotEmpty(t, gerr.Locations, "no position: %v", gerr)
		require.Equal(t, "bad.graphql", gerr.Extensions["file"])
		msgs = append(msgs, gerr.Message)
	}
	for _, want := range []string{
		`@cost on field Query.a: weight "abc" is not a decimal number`,
		`assumedSize must be an Int >= 0, not -1`,
		`slicingArguments names "nope", which is not an argument of the field`,
		`sizedFields names "nope", which is not a field of Page`,
		`@cost on scalar Money: weight "-1" is negative`,
		`@cost on field Query.e: weight must be a string`,
	} {
		require.True(t, containsAny(msgs, want), "no problem says %q in\n%s", want, strings.Join(msgs, "\n"))
	}
}

func containsAny(msgs []string, want string) bool {
	for _, m := range msgs {
		if strings.Contains(m, want) {
			return true
		}
	}
	return false
}

func TestParseWeight(t *testing.T) {
	for _, ok := range []struct {
		s    string
		want float64
	}{
		{"0", 0}, {"1", 1}, {"2.5", 2.5}, {"1e3", 1000}, {"1E-2", 0.01}, {"0.000001", 1e-6}, {"007", 7}, {"1.5e+2", 150},
	} {
		w, err := cost.ParseWeight(ok.s)
		require.NoError(t, err, ok.s)
		require.Equal(t, ok.want, w, ok.s)
	}
	for _, bad := range []struct {
		s   string
		err error
	}{
		{"-1", cost.ErrWeightNegative},
		{"-0.5", cost.ErrWeightNegative},
		{"", cost.ErrWeightSyntax},
		{"-", cost.ErrWeightSyntax},
		{"abc", cost.ErrWeightSyntax},
		{"1.", cost.ErrWeightSyntax},
		{".5", cost.ErrWeightSyntax},
		{"1e", cost.ErrWeightSyntax},
		{"+1", cost.ErrWeightSyntax},
		{" 1", cost.ErrWeightSyntax},
		{"NaN", cost.ErrWeightSyntax},
		{"Inf", cost.ErrWeightSyntax},
		{"0x10", cost.ErrWeightSyntax},
		{"1_000", cost.ErrWeightSyntax},
		{"1e400", cost.ErrWeightRange},
	} {
		_, err := cost.ParseWeight(bad.s)
		require.ErrorIs(t, err, bad.err, "%q", bad.s)
	}
}
