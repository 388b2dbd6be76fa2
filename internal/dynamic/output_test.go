package dynamic_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// TestOutputCoercion checks how values of each Go type are written for
// each scalar and enum, and that a value that does not fit its type is an
// error at its path.
func TestOutputCoercion(t *testing.T) {
	s := "str"
	f := 2.5
	n := 3
	b := false
	tm := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("", 3600))
	tests := []struct {
		name  string
		item  item
		query string
		want  string
	}{{
		name:  "strings",
		item:  item{"s": "a\"b\\c\n\x01<é>", "ns": &s, "id": "x1"},
		query: `{ item { s ns id } }`,
		want:  `{"data":{"item":{"s":"a\"b\\c\n\u0001\u003cé\u003e","ns":"str","id":"x1"}}}`,
	}, {
		name:  "numbers",
		item:  item{"i": int64(-5), "ni": float64(7), "f": n, "nf": &f, "list": []any{int32(1), json.Number("2"), &n}},
		query: `{ item { i ni f nf list } }`,
		want:  `{"data":{"item":{"i":-5,"ni":7,"f":3,"nf":2.5,"list":[1,2,3]}}}`,
	}, {
		name:  "floats as %g",
		item:  item{"nnList": []int{}, "list": nil, "f": 1e21, "nf": math.Copysign(0, -1)},
		query: `{ item { f nf nnList list } }`,
		want:  `{"data":{"item":{"f":1e+21,"nf":-0,"nnList":[],"list":null}}}`,
	}, {
		name:  "booleans, IDs from ints, DateTime in UTC",
		item:  item{"b": &b, "id": 12, "dt": tm, "c": "GREEN", "nc": "BLUE"},
		query: `{ item { b id dt c nc } }`,
		want:  `{"data":{"item":{"b":false,"id":"12","dt":"2026-01-02T02:04:05.6Z","c":"GREEN","nc":"BLUE"}}}`,
	}, {
		// As graphql-js's serializeString and serializeID: a String
		// from a boolean or a finite number, an ID from an integral
		// number, spelled as JavaScript's String spells numbers; but
		// integers are exact, where JavaScript rounds past 2^53.
		name: "Strings and IDs from booleans and numbers",
		item: item{"items": []any{
			item{"s": true, "id": 42.0, "ns": false},
			item{"s": 1.5, "id": json.Number("7"), "ns": 1e21},
			item{"s": 1e-7, "id": 1e21, "ns": math.Copysign(0, -1)},
			item{"s": json.Number("1.50"), "id": json.Number("-0"), "ns": json.Number("12345678901234567890")},
			item{"s": int64(math.MaxInt64), "id": uint64(math.MaxUint64), "ns": float32(0.5)},
			item{"s": &b, "id": &n, "ns": json.Number("-1e2")},
			item{"s": (*float64)(nil), "id": json.Number("9223372036854775808"), "ns": &f},
		}},
		query: `{ item { items { s id ns } } }`,
		want: `{"data":{"item":{"items":[` +
			`{"s":"true","id":"42","ns":"false"},` +
			`{"s":"1.5","id":"7","ns":"1e+21"},` +
			`{"s":"1e-7","id":"1e+21","ns":"0"},` +
			`{"s":"1.5","id":"0","ns":"12345678901234567890"},` +
			`{"s":"9223372036854775807","id":"18446744073709551615","ns":"0.5"},` +
			`{"s":"false","id":"3","ns":"-100"},` +
			`{"s":null,"id":"9223372036854775808","ns":"2.5"}]}}}`,
	}, {
		name:  "IDs are not made of fractions",
		item:  item{"id": 1.5, "s": math.NaN()},
		query: `{ item { id s } }`,
		want: `{"errors":[` +
			`{"message":"dynamic: ID cannot represent a value of type float64: 1.5","path":["item","id"]},` +
			`{"message":"dynamic: String cannot represent a value of type float64: NaN","path":["item","s"]}],` +
			`"data":{"item":{"id":null,"s":null}}}`,
	}, {
		name:  "IDs are not made of booleans",
		item:  item{"id": true},
		query: `{ item { id } }`,
		want:  `{"errors":[{"message":"dynamic: ID cannot represent a value of type bool: true","path":["item","id"]}],"data":{"item":{"id":null}}}`,
	}, {
		name:  "IDs and Strings are not made of infinities",
		item:  item{"id": json.Number("1e400"), "s": math.Inf(-1)},
		query: `{ item { id s } }`,
		want: `{"errors":[` +
			`{"message":"dynamic: ID cannot represent a value of type json.Number","path":["item","id"]},` +
			`{"message":"dynamic: String cannot represent a value of type float64: -Inf","path":["item","s"]}],` +
			`"data":{"item":{"id":null,"s":null}}}`,
	}, {
		name:  "DateTime as the store keeps extension values",
		item:  item{"dt": "2026-03-01T09:00:00.000000Z"},
		query: `{ item { dt } }`,
		want:  `{"data":{"item":{"dt":"2026-03-01T09:00:00Z"}}}`,
	}, {
		name:  "typed nil pointers are null",
		item:  item{"s": (*string)(nil), "i": (*int)(nil), "nf": (*float64)(nil), "dt": (*time.Time)(nil)},
		query: `{ item { s i dt } }`,
		want:  `{"data":{"item":{"s":null,"i":null,"dt":null}}}`,
	}, {
		name:  "a custom scalar without coercion",
		item:  item{"j": map[string]any{"a": []any{1, "<"}}},
		query: `{ item { j } }`,
		want:  `{"data":{"item":{"j":{"a":[1,"\u003c"]}}}}`,
	}, {
		name:  "unfit nullable values are null with an error",
		item:  item{"i": "five", "ns": "ok", "c": "PURPLE", "dt": "noon", "list": "1"},
		query: `{ item { i ns c dt list } }`,
		want: `{"errors":[` +
			`{"message":"dynamic: Int cannot represent the string \"five\"","path":["item","i"]},` +
			`{"message":"dynamic: enum Color has no value \"PURPLE\"","path":["item","c"]},` +
			`{"message":"dynamic: DateTime cannot represent the string \"noon\"","path":["item","dt"]},` +
			`{"message":"dynamic: a list cannot represent the string \"1\"","path":["item","list"]}],` +
			`"data":{"item":{"i":null,"ns":"ok","c":null,"dt":null,"list":null}}}`,
	}, {
		name:  "Int has 32 bits",
		item:  item{"i": math.MaxInt32 + 1, "list": []any{1.5, math.MinInt32}},
		query: `{ item { i list } }`,
		want: `{"errors":[` +
			`{"message":"dynamic: Int cannot represent a value of type int: 2147483648","path":["item","i"]},` +
			`{"message":"dynamic: Int cannot represent a value of type float64: 1.5","path":["item","list",0]}],` +
			`"data":{"item":{"i":null,"list":[null,-2147483648]}}}`,
	}, {
		name:  "an unfit non-null value nulls its parent",
		item:  item{"ni": true, "s": "lost"},
		query: `{ item { s ni } }`,
		want:  `{"errors":[{"message":"dynamic: Int cannot represent a value of type bool: true","path":["item","ni"]}],"data":{"item":null}}`,
	}, {
		// As gqlgen: the error comes when the response is marshalled,
		// after the others, and the null does not propagate.
		name:  "an infinite Float",
		item:  item{"nf": math.Inf(1), "f": math.NaN(), "i": "x"},
		query: `{ item { nf f i } }`,
		want: `{"errors":[` +
			`{"message":"dynamic: Int cannot represent the string \"x\"","path":["item","i"]},` +
			`{"message":"cannot marshal infinite no NaN float values","path":["item","nf"]},` +
			`{"message":"cannot marshal infinite no NaN float values","path":["item","f"]}],` +
			`"data":{"item":{"nf":null,"f":null,"i":null}}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := newTestSchema(t, map[string]dynamic.FieldResolver{"Query.item": value(tt.item)})
			require.Equal(t, tt.want, run(t, es, tt.query, nil))
		})
	}
}

// TestNullPropagation checks that a null in a non-null position nulls the
// nearest nullable parent, with one error at the null's path.
func TestNullPropagation(t *testing.T) {
	errBroken := errors.New("broken")
	tests := []struct {
		name      string
		resolvers map[string]dynamic.FieldResolver
		query     string
		want      string
	}{{
		name:      "to the nearest nullable field",
		resolvers: map[string]dynamic.FieldResolver{"Query.item": value(item{"s": "a", "nchild": item{"ns": nil}})},
		query:     `{ item { s nchild { ns } } }`,
		want:      `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["item","nchild","ns"]}],"data":{"item":null}}`,
	}, {
		name:      "to data",
		resolvers: map[string]dynamic.FieldResolver{"Query.nitem": value(item{"nchild": item{}})},
		query:     `{ nitem { nchild { ns } } }`,
		want:      `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["nitem","nchild","ns"]}],"data":null}`,
	}, {
		name:      "through a list of non-null elements",
		resolvers: map[string]dynamic.FieldResolver{"Query.item": value(item{"nnList": []any{1, nil, 3}, "list": []any{1, nil}})},
		query:     `{ item { list nnList } }`,
		want:      `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["item","nnList",1]}],"data":{"item":null}}`,
	}, {
		name:      "stopped by nullable elements",
		resolvers: map[string]dynamic.FieldResolver{"Query.items": value([]any{item{"ns": "a"}, item{}, nil})},
		query:     `{ items { ns } }`,
		want:      `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["items",1,"ns"]}],"data":{"items":[{"ns":"a"},null,null]}}`,
	}, {
		name:      "non-null elements of a non-null list",
		resolvers: map[string]dynamic.FieldResolver{"Query.nitems": value([]any{item{"ns": "a"}, item{}})},
		query:     `{ nitems { ns } }`,
		want:      `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["nitems",1,"ns"]}],"data":null}`,
	}, {
		name: "a resolver's error",
		resolvers: map[string]dynamic.FieldResolver{
			"Query.fails": func(context.Context, any, map[string]any) (any, error) { return nil, errBroken },
		},
		query: `{ fails
		  __typename }`,
		want: `{"errors":[{"message":"broken","path":["fails"],"locations":[{"line":1,"column":3}]}],"data":{"fails":null,"__typename":"Query"}}`,
	}, {
		// As generated code dispatches resolver-backed fields after the
		// others: i's error comes first.
		name: "a non-null resolver's error, after its siblings'",
		resolvers: map[string]dynamic.FieldResolver{
			"Query.item":     value(item{"i": "x"}),
			"Item.nresolved": func(context.Context, any, map[string]any) (any, error) { return nil, gqlerror.Errorf("mine") },
		},
		query: `{ item { nresolved i } }`,
		want:  `{"errors":[{"message":"dynamic: Int cannot represent the string \"x\"","path":["item","i"]},{"message":"mine","path":["item","nresolved"],"locations":[{"line":1,"column":10}]}],"data":{"item":null}}`,
	}, {
		name: "a non-null root resolver's error",
		resolvers: map[string]dynamic.FieldResolver{
			"Query.nfails": func(context.Context, any, map[string]any) (any, error) { return nil, errBroken },
		},
		query: `{ __typename nfails }`,
		want:  `{"errors":[{"message":"broken","path":["nfails"],"locations":[{"line":1,"column":14}]}],"data":null}`,
	}, {
		name:      "a non-null resolver's nil",
		resolvers: map[string]dynamic.FieldResolver{"Query.item": value(item{}), "Item.nresolved": value(nil)},
		query:     `{ item { nresolved } }`,
		want:      `{"errors":[{"message":"must not be null","path":["item","nresolved"]}],"data":{"item":null}}`,
	}, {
		name: "a resolver that reported its own error and returned nil",
		resolvers: map[string]dynamic.FieldResolver{
			"Query.nfails": func(ctx context.Context, _ any, _ map[string]any) (any, error) {
				graphql.AddErrorf(ctx, "reported")
				return nil, nil
			},
		},
		query: `{ nfails }`,
		want:  `{"errors":[{"message":"reported","path":["nfails"]}],"data":null}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, run(t, newTestSchema(t, tt.resolvers), tt.query, nil))
		})
	}
}

