package dynamic

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql/introspection"
)

// introspectionResolver returns the resolver of __schema or __type, which
// fail as generated code's do when the operation has introspection
// disabled (OperationContext.DisableIntrospection, set by gqlgen's
// executor unless the Introspection extension is used).
func (ex *execution) introspectionResolver(root rootField) FieldResolver {
	schema := ex.es.schema
	if root == rootSchema {
		return func(context.Context, any, map[string]any) (any, error) {
			if ex.oc.DisableIntrospection {
				return nil, errors.New(msgIntrospectionDisabled)
			}
			return introspection.WrapSchema(schema), nil
		}
	}
	return func(_ context.Context, _ any, args map[string]any) (any, error) {
		if ex.oc.DisableIntrospection {
			return nil, errors.New(msgIntrospectionDisabled)
		}
		name, _ := args["name"].(string)
		return typeValue(introspection.WrapTypeFromDef(schema, schema.Types[name])), nil
	}
}

// introspectionFields read the fields of the introspection types from
// gqlgen's introspection model, as generated code does: __Schema is a
// *introspection.Schema, __Type a *introspection.Type, and so on.
var introspectionFields = map[string]func(obj any, args map[string]any) any{
	"__Schema.description": func(o any, _ map[string]any) any { return o.(*introspection.Schema).Description() },
	"__Schema.types": func(o any, _ map[string]any) any {
		return ptrList[introspection.Type](o.(*introspection.Schema).Types())
	},
	"__Schema.queryType":        func(o any, _ map[string]any) any { return typeValue(o.(*introspection.Schema).QueryType()) },
	"__Schema.mutationType":     func(o any, _ map[string]any) any { return typeValue(o.(*introspection.Schema).MutationType()) },
	"__Schema.subscriptionType": func(o any, _ map[string]any) any { return typeValue(o.(*introspection.Schema).SubscriptionType()) },
	"__Schema.directives": func(o any, _ map[string]any) any {
		return ptrList[introspection.Directive](o.(*introspection.Schema).Directives())
	},

	"__Type.kind":           func(o any, _ map[string]any) any { return o.(*introspection.Type).Kind() },
	"__Type.name":           func(o any, _ map[string]any) any { return o.(*introspection.Type).Name() },
	"__Type.description":    func(o any, _ map[string]any) any { return o.(*introspection.Type).Description() },
	"__Type.specifiedByURL": func(o any, _ map[string]any) any { return o.(*introspection.Type).SpecifiedByURL() },
	// The spec has fields, interfaces, possibleTypes, enumValues,
	// inputFields and isOneOf null for the kinds of types they are not
	// about, where generated code answers [] and false.
	"__Type.fields": func(o any, args map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "OBJECT", "INTERFACE") {
			return nil
		}
		deprecated, _ := args["includeDeprecated"].(bool)
		return ptrList[introspection.Field](t.Fields(deprecated))
	},
	"__Type.interfaces": func(o any, _ map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "OBJECT", "INTERFACE") {
			return nil
		}
		return ptrList[introspection.Type](t.Interfaces())
	},
	"__Type.possibleTypes": func(o any, _ map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "INTERFACE", "UNION") {
			return nil
		}
		return ptrList[introspection.Type](t.PossibleTypes())
	},
	"__Type.enumValues": func(o any, args map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "ENUM") {
			return nil
		}
		deprecated, _ := args["includeDeprecated"].(bool)
		return ptrList[introspection.EnumValue](t.EnumValues(deprecated))
	},
	"__Type.inputFields": func(o any, args map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "INPUT_OBJECT") {
			return nil
		}
		deprecated, _ := args["includeDeprecated"].(bool)
		return ptrList[introspection.InputValue](inputValues(t.InputFields(), deprecated))
	},
	"__Type.ofType": func(o any, _ map[string]any) any { return typeValue(o.(*introspection.Type).OfType()) },
	"__Type.isOneOf": func(o any, _ map[string]any) any {
		t := o.(*introspection.Type)
		if !kindIs(t, "INPUT_OBJECT") {
			return nil
		}
		return t.IsOneOf()
	},

	"__Field.name":        func(o any, _ map[string]any) any { return &o.(*introspection.Field).Name },
	"__Field.description": func(o any, _ map[string]any) any { return o.(*introspection.Field).Description() },
	"__Field.args": func(o any, args map[string]any) any {
		deprecated, _ := args["includeDeprecated"].(bool)
		return ptrList[introspection.InputValue](inputValues(o.(*introspection.Field).Args, deprecated))
	},
	"__Field.type":         func(o any, _ map[string]any) any { return typeValue(o.(*introspection.Field).Type) },
	"__Field.isDeprecated": func(o any, _ map[string]any) any { return o.(*introspection.Field).IsDeprecated() },
	"__Field.deprecationReason": func(o any, _ map[string]any) any {
		f := o.(*introspection.Field)
		return deprecationReason(f.IsDeprecated(), f.DeprecationReason())
	},

	"__InputValue.name":         func(o any, _ map[string]any) any { return &o.(*introspection.InputValue).Name },
	"__InputValue.description":  func(o any, _ map[string]any) any { return o.(*introspection.InputValue).Description() },
	"__InputValue.type":         func(o any, _ map[string]any) any { return typeValue(o.(*introspection.InputValue).Type) },
	"__InputValue.defaultValue": func(o any, _ map[string]any) any { return o.(*introspection.InputValue).DefaultValue },
	"__InputValue.isDeprecated": func(o any, _ map[string]any) any { return o.(*introspection.InputValue).IsDeprecated() },
	"__InputValue.deprecationReason": func(o any, _ map[string]any) any {
		v := o.(*introspection.InputValue)
		return deprecationReason(v.IsDeprecated(), v.DeprecationReason())
	},

	"__EnumValue.name":         func(o any, _ map[string]any) any { return &o.(*introspection.EnumValue).Name },
	"__EnumValue.description":  func(o any, _ map[string]any) any { return o.(*introspection.EnumValue).Description() },
	"__EnumValue.isDeprecated": func(o any, _ map[string]any) any { return o.(*introspection.EnumValue).IsDeprecated() },
	"__EnumValue.deprecationReason": func(o any, _ map[string]any) any {
		v := o.(*introspection.EnumValue)
		return deprecationReason(v.IsDeprecated(), v.DeprecationReason())
	},

	"__Directive.name":         func(o any, _ map[string]any) any { return &o.(*introspection.Directive).Name },
	"__Directive.description":  func(o any, _ map[string]any) any { return o.(*introspection.Directive).Description() },
	"__Directive.isRepeatable": func(o any, _ map[string]any) any { return o.(*introspection.Directive).IsRepeatable },
	"__Directive.locations":    func(o any, _ map[string]any) any { return ptrList[string](o.(*introspection.Directive).Locations) },
	"__Directive.args": func(o any, args map[string]any) any {
		deprecated, _ := args["includeDeprecated"].(bool)
		return ptrList[introspection.InputValue](inputValues(o.(*introspection.Directive).Args, deprecated))
	},
}

