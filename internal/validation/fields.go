package validation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// FieldsOnCorrectType is gqlparser's rule of the same name, checked once
// per field: every field is defined on its parent type. Its errors suggest
// the types or fields meant, as gqlparser's do.
var FieldsOnCorrectType = core.Rule{
	Name: "FieldsOnCorrectType",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{field: func(f *ast.Field) {
				if f.ObjectDefinition == nil || f.Definition != nil {
					return
				}
				msg := fmt.Sprintf(`Cannot query field "%s" on type "%s".`, f.Name, f.ObjectDefinition.Name)
				if types := suggestedTypes(w.Schema, f.ObjectDefinition, f.Name); types != nil {
					msg += " Did you mean to use an inline fragment on " + core.QuotedOrList(types...) + "?"
				} else if fields := suggestedFields(f.ObjectDefinition, f.Name); fields != nil {
					msg += " Did you mean " + core.QuotedOrList(fields...) + "?"
				}
				addError(core.Message("%s", msg), core.At(f.Position))
			}}).document(w.Document)
		})
	},
}

// suggestedTypes returns the types of an abstract parent that define the
// field name: the interfaces first, most used first, then the objects, as
// graphql-js orders them.
func suggestedTypes(schema *ast.Schema, parent *ast.Definition, name string) []string {
	if !parent.IsAbstractType() {
		return nil
	}
	var objects, interfaces []string
	uses := map[string]int{}
	for _, t := range schema.GetPossibleTypes(parent) {
		if t.Fields.ForName(name) == nil {
			continue
		}
		objects = append(objects, t.Name)
		for _, i := range t.Interfaces {
			if d := schema.Types[i]; d != nil && d.Fields.ForName(name) != nil {
				if uses[i] == 0 {
					interfaces = append(interfaces, i)
				}
				uses[i]++
			}
		}
	}
	types := slices.Concat(interfaces, objects)
	slices.SortStableFunc(types, func(a, b string) int {
		if d := uses[b] - uses[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(types) == 0 {
		return nil
	}
	return types
}

// suggestedFields returns the fields of parent whose names are close to
// name.
func suggestedFields(parent *ast.Definition, name string) []string {
	if parent.Kind != ast.Object && parent.Kind != ast.Interface {
		return nil
	}
	names := make([]string, 0, len(parent.Fields))
	for _, f := range parent.Fields {
		names = append(names, f.Name)
	}
	return core.SuggestionList(name, names)
}

// ScalarLeafs is gqlparser's rule of the same name, checked once per
// field: a field of a leaf type has no selection set, and a field of
// another type has one.
var ScalarLeafs = core.Rule{
	Name: "ScalarLeafs",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{field: func(f *ast.Field) {
				if f.Definition == nil {
					return
				}
				t := w.Schema.Types[f.Definition.Type.Name()]
				if t == nil {
					return
				}
				if t.IsLeafType() && len(f.SelectionSet) > 0 {
					addError(
						core.Message(`Field "%s" must not have a selection since type "%s" has no subfields.`, f.Name, t.Name),
						core.At(f.Position),
					)
				}
				if !t.IsLeafType() && len(f.SelectionSet) == 0 {
					addError(
						core.Message(`Field "%s" of type "%s" must have a selection of subfields.`, f.Name, f.Definition.Type.String()),
						core.Suggestf(`"%s { ... }"`, f.Name),
						core.At(f.Position),
					)
				}
			}}).document(w.Document)
		})
	},
}
