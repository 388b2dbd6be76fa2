package dynamic_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// TestArgumentCoercion checks what resolvers get for arguments: literals
// and variables coerced to their types, with the defaults of arguments and
// of input object fields applied, null told from absent, and errors at the
// path of the offending input.
func TestArgumentCoercion(t *testing.T) {
	es := newTestSchema(t, nil)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{{
		name:  "argument default",
		query: `{ echo }`,
		want:  `{"data":{"echo":"{s:string(def)}"}}`,
	}, {
		name:  "input object defaults in a literal",
		query: `{ echo(p: {}, s: null) }`,
		want:  `{"data":{"echo":"{p:{color:string(RED),x:int(1),y:int(2)},s:nil}"}}`,
	}, {
		name:  "input object defaults in a variable",
		query: `query($p: Point) { echo(p: $p) }`,
		vars:  map[string]any{"p": map[string]any{"tags": "one", "inner": map[string]any{"n": json.Number("2.5")}}},
		want:  `{"data":{"echo":"{p:{color:string(RED),inner:{deep:string(d),n:float64(2.5)},tags:[string(one)],x:int(1),y:int(2)},s:string(def)}"}}`,
	}, {
		name:  "null is not absent",
		query: `{ echo(p: {y: null, inner: null, tags: null}) }`,
		want:  `{"data":{"echo":"{p:{color:string(RED),inner:nil,tags:nil,x:int(1),y:nil},s:string(def)}"}}`,
	}, {
		name:  "a variable left out is absent, and its argument's default applies",
		query: `query($s: String, $p: Point) { echo(s: $s, p: $p) }`,
		want:  `{"data":{"echo":"{s:string(def)}"}}`,
	}, {
		name:  "a variable left out in an object is absent, and the field's default applies",
		query: `query($y: Int, $c: Color) { echo(p: {y: $y, color: $c}) }`,
		want:  `{"data":{"echo":"{p:{color:string(RED),x:int(1),y:int(2)},s:string(def)}"}}`,
	}, {
		name:  "defaults in lists of objects",
		query: `{ echo(ps: [{inner: {}}, {inners: {n: 1}}]) }`,
		want:  `{"data":{"echo":"{ps:[{color:string(RED),inner:{deep:string(d)},x:int(1),y:int(2)},{color:string(RED),inners:[{deep:string(d),n:float64(1)}],x:int(1),y:int(2)}],s:string(def)}"}}`,
	}, {
		name:  "enums",
		query: `{ echo(c: GREEN, cs: [RED, null]) }`,
		want:  `{"data":{"echo":"{c:string(GREEN),cs:[string(RED),nil],s:string(def)}"}}`,
	}, {
		name:  "a single value where a list is due",
		query: `{ echo(cs: BLUE, ss: [["a"], null, "b"]) }`,
		want:  `{"data":{"echo":"{cs:[string(BLUE)],s:string(def),ss:[[string(a)],nil,[string(b)]]}"}}`,
	}, {
		name:  "scalars from literals",
		query: `{ echo(id: 42, i: -7, f: 3, b: true, dt: "2026-01-02T03:04:05.5+01:00") }`,
		want:  `{"data":{"echo":"{b:bool(true),dt:time(2026-01-02T03:04:05.5+01:00),f:float64(3),i:int(-7),id:string(42),s:string(def)}"}}`,
	}, {
		name:  "scalars from variables",
		query: `query($id: ID, $i: Int, $f: Float, $p: Point) { echo(id: $id, i: $i, f: $f, p: $p) }`,
		vars:  map[string]any{"id": json.Number("42"), "i": json.Number("7"), "f": json.Number("1e3"), "p": map[string]any{"x": json.Number("3")}},
		want:  `{"data":{"echo":"{f:float64(1000),i:int(7),id:string(42),p:{color:string(RED),x:int(3),y:int(2)},s:string(def)}"}}`,
	}, {
		name:  "an enum variable of another case passes validation, not coercion",
		query: `query($c: Color) { echo(c: $c) }`,
		vars:  map[string]any{"c": "green"},
		want:  `{"errors":[{"message":"green is not a valid Color","path":["echo","c"]}],"data":{"echo":null}}`,
	}, {
		name:  "a malformed DateTime",
		query: `{ echo(dt: "yesterday") }`,
		want:  `{"errors":[{"message":"\"yesterday\" is not an RFC 3339 date-time such as 2026-11-22T09:30:00Z","path":["echo","dt"]}],"data":{"echo":null}}`,
	}, {
		name:  "an error deep in a list of objects",
		query: `query($ps: [Point!]) { echo(ps: $ps) }`,
		vars:  map[string]any{"ps": []any{map[string]any{}, map[string]any{"inner": map[string]any{}, "when": json.Number("5")}}},
		want:  `{"errors":[{"message":"DateTime must be an RFC 3339 string, not json.Number","path":["echo","ps",1,"when"]}],"data":{"echo":null}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.JSONEq(t, tt.want, run(t, es, tt.query, tt.vars))
		})
	}
}

// TestArgumentErrorsPerOccurrence checks that a field whose arguments
// fail to coerce reports the error at each of its paths, as generated
// code, which coerces arguments for each value, does.
func TestArgumentErrorsPerOccurrence(t *testing.T) {
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items": value([]any{item{}, item{}}),
	})
	var resp struct {
		Errors []struct {
			Message string
			Path    []any
		}
		Data json.RawMessage
	}
	out := run(t, es, `{ items { echo(p: {when: "soon"}) ok: echo(c: RED) } }`, nil)
	require.NoError(t, json.Unmarshal([]byte(out), &resp))
	require.JSONEq(t, `{"items":[{"echo":null,"ok":"{c:string(RED)}"},{"echo":null,"ok":"{c:string(RED)}"}]}`, string(resp.Data))
	var paths []string
	for _, e := range resp.Errors {
		require.Equal(t, `"soon" is not an RFC 3339 date-time such as 2026-11-22T09:30:00Z`, e.Message)
		b, _ := json.Marshal(e.Path)
		paths = append(paths, string(b))
	}
	slices.Sort(paths) // the items complete concurrently
	require.Equal(t, []string{`["items",0,"echo","p","when"]`, `["items",1,"echo","p","when"]`}, paths)
}

// TestArgsShared checks that the resolvers of one field get the same
// arguments, one map as FieldResolver documents, however many values the
// field is resolved for.
func TestArgsShared(t *testing.T) {
	var (
		mu   sync.Mutex
		maps = make(map[uintptr]bool)
	)
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.items": value([]any{item{}, item{}, item{}}),
		"Item.echo": func(_ context.Context, _ any, args map[string]any) (any, error) {
			mu.Lock()
			maps[reflect.ValueOf(args).Pointer()] = true
			mu.Unlock()
			return describe(args), nil
		},
	})
	out := run(t, es, `query($c: Color = BLUE) { items { echo(c: $c, p: {tags: ["a"]}) } }`, nil)
	want := `{"echo":"{c:string(BLUE),p:{color:string(RED),tags:[string(a)],x:int(1),y:int(2)}}"}`
	require.JSONEq(t, `{"data":{"items":[`+strings.Repeat(want+",", 2)+want+`]}}`, out)
	require.Len(t, maps, 1, "argument maps")
}
