package cost

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Operation returns the static cost of op, an operation of doc, with the
// variable values vars as gqlgen's validator.VariableValues coerced them.
// doc should have been validated against the Model's schema; Operation
// does not fail on a document that was not, but what it costs is then
// meaningless. The cost is rounded up to an int and saturates at
// math.MaxInt.
//
// The cost is that of IBM's GraphQL Cost Directives as Apollo Router
// reads them:
//
//   - a field costs instances × (weight + the cost of its selection set),
//     plus the cost of its arguments. The weight is the field's @cost, else
//     that of its type, else 1 for object, interface and union types and
//     0 for scalars and enums;
//   - a field that is not a list has 1 instance. A list field has as many
//     as its parent's @listSize(sizedFields:) gives it, else as the
//     largest of its slicing arguments (@listSize(slicingArguments:)),
//     given as a literal or a variable or, when not given or null, by the
//     argument's default, else its @listSize(assumedSize:), else
//     DefaultListSize;
//   - an argument costs its @cost (or its type's) when given. An input
//     object costs that weight, or 1 without one, plus its fields; a list
//     costs the weight, or 0, plus its items; null costs nothing;
//   - fields, fragment spreads and inline fragments excluded by
//     @skip(if: true) or @include(if: false) cost nothing, and fragments
//     cost what their selections cost where they are spread;
//   - __typename costs nothing, and __schema and __type cost 1 for every
//     field selected in them, themselves included, whatever the lists
//     (introspection reads the schema in memory);
//   - a mutation operation costs 10 more.
//
// Operation walks the document once, and each named fragment once per
// list-size context it is spread in, so its time is linear in the size of
// the document with its fragments expanded, and it allocates only for
// documents with named fragments.
func (m *Model) Operation(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) int {
	if op == nil {
		return 0
	}
	w := walker{m: m, doc: doc, vars: vars}
	var total amount
	var root *typeInfo
	switch op.Operation {
	case ast.Mutation:
		total = mutationCost
		root = m.mutation
	case ast.Subscription:
		root = m.subscription
	default:
		root = m.query
	}
	total = add(total, w.selectionSet(op.SelectionSet, root, sizing{}))
	return total.ints()
}

// sizing is what a field's @listSize(sizedFields:) tells the fields of its
// selection set: the listed fields have size items.
type sizing struct {
	fields []string
	size   int64
}

// sizes returns the number of items of a list field named name, and
// whether s gives it.
func (s sizing) sizes(name string) (int64, bool) {
	for _, f := range s.fields {
		if f == name {
			return s.size, true
		}
	}
	return 0, false
}

// walker costs one operation.
type walker struct {
	m    *Model
	doc  *ast.QueryDocument
	vars map[string]any
	// memo holds the cost of named fragments in a context, made on the
	// first spread of a fragment.
	memo map[memoKey]amount
	// fragments indexes doc.Fragments by name, for large documents whose
	// spreads were not resolved by validation.
	fragments map[string]*ast.FragmentDefinition
}

// memoKey is a fragment in a context: the costs of its selections depend on
// the sizing of the enclosing field and on whether it is introspection.
type memoKey struct {
	frag  *ast.FragmentDefinition
	sized *string // &sizing.fields[0], or nil
	size  int64
	intro bool
}

// inProgress marks a fragment whose cost is being computed: a spread of it
// then is a cycle, which validation refuses, and costs nothing.
const inProgress amount = -1

// selectionSet returns the cost of set, a selection set on type parent
// (nil if unknown).
func (w *walker) selectionSet(set ast.SelectionSet, parent *typeInfo, s sizing) amount {
	var total amount
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			total = add(total, w.field(sel, parent, s))
		case *ast.InlineFragment:
			if w.skipped(sel.Directives) {
				continue
			}
			t := parent
			if sel.TypeCondition != "" {
				t = w.m.types[sel.TypeCondition]
			}
			total = add(total, w.selectionSet(sel.SelectionSet, t, s))
		case *ast.FragmentSpread:
			if w.skipped(sel.Directives) {
				continue
			}
			total = add(total, w.spread(sel, s, false))
		}
	}
	return total
}

