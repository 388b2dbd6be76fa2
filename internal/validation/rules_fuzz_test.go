package validation_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tenantgraph/tenantgraph/internal/validation"
)

// messySchema has something for every rule to refuse: arguments required
// or not, enums, input objects nested, required, @oneOf, lists, a custom
// scalar, directives repeatable or not, an interface and a union.
const messySchema = `
directive @tag(name: String!) repeatable on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT | QUERY
directive @once(n: Int = 1) on FIELD | FRAGMENT_DEFINITION | VARIABLE_DEFINITION
scalar Date
enum Color { RED GREEN BLUE }
input Range { min: Int max: Int! = 10 }
input Filter { color: Color colors: [Color!] range: Range! name: String at: Date }
input Pick @oneOf { id: ID name: String }
interface Node { id: ID! }
type Item implements Node { id: ID! name(upper: Boolean): String color: Color items(filter: Filter, first: Int!): [Item] node: Node }
type Other implements Node { id: ID! size: Float! }
union Any = Item | Other
type Query { item(id: ID!): Item items(filter: Filter, pick: Pick, first: Int = 5): [Item!]! node: Node any: Any }
`

type messyGen struct {
	in       []byte
	b        strings.Builder
	constant bool // values may not be variables
}

func (g *messyGen) next(n int) int {
	if len(g.in) == 0 {
		return 0
	}
	v := int(g.in[0])
	g.in = g.in[1:]
	return v % n
}

func (g *messyGen) pick(options ...string) string { return options[g.next(len(options))] }

func (g *messyGen) value(depth int) string {
	v := g.anyValue(depth)
	if g.constant && strings.HasPrefix(v, "$") {
		return "1"
	}
	return v
}

func (g *messyGen) anyValue(depth int) string {
	if depth > 2 {
		return g.pick("1", `"x"`, "RED", "null", "$v", "$w", "2.5", "true")
	}
	switch g.next(12) {
	case 0:
		return "[" + g.value(depth+1) + " " + g.value(depth+1) + "]"
	case 1, 2:
		var fields []string
		for range g.next(4) {
			fields = append(fields, g.pick("color", "colors", "range", "name", "at", "min", "max", "id", "bogus")+": "+g.value(depth+1))
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	return g.pick("1", "-7", "99999999999", "9999999999999999999999", `"x"`, `"""y"""`, "RED", "PURPLE", "null", "$v", "$w", "$undefined", "2.5", "true")
}

func (g *messyGen) constValue() string {
	g.constant = true
	defer func() { g.constant = false }()
	return g.value(1)
}

func (g *messyGen) args(names ...string) string {
	n := g.next(3)
	if n == 0 {
		return ""
	}
	var args []string
	for range n {
		args = append(args, g.pick(names...)+": "+g.value(0))
	}
	return "(" + strings.Join(args, ", ") + ")"
}

func (g *messyGen) directives() string {
	var ds []string
	for range g.next(3) {
		switch g.next(5) {
		case 0:
			ds = append(ds, "@tag"+g.args("name", "x"))
		case 1:
			ds = append(ds, "@once"+g.args("n"))
		case 2:
			ds = append(ds, "@include(if: "+g.value(2)+")")
		case 3:
			ds = append(ds, "@skip"+g.args("if"))
		default:
			ds = append(ds, "@unknown")
		}
	}
	return strings.Join(ds, " ")
}

func (g *messyGen) selections(depth int) {
	g.b.WriteString("{ ")
	for range 1 + g.next(4) {
		switch k := g.next(10); {
		case k < 6 || depth > 3:
			name := g.pick("item", "items", "node", "any", "id", "name", "color", "size", "bogus", "__typename", "__schema", "__type")
			if g.next(4) == 0 {
				g.b.WriteString(g.pick("a", "b") + ": ")
			}
			g.b.WriteString(name + g.args("id", "filter", "pick", "first", "upper", "x", "name") + " " + g.directives() + " ")
			if g.next(3) > 0 {
				g.selections(depth + 1)
			}
		case k < 8:
			g.b.WriteString("... " + g.pick("", "on Item ", "on Other ", "on Node ", "on Any ", "on Query ", "on Color ", "on Nope ") + g.directives() + " ")
			g.selections(depth + 1)
		default:
			g.b.WriteString("..." + g.pick("F0", "F1", "F2", "Missing") + " " + g.directives() + " ")
		}
	}
	g.b.WriteString("} ")
}

func (g *messyGen) document() string {
	for i := range 1 + g.next(3) {
		fmt.Fprintf(&g.b, "query Q%d(%s: %s %s, $w: %s = %s) %s ", i,
			g.pick("$v", "$w"), g.pick("Int", "Filter", "[Color]", "Color!", "Item", "Nope", "Pick"), g.directives(),
			g.pick("Int", "Filter!", "String"), g.constValue(), g.directives())
		g.selections(0)
	}
	for i := range 3 {
		fmt.Fprintf(&g.b, "\nfragment F%d on %s %s ", i, g.pick("Item", "Other", "Node", "Any", "Query", "Color", "Nope"), g.directives())
		g.selections(1)
	}
	return g.b.String()
}

// outOfRangeDefault reports whether a variable of query has a default
// value with a number that gqlparser cannot build.
func outOfRangeDefault(query string) bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			if v.DefaultValue != nil {
				if _, err := v.DefaultValue.Value(nil); err != nil {
					return true
				}
			}
		}
	}
	return false
}

// FuzzRulesDifferential generates documents full of mistakes, their
// fragments often spread by several operations, and checks that Rules
// and gqlparser's default rules report the same errors, each counted
// once, from every rule but OverlappingFieldsCanBeMerged (see
// FuzzOverlapDifferential).
func FuzzRulesDifferential(f *testing.F) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: messySchema})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", "\x01\x02\x03\x04\x05", "\x05\x09\x07\x03\x01\x08\x02\x06\x04\x00\x09\x0b\x0a", strings.Repeat("\x07\x03", 40)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		query := (&messyGen{in: in}).document()
		if _, err := parser.ParseQuery(&ast.Source{Input: query}); err != nil {
			t.Fatalf("the generator wrote an invalid document: %v\n%s", err, query)
		}
		want := validate(schema, query, rules.NewDefaultRules())
		got := validate(schema, query, validation.Rules())
		for name := range rules.NewDefaultRules().GetInner() {
			if name == validation.OverlappingFieldsCanBeMerged.Name {
				continue
			}
			w, g := errorSet(want, name), errorSet(got, name)
			if name == validation.ValuesOfCorrectType.Name {
				w = slices.DeleteFunc(w, func(e string) bool {
					// gqlparser also reports a value that uses a variable
					// whose default is out of range (see
					// validation.ValuesOfCorrectType).
					return !slices.Contains(g, e) && strings.Contains(e, "$") && outOfRangeDefault(query)
				})
			}
			if !sameErrors(name, query, w, g) {
				t.Fatalf("rule %s differs on\n%s\ngqlparser: %q\nRules:     %q", name, query, w, g)
			}
		}
	})
}
