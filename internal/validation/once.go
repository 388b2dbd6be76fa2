package validation

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// gqlparser's walker walks every operation with the fragments it spreads
// expanded, and every fragment definition the same way, so it visits a
// fragment once for every operation and fragment that reaches it: a
// document of 2,000 operations spreading one fragment of 1,000 fields
// makes 2,000,000 visits. A rule that checks a node on every visit pays
// for each, and reports its errors as many times: gqlparser's
// FieldsOnCorrectType made 2.2 million errors in 9.5 s of such a document
// of 40 KB.
//
// What most rules check of a node depends only on the node and on the
// annotations the walker leaves on it (definitions, parent types, expected
// types), which are the same on every visit. The rules of this package
// that replace those check each node once: they wait for the walker's last
// event, then visit the document once, each node once (see atEnd and
// visit).

// atEnd registers f to run once, after the walker's last event, when it
// has annotated every node of the document.
func atEnd(observers *core.Events, f func(w *core.Walker)) {
	observers.OnOperation(func(w *core.Walker, op *ast.OperationDefinition) {
		d := w.Document
		if len(d.Fragments) == 0 && op == d.Operations[len(d.Operations)-1] {
			f(w)
		}
	})
	observers.OnFragment(func(w *core.Walker, fr *ast.FragmentDefinition) {
		if d := w.Document; fr == d.Fragments[len(d.Fragments)-1] {
			f(w)
		}
	})
}

// visitor visits every node of a document once, in the order of the
// document; nil functions are not called.
type visitor struct {
	// operation is called for each operation, before its contents.
	operation func(op *ast.OperationDefinition)
	// fragment is called for each fragment definition, before its
	// selections.
	fragment func(f *ast.FragmentDefinition)
	// field is called for each field, after its selections.
	field func(f *ast.Field)
	// inlineFragment is called for each inline fragment, after its
	// selections.
	inlineFragment func(f *ast.InlineFragment)
	// spread is called for each fragment spread.
	spread func(s *ast.FragmentSpread)
	// directives is called with the directives of every location that
	// may have some, empty or not, after each directive's arguments.
	directives func(list ast.DirectiveList)
	// directive is called for each directive.
	directive func(d *ast.Directive)
	// value is called for each argument value and default value of a
	// variable: the roots of values, not the values within them.
	value func(v *ast.Value)
}

func (v *visitor) document(doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		if v.operation != nil {
			v.operation(op)
		}
		for _, vd := range op.VariableDefinitions {
			if vd.DefaultValue != nil && v.value != nil {
				v.value(vd.DefaultValue)
			}
			v.dirs(vd.Directives)
		}
		v.dirs(op.Directives)
		v.selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		if v.fragment != nil {
			v.fragment(f)
		}
		v.dirs(f.Directives)
		v.selections(f.SelectionSet)
	}
}

func (v *visitor) dirs(list ast.DirectiveList) {
	for _, d := range list {
		if v.value != nil {
			for _, a := range d.Arguments {
				v.value(a.Value)
			}
		}
		if v.directive != nil {
			v.directive(d)
		}
	}
	if v.directives != nil {
		v.directives(list)
	}
}

func (v *visitor) selections(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if v.value != nil {
				for _, a := range sel.Arguments {
					v.value(a.Value)
				}
			}
			v.dirs(sel.Directives)
			v.selections(sel.SelectionSet)
			if v.field != nil {
				v.field(sel)
			}
		case *ast.InlineFragment:
			v.dirs(sel.Directives)
			v.selections(sel.SelectionSet)
			if v.inlineFragment != nil {
				v.inlineFragment(sel)
			}
		case *ast.FragmentSpread:
			v.dirs(sel.Directives)
			if v.spread != nil {
				v.spread(sel)
			}
		}
	}
}
