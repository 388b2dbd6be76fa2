package limits_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/internal/limits"
)

func parse(t testing.TB, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	require.NoError(t, err)
	return doc
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  limits.Measures
	}{
		{"one field", `{ a }`, limits.Measures{Depth: 1, RootFields: 1, Fields: 1, Total: 1}},
		{"nested field", `{ a { b } }`, limits.Measures{Depth: 2, RootFields: 1, Fields: 2, Total: 2}},
		{"aliases", `{ x: a y: a a }`, limits.Measures{Depth: 1, Aliases: 2, RootFields: 3, Fields: 3, Total: 3}},
		{"an alias equal to the name is no alias", `{ a: a }`, limits.Measures{Depth: 1, RootFields: 1, Fields: 1, Total: 1}},
		{"root inline fragment", `{ ... on Query { a b } }`, limits.Measures{Depth: 1, RootFields: 2, Fields: 3, Total: 3}},
		{"root fragment spread", `{ ...F } fragment F on Query { a b }`, limits.Measures{Depth: 1, RootFields: 2, Fields: 3, Total: 5}},
		{
			"fragment with 3 aliases spread 4 times",
			`{ a { ...F } b { ...F } c { ...F } d { ...F } } fragment F on T { x: f y: f z: f }`,
			limits.Measures{Depth: 2, Aliases: 12, RootFields: 4, Fields: 4 * (1 + 1 + 3), Total: 23},
		},
		{
			"nested fragments",
			`{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { ...H } } fragment H on T { d }`,
			limits.Measures{Depth: 4, RootFields: 1, Fields: 7, Total: 16},
		},
		{
			"fragment spread inside an inline fragment",
			`{ ... on Query { ...F } } fragment F on Query { x: a }`,
			limits.Measures{Depth: 1, Aliases: 1, RootFields: 1, Fields: 3, Total: 4},
		},
		{
			// The operation expands A (a, B (b, A: cut)); A is measured
			// once, B while A is under way.
			"fragment cycle",
			`{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }`,
			limits.Measures{Depth: 1, RootFields: 2, Fields: 5, Total: 11},
		},
		{"fragment spreading itself", `fragment A on Query { a { ...A } }`, limits.Measures{Depth: 1, Fields: 2, Total: 2}},
		{"a fragment's fields are not root fields", `{ goods { ...F } } fragment F on Goods { a b c }`, limits.Measures{Depth: 2, RootFields: 1, Fields: 5, Total: 8}},
		{"undefined fragment", `{ a ...Missing }`, limits.Measures{Depth: 1, RootFields: 1, Fields: 2, Total: 2}},
		{
			"unused fragment",
			`{ a } fragment F on Query { x { y { z } } p q r s }`,
			limits.Measures{Depth: 3, RootFields: 1, Fields: 7, Total: 8},
		},
		{
			"introspection",
			`{ __schema { types { fields { type { ofType { name } } } } } }`,
			limits.Measures{Depth: 6, RootFields: 1, Fields: 6, Total: 6},
		},
		{
			// 1 selection, 5 values in its argument, 1 in its directive,
			// 2 in the variable's default.
			"argument values count in the total",
			`query($v: [Int] = [1]) { a(x: [1, 2, {y: 3}]) @include(if: true) }`,
			limits.Measures{Depth: 1, RootFields: 1, Fields: 1, Directives: 1, Total: 9},
		},
		{"__typename", `{ __typename a { __typename } }`, limits.Measures{Depth: 2, RootFields: 2, Fields: 3, Total: 3}},
		{
			"the largest of several operations",
			`query A { a { b } c } query B { x: a y: a }`,
			limits.Measures{Depth: 2, Aliases: 2, RootFields: 2, Fields: 3, OperationName: 1, Total: 5},
		},
		{
			"directives at every location",
			`query Q($v: Int @a @b @c) @a { f @a @b ... on Query @a { g } ...F @a @b } fragment F on Query @a @b @c @d { h }`,
			limits.Measures{Depth: 1, RootFields: 3, Fields: 5, Directives: 4, OperationName: 1, Total: 6},
		},
		{
			"operation name in bytes",
			`query Short { a } query LongerName { a } query B { a }`,
			limits.Measures{Depth: 1, RootFields: 1, Fields: 1, OperationName: len("LongerName"), Total: 3},
		},
		{
			// 2^40 selections: every sum saturates.
			"fragment DAG doubling at each level",
			doubling(40),
			limits.Measures{Depth: 1, Aliases: math.MaxInt32, RootFields: math.MaxInt32, Fields: math.MaxInt32, Total: math.MaxInt32},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, limits.Measure(parse(t, tt.query)))
		})
	}
}

