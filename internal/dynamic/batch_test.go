package dynamic_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// node is an Item by pointer, so that a batch can tell values apart.
type node struct {
	s     string
	child *node
}

func (n *node) FieldValue(name string) any {
	switch name {
	case "s":
		return &n.s
	case "ns":
		return &n.s
	case "child":
		if n.child == nil {
			return nil
		}
		return n.child
	}
	return nil
}

// batchCalls records the calls of a test Batch.
type batchCalls struct {
	mu    sync.Mutex
	calls [][]string // the s of each call's parents
	names [][]string // the names of each call's fields
}

// fieldMap is a dynamic.Object of its entries.
type fieldMap map[string]any

func (m fieldMap) FieldValue(name string) any { return m[name] }

func (c *batchCalls) resolve(_ context.Context, parents []any, fields []graphql.CollectedField) ([]dynamic.Object, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ss, names []string
	for _, f := range fields {
		names = append(names, f.Alias+":"+f.Name)
	}
	values := make([]dynamic.Object, len(parents))
	errs := make([]error, len(parents))
	for i, p := range parents {
		n := p.(*node)
		ss = append(ss, n.s)
		switch n.s {
		case "bad":
			errs[i] = errors.New("no value for bad")
			continue
		case "null":
			values[i] = fieldMap{"resolved": "r-null"} // nresolved null
			continue
		case "odd":
			values[i] = fieldMap{"resolved": []int{12}, "nresolved": "n-odd"}
			continue
		}
		values[i] = fieldMap{"resolved": "r-" + n.s, "nresolved": "n-" + n.s}
	}
	c.calls = append(c.calls, ss)
	c.names = append(c.names, names)
	return values, errs
}

func TestBatch(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL})
	require.NoError(t, err)
	a, b := &node{s: "a"}, &node{s: "b"}
	bad, null, odd := &node{s: "bad"}, &node{s: "null"}, &node{s: "odd"}
	a.child, b.child = &node{s: "ac"}, &node{s: "bc"}
	shared := &node{s: "shared"}
	x, y := &node{s: "x", child: shared}, &node{s: "y", child: shared}
	newSchema := func(c *batchCalls, items []any) *dynamic.ExecutableSchema {
		return dynamic.New(dynamic.Config{
			Schema: schema,
			Resolvers: map[string]dynamic.FieldResolver{
				"Query.items": value(items),
				"Query.item":  value(a),
			},
			Batches: []*dynamic.Batch{{Type: "Item", Fields: []string{"resolved", "nresolved"}, Resolve: c.resolve}},
		})
	}

	for _, tt := range []struct {
		name, query string
		items       []any
		want        string
		calls       [][]string
		names       [][]string
	}{
		{
			name:  "a list is one call, duplicates once",
			query: `{ items { s resolved r2: resolved } }`, items: []any{a, b, a},
			want:  `{"data":{"items":[{"s":"a","resolved":"r-a","r2":"r-a"},{"s":"b","resolved":"r-b","r2":"r-b"},{"s":"a","resolved":"r-a","r2":"r-a"}]}}`,
			calls: [][]string{{"a", "b"}}, names: [][]string{{"resolved:resolved", "r2:resolved"}},
		},
		{
			name:  "the objects below a list's objects are one call too",
			query: `{ items { child { resolved } } }`, items: []any{a, b},
			want:  `{"data":{"items":[{"child":{"resolved":"r-ac"}},{"child":{"resolved":"r-bc"}}]}}`,
			calls: [][]string{{"ac", "bc"}}, names: [][]string{{"resolved:resolved"}},
		},
		{
			name:  "a single object alone",
			query: `{ item { nresolved } }`,
			want:  `{"data":{"item":{"nresolved":"n-a"}}}`,
			calls: [][]string{{"a"}}, names: [][]string{{"nresolved:nresolved"}},
		},
		{
			name:  "an error for one parent is at its fields' paths; non-null propagates",
			query: `{ items { s resolved nresolved } }`, items: []any{a, bad},
			want:  `{"errors":[{"message":"no value for bad","path":["items",1,"resolved"],"locations":[{"line":1,"column":13}]},{"message":"no value for bad","path":["items",1,"nresolved"],"locations":[{"line":1,"column":22}]}],"data":{"items":[{"s":"a","resolved":"r-a","nresolved":"n-a"},null]}}`,
			calls: [][]string{{"a", "bad"}}, names: [][]string{{"resolved:resolved", "nresolved:nresolved"}},
		},
		{
			name:  "a null element is left out of the call and stays null",
			query: `{ items { s resolved } }`, items: []any{a, nil, b, nil},
			want:  `{"data":{"items":[{"s":"a","resolved":"r-a"},null,{"s":"b","resolved":"r-b"},null]}}`,
			calls: [][]string{{"a", "b"}}, names: [][]string{{"resolved:resolved"}},
		},
		{
			name:  "duplicates among a null, each in its place",
			query: `{ items { s nresolved } }`, items: []any{b, nil, a, b, bad, a},
			want:  `{"errors":[{"message":"no value for bad","path":["items",4,"nresolved"],"locations":[{"line":1,"column":13}]}],"data":{"items":[{"s":"b","nresolved":"n-b"},null,{"s":"a","nresolved":"n-a"},{"s":"b","nresolved":"n-b"},null,{"s":"a","nresolved":"n-a"}]}}`,
			calls: [][]string{{"b", "a", "bad"}}, names: [][]string{{"nresolved:nresolved"}},
		},
		{
			name:  "an object below two of a list's objects is resolved once",
			query: `{ items { s child { s resolved } } }`, items: []any{x, y},
			want:  `{"data":{"items":[{"s":"x","child":{"s":"shared","resolved":"r-shared"}},{"s":"y","child":{"s":"shared","resolved":"r-shared"}}]}}`,
			calls: [][]string{{"shared"}}, names: [][]string{{"resolved:resolved"}},
		},
		{
			name:  "aliases and __typename among a batch's fields",
			query: `{ items { t: __typename r: resolved s n: nresolved __typename } }`, items: []any{a, b},
			want:  `{"data":{"items":[{"t":"Item","r":"r-a","s":"a","n":"n-a","__typename":"Item"},{"t":"Item","r":"r-b","s":"b","n":"n-b","__typename":"Item"}]}}`,
			calls: [][]string{{"a", "b"}}, names: [][]string{{"r:resolved", "n:nresolved"}},
		},
		{
			name:  "a null for a non-null field propagates, a value of the wrong type is an error, each at its path",
			query: `{ items { s resolved nresolved } }`, items: []any{a, null, odd},
			want:  `{"errors":[{"message":"the requested element is null which the schema does not allow","path":["items",1,"nresolved"]},{"message":"dynamic: String cannot represent a value of type []int: [12]","path":["items",2,"resolved"]}],"data":{"items":[{"s":"a","resolved":"r-a","nresolved":"n-a"},null,{"s":"odd","resolved":null,"nresolved":"n-odd"}]}}`,
			calls: [][]string{{"a", "null", "odd"}}, names: [][]string{{"resolved:resolved", "nresolved:nresolved"}},
		},
		{
			name:  "no call when no batch field is selected",
			query: `{ items { s } }`, items: []any{a, b},
			want: `{"data":{"items":[{"s":"a"},{"s":"b"}]}}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &batchCalls{}
			require.Equal(t, tt.want, run(t, newSchema(c, tt.items), tt.query, nil))
			require.Equal(t, tt.calls, c.calls)
			require.Equal(t, tt.names, c.names)
		})
	}
}
