package dynamic

import (
	"strings"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// Executable schemas share their compiled introspection types. The
// loader gives every tenant's schema (and every view of it) the same
// definitions of __Schema, __Type and the other introspection types
// (loader.Compile shares what tenants have in common), and their
// compiled objectTypes refer to nothing but each other and built-in
// scalars and enums, and carry no resolver of the Config: so a schema
// whose introspection definitions are the very ones another schema was
// compiled from takes that schema's compiled types, which are about a
// third of an executable schema's memory. They are never modified once
// compiled (callsResolvers, the one field set after compilation, is
// false for them and stays so).

// introspectionSet is the compiled introspection object types of one
// schema, and the definitions they were compiled from.
type introspectionSet struct {
	defs    map[string]*ast.Definition
	objects map[string]*objectType
}

// lastIntrospection is the set of the schema compiled most recently: one
// is enough when all schemas share their definitions, and holding only
// the last keeps a process compiling unrelated schemas (tests) from
// holding them all.
var lastIntrospection atomic.Pointer[introspectionSet]

// sharedIntrospection returns the compiled introspection types to use for
// s, by name, or nil if s's introspection definitions are not those of
// the last set kept.
func sharedIntrospection(s *ast.Schema) map[string]*objectType {
	set := lastIntrospection.Load()
	if set == nil {
		return nil
	}
	n := 0
	for name, def := range s.Types {
		if def.Kind != ast.Object || !strings.HasPrefix(name, "__") {
			continue
		}
		if set.defs[name] != def {
			return nil
		}
		n++
	}
	if n != len(set.defs) {
		return nil
	}
	return set.objects
}

// keepIntrospection keeps the introspection types among objects, compiled
// from s, for the schemas compiled next.
func keepIntrospection(s *ast.Schema, objects map[string]*objectType) {
	set := &introspectionSet{defs: map[string]*ast.Definition{}, objects: map[string]*objectType{}}
	for name, o := range objects {
		if o.introspection {
			set.defs[name] = s.Types[name]
			set.objects[name] = o
		}
	}
	if len(set.defs) > 0 {
		lastIntrospection.Store(set)
	}
}
