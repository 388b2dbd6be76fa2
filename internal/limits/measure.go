package limits

import (
	"math"

	"github.com/vektah/gqlparser/v2/ast"
)

// Measures are the sizes of a document that Limits bound. Each is the
// largest over every operation and every fragment definition of the
// document, used or not: validation looks at all of them, so all of them
// must be bounded before it runs. The one exception is RootFields, which
// only operations have.
type Measures struct {
	// Depth is the deepest nesting of fields: { a { b } } has depth 2.
	// Fields inside fragments count where the fragment is spread, and
	// introspection fields count like any other.
	Depth int
	// Aliases counts the aliased fields of an operation, every fragment
	// spread expanded in place: a fragment with 3 aliases spread 4 times
	// counts 12.
	Aliases int
	// RootFields counts the fields of an operation's root selection set,
	// inline fragments and fragment spreads expanded: a root
	// `... on Query { a b }` counts 2. A fragment's fields are root
	// fields where an operation spreads it at its root, and only there:
	// `fragment F on Goods` with 25 fields is not 25 root fields.
	RootFields int
	// Fields counts the selections of an operation (fields, inline
	// fragments and fragment spreads), every fragment spread expanded in
	// place.
	Fields int
	// Directives is the most directives at any one location: a field, an
	// inline fragment, a fragment spread, a fragment definition, an
	// operation or a variable definition.
	Directives int
	// OperationName is the length of the longest operation name, in bytes.
	OperationName int
	// Total counts the nodes of every operation and every fragment
	// definition together, each with its fragment spreads expanded:
	// selections, and the values in their arguments and directives. It
	// bounds the nodes validation walks, which visits every definition
	// and, from each, what it spreads.
	Total int
}

// saturation is where every measure stops growing: a document whose
// fragments double at each level would otherwise overflow an int. It is
// far above any limit that Limits.Validate accepts.
const saturation = math.MaxInt32

// Measure measures doc in one pass, linear in its size: each fragment
// definition is measured once, however often it is spread, and its sizes
// are added where it is spread. A spread of an undefined fragment, or of a
// fragment whose measurement is still under way (a fragment cycle, which
// validation reports), counts as one selection and adds nothing else.
// Every sum saturates at math.MaxInt32.
//
// Measure does not modify doc and may be called concurrently on the same
// document. A nil doc measures zero.
func Measure(doc *ast.QueryDocument) Measures {
	var m Measures
	if doc == nil {
		return m
	}
	w := measurer{doc: doc}
	if len(doc.Fragments) > 0 {
		w.index = make(map[string]int, len(doc.Fragments))
		for i, f := range doc.Fragments {
			// The first of fragments with the same name is the one
			// spreads resolve to, as in gqlparser's walker; the others
			// are measured as definitions all the same.
			if _, ok := w.index[f.Name]; !ok {
				w.index[f.Name] = i
			}
		}
		w.fragments = make([]fragmentSize, len(doc.Fragments))
	}

	for _, op := range doc.Operations {
		if op == nil {
			continue
		}
		m.OperationName = max(m.OperationName, len(op.Name))
		own := w.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			if v != nil {
				own = plus(own, plus(w.directives(v.Directives), valueNodes(v.DefaultValue)))
			}
		}
		s := w.selectionSet(op.SelectionSet)
		s.nodes = plus(s.nodes, own)
		m.add(s)
	}
	for i := range doc.Fragments {
		s := w.fragment(i)
		s.rootFields = 0
		m.add(s)
	}
	m.Directives = w.most
	return m
}

// add folds the sizes of one operation or fragment definition into m.
func (m *Measures) add(s size) {
	m.Depth = max(m.Depth, s.depth)
	m.Aliases = max(m.Aliases, s.aliases)
	m.RootFields = max(m.RootFields, s.rootFields)
	m.Fields = max(m.Fields, s.fields)
	m.Total = plus(m.Total, s.nodes)
}

// size is what a selection set adds where it appears.
type size struct {
	depth      int // the deepest field nesting within it; its own fields are at depth 1
	aliases    int // aliased fields, fragments expanded
	fields     int // selections, fragments expanded
	rootFields int // fields at its own level, through inline fragments and spreads
	nodes      int // selections and the values of their arguments and directives, fragments expanded
}

// fragmentSize is a fragment definition's memoized size.
type fragmentSize struct {
	size
	state uint8
}

// States of a fragment's measurement.
const (
	unmeasured uint8 = iota
	measuring
	measured
)

type measurer struct {
	doc       *ast.QueryDocument
	index     map[string]int // fragment name -> its first definition in doc.Fragments
	fragments []fragmentSize // by index in doc.Fragments
	most      int            // the most directives seen at one location
}

// directives notes the directives at one location, and returns the
// number of values in their arguments.
func (w *measurer) directives(d ast.DirectiveList) int {
	w.most = max(w.most, len(d))
	n := 0
	for _, dir := range d {
		if dir != nil {
			n = plus(n, values(dir.Arguments))
		}
	}
	return n
}

// values returns the number of values in args, nested ones included.
func values(args ast.ArgumentList) int {
	n := 0
	for _, a := range args {
		if a != nil {
			n = plus(n, valueNodes(a.Value))
		}
	}
	return n
}

func valueNodes(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		if c != nil {
			n = plus(n, valueNodes(c.Value))
		}
	}
	return n
}

// fragment returns the size of doc.Fragments[i], measuring it once. A
// fragment whose measurement is under way is a cycle: it adds nothing.
func (w *measurer) fragment(i int) size {
	f := &w.fragments[i]
	switch f.state {
	case measuring:
		return size{}
	case measured:
		return f.size
	}
	f.state = measuring
	def := w.doc.Fragments[i]
	var s size
	if def != nil {
		w.directives(def.Directives)
		s = w.selectionSet(def.SelectionSet)
	}
	// w.fragments is not resized during the walk, so f still points
	// into it.
	f.size, f.state = s, measured
	return s
}

func (w *measurer) selectionSet(set ast.SelectionSet) size {
	var s size
	for _, sel := range set {
		var c size
		var own int // the values of the selection's own arguments and directives
		switch sel := sel.(type) {
		case *ast.Field:
			own = plus(w.directives(sel.Directives), values(sel.Arguments))
			c = w.selectionSet(sel.SelectionSet)
			c.depth = plus(c.depth, 1)
			if sel.Alias != "" && sel.Alias != sel.Name {
				c.aliases = plus(c.aliases, 1)
			}
			c.rootFields = 1
		case *ast.InlineFragment:
			own = w.directives(sel.Directives)
			c = w.selectionSet(sel.SelectionSet)
		case *ast.FragmentSpread:
			own = w.directives(sel.Directives)
			if i, ok := w.index[sel.Name]; ok {
				c = w.fragment(i)
			}
		default:
			continue
		}
		s.depth = max(s.depth, c.depth)
		s.aliases = plus(s.aliases, c.aliases)
		s.fields = plus(s.fields, plus(c.fields, 1))
		s.nodes = plus(s.nodes, plus(c.nodes, plus(own, 1)))
		s.rootFields = plus(s.rootFields, c.rootFields)
	}
	return s
}

// plus returns a+b, or saturation if that is more. a and b are in
// [0, saturation], so neither the comparison nor the sum overflows.
func plus(a, b int) int {
	if a > saturation-b {
		return saturation
	}
	return a + b
}
