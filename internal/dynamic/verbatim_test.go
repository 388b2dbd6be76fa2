package dynamic_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/jsonvalue"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// verbatimSDL is the schema of the verbatim tests: goods whose fields
// but id come from a batch, as an upstream's do, of every kind of type.
const verbatimSDL = `
enum Color { RED GREEN }
type Query { goods: [Goods] one: Goods }
type Goods {
  id: ID!
  stock: Int
  nstock: Int!
  ok: Boolean
  code: ID
  note: String
  price: Float
  color: Color
  warehouse: Warehouse
  nwarehouse: Warehouse!
}
type Warehouse { code: String! city: String n: Int loc: Loc }
type Loc { name: String lat: Float }
`

// vgoods is a goods of the verbatim tests: its batch values are the
// entity text of its id.
type vgoods struct{ id string }

func (g *vgoods) FieldValue(name string) any {
	if name == "id" {
		return g.id
	}
	return nil
}

// plainObject hides that its Object is a JSONObject, so that the
// executor completes it value by value.
type plainObject struct{ o *upstream.Object }

func (p plainObject) FieldValue(name string) any { return p.o.FieldValue(name) }

// verbatimSchema returns an executable schema of verbatimSDL whose goods
// list has goods, whose batch answers each goods with the object of
// entities[id], hidden behind plainObject unless verbatim.
func verbatimSchema(t testing.TB, goods []any, entities map[string]dynamic.Object, verbatim bool) *dynamic.ExecutableSchema {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "verbatim.graphqls", Input: verbatimSDL})
	require.NoError(t, err)
	var one any
	if len(goods) > 0 {
		one = goods[0]
	}
	return dynamic.New(dynamic.Config{
		Schema: schema,
		Resolvers: map[string]dynamic.FieldResolver{
			"Query.goods": value(goods),
			"Query.one":   value(one),
		},
		Batches: []*dynamic.Batch{{
			Type:   "Goods",
			Fields: []string{"stock", "nstock", "ok", "code", "note", "price", "color", "warehouse", "nwarehouse"},
			Resolve: func(_ context.Context, parents []any, _ []graphql.CollectedField) ([]dynamic.Object, []error) {
				values := make([]dynamic.Object, len(parents))
				for i, p := range parents {
					o := entities[p.(*vgoods).id]
					if uo, ok := o.(*upstream.Object); ok && !verbatim {
						o = plainObject{uo}
					}
					values[i] = o
				}
				return values, nil
			},
		}},
	})
}

// verbatimQueries select the batch's fields in ways that may and may not
// be written from the upstream's text.
var verbatimQueries = []string{
	`{ goods { id stock nstock ok code note warehouse { code city } } }`,
	`{ goods { id stock nstock ok code note warehouse { code city } nwarehouse { code n loc { name } } } }`,
	`{ goods { stock w: warehouse { code city } } }`,
	`{ goods { warehouse { city code } stock } }`,
	`{ goods { ... on Goods { stock } warehouse { code ... on Warehouse { city } } } }`,
	`{ goods { stock warehouse { code city __typename } } }`,
	`{ goods { nwarehouse { code n loc { name lat } } price color } }`,
	`{ goods { nwarehouse { code n loc { name } } id nstock } }`,
	`{ goods { stock @include(if: false) note warehouse @skip(if: false) { code } } }`,
	`{ one { stock warehouse { code } } }`,
}

// memberTexts are JSON texts of the batch's fields: good, of other
// types, unclean, and out of range.
var memberTexts = map[string][]string{
	"stock":  {`12`, `-7`, `0`, `-0`, `1.0`, `1e2`, `2147483647`, `2147483648`, `-2147483649`, `"12"`, `null`, `true`},
	"nstock": {`3`, `null`, `-0`},
	"ok":     {`true`, `false`, `"true"`, `null`, `1`},
	"code":   {`"c1"`, `12`, `null`, `"a\"b"`, `"é"`, `"\u00e9"`},
	"note":   {`"x y"`, `"ok"`, `null`, `{}`},
	"price":  {`1.5`, `2`, `1e21`, `null`},
	"color":  {`"RED"`, `"BLUE"`, `null`},
	"warehouse": {
		`{"code":"W1","city":"Lyon"}`, `{"city":"Lyon","code":"W1"}`, `{"code":"W1"}`,
		`{"code":"W1","city":"Lyon","x":1}`, `{"code":null,"city":"L"}`, `{"code": "W1","city":"L"}`,
		`null`, `[]`, `"W"`, `{"code":"W1","code":"W2","city":"L"}`, `{"code":"W1","city":"L","n":1,"loc":{"name":"a"}}`,
	},
	"nwarehouse": {
		`{"code":"W2","n":5,"loc":{"name":"x"}}`, `{"code":"W2","n":5,"loc":{"name":"x","lat":1.5}}`,
		`{"code":"W2","n":5,"loc":null}`, `{"code":"W2","n":5.5,"loc":{"name":"x"}}`, `null`, `{"code":"W2","n":-0,"loc":{"name":"x"}}`,
	},
}

