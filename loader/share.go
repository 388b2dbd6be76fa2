package loader

import (
	"reflect"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// Tenants share what their schemas have in common. Every tenant's schema
// is parsed and merged afresh (see Compile), so without sharing each one
// would hold its own copy of the prelude and of every base type: most of
// a compiled tenant's memory. Once a tenant's schema is compiled, every
// definition that comes out the same as the base schema's (the prelude,
// the introspection types, the base types no extension touches) is
// replaced by the base schema's, which all tenants then share: a
// definition is immutable once compiled, and gqlparser refers to types by
// name, so a definition shared between schemas means the same in each.

// baseSchema is the base schema compiled alone, whose definitions tenants
// share.
var baseSchema = sync.OnceValues(func() (*Schema, error) { return compile(nil, nil) })

// share replaces every definition of s that is deeply equal to one of
// base's by base's, in place: s must be the caller's own, not yet in use.
func share(s, base *ast.Schema) {
	for name, def := range s.Types {
		b := base.Types[name]
		if s.Types[name] = shared(def, b); s.Types[name] == def && b != nil {
			shareMembers(def, b)
		}
	}
	for name, d := range s.Directives {
		s.Directives[name] = shared(d, base.Directives[name])
	}
	rebind := func(def *ast.Definition) *ast.Definition {
		if def == nil {
			return nil
		}
		return s.Types[def.Name]
	}
	s.Query, s.Mutation, s.Subscription = rebind(s.Query), rebind(s.Mutation), rebind(s.Subscription)
	for _, m := range []map[string][]*ast.Definition{s.PossibleTypes, s.Implements} {
		for _, defs := range m {
			for i, def := range defs {
				defs[i] = rebind(def)
			}
		}
	}
}

// shareMembers replaces, in place, every field and enum value of def, a
// definition of the tenant's own (its Goods, the inputs, filter and sort
// enum derived from it), that is deeply equal to base's member of the same
// name by base's: the base fields that every tenant's version of the type
// repeats.
func shareMembers(def, base *ast.Definition) {
	for i, f := range def.Fields {
		def.Fields[i] = shared(f, base.Fields.ForName(f.Name))
	}
	for i, v := range def.EnumValues {
		def.EnumValues[i] = shared(v, base.EnumValues.ForName(v.Name))
	}
}

// shared returns base if it is deeply equal to own, else own.
//
// reflect.DeepEqual compares all that a definition holds and refers to
// (its positions, the directive definitions its directives point to, the
// definitions argument values were checked against), and so errs only
// towards sharing less: it follows cycles, and stops at identical
// pointers, such as the positions' shared sources (graph.Sources).
func shared[T any](own, base *T) *T {
	if base != nil && own != base && reflect.DeepEqual(own, base) {
		return base
	}
	return own
}
