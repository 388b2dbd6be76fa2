package validation

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// Whether a variable is defined, and of a type its position allows,
// depends on the operation: a fragment spread by two operations may use a
// variable that one defines and the other does not. gqlparser's rules
// check every value on every visit of the walker, which visits a fragment
// once per operation that reaches it; these rules collect the variables
// used by each fragment once, and check them once per operation that
// reaches the fragment, as graphql-js does.

// variableUse is a variable used as a value, or as a field of a @oneOf
// input object.
type variableUse struct {
	value *ast.Value
	oneOf *ast.Value // the @oneOf input object it is a field of, or nil
}

// usages finds, for each operation, the variables it uses, with each
// fragment's collected once.
type usages struct {
	fragments map[string]*ast.FragmentDefinition
	cache     map[*ast.FragmentDefinition]*fragmentUses
}

type fragmentUses struct {
	uses    []variableUse
	spreads []*ast.FragmentDefinition
}

func newUsages(doc *ast.QueryDocument) *usages {
	u := &usages{
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		cache:     make(map[*ast.FragmentDefinition]*fragmentUses, len(doc.Fragments)),
	}
	for _, f := range doc.Fragments {
		if _, ok := u.fragments[f.Name]; !ok {
			u.fragments[f.Name] = f
		}
	}
	return u
}

// operation calls use for every variable use of op, its own and those of
// every fragment it reaches, each fragment once, as gqlparser's walker
// visits them.
func (u *usages) operation(op *ast.OperationDefinition, use func(variableUse)) {
	var own fragmentUses
	for _, v := range op.VariableDefinitions {
		own.directives(v.Directives)
	}
	own.directives(op.Directives)
	own.selections(op.SelectionSet, u)
	for _, x := range own.uses {
		use(x)
	}
	seen := make(map[*ast.FragmentDefinition]bool)
	stack := own.spreads
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[f] {
			continue
		}
		seen[f] = true
		fu := u.fragment(f)
		for _, x := range fu.uses {
			use(x)
		}
		stack = append(stack, fu.spreads...)
	}
}

func (u *usages) fragment(f *ast.FragmentDefinition) *fragmentUses {
	if fu, ok := u.cache[f]; ok {
		return fu
	}
	fu := &fragmentUses{}
	u.cache[f] = fu
	fu.directives(f.Directives)
	fu.selections(f.SelectionSet, u)
	return fu
}

func (fu *fragmentUses) selections(set ast.SelectionSet, u *usages) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			for _, a := range sel.Arguments {
				fu.value(a.Value)
			}
			fu.directives(sel.Directives)
			fu.selections(sel.SelectionSet, u)
		case *ast.InlineFragment:
			fu.directives(sel.Directives)
			fu.selections(sel.SelectionSet, u)
		case *ast.FragmentSpread:
			fu.directives(sel.Directives)
			if d := u.fragments[sel.Name]; d != nil {
				fu.spreads = append(fu.spreads, d)
			}
		}
	}
}

func (fu *fragmentUses) directives(list ast.DirectiveList) {
	for _, d := range list {
		for _, a := range d.Arguments {
			fu.value(a.Value)
		}
	}
}

func (fu *fragmentUses) value(v *ast.Value) {
	if v == nil {
		return
	}
	switch v.Kind {
	case ast.Variable:
		fu.uses = append(fu.uses, variableUse{value: v})
	case ast.ListValue, ast.ObjectValue:
		oneOf := v.Kind == ast.ObjectValue && v.Definition != nil && v.Definition.Directives.ForName("oneOf") != nil
		for _, ch := range v.Children {
			if oneOf && ch.Value != nil && ch.Value.Kind == ast.Variable {
				fu.uses = append(fu.uses, variableUse{value: ch.Value, oneOf: v})
			}
			fu.value(ch.Value)
		}
	}
}