// A value written from an upstream's text is byte for byte the value
// completed field by field: every query of verbatimQueries over entities
// made of memberTexts at random, with members left out, repeated and in
// any order, answers the same with the upstream's objects as they are
// and hidden behind plainObject.
func TestVerbatimIsCompletion(t *testing.T) {
	names := make([]string, 0, len(memberTexts))
	for name := range memberTexts {
		names = append(names, name)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 40
	for round := range 25 {
		goods := make([]any, n)
		entities := make(map[string]dynamic.Object, n)
		for i := range goods {
			id := fmt.Sprintf("g%d", i)
			goods[i] = &vgoods{id: id}
			order := rng.Perm(len(names))
			if i%3 == 0 {
				// In the order of the first query, as an upstream answers.
				order = order[:0]
				for _, name := range []string{"stock", "nstock", "ok", "code", "note", "warehouse", "nwarehouse"} {
					order = append(order, indexOf(names, name))
				}
			}
			var b strings.Builder
			b.WriteString("{")
			for k, j := range order {
				if rng.IntN(8) == 0 && i%3 != 0 {
					continue // left out
				}
				if k > 0 && b.Len() > 1 {
					b.WriteString(",")
				}
				texts := memberTexts[names[j]]
				text := texts[0]
				if rng.IntN(3) == 0 {
					text = texts[rng.IntN(len(texts))]
				}
				if rng.IntN(10) == 0 {
					// White space inside the value, which is not its text.
					text = strings.Replace(text, ":", ": ", 1)
				}
				fmt.Fprintf(&b, "%q:%s", names[j], text)
			}
			b.WriteString("}")
			o, err := upstream.ParseObject([]byte(b.String()))
			require.NoError(t, err, b.String())
			entities[id] = o
		}
		if round == 0 {
			entities["g1"] = nil // no values
		}
		fast := verbatimSchema(t, goods, entities, true)
		slow := verbatimSchema(t, goods, entities, false)
		for _, q := range verbatimQueries {
			want := runRaw(t, slow, q)
			if got := runRaw(t, fast, q); got != want {
				t.Fatalf("round %d, %s:\n got %s\nwant %s", round, q, got, want)
			}
		}
	}
}

// runRaw executes query on es as run does, and returns the response's
// data as the executor wrote it, byte for byte (run's JSON encoding would
// compact it), after its errors.
func runRaw(t testing.TB, es graphql.ExecutableSchema, query string) string {
	t.Helper()
	exec := executor.New(es)
	ctx := graphql.StartOperationTrace(context.Background())
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query})
	require.Nil(t, errs)
	h, ctx := exec.DispatchOperation(ctx, oc)
	resp := h(ctx)
	b, err := json.Marshal(resp.Errors)
	require.NoError(t, err)
	return string(b) + "\n" + string(resp.Data)
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	panic(name)
}

// lyingObject is a JSONObject whose texts are not its values, to tell
// which of them the executor wrote.
type lyingObject struct {
	names  []string
	values []any
	texts  []string
	text   string // its own
}

func (o *lyingObject) FieldValue(name string) any {
	for i, n := range o.names {
		if n == name {
			return o.values[i]
		}
	}
	return nil
}

func (o *lyingObject) Members() []jsonvalue.Member {
	ms := make([]jsonvalue.Member, len(o.names))
	for i := range ms {
		ms[i] = jsonvalue.Member{Name: o.names[i], Value: o.values[i], Text: o.texts[i]}
	}
	return ms
}

func (o *lyingObject) Text() string { return o.text }

