package validation

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// PossibleFragmentSpreads is gqlparser's rule of the same name, checked
// once per inline fragment and fragment spread: a fragment's type and the
// type it is spread into have a possible type in common.
var PossibleFragmentSpreads = core.Rule{
	Name: "PossibleFragmentSpreads",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			possible := func(parent *ast.Definition, condition string) bool {
				if parent == nil {
					return true
				}
				var parents []*ast.Definition
				switch parent.Kind {
				case ast.Object:
					parents = []*ast.Definition{parent}
				case ast.Interface, ast.Union:
					parents = w.Schema.GetPossibleTypes(parent)
				default:
					return true
				}
				t := w.Schema.Types[condition]
				if t == nil || !t.IsCompositeType() {
					return true // KnownTypeNames and FragmentsOnCompositeTypes report these
				}
				for _, a := range w.Schema.GetPossibleTypes(t) {
					for _, b := range parents {
						if a.Name == b.Name {
							return true
						}
					}
				}
				return false
			}
			(&visitor{
				inlineFragment: func(f *ast.InlineFragment) {
					if !possible(f.ObjectDefinition, f.TypeCondition) {
						addError(
							core.Message(`Fragment cannot be spread here as objects of type "%s" can never be of type "%s".`,
								f.ObjectDefinition.Name, f.TypeCondition),
							core.At(f.Position),
						)
					}
				},
				spread: func(s *ast.FragmentSpread) {
					if s.Definition != nil && !possible(s.ObjectDefinition, s.Definition.TypeCondition) {
						addError(
							core.Message(`Fragment "%s" cannot be spread here as objects of type "%s" can never be of type "%s".`,
								s.Name, s.ObjectDefinition.Name, s.Definition.TypeCondition),
							core.At(s.Position),
						)
					}
				},
			}).document(w.Document)
		})
	},
}

// KnownFragmentNames is gqlparser's rule of the same name, checked once
// per fragment spread: every fragment spread is defined.
var KnownFragmentNames = core.Rule{
	Name: "KnownFragmentNames",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{spread: func(s *ast.FragmentSpread) {
				if s.Definition == nil {
					addError(core.Message(`Unknown fragment "%s".`, s.Name), core.At(s.Position))
				}
			}}).document(w.Document)
		})
	},
}

// FragmentsOnCompositeTypes is gqlparser's rule of the same name, checked
// once per inline fragment and fragment definition: fragments have object,
// interface or union types.
var FragmentsOnCompositeTypes = core.Rule{
	Name: "FragmentsOnCompositeTypes",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{
				inlineFragment: func(f *ast.InlineFragment) {
					if t := w.Schema.Types[f.TypeCondition]; t != nil && !t.IsCompositeType() {
						addError(core.Message(`Fragment cannot condition on non composite type "%s".`, f.TypeCondition), core.At(f.Position))
					}
				},
				fragment: func(f *ast.FragmentDefinition) {
					if f.Definition != nil && f.TypeCondition != "" && !f.Definition.IsCompositeType() {
						addError(core.Message(`Fragment "%s" cannot condition on non composite type "%s".`, f.Name, f.TypeCondition), core.At(f.Position))
					}
				},
			}).document(w.Document)
		})
	},
}

// KnownTypeNames is gqlparser's rule of the same name, checked once per
// variable definition, inline fragment and fragment definition: every type
// named is defined.
var KnownTypeNames = core.Rule{
	Name: "KnownTypeNames",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{
				operation: func(op *ast.OperationDefinition) {
					for _, v := range op.VariableDefinitions {
						if name := v.Type.Name(); w.Schema.Types[name] == nil {
							addError(core.Message(`Unknown type "%s".`, name), core.At(v.Position))
						}
					}
				},
				inlineFragment: func(f *ast.InlineFragment) {
					if f.TypeCondition != "" && w.Schema.Types[f.TypeCondition] == nil {
						addError(core.Message(`Unknown type "%s".`, f.TypeCondition), core.At(f.Position))
					}
				},
				fragment: func(f *ast.FragmentDefinition) {
					if w.Schema.Types[f.TypeCondition] != nil {
						return
					}
					names := make([]string, 0, len(w.Schema.Types))
					for _, t := range w.Schema.Types {
						names = append(names, t.Name)
					}
					addError(
						core.Message(`Unknown type "%s".`, f.TypeCondition),
						core.SuggestListQuoted("Did you mean", f.TypeCondition, names),
						core.At(f.Position),
					)
				},
			}).document(w.Document)
		})
	},
}

// NoFragmentCycles is gqlparser's rule of the same name: no fragment
// spreads itself, directly or through others. It finds the same cycles,
// in the same order, but looks fragments up by name in a map, where
// gqlparser searches the list of fragments for each spread: quadratic in a
// document of many fragments.
var NoFragmentCycles = core.Rule{
	Name: "NoFragmentCycles",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			byName := make(map[string]*ast.FragmentDefinition, len(w.Document.Fragments))
			for _, f := range w.Document.Fragments {
				if _, ok := byName[f.Name]; !ok {
					byName[f.Name] = f
				}
			}
			visited := make(map[string]bool, len(byName))
			var path []*ast.FragmentSpread
			onPath := map[string]int{}
			var visit func(f *ast.FragmentDefinition)
			visit = func(f *ast.FragmentDefinition) {
				if visited[f.Name] {
					return
				}
				visited[f.Name] = true
				spreads := spreadsOf(f.SelectionSet)
				if len(spreads) == 0 {
					return
				}
				onPath[f.Name] = len(path)
				for _, s := range spreads {
					at, cycle := onPath[s.Name]
					path = append(path, s)
					if !cycle {
						if next := byName[s.Name]; next != nil {
							visit(next)
						}
					} else {
						var names []string
						for _, p := range path[at : len(path)-1] {
							names = append(names, fmt.Sprintf(`"%s"`, p.Name))
						}
						var via string
						if len(names) > 0 {
							via = " via " + strings.Join(names, ", ")
						}
						addError(core.Message(`Cannot spread fragment "%s" within itself%s.`, s.Name, via), core.At(s.Position))
					}
					path = path[:len(path)-1]
				}
				delete(onPath, f.Name)
			}
			for _, f := range w.Document.Fragments {
				visit(f)
			}
		})
	},
}

// spreadsOf returns the fragment spreads within set, in the order
// gqlparser's NoFragmentCycles finds them: those of set in order, then
// those of the selection sets within, last first.
func spreadsOf(set ast.SelectionSet) []*ast.FragmentSpread {
	var spreads []*ast.FragmentSpread
	stack := []ast.SelectionSet{set}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, sel := range s {
			switch sel := sel.(type) {
			case *ast.FragmentSpread:
				spreads = append(spreads, sel)
			case *ast.Field:
				stack = append(stack, sel.SelectionSet)
			case *ast.InlineFragment:
				stack = append(stack, sel.SelectionSet)
			}
		}
	}
	return spreads
}
