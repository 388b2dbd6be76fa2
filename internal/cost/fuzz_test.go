package cost_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// FuzzCost costs arbitrary documents, valid or not, against the base
// schema, with arbitrary variables. Operation must never panic, and the
// cost must be monotone: adding a field to any selection set of the
// document never lowers the cost of any of its operations. The seeds are
// the differential corpus of internal/dynamic, besides testdata/fuzz.
func FuzzCost(f *testing.F) {
	corpus, err := filepath.Glob(filepath.Join("..", "dynamic", "testdata", "corpus", "*.graphql"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range corpus {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		vars, _ := os.ReadFile(strings.TrimSuffix(name, ".graphql") + ".vars.json")
		f.Add(string(b), string(vars))
	}
	f.Add(w1, `{"id": "1"}`)
	f.Add(`query($n: Int, $s: Boolean!) { goodsList(first: $n) @skip(if: $s) { ...C } } fragment C on GoodsConnection { nodes { id } ...C }`, `{"n": 3, "s": false}`)

	s := compileTenant(f, "", "")
	f.Fuzz(func(t *testing.T, query, varsJSON string) {
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		var vars map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(varsJSON)))
		dec.UseNumber()
		_ = dec.Decode(&vars)

		// Operation's time is linear in the document; the check's is
		// quadratic, so it looks at a few operations and selection sets.
		ops := doc.Operations
		if len(ops) > 4 {
			ops = ops[:4]
		}
		before := make([]int, len(ops))
		for i, op := range ops {
			start := time.Now()
			before[i] = s.Cost.Operation(doc, op, vars)
			if d := time.Since(start); d > time.Second {
				t.Fatalf("operation %d took %s", i, d)
			}
			if before[i] < 0 {
				t.Fatalf("operation %d costs %d", i, before[i])
			}
		}

		sets := selectionSets(doc)
		if len(sets) > 16 {
			sets = sets[:16]
		}
		for _, set := range sets {
			for _, extra := range extraFields(*set) {
				*set = append(*set, extra)
				for i, op := range ops {
					if after := s.Cost.Operation(doc, op, vars); after < before[i] {
						t.Fatalf("adding %s to a selection set lowers the cost of operation %d from %d to %d", extra.Name, i, before[i], after)
					}
				}
				*set = (*set)[:len(*set)-1]
			}
		}
	})
}

// selectionSets returns every selection set of doc, outermost first.
func selectionSets(doc *ast.QueryDocument) []*ast.SelectionSet {
	var out []*ast.SelectionSet
	var walk func(set *ast.SelectionSet)
	walk = func(set *ast.SelectionSet) {
		out = append(out, set)
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
	for _, frag := range doc.Fragments {
		walk(&frag.SelectionSet)
	}
	return out
}

// extraFields returns fields to add to set: a copy of each of its fields,
// and fields of the base schema that cost something.
func extraFields(set ast.SelectionSet) []*ast.Field {
	out := []*ast.Field{
		{Name: "id", Alias: "id"},
		{Name: "totalCount", Alias: "x1"},
		{Name: "goods", Alias: "x2", SelectionSet: ast.SelectionSet{&ast.Field{Name: "id", Alias: "id"}}},
		{Name: "nodes", Alias: "x3", SelectionSet: ast.SelectionSet{&ast.Field{Name: "id", Alias: "id"}}},
		{Name: "__schema", Alias: "x4", SelectionSet: ast.SelectionSet{&ast.Field{Name: "description", Alias: "description"}}},
	}
	for _, sel := range set {
		if f, ok := sel.(*ast.Field); ok && len(out) < 8 {
			c := *f
			out = append(out, &c)
		}
	}
	return out
}

// TestOperationLinear costs a document whose fragments expand to 2^60
// selections: the cost saturates, and the walk visits each fragment once.
func TestOperationLinear(t *testing.T) {
	s := compileTenant(t, "", "")
	var b strings.Builder
	b.WriteString("{ goodsList(first: 100) { ...F0 } }\n")
	const levels = 60
	for i := range levels {
		b.WriteString("fragment F" + strconv.Itoa(i) + " on GoodsConnection { ...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1) + " }\n")
	}
	b.WriteString("fragment F" + strconv.Itoa(levels) + " on GoodsConnection { nodes { id } }\n")
	doc, err := parser.ParseQuery(&ast.Source{Input: b.String()})
	require.NoError(t, err)

	start := time.Now()
	got := s.Cost.Operation(doc, doc.Operations[0], nil)
	require.Equal(t, math.MaxInt, got)
	require.Less(t, time.Since(start), time.Second)

	// Cycles, which validation refuses, cost nothing and end.
	doc, err = parser.ParseQuery(&ast.Source{Input: `{ goodsList { ...A } } fragment A on GoodsConnection { nodes { id } ...B } fragment B on GoodsConnection { ...A totalCount }`})
	require.NoError(t, err)
	require.Equal(t, 1+20+20, s.Cost.Operation(doc, doc.Operations[0], nil))
}
