// Package astutil holds what the packages that derive one schema from
// another (a role's view, a client's schema) share about gqlparser's
// *ast.Schema.
package astutil

import "github.com/vektah/gqlparser/v2/ast"

// Rebind returns a copy of s whose types are types: its root types,
// PossibleTypes and Implements point to the definitions of types by name,
// leaving out those types does not have. Everything else is s's.
func Rebind(s *ast.Schema, types map[string]*ast.Definition) *ast.Schema {
	c := *s
	c.Types = types
	c.Query = types[name(s.Query)]
	c.Mutation = types[name(s.Mutation)]
	c.Subscription = types[name(s.Subscription)]
	c.PossibleTypes = remap(s.PossibleTypes, types)
	c.Implements = remap(s.Implements, types)
	return &c
}

func name(def *ast.Definition) string {
	if def == nil {
		return ""
	}
	return def.Name
}

// remap returns m with its definitions replaced by those of types by name,
// leaving out those types does not have.
func remap(m map[string][]*ast.Definition, types map[string]*ast.Definition) map[string][]*ast.Definition {
	out := make(map[string][]*ast.Definition, len(m))
	for n, defs := range m {
		if types[n] == nil {
			continue
		}
		var kept []*ast.Definition
		for _, def := range defs {
			if d := types[def.Name]; d != nil {
				kept = append(kept, d)
			}
		}
		if len(kept) > 0 {
			out[n] = kept
		}
	}
	return out
}