func TestMeasureNil(t *testing.T) {
	require.Equal(t, limits.Measures{}, limits.Measure(nil))
	require.Equal(t, limits.Measures{}, limits.Measure(&ast.QueryDocument{}))
}

// doubling returns a document whose fragment F<n> spreads F<n-1> twice,
// down to F0 with one aliased field: 2^n fields from a few lines.
func doubling(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ ...F%d }\nfragment F0 on Query { x: a }\n", n)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// TestMeasureGraphiQLIntrospection checks that the introspection query
// GraphiQL sends (graphql-js 16's getIntrospectionQuery with every option
// on) passes the default limits, and pins its measures: schema tools must
// keep working under the defaults.
func TestMeasureGraphiQLIntrospection(t *testing.T) {
	query, err := os.ReadFile(filepath.Join("testdata", "introspection.graphql"))
	require.NoError(t, err)
	m := limits.Measure(parse(t, string(query)))
	t.Logf("%+v", m)
	require.Equal(t, limits.Measures{
		Depth:         15,
		RootFields:    1,
		Fields:        240,
		OperationName: len("IntrospectionQuery"),
		Total:         498,
	}, m)
	require.NoError(t, limits.Defaults().Check(m))
}

func TestMeasureAllocations(t *testing.T) {
	noFragments := parse(t, `{ a { b c { d } } e: f ... on Query { g } }`)
	require.Zero(t, testing.AllocsPerRun(100, func() { limits.Measure(noFragments) }))

	// The memo is allocated once per document, not per selection or
	// per spread.
	small := parse(t, "{ ...F }\nfragment F on Query {\n"+nestedInline(10)+"}")
	large := parse(t, "{ ...F }\nfragment F on Query {\n"+nestedInline(600)+"}")
	allocs := testing.AllocsPerRun(100, func() { limits.Measure(small) })
	require.LessOrEqual(t, allocs, 2.0)
	require.Equal(t, allocs, testing.AllocsPerRun(100, func() { limits.Measure(large) }))
}

// nestedInlineBomb returns the document of the gateway's first denial of
// service: n inline fragments, each nested in the one before and each
// selecting goodsList(first: 100) { nodes { id } }.
func nestedInlineBomb(n int) string {
	return "{\n" + nestedInline(n) + "}\n"
}

// nestedInline returns the selections of nestedInlineBomb.
func nestedInline(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString("... on Query { goodsList(first: 100) { nodes { id } }\n")
	}
	b.WriteString(strings.Repeat("}", n))
	b.WriteString("\n")
	return b.String()
}

func BenchmarkMeasure(b *testing.B) {
	introspection, err := os.ReadFile(filepath.Join("testdata", "introspection.graphql"))
	require.NoError(b, err)
	docs := []struct {
		name  string
		query string
	}{
		{"small", `query Q($id: ID!) { goods(id: $id) { id name price } }`},
		{"introspection", string(introspection)},
		{"nested inline fragments 600", nestedInlineBomb(600)},
		{"typename 14990", "{" + strings.Repeat(" __typename", 14990) + " }"},
		{"fragment DAG 40", doubling(40)},
	}
	for _, d := range docs {
		doc := parse(b, d.query)
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(d.query)))
			for b.Loop() {
				limits.Measure(doc)
			}
		})
	}
}
