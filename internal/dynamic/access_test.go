package dynamic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// denyList is an Access that refuses the members it lists, by
// "Type.member".
type denyList map[string]bool

func (d denyList) check(typ, member string) error {
	if d[typ+"."+member] {
		return errors.New("no access to " + typ + "." + member)
	}
	return nil
}

func (d denyList) Field(object, field string) error     { return d.check(object, field) }
func (d denyList) InputField(input, field string) error { return d.check(input, field) }
func (d denyList) EnumValue(enum, value string) error   { return d.check(enum, value) }
func (d denyList) RestrictsEnum(enum string) bool {
	for k := range d {
		if len(k) > len(enum) && k[:len(enum)+1] == enum+"." {
			return true
		}
	}
	return false
}

func TestAccess(t *testing.T) {
	var calls atomic.Int64
	counted := func(v any) dynamic.FieldResolver {
		return func(context.Context, any, map[string]any) (any, error) { calls.Add(1); return v, nil }
	}
	es := newTestSchema(t, map[string]dynamic.FieldResolver{
		"Query.item":    counted(item{"s": "a", "ns": "b", "c": "GREEN", "nc": "GREEN", "nchild": item{"s": "x", "ns": "y"}}),
		"Query.items":   counted([]any{item{"s": "1", "ns": "n1", "nc": "RED"}, item{"s": "2", "ns": "n2", "nc": "GREEN"}}),
		"Mutation.step": counted(1),
	})
	deny := denyList{
		"Item.ns": true, "Item.s2": true, "Query.nitem": true, "Mutation.step": true,
		"Point.tags": true, "Color.BLUE": true, "Color.GREEN": true,
	}
	ctx := dynamic.WithAccess(context.Background(), deny)

	tests := []struct {
		name, query string
		vars        map[string]any
		want        string
		calls       int64
	}{
		{
			name:  "a forbidden nullable field is null with an error; its siblings resolve",
			query: `{ item { s ns2: s } }`,
			want:  `{"data":{"item":{"s":"a","ns2":"a"}}}`, calls: 1,
		},
		{
			name:  "a forbidden non-null field nulls its parent",
			query: `{ item { s ns } }`,
			want:  `{"errors":[{"message":"no access to Item.ns","path":["item","ns"],"locations":[{"line":1,"column":12}]}],"data":{"item":null}}`, calls: 1,
		},
		{
			name:  "a forbidden root field runs no resolver, and null propagates to data",
			query: `{ nitem { s } }`,
			want:  `{"errors":[{"message":"no access to Query.nitem","path":["nitem"],"locations":[{"line":1,"column":3}]}],"data":null}`,
		},
		{
			name:  "a forbidden field in every element of a list",
			query: `{ items { ns } }`,
			want:  `{"errors":[{"message":"no access to Item.ns","path":["items",0,"ns"],"locations":[{"line":1,"column":11}]},{"message":"no access to Item.ns","path":["items",1,"ns"],"locations":[{"line":1,"column":11}]}],"data":{"items":[null,null]}}`, calls: 1,
		},
		{
			name:  "a forbidden mutation changes nothing",
			query: `mutation { step(n: 1) }`,
			want:  `{"errors":[{"message":"no access to Mutation.step","path":["step"],"locations":[{"line":1,"column":12}]}],"data":null}`,
		},
		{
			name:  "a forbidden input field in a literal",
			query: `{ echo(p: {tags: ["a"]}) }`,
			want:  `{"errors":[{"message":"no access to Point.tags","path":["echo"],"locations":[{"line":1,"column":3}]}],"data":{"echo":null}}`,
		},
		{
			name:  "a forbidden input field in a variable, in a list",
			query: `query($ps: [Point!]) { echo(ps: $ps) }`,
			vars:  map[string]any{"ps": []any{map[string]any{"x": 1}, map[string]any{"tags": []any{}}}},
			want:  `{"errors":[{"message":"no access to Point.tags","path":["echo"],"locations":[{"line":1,"column":24}]}],"data":{"echo":null}}`,
		},
		{
			name:  "a forbidden enum value as an argument",
			query: `{ echo(cs: [RED, BLUE]) }`,
			want:  `{"errors":[{"message":"no access to Color.BLUE","path":["echo"],"locations":[{"line":1,"column":3}]}],"data":{"echo":null}}`,
		},
		{
			name:  "allowed inputs pass",
			query: `{ echo(p: {x: 3}, c: RED) }`,
			want:  `{"data":{"echo":"{c:string(RED),p:{color:string(RED),x:int(3),y:int(2)},s:string(def)}"}}`,
		},
		{
			// One root field per query: root fields resolve concurrently,
			// so the order of their errors is not fixed.
			name:  "a forbidden enum value in a result",
			query: `{ item { c } }`,
			want:  `{"errors":[{"message":"no access to Color.GREEN","path":["item","c"]}],"data":{"item":{"c":null}}}`, calls: 1,
		},
		{
			name:  "a forbidden enum value in a list, non-null",
			query: `{ items { nc } }`,
			want:  `{"errors":[{"message":"no access to Color.GREEN","path":["items",1,"nc"]}],"data":{"items":[{"nc":"RED"},null]}}`, calls: 1,
		},
		{
			name:  "introspection is not asked about",
			query: `{ __type(name: "Item") { name } }`,
			want:  `{"data":{"__type":{"name":"Item"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			// Elements of a list complete concurrently: the order of
			// their errors is not fixed.
			require.JSONEq(t, sortedErrors(t, tt.want), sortedErrors(t, runContext(t, ctx, es, tt.query, tt.vars)))
			require.Equal(t, tt.calls, calls.Load(), "resolvers called")
		})
	}

	t.Run("without an Access everything is allowed", func(t *testing.T) {
		require.Equal(t, `{"data":{"item":{"s":"a","ns":"b"}}}`, run(t, es, `{ item { s ns } }`, nil))
	})
}

// sortedErrors returns the response resp with its errors sorted by path.
func sortedErrors(t *testing.T, resp string) string {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp), &v))
	if errs, ok := v["errors"].([]any); ok {
		slices.SortFunc(errs, func(a, b any) int {
			return strings.Compare(fmt.Sprint(a.(map[string]any)["path"]), fmt.Sprint(b.(map[string]any)["path"]))
		})
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
