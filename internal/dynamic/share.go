package dynamic

import (
	"maps"
	"slices"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// Executable schemas share what they compile the same. The loader gives
// every tenant's schema (and every view of it) the same definitions of
// the types a tenant's extension leaves alone (the introspection types,
// PageInfo, and base fields of Goods; loader.Compile shares what tenants
// have in common). So a schema takes, from the schema compiled before it:
//
//   - the compiled object types whose definitions are the very ones that
//     schema compiled them from, that have no resolver, computed field or
//     batch of either Config, and whose fields refer only to such object
//     types and to scalars and enums of the same definitions: the
//     introspection types, PageInfo;
//   - the compiled fields, of the object types it compiles itself, that
//     come out identical to that schema's fields of the same object type
//     (the base fields of Goods, Query.__schema): the same definition,
//     type, and no resolver.
//
// Neither is ever modified once compiled (callsResolvers, the one field
// of an objectType set after compilation, is false for the object types
// shared and stays so; nothing is set on the fields shared). Schemas
// compiled with Config.Scalars share nothing: their custom scalars are
// their own.

// compiled is what the schema compiled most recently offers to share: its
// types by name, and its compiled object types.
type compiled struct {
	types   map[string]*ast.Definition
	objects map[string]*objectType
	query   string // the query type's name
}

// lastCompiled is the schema compiled most recently: one is enough when
// schemas share their definitions, and holding only the last keeps a
// process compiling unrelated schemas (tests) from holding them all.
var lastCompiled atomic.Pointer[compiled]

// sharedObjects returns the compiled object types of prev that the schema
// of cfg can use as its own, by name.
func sharedObjects(cfg *Config, prev *compiled) map[string]*objectType {
	if prev == nil || len(cfg.Scalars) > 0 {
		return nil
	}
	s := cfg.Schema
	// Types named by the Config's resolvers, computed fields and batches
	// get fields of their own.
	configured := make(map[string]bool)
	for _, keys := range [][]string{slices.Collect(maps.Keys(cfg.Resolvers)), slices.Collect(maps.Keys(cfg.Computed))} {
		for _, key := range keys {
			configured[typeOfKey(key)] = true
		}
	}
	for _, b := range cfg.Batches {
		configured[b.Type] = true
	}
	satisfies := func(name string) []string {
		out := []string{name}
		out = append(out, s.Types[name].Interfaces...)
		for _, def := range s.Types {
			if def.Kind == ast.Union && slices.Contains(def.Types, name) {
				out = append(out, def.Name)
			}
		}
		return out
	}
	same := make(map[string]*objectType)
	for name, def := range s.Types {
		o := prev.objects[name]
		if def.Kind != ast.Object || o == nil || prev.types[name] != def || o.callsResolvers ||
			configured[name] || name == prev.query || (s.Query != nil && s.Query.Name == name) ||
			!sameSet(o.satisfies, satisfies(name)) {
			continue
		}
		plain := true
		for _, f := range o.fields.list {
			if f.resolve != nil || f.compute != nil || f.batch != nil || f.root != rootNone {
				plain = false
				break
			}
		}
		if plain {
			same[name] = o
		}
	}
	// The greatest fixed point: drop the types whose fields refer to a
	// type not the same until none does.
	for changed := true; changed; {
		changed = false
		for name, o := range same {
			for _, f := range o.def.Fields {
				n := f.Type.Name()
				def := s.Types[n]
				if def != prev.types[n] || def.Kind == ast.Interface || def.Kind == ast.Union ||
					def.Kind == ast.Object && same[n] == nil {
					delete(same, name)
					changed = true
					break
				}
			}
		}
	}
	return same
}

// typeOfKey returns the type of a "Type.field" key.
func typeOfKey(key string) string {
	for i := range len(key) {
		if key[i] == '.' {
			return key[:i]
		}
	}
	return key
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// shareFields replaces, in place, each field of o, an object type the
// schema compiles itself, by prev's field of the same object type if that
// is identical (sameField).
func shareFields(o *objectType, prev *compiled) {
	po := prev.objects[o.name]
	if po == nil {
		return
	}
	for i, f := range o.fields.list {
		if pf := po.fields.get(f.name); pf != nil && sameField(f, pf) {
			o.fields.list[i] = pf
		}
	}
}

// sameField reports whether a and b are compiled the same. Their get
// functions are the same when both are set: introspectionFields has one
// per field of an introspection type, and a and b are the same field of
// the same type.
func sameField(a, b *fieldInfo) bool {
	return a.name == b.name && a.object == b.object && a.def == b.def &&
		a.resolve == nil && b.resolve == nil && a.compute == nil && b.compute == nil &&
		a.batch == b.batch && a.root == b.root && (a.get == nil) == (b.get == nil) &&
		sameType(a.typ, b.typ)
}

// sameType reports whether a and b are the same output type, compiled
// the same.
func sameType(a, b *typeRef) bool {
	if a == b {
		return true
	}
	if a.nonNull != b.nonNull || a.kind != b.kind || a.name != b.name {
		return false
	}
	switch a.kind {
	case kindList:
		return sameType(a.elem, b.elem)
	case kindScalar:
		return a.scalar == b.scalar && a.custom == b.custom
	case kindEnum:
		return maps.Equal(a.enum, b.enum)
	case kindObject:
		return a.object == b.object
	}
	return false // abstract types are not shared
}
