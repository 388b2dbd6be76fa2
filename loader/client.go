package loader

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/astutil"
)

// What clients see of a tenant's schema is its API, not the language it
// was written in: the authoring directives of the base schema (@default,
// @filterable, @sortable, @cost, @listSize, @requiresScopes, @computed,
// @validate, @upstream), their uses, and the DefaultValue scalar that only
// @default takes are left out of introspection, validation and
// /schema.graphql. The loader, the cost model, the policy and the logic
// read them from the authoring schema (Schema.Authoring).

// authoringScalar is the scalar only the authoring directives use.
const authoringScalar = "DefaultValue"

// authoring reports whether a directive belongs to the authoring language:
// it is declared by the base schema, not by GraphQL.
func authoring(s *ast.Schema, name string) bool {
	d := s.Directives[name]
	return d != nil && !d.Position.Src.BuiltIn
}

// clientSchema returns s without the authoring directives, their uses and
// DefaultValue. Definitions that have none are shared with s.
func clientSchema(s *ast.Schema) *ast.Schema {
	directives := make(map[string]*ast.DirectiveDefinition, len(s.Directives))
	for name, d := range s.Directives {
		if !authoring(s, name) {
			directives[name] = d
		}
	}
	strip := func(dirs ast.DirectiveList) ast.DirectiveList {
		if !slices.ContainsFunc(dirs, func(d *ast.Directive) bool { return authoring(s, d.Name) }) {
			return dirs
		}
		return slices.DeleteFunc(slices.Clone(dirs), func(d *ast.Directive) bool { return authoring(s, d.Name) })
	}
	types := make(map[string]*ast.Definition, len(s.Types))
	for name, def := range s.Types {
		if name != authoringScalar {
			types[name] = clientDefinition(def, strip)
		}
	}
	c := astutil.Rebind(s, types)
	c.Directives = directives
	c.SchemaDirectives = strip(s.SchemaDirectives)
	return c
}

// clientDefinition returns def with strip applied to its directives and to
// those of its fields, their arguments and its enum values; def itself if
// that changes nothing.
func clientDefinition(def *ast.Definition, strip func(ast.DirectiveList) ast.DirectiveList) *ast.Definition {
	changed := false
	fields := def.Fields
	for i, f := range def.Fields {
		args := f.Arguments
		for j, a := range f.Arguments {
			if dirs := strip(a.Directives); len(dirs) != len(a.Directives) {
				if sameSlice(args, f.Arguments) {
					args = slices.Clone(f.Arguments)
				}
				ca := *a
				ca.Directives = dirs
				args[j] = &ca
			}
		}
		dirs := strip(f.Directives)
		if len(dirs) == len(f.Directives) && sameSlice(args, f.Arguments) {
			continue
		}
		if !changed {
			fields = slices.Clone(def.Fields)
			changed = true
		}
		cf := *f
		cf.Directives, cf.Arguments = dirs, args
		fields[i] = &cf
	}
	values := def.EnumValues
	valuesChanged := false
	for i, v := range def.EnumValues {
		dirs := strip(v.Directives)
		if len(dirs) == len(v.Directives) {
			continue
		}
		if !valuesChanged {
			values = slices.Clone(def.EnumValues)
			valuesChanged = true
		}
		cv := *v
		cv.Directives = dirs
		values[i] = &cv
	}
	dirs := strip(def.Directives)
	if !changed && !valuesChanged && len(dirs) == len(def.Directives) {
		return def
	}
	c := *def
	c.Fields, c.EnumValues, c.Directives = fields, values, dirs
	return &c
}

// sameSlice reports whether a and b are the same slice (not a copy).
func sameSlice[E any](a, b []E) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// fixPrelude makes gqlparser's prelude say what the gateway serves: @defer,
// which the gateway does not deliver incrementally, is not advertised (a
// document that uses it fails validation, as the spec says of an unknown
// directive). @deprecated keeps its DIRECTIVE_DEFINITION location, as
// graphql-js 16.15 declares it.
func fixPrelude(doc *ast.SchemaDocument) {
	doc.Directives = slices.DeleteFunc(doc.Directives, func(d *ast.DirectiveDefinition) bool { return d.Name == "defer" })
}
