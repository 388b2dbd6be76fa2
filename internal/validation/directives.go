package validation

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// KnownDirectives is gqlparser's rule of the same name, checked once per
// directive: every directive is defined, and allowed where it is used.
var KnownDirectives = core.Rule{
	Name: "KnownDirectives",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			(&visitor{directive: func(d *ast.Directive) {
				if d.Definition == nil {
					addError(core.Message(`Unknown directive "@%s".`, d.Name), core.At(d.Position))
					return
				}
				if !slices.Contains(d.Definition.Locations, d.Location) {
					addError(core.Message(`Directive "@%s" may not be used on %s.`, d.Name, d.Location), core.At(d.Position))
				}
			}}).document(w.Document)
		})
	},
}

// UniqueDirectivesPerLocation is gqlparser's rule of the same name,
// checked once per location: a directive that is not repeatable is used
// at most once there.
var UniqueDirectivesPerLocation = core.Rule{
	Name: "UniqueDirectivesPerLocation",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			var seen map[string]bool
			(&visitor{directives: func(list ast.DirectiveList) {
				if len(list) < 2 {
					return
				}
				if seen == nil {
					seen = make(map[string]bool)
				}
				for _, d := range list {
					if (d.Definition == nil || !d.Definition.IsRepeatable) && seen[d.Name] {
						addError(
							core.Message(`The directive "@%s" can only be used once at this location.`, d.Name),
							core.At(d.Position),
						)
					}
					seen[d.Name] = true
				}
				clear(seen)
			}}).document(w.Document)
		})
	},
}
