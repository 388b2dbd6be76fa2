package dynamic

import (
	"context"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Access is what the caller of an operation may use of the schema, beyond
// what the schema has: a field, input field or enum value the caller may
// not use makes its method return the error reported for it (nil when it
// may use it). Attach it to an operation's context with [WithAccess].
//
// The executor asks while it plans the operation, before any resolver
// runs. A field the caller may not select, or whose arguments use an input
// field or enum value it may not, is a field error at its path, with the
// Access's error, and null, which propagates as any null does; its
// resolver never runs, so a forbidden mutation field changes nothing. A
// value of an enum the caller may not see in a result is a field error
// too. Introspection is not asked about: neither __schema and __type nor
// the fields of the introspection types, so that an Access never changes
// the response of an introspection-only operation (which the executable
// schema caches; see [ExecutableSchema.Exec]).
//
// The methods may be called concurrently.
type Access interface {
	// Field reports whether the caller may select the field of the
	// object type.
	Field(object, field string) error
	// InputField reports whether the caller may give the field of the
	// input object type.
	InputField(input, field string) error
	// EnumValue reports whether the caller may use the value of the
	// enum, in an argument or a result.
	EnumValue(enum, value string) error
	// RestrictsEnum reports whether EnumValue may return an error for
	// some value of the enum; only then are its values in results asked
	// about.
	RestrictsEnum(enum string) bool
}

type accessKey struct{}

// WithAccess returns a copy of ctx in which operations are executed under
// a. A nil a lets the caller use the whole schema.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// accessFrom returns the Access of ctx, or nil.
func accessFrom(ctx context.Context) Access {
	a, _ := ctx.Value(accessKey{}).(Access)
	return a
}

// restrictedEnums returns the names of the enums of the schema whose
// values a may refuse, or nil if there are none.
func (e *ExecutableSchema) restrictedEnums(a Access) map[string]bool {
	var m map[string]bool
	for _, name := range e.enums {
		if a.RestrictsEnum(name) {
			if m == nil {
				m = map[string]bool{}
			}
			m[name] = true
		}
	}
	return m
}

// checkAccess returns the error of the first thing of pf, a field of the
// object type t with its arguments coerced, that the caller may not use.
func (ex *execution) checkAccess(t *objectType, pf *planField) error {
	if err := ex.access.Field(t.name, pf.cf.Name); err != nil {
		return err
	}
	if pf.argsErr {
		return nil // reported as it is
	}
	for _, ad := range pf.info.def.Arguments {
		if v, ok := pf.args[ad.Name]; ok {
			if err := ex.checkInput(v, ad.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInput returns the error of the first input field or enum value of
// v, a coerced value of type t, that the caller may not use.
func (ex *execution) checkInput(v any, t *ast.Type) error {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return ex.checkInput(v, t.Elem)
		}
		for _, e := range list {
			if err := ex.checkInput(e, t.Elem); err != nil {
				return err
			}
		}
		return nil
	}
	def := ex.es.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if s, ok := v.(string); ok {
			return ex.access.EnumValue(def.Name, s)
		}
	case ast.InputObject:
		m, _ := v.(map[string]any)
		for _, fd := range def.Fields {
			fv, given := m[fd.Name]
			if !given {
				continue
			}
			if err := ex.access.InputField(def.Name, fd.Name); err != nil {
				return err
			}
			if err := ex.checkInput(fv, fd.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldErrorAt is err as the error of the field pf at path, with the
// field's location: the error of a field the caller may not use, or that
// failed to compute.
func fieldErrorAt(pf *planField, path ast.Path, err error) error {
	gqlErr := gqlerror.WrapPath(path, err)
	if pos := pf.cf.Position; pos != nil {
		gqlErr.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return gqlErr
}