// typeValue returns t, or an untyped nil for a nil t.
func typeValue(t *introspection.Type) any {
	if t == nil {
		return nil
	}
	return t
}

// nullableList returns l as a List of pointers into it, or an untyped nil
// for a nil l. Like generated code, a nil slice of the introspection model
// is null in a nullable list (nullableList) and empty in a non-null one
// (ptrList).
func nullableList[E any](l []E) any {
	if l == nil {
		return nil
	}
	return ptrList[E](l)
}

// kindIs reports whether t is of one of the kinds.
func kindIs(t *introspection.Type, kinds ...string) bool {
	k := t.Kind()
	for _, want := range kinds {
		if k == want {
			return true
		}
	}
	return false
}

// inputValues returns vs, without the deprecated ones unless
// includeDeprecated is set, as the spec's includeDeprecated arguments
// say (generated code ignores them).
func inputValues(vs []introspection.InputValue, includeDeprecated bool) []introspection.InputValue {
	if includeDeprecated {
		return vs
	}
	for i := range vs {
		if vs[i].IsDeprecated() {
			out := make([]introspection.InputValue, 0, len(vs))
			for j := range vs {
				if !vs[j].IsDeprecated() {
					out = append(out, vs[j])
				}
			}
			return out
		}
	}
	return vs
}

// noLongerSupported is the default reason of @deprecated.
var noLongerSupported = "No longer supported"

// deprecationReason returns reason, or @deprecated's default reason for a
// member deprecated without one (generated code answers null).
func deprecationReason(deprecated bool, reason *string) *string {
	if deprecated && reason == nil {
		return &noLongerSupported
	}
	return reason
}