// panicky is an object whose field "s" panics.
type panicky struct{}

func (panicky) FieldValue(name string) any {
	if name == "s" {
		panic("boom")
	}
	return "fine"
}

// panickyList is a List whose element 1 panics.
type panickyList []any

func (l panickyList) Len() int { return len(l) }
func (l panickyList) At(i int) any {
	if i == 1 {
		panic("element boom")
	}
	return l[i]
}

// TestPanics checks that a panic in a resolver or in reading a field is
// the error of that field only, through the server's recover function.
func TestPanics(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.panics": func(context.Context, any, map[string]any) (any, error) { panic("resolver boom") },
		"Query.item":   value(panicky{}),
		"Query.nitem":  value(item{"nchild": panicky{}}),
	})
	recoverFunc := func(e *executor.Executor) {
		e.SetRecoverFunc(func(ctx context.Context, p any) error { return gqlerror.Errorf("recovered: %v", p) })
	}
	require.Equal(t,
		`{"errors":[{"message":"recovered: resolver boom","path":["panics"]}],"data":{"panics":null}}`,
		run(t, es, `{ panics }`, nil, recoverFunc))
	require.Equal(t,
		`{"errors":[{"message":"recovered: boom","path":["item","s"]}],"data":{"item":{"ns":"fine","s":null,"id":"fine"}}}`,
		run(t, es, `{ item { ns s id } }`, nil, recoverFunc))
	require.Equal(t,
		`{"errors":[{"message":"recovered: boom","path":["nitem","nchild","s"]}],"data":{"nitem":{"nchild":{"s":null,"ns":"fine"}}}}`,
		run(t, es, `{ nitem { nchild { s ns } } }`, nil, recoverFunc))

	// Items with a resolver-backed field complete concurrently, each
	// recovering on its own.
	es = newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items":   value(panickyList{item{"s": "a"}, item{}, item{"s": "c"}}),
		"Item.resolved": value("r"),
	})
	require.Equal(t,
		`{"errors":[{"message":"recovered: element boom","path":["items",1]}],"data":{"items":[{"s":"a","resolved":"r"},null,{"s":"c","resolved":"r"}]}}`,
		run(t, es, `{ items { s resolved } }`, nil, recoverFunc))
}

