package validation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tenantgraph/tenantgraph/internal/validation"
)

// docGen writes a random document over testdata/graphqljs/schema.graphql, driven by bytes.
type docGen struct {
	schema *ast.Schema
	in     []byte
	b      strings.Builder
	// spreadAll has the operation spread every fragment: gqlparser's rule
	// does not check the nested selection sets of unused fragments
	// (graphql-js and this package's rule do).
	spreadAll bool
}

func (g *docGen) next(n int) int {
	if len(g.in) == 0 {
		return 0
	}
	v := int(g.in[0])
	g.in = g.in[1:]
	return v % n
}

var (
	fuzzAliases = []string{"p", "q", "name", "size", "id"}
	fuzzArgs    = []string{"", "(x: 1)", "(x: 2)", "(y: 1, x: 1)", "(x: 1, y: 1)", "(x: $v)", "(id: 1)"}
)

// selectionSet writes a selection set of type t, reaching fragments
// F<min>... only, so that fragments cannot form a cycle.
func (g *docGen) selectionSet(t *ast.Definition, depth, minFrag int) {
	g.b.WriteString("{ ")
	g.selections(t, depth, minFrag)
	g.b.WriteString("} ")
}

func (g *docGen) selections(t *ast.Definition, depth, minFrag int) {
	n := 1 + g.next(4)
	for range n {
		switch k := g.next(10); {
		case k < 6 || depth > 3 || (k >= 8 && minFrag >= 4):
			g.field(t, depth, minFrag)
		case k < 8:
			// An inline fragment on a type that may or may not overlap t.
			cond := []string{"A", "B", "C", "Node", "Named", "U", ""}[g.next(7)]
			if cond == "" {
				g.b.WriteString("... ")
				g.selectionSet(t, depth+1, minFrag)
			} else {
				g.b.WriteString("... on " + cond + " ")
				g.selectionSet(g.schema.Types[cond], depth+1, minFrag)
			}
		default:
			fmt.Fprintf(&g.b, "...F%d ", minFrag+g.next(4-minFrag))
		}
	}
}

func (g *docGen) field(t *ast.Definition, depth, minFrag int) {
	var fields []*ast.FieldDefinition
	for _, f := range t.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 || g.next(8) == 0 {
		g.b.WriteString("__typename ")
		return
	}
	f := fields[g.next(len(fields))]
	if g.next(3) == 0 {
		g.b.WriteString(fuzzAliases[g.next(len(fuzzAliases))] + ": ")
	}
	g.b.WriteString(f.Name)
	if len(f.Arguments) > 0 {
		g.b.WriteString(fuzzArgs[g.next(len(fuzzArgs))])
	}
	g.b.WriteString(" ")
	if sub := g.schema.Types[f.Type.Name()]; sub != nil && !isLeafDef(sub) {
		g.selectionSet(sub, depth+1, minFrag)
	}
}

func isLeafDef(d *ast.Definition) bool { return d.Kind == ast.Scalar || d.Kind == ast.Enum }

func (g *docGen) document() string {
	g.b.WriteString("query($v: Int) { ")
	if g.spreadAll {
		g.b.WriteString("...F0 ...F1 ...F2 ...F3 ")
	}
	g.selections(g.schema.Query, 0, 0)
	g.b.WriteString("}")
	for i := range 4 {
		cond := []string{"A", "B", "C", "Node", "Named", "U", "Query"}[g.next(7)]
		fmt.Fprintf(&g.b, "\nfragment F%d on %s ", i, cond)
		g.selectionSet(g.schema.Types[cond], 1, i+1)
	}
	return g.b.String()
}

// FuzzOverlapDifferential generates documents over
// testdata/graphqljs/schema.graphql and checks
// that this package's rule and gqlparser's find a conflict in the same
// documents. (Unused fragments and undefined variables are errors of other
// rules; each rule is run alone.)
func FuzzOverlapDifferential(f *testing.F) {
	schema := loadFuzzSchema(f)
	for _, seed := range []string{"", "\x01\x02\x03", "\x07\x07\x07\x07\x07\x07\x07\x07", "\x00\x09\x08\x05\x03\x02\x01\x06\x04\x07\x00\x09\x09"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		g := &docGen{schema: schema, in: in, spreadAll: true}
		query := g.document()
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			t.Fatalf("the generator wrote an invalid document: %v\n%s", err, query)
		}
		ours := validator.ValidateWithRules(schema, doc, rules.NewRules(validation.OverlappingFieldsCanBeMerged))
		doc, _ = parser.ParseQuery(&ast.Source{Input: query})
		theirs := validator.ValidateWithRules(schema, doc, rules.NewRules(rules.OverlappingFieldsCanBeMergedRule))
		if (len(ours) > 0) != (len(theirs) > 0) {
			t.Fatalf("the rules disagree on\n%s\nthis package: %v\ngqlparser:    %v", query, ours, theirs)
		}
	})
}