// The executor writes the text where the query and the values allow it,
// and only there.
func TestVerbatimWhere(t *testing.T) {
	wh := &lyingObject{names: []string{"code", "city"}, values: []any{"W1", "Lyon"}, texts: []string{`"T1"`, `"Tyon"`}}
	entity := &lyingObject{
		names:  []string{"stock", "warehouse", "note"},
		values: []any{json.Number("12"), wh, "n"},
		texts:  []string{`99`, `{"code":"T1","city":"Tyon"}`, `"t"`},
		text:   `{"stock":77,"warehouse":{"code":"O1","city":"Oyon"},"note":"o"}`,
	}
	goods := []any{&vgoods{id: "a"}}
	es := verbatimSchema(t, goods, map[string]dynamic.Object{"a": entity}, true)
	for _, tt := range []struct{ query, want string }{
		// All of the object's members, in order: its own text.
		{`{ goods { stock warehouse { code city } note } }`, `{"data":{"goods":[{"stock":77,"warehouse":{"code":"O1","city":"Oyon"},"note":"o"}]}}`},
		{`{ goods { id stock warehouse { code city } note } }`, `{"data":{"goods":[{"id":"a","stock":77,"warehouse":{"code":"O1","city":"Oyon"},"note":"o"}]}}`},
		// Some of them: theirs.
		{`{ goods { stock warehouse { code city } } }`, `{"data":{"goods":[{"stock":99,"warehouse":{"code":"T1","city":"Tyon"}}]}}`},
		{`{ goods { warehouse { code city } note } }`, `{"data":{"goods":[{"warehouse":{"code":"T1","city":"Tyon"},"note":"t"}]}}`},
		{`{ one { id stock warehouse { code city } } }`, `{"data":{"one":{"id":"a","stock":99,"warehouse":{"code":"T1","city":"Tyon"}}}}`},
		// An alias: the text has the field's name for key.
		{`{ goods { s: stock warehouse { code city } } }`, `{"data":{"goods":[{"s":12,"warehouse":{"code":"T1","city":"Tyon"}}]}}`},
		{`{ goods { stock warehouse { c: code city } } }`, `{"data":{"goods":[{"stock":99,"warehouse":{"c":"W1","city":"Lyon"}}]}}`},
		// The object's members are not the selection's fields, in order.
		{`{ goods { warehouse { city code } } }`, `{"data":{"goods":[{"warehouse":{"city":"Lyon","code":"W1"}}]}}`},
		{`{ goods { warehouse { code } } }`, `{"data":{"goods":[{"warehouse":{"code":"W1"}}]}}`},
		{`{ goods { warehouse { code city __typename } } }`, `{"data":{"goods":[{"warehouse":{"code":"W1","city":"Lyon","__typename":"Warehouse"}}]}}`},
		// The fields after one that is not written from text still are.
		{`{ goods { note stock } }`, `{"data":{"goods":[{"note":"t","stock":99}]}}`},
	} {
		if got := run(t, es, tt.query, nil); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}

	// An upstream.Object's texts are written, as its Members give them.
	o := upstream.NewObject(
		upstream.Field{Name: "stock", Value: json.Number("12"), Text: "99"},
		upstream.Field{Name: "warehouse", Value: upstream.NewObject(
			upstream.Field{Name: "code", Value: "W1", Text: `"W1"`},
		), Text: `{"code":"T1"}`},
	)
	es = verbatimSchema(t, goods, map[string]dynamic.Object{"a": o}, true)
	const want = `{"data":{"goods":[{"stock":99,"warehouse":{"code":"T1"}}]}}`
	if got := run(t, es, `{ goods { stock warehouse { code } } }`, nil); got != want {
		t.Errorf("an upstream.Object:\n got %s\nwant %s", got, want)
	}
}

func TestCanonicalInt32(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "7": true, "-7": true, "2147483647": true, "-2147483648": true, "1234567890": true,
		"-0": false, "00": false, "07": false, "-07": false, "2147483648": false, "-2147483649": false,
		"9999999999": false, "12345678901": false, "": false, "-": false, "1.0": false, "1e2": false, "+1": false, " 1": false,
	} {
		if got := dynamic.CanonicalInt32(s); got != want {
			t.Errorf("canonicalInt32(%q) = %v", s, got)
		}
	}
}

// An Int from JSON text is any spelling of an integer in range, as
// graphql-js serializes a number with no fractional part: 1.0 and 1e2
// are 1 and 100; 1.5 and 2^31 are errors.
func TestUpstreamIntSpellings(t *testing.T) {
	for text, want := range map[string]string{
		`12`: `12`, `1.0`: `1`, `1e2`: `100`, `-0`: `0`, `2147483647.0`: `2147483647`,
		`1.5`: `null`, `2147483648`: `null`, `1e10`: `null`,
	} {
		o, err := upstream.ParseObject([]byte(`{"stock":` + text + `}`))
		require.NoError(t, err)
		for _, verbatim := range []bool{true, false} {
			es := verbatimSchema(t, []any{&vgoods{id: "a"}}, map[string]dynamic.Object{"a": o}, verbatim)
			got := run(t, es, `{ goods { stock } }`, nil)
			require.Contains(t, got, `"data":{"goods":[{"stock":`+want+`}]}`, "%s (verbatim %v)", text, verbatim)
			require.Equal(t, want == "null", strings.Contains(got, `"errors"`), "%s: %s", text, got)
		}
	}
}
