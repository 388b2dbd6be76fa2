package authz

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/astutil"
)

// Schema returns the schema a caller with g is served when the Policy's
// mode is Hide: the Policy's schema without the members g does not allow,
// and without what is left with nothing to use:
//
//   - a field, input field or enum value g does not allow is removed;
//   - an object, input object or enum type left without fields or values
//     is removed, and with it every field, argument and input field of
//     its type (a non-null argument takes its field with it);
//   - a type that nothing left reaches from the root types or the
//     directives is removed, so that a type used only by hidden fields is
//     not shown either.
//
// The result shares every definition that loses nothing with the Policy's
// schema; both must be treated as read-only. ok is false when the caller
// may use no field of Query: there is no schema to serve it.
//
// Schema filters the compiled schema rather than compiling the tenant's
// files again: it is cheap enough to run on a caller's first request.
func (g Grant) Schema() (s *ast.Schema, ok bool) {
	src := g.p.schema
	if g.all {
		return src, true
	}
	f := &filter{g: g, src: src, removed: map[string]bool{}}
	f.fixpoint()

	types := make(map[string]*ast.Definition, len(src.Types))
	for name, def := range src.Types {
		if !f.removed[name] {
			types[name] = f.copyDef(def)
		}
	}
	view := astutil.Rebind(src, types)
	if view.Query == nil {
		return nil, false
	}
	prune(view)
	// Rebind again: prune removed types the possible types may name.
	return astutil.Rebind(view, view.Types), true
}

// filter finds what a Grant's view removes.
type filter struct {
	g       Grant
	src     *ast.Schema
	removed map[string]bool // types left with nothing to use
}

// fixpoint removes types until every type left has a member left.
func (f *filter) fixpoint() {
	for changed := true; changed; {
		changed = false
		for name, def := range f.src.Types {
			if f.removed[name] || def.BuiltIn {
				continue
			}
			switch def.Kind {
			case ast.Object, ast.InputObject:
				if len(def.Fields) > 0 && !f.anyField(def) {
					f.removed[name], changed = true, true
				}
			case ast.Enum:
				if len(def.EnumValues) > 0 && !f.anyValue(def) {
					f.removed[name], changed = true, true
				}
			}
		}
	}
}

// anyField reports whether a field of def stays, leaving out __schema and
// __type, which gqlparser adds to Query: no query uses only them.
func (f *filter) anyField(def *ast.Definition) bool {
	for _, fd := range def.Fields {
		if !strings.HasPrefix(fd.Name, "__") && f.keepField(def, fd) {
			return true
		}
	}
	return false
}

func (f *filter) anyValue(def *ast.Definition) bool {
	for _, v := range def.EnumValues {
		if f.g.allows(def.Name, v.Name) {
			return true
		}
	}
	return false
}

// keepField reports whether the field (or input field) fd of def stays.
func (f *filter) keepField(def *ast.Definition, fd *ast.FieldDefinition) bool {
	if !f.g.allows(def.Name, fd.Name) || f.removed[fd.Type.Name()] {
		return false
	}
	for _, arg := range fd.Arguments {
		if f.removed[arg.Type.Name()] && arg.Type.NonNull && arg.DefaultValue == nil {
			return false
		}
	}
	return true
}

// copyDef returns def with the members f removes taken out, or def itself
// if it loses none.
func (f *filter) copyDef(def *ast.Definition) *ast.Definition {
	if def.BuiltIn {
		return def
	}
	changed := false
	fields := def.Fields
	for i, fd := range def.Fields {
		keep := f.keepField(def, fd)
		var args ast.ArgumentDefinitionList
		if keep {
			args = f.args(fd)
		}
		if !changed && keep && len(args) == len(fd.Arguments) {
			continue
		}
		if !changed {
			changed = true
			fields = append(ast.FieldList(nil), def.Fields[:i]...)
		}
		if !keep {
			continue
		}
		if len(args) != len(fd.Arguments) {
			c := *fd
			c.Arguments = args
			fd = &c
		}
		fields = append(fields, fd)
	}
	values := def.EnumValues
	valuesChanged := false
	for i, v := range def.EnumValues {
		keep := f.g.allows(def.Name, v.Name)
		if keep && !valuesChanged {
			continue
		}
		if !valuesChanged {
			valuesChanged = true
			values = append(ast.EnumValueList(nil), def.EnumValues[:i]...)
		}
		if keep {
			values = append(values, v)
		}
	}
	if !changed && !valuesChanged {
		return def
	}
	c := *def
	c.Fields = fields
	c.EnumValues = values
	return &c
}

// args returns the arguments of fd that stay: those whose type stays.
func (f *filter) args(fd *ast.FieldDefinition) ast.ArgumentDefinitionList {
	for i, arg := range fd.Arguments {
		if !f.removed[arg.Type.Name()] {
			continue
		}
		out := append(ast.ArgumentDefinitionList(nil), fd.Arguments[:i]...)
		for _, arg := range fd.Arguments[i+1:] {
			if !f.removed[arg.Type.Name()] {
				out = append(out, arg)
			}
		}
		return out
	}
	return fd.Arguments
}

// prune removes the types of s that nothing reaches from its root types
// and directives. Built-in types stay, as every schema has them.
func prune(s *ast.Schema) {
	reached := make(map[string]bool, len(s.Types))
	var visit func(name string)
	visit = func(name string) {
		if reached[name] {
			return
		}
		def := s.Types[name]
		if def == nil {
			return
		}
		reached[name] = true
		for _, fd := range def.Fields {
			visit(fd.Type.Name())
			for _, arg := range fd.Arguments {
				visit(arg.Type.Name())
			}
		}
		for _, name := range def.Interfaces {
			visit(name)
		}
		for _, name := range def.Types {
			visit(name)
		}
	}
	for _, root := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if root != nil {
			visit(root.Name)
		}
	}
	for _, dir := range s.Directives {
		for _, arg := range dir.Arguments {
			visit(arg.Type.Name())
		}
	}
	for name, def := range s.Types {
		if !reached[name] && !def.BuiltIn {
			delete(s.Types, name)
		}
	}
}