// TestCustomScalars checks Config.Scalars: custom coercion of input and
// output values, also replacing the default of DateTime, and a Marshal
// error as the field's error.
func TestCustomScalars(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL})
	require.NoError(t, err)
	es := dynamic.New(dynamic.Config{
		Schema: schema,
		Resolvers: map[string]dynamic.FieldResolver{
			"Query.echo": func(_ context.Context, _ any, args map[string]any) (any, error) { return describe(args), nil },
			"Query.item": value(item{"dt": "now", "j": 1}),
		},
		Scalars: map[string]dynamic.Scalar{
			"DateTime": {
				Unmarshal: func(v any) (any, error) { return "in:" + v.(string), nil },
				Marshal:   func(v any) (graphql.Marshaler, error) { return graphql.MarshalString("out:" + v.(string)), nil },
			},
			"JSON": {
				Unmarshal: func(v any) (any, error) { return v, nil },
				Marshal:   func(any) (graphql.Marshaler, error) { return nil, errors.New("not JSON") },
			},
		},
	})
	require.Equal(t,
		`{"errors":[{"message":"dynamic: JSON: not JSON","path":["item","j"]}],"data":{"echo":"{dt:string(in:x),s:string(def)}","item":{"dt":"out:now","j":null}}}`,
		run(t, es, `{ echo(dt: "x") item { dt j } }`, nil))
}
