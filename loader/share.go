package loader

import (
	"maps"
	"reflect"
	"slices"
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
	for name, d := range s.Directives {
		s.Directives[name] = shared(d, base.Directives[name])
	}
	for name, def := range s.Types {
		b := base.Types[name]
		if def == b {
			continue // shared already (the client schema keeps what the authoring one shares)
		}
		if s.Types[name] = shared(def, b); s.Types[name] != def {
			continue
		}
		// One of the tenant's own definitions: the uses of directives in
		// it point to the definitions they were checked against, those
		// now shared, and its members equal to base's become base's.
		rebindDirectives(def, s.Directives)
		if b != nil {
			shareMembers(def, b)
		}
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
	// Lists and maps that come out the same as base's are base's too.
	for name, defs := range s.PossibleTypes {
		if b := base.PossibleTypes[name]; !sameSlice(defs, b) && slices.Equal(defs, b) {
			s.PossibleTypes[name] = b
		}
	}
	for name, defs := range s.Implements {
		if b := base.Implements[name]; !sameSlice(defs, b) && slices.Equal(defs, b) {
			s.Implements[name] = b
		}
	}
	if maps.Equal(s.Directives, base.Directives) {
		s.Directives = base.Directives
	}
}

// rebindDirectives points every use of a directive in def (on it, its
// fields, their arguments and its enum values) to the definition of the
// same name in defs. It writes only where that changes the pointer: what
// def shares with other schemas already points to defs' definitions.
func rebindDirectives(def *ast.Definition, defs map[string]*ast.DirectiveDefinition) {
	rebind := func(dirs ast.DirectiveList) {
		for _, d := range dirs {
			if dd := defs[d.Name]; dd != nil && d.Definition != dd {
				d.Definition = dd
			}
		}
	}
	rebind(def.Directives)
	for _, f := range def.Fields {
		rebind(f.Directives)
		for _, a := range f.Arguments {
			rebind(a.Directives)
		}
	}
	for _, v := range def.EnumValues {
		rebind(v.Directives)
	}
}

// shareMembers replaces, in place, every field and enum value of def, a
// definition of the tenant's own (its Goods, the inputs, filter and sort
// enum derived from it), that is deeply equal to base's member of the same
// name by base's: the base fields that every tenant's version of the type
// repeats.
func shareMembers(def, base *ast.Definition) {
	// Copy a list before the first change: it may be shared with another
	// definition (clientDefinition keeps the lists it does not change).
	fields := def.Fields
	for i, f := range def.Fields {
		if sh := shared(f, base.Fields.ForName(f.Name)); sh != f {
			if sameSlice(fields, def.Fields) {
				fields = slices.Clone(def.Fields)
			}
			fields[i] = sh
		}
	}
	values := def.EnumValues
	for i, v := range def.EnumValues {
		if sh := shared(v, base.EnumValues.ForName(v.Name)); sh != v {
			if sameSlice(values, def.EnumValues) {
				values = slices.Clone(def.EnumValues)
			}
			values[i] = sh
		}
	}
	if !sameSlice(fields, def.Fields) {
		def.Fields = fields
	}
	if !sameSlice(values, def.EnumValues) {
		def.EnumValues = values
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
