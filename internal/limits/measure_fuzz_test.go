package limits_test

import (
	"math"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/internal/limits"
)

// FuzzMeasure measures whatever gqlparser's parser accepts. Measure must
// not panic, every measure must be in [0, math.MaxInt32], and adding a
// field to any selection set must lower no measure, Fields above all, and
// must raise Total (the selection set belongs to some definition).
// (It need not raise Fields: another operation may be larger.)
func FuzzMeasure(f *testing.F) {
	for _, seed := range []string{
		`{ a }`,
		`query Q($v: Int @d) @d { a(x: $v) @d { b ... on T { c } ...F } }`,
		`{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }`,
		`fragment A on Query { a { ...A } }`,
		`{ a ...Missing }`,
		`{ ...F ...F } fragment F on Query { x: a ...G ...G } fragment G on Query { y: b }`,
		`{ __schema { types { fields { type { ofType { name } } } } } }`,
		`query A { a } query B { x: a } fragment F on Q @a @b { f }`,
	} {
		f.Add(seed, uint16(0))
		f.Add(seed, uint16(3))
	}
	f.Fuzz(func(t *testing.T, query string, at uint16) {
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		before := limits.Measure(doc)
		inRange(t, before)

		sets := selectionSets(doc)
		if len(sets) == 0 {
			return
		}
		set := sets[int(at)%len(sets)]
		*set = append(*set, &ast.Field{Alias: "added", Name: "added"})
		after := limits.Measure(doc)
		inRange(t, after)
		if after.Total <= before.Total && before.Total < math.MaxInt32 {
			t.Fatalf("adding a field did not raise the document's total:\nbefore %+v\nafter  %+v", before, after)
		}
		if after.Fields < before.Fields || after.Depth < before.Depth ||
			after.Aliases < before.Aliases || after.RootFields < before.RootFields ||
			after.Directives != before.Directives || after.OperationName != before.OperationName {
			t.Fatalf("adding a field lowered a measure:\nbefore %+v\nafter  %+v", before, after)
		}
	})
}

func inRange(t *testing.T, m limits.Measures) {
	t.Helper()
	for _, v := range []int{m.Depth, m.Aliases, m.RootFields, m.Fields, m.Directives, m.OperationName, m.Total} {
		if v < 0 || v > math.MaxInt32 {
			t.Fatalf("measure out of range: %+v", m)
		}
	}
}

// selectionSets returns every selection set written in doc, operations'
// and fragments' and those nested in them, as pointers that a test may
// append to.
func selectionSets(doc *ast.QueryDocument) []*ast.SelectionSet {
	var sets []*ast.SelectionSet
	var walk func(set *ast.SelectionSet)
	walk = func(set *ast.SelectionSet) {
		sets = append(sets, set)
		for _, sel := range *set {
			switch sel := sel.(type) {
			case *ast.Field:
				walk(&sel.SelectionSet)
			case *ast.InlineFragment:
				walk(&sel.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(&op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(&f.SelectionSet)
	}
	return sets
}
