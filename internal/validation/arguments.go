package validation

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// KnownArgumentNames is gqlparser's rule of the same name, checked once
// per field and directive: every argument is defined.
var KnownArgumentNames = core.Rule{
	Name: "KnownArgumentNames",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{
				field: func(f *ast.Field) {
					if f.Definition == nil || f.ObjectDefinition == nil {
						return
					}
					for _, a := range f.Arguments {
						if f.Definition.Arguments.ForName(a.Name) != nil {
							continue
						}
						addError(
							core.Message(`Unknown argument "%s" on field "%s.%s".`, a.Name, f.ObjectDefinition.Name, f.Name),
							core.SuggestListQuoted("Did you mean", a.Name, argumentNames(f.Definition.Arguments)),
							core.At(f.Position),
						)
					}
				},
				directive: func(d *ast.Directive) {
					if d.Definition == nil {
						return
					}
					for _, a := range d.Arguments {
						if d.Definition.Arguments.ForName(a.Name) != nil {
							continue
						}
						addError(
							core.Message(`Unknown argument "%s" on directive "@%s".`, a.Name, d.Name),
							core.SuggestListQuoted("Did you mean", a.Name, argumentNames(d.Definition.Arguments)),
							core.At(d.Position),
						)
					}
				},
			}).document(w.Document)
		})
	},
}

func argumentNames(defs ast.ArgumentDefinitionList) []string {
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	return names
}

// ProvidedRequiredArguments is gqlparser's rule of the same name, checked
// once per field and directive: every argument of a non-null type without
// a default is given.
var ProvidedRequiredArguments = core.Rule{
	Name: "ProvidedRequiredArguments",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{
				field: func(f *ast.Field) {
					if f.Definition == nil {
						return
					}
					for _, def := range missingArguments(f.Definition.Arguments, f.Arguments) {
						addError(
							core.Message(`Field "%s" argument "%s" of type "%s" is required, but it was not provided.`, f.Name, def.Name, def.Type.String()),
							core.At(f.Position),
						)
					}
				},
				directive: func(d *ast.Directive) {
					if d.Definition == nil {
						return
					}
					for _, def := range missingArguments(d.Definition.Arguments, d.Arguments) {
						addError(
							core.Message(`Directive "@%s" argument "%s" of type "%s" is required, but it was not provided.`, d.Definition.Name, def.Name, def.Type.String()),
							core.At(d.Position),
						)
					}
				},
			}).document(w.Document)
		})
	},
}

// missingArguments returns the required arguments of defs that args does
// not give.
func missingArguments(defs ast.ArgumentDefinitionList, args ast.ArgumentList) []*ast.ArgumentDefinition {
	var missing []*ast.ArgumentDefinition
	for _, def := range defs {
		if def.Type.NonNull && def.DefaultValue == nil && args.ForName(def.Name) == nil {
			missing = append(missing, def)
		}
	}
	return missing
}

// UniqueArgumentNames is gqlparser's rule of the same name, checked once
// per field and directive: no argument is given twice. Each name given
// more than once is reported once, at its second occurrence.
var UniqueArgumentNames = core.Rule{
	Name: "UniqueArgumentNames",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			var seen map[string]int
			check := func(args ast.ArgumentList) {
				if len(args) < 2 {
					return
				}
				if seen == nil {
					seen = make(map[string]int)
				}
				for _, a := range args {
					if seen[a.Name]++; seen[a.Name] == 2 {
						addError(core.Message(`There can be only one argument named "%s".`, a.Name), core.At(a.Position))
					}
				}
				clear(seen)
			}
			(&visitor{
				field:     func(f *ast.Field) { check(f.Arguments) },
				directive: func(d *ast.Directive) { check(d.Arguments) },
			}).document(w.Document)
		})
	},
}