// field returns the cost of field f of type parent.
func (w *walker) field(f *ast.Field, parent *typeInfo, s sizing) amount {
	switch {
	case f.Name == "__typename" || w.skipped(f.Directives):
		return 0
	case f.Name == "__schema" || f.Name == "__type":
		return add(unit, w.introspection(f.SelectionSet))
	case parent == nil:
		return 0
	}
	fi := parent.field(f.Name)
	if fi == nil {
		return 0
	}

	size := int64(-1) // the size the field's own @listSize gives
	if fi.listSize != nil {
		size = w.expectedSize(fi.listSize, f)
	}
	n := int64(1)
	if fi.list {
		if upstream, ok := s.sizes(f.Name); ok && s.size >= 0 {
			n = upstream
		} else if size >= 0 {
			n = size
		} else {
			n = DefaultListSize
		}
	}

	c := fi.weight
	if fi.child != nil && len(f.SelectionSet) > 0 {
		var sub sizing
		if fi.listSize != nil && len(fi.listSize.sized) > 0 {
			sub = sizing{fields: fi.listSize.sized, size: size}
		}
		c = add(c, w.selectionSet(f.SelectionSet, fi.child, sub))
	}
	c = mul(n, c)
	if len(fi.args) > 0 {
		c = add(c, w.arguments(fi, f.Arguments))
	}
	return c
}

// expectedSize returns the size @listSize ls gives field f: the largest
// of its slicing arguments, else assumedSize, else -1.
func (w *walker) expectedSize(ls *listSize, f *ast.Field) int64 {
	size := int64(-1)
	for _, sa := range ls.slicing {
		n := sa.def
		if arg := f.Arguments.ForName(sa.name); arg != nil {
			if v := w.size(arg.Value); v >= 0 {
				n = v
			}
		}
		size = max(size, n)
	}
	if size < 0 {
		return ls.assumed
	}
	return size
}

// size returns the size a slicing argument's value stands for, or -1 for
// null, a variable without a value, or a value that is no size.
func (w *walker) size(v *ast.Value) int64 {
	if v.Kind != ast.Variable {
		return literalSize(v)
	}
	x, ok := w.vars[v.Raw]
	if !ok {
		return -1
	}
	return valueSize(x)
}

// introspection returns the cost of the selection set of __schema or
// __type: 1 for every field but __typename.
func (w *walker) introspection(set ast.SelectionSet) amount {
	var total amount
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__typename" || w.skipped(sel.Directives) {
				continue
			}
			total = add(total, add(unit, w.introspection(sel.SelectionSet)))
		case *ast.InlineFragment:
			if !w.skipped(sel.Directives) {
				total = add(total, w.introspection(sel.SelectionSet))
			}
		case *ast.FragmentSpread:
			if !w.skipped(sel.Directives) {
				total = add(total, w.spread(sel, sizing{}, true))
			}
		}
	}
	return total
}

// spread returns the cost of a named fragment spread in sizing s, or in
// introspection.
func (w *walker) spread(sp *ast.FragmentSpread, s sizing, intro bool) amount {
	frag := sp.Definition
	if frag == nil {
		frag = w.fragment(sp.Name)
		if frag == nil {
			return 0
		}
	}
	key := memoKey{frag: frag, intro: intro}
	if len(s.fields) > 0 {
		key.sized, key.size = &s.fields[0], s.size
	}
	if w.memo == nil {
		w.memo = make(map[memoKey]amount, len(w.doc.Fragments))
	}
	if c, ok := w.memo[key]; ok {
		if c == inProgress {
			return 0
		}
		return c
	}
	w.memo[key] = inProgress
	var c amount
	if intro {
		c = w.introspection(frag.SelectionSet)
	} else {
		c = w.selectionSet(frag.SelectionSet, w.m.types[frag.TypeCondition], s)
	}
	w.memo[key] = c
	return c
}

// fragment returns the fragment of doc named name, or nil.
func (w *walker) fragment(name string) *ast.FragmentDefinition {
	if w.doc == nil {
		return nil
	}
	const indexFrom = 8
	if len(w.doc.Fragments) < indexFrom {
		return w.doc.Fragments.ForName(name)
	}
	if w.fragments == nil {
		w.fragments = make(map[string]*ast.FragmentDefinition, len(w.doc.Fragments))
		for _, f := range w.doc.Fragments {
			if _, dup := w.fragments[f.Name]; !dup {
				w.fragments[f.Name] = f
			}
		}
	}
	return w.fragments[name]
}

// skipped reports whether directives exclude their selection:
// @skip(if: true) or @include(if: false).
func (w *walker) skipped(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		switch d.Name {
		case "skip":
			if b, ok := w.condition(d); ok && b {
				return true
			}
		case "include":
			if b, ok := w.condition(d); ok && !b {
				return true
			}
		}
	}
	return false
}

// condition returns the value of the if argument of @skip or @include.
func (w *walker) condition(d *ast.Directive) (value, ok bool) {
	arg := d.Arguments.ForName("if")
	if arg == nil || arg.Value == nil {
		return false, false
	}
	switch arg.Value.Kind {
	case ast.BooleanValue:
		return arg.Value.Raw == "true", true
	case ast.Variable:
		b, ok := w.vars[arg.Value.Raw].(bool)
		return b, ok
	}
	return false, false
}