// NoUndefinedVariables is gqlparser's rule of the same name, with the
// variables of each fragment collected once: every variable an operation
// uses, in its fragments too, is defined by the operation.
var NoUndefinedVariables = core.Rule{
	Name: "NoUndefinedVariables",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			u := newUsages(w.Document)
			for _, op := range w.Document.Operations {
				defs := variableIndex(op)
				u.operation(op, func(x variableUse) {
					if x.oneOf != nil || defs(x.value.Raw) != nil {
						return
					}
					if op.Name != "" {
						addError(core.Message(`Variable "%s" is not defined by operation "%s".`, x.value, op.Name), core.At(x.value.Position))
					} else {
						addError(core.Message(`Variable "%s" is not defined.`, x.value), core.At(x.value.Position))
					}
				})
			}
		})
	},
}

// VariablesInAllowedPosition is gqlparser's rule of the same name, with
// the variables of each fragment collected once: a variable's type fits
// every position it is used in, and a variable given as the field of a
// @oneOf input object is non-null.
var VariablesInAllowedPosition = core.Rule{
	Name: "VariablesInAllowedPosition",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			u := newUsages(w.Document)
			for _, op := range w.Document.Operations {
				defs := variableIndex(op)
				u.operation(op, func(x variableUse) {
					v := x.value
					def := defs(v.Raw)
					if def == nil {
						return
					}
					if x.oneOf != nil {
						if !def.Type.NonNull {
							addError(
								core.Message(`Variable "%s" is of type "%s" but must be non-nullable to be used for OneOf Input Object "%s".`,
									v, def.Type.String(), x.oneOf.Definition.Name),
								core.At(def.Position),
								core.At(v.Position),
							)
						}
						return
					}
					if v.ExpectedType == nil {
						return
					}
					want := *v.ExpectedType
					// A default, the variable's or the position's, stands
					// in for null.
					if def.DefaultValue != nil && def.DefaultValue.Kind != ast.NullValue && want.NonNull {
						want.NonNull = false
					}
					if v.ExpectedTypeHasDefault {
						want.NonNull = false
					}
					if !def.Type.IsCompatible(&want) {
						addError(
							core.Message(`Variable "%s" of type "%s" used in position expecting type "%s".`,
								v, def.Type.String(), v.ExpectedType.String()),
							core.At(v.Position),
						)
					}
				})
			}
		})
	},
}

// variableIndex returns a lookup of op's variable definitions by name:
// the first of a name, as gqlparser's walker finds it.
func variableIndex(op *ast.OperationDefinition) func(name string) *ast.VariableDefinition {
	if len(op.VariableDefinitions) <= 8 {
		return op.VariableDefinitions.ForName
	}
	m := make(map[string]*ast.VariableDefinition, len(op.VariableDefinitions))
	for _, d := range op.VariableDefinitions {
		if _, ok := m[d.Variable]; !ok {
			m[d.Variable] = d
		}
	}
	return func(name string) *ast.VariableDefinition { return m[name] }
}

// NoUnusedFragments is gqlparser's rule of the same name, with the
// fragments each operation reaches found once: every fragment is spread by
// an operation, directly or through other fragments.
var NoUnusedFragments = core.Rule{
	Name: "NoUnusedFragments",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			u := newUsages(w.Document)
			used := make(map[string]bool, len(u.fragments))
			var stack []*ast.FragmentDefinition
			for _, op := range w.Document.Operations {
				var own fragmentUses
				own.selections(op.SelectionSet, u)
				stack = append(stack, own.spreads...)
			}
			for len(stack) > 0 {
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if used[f.Name] {
					continue
				}
				used[f.Name] = true
				stack = append(stack, u.fragment(f).spreads...)
			}
			for _, f := range w.Document.Fragments {
				if !used[f.Name] {
					addError(core.Message(`Fragment "%s" is never used.`, f.Name), core.At(f.Position))
				}
			}
		})
	},
}
