// Package extension describes the fields a tenant adds to Goods.
//
// The loader compiles a tenant's extension files (tenants/<id>/*.graphqls)
// into a Set; the resolvers use it to turn derived arguments (extension
// filters, sort fields and inputs) into store parameters; the store keeps
// the values in the ext jsonb column. The GraphQL side of a field (its type,
// defaults, what it may be filtered and sorted by) lives here, so that
// neither the resolvers nor the store need to read a schema.
package extension

import "github.com/vektah/gqlparser/v2/ast"

// Class is how the store compares the values of a filterable or sortable
// field.
type Class int

// The value classes. Lists and value objects have no class: they can be
// neither filtered nor sorted.
const (
	ClassNone   Class = iota // not comparable
	ClassString              // String, ID and enums: byte order
	ClassNumber              // Int and Float
	ClassBool                // Boolean: false < true
	ClassTime                // DateTime: stored as fixed-width UTC strings, so byte order is time order
)

// Field is one extension field of Goods.
type Field struct {
	// Name is the GraphQL field name, which is also the key in the ext
	// column and in model.Goods.Ext.
	Name string
	// Type is the declared GraphQL type, such as String!, [Tag!]! or
	// Dimensions.
	Type *ast.Type
	// Class is the value class of a field of scalar or enum type, or
	// ClassNone for lists and value objects.
	Class Class
	// HasDefault reports whether the field has @default; Default is its
	// value as a JSON value (string, float64, bool, []any, map[string]any),
	// coerced to the field's type. The default applies to inputs of
	// createGoods and to stored goods that have no value for the field.
	HasDefault bool
	Default    any
	// Filterable and Sortable report @filterable and @sortable.
	Filterable bool
	Sortable   bool
	// SortValue is the field's value in the GoodsSortField enum, such as
	// CATEGORY_CODE for categoryCode; empty unless Sortable.
	SortValue string
}

// Set is the extension fields of one tenant, in declaration order. A nil
// or empty Set is the base schema.
type Set struct {
	Fields []Field
}

// Lookup returns the field with the given name.
func (s *Set) Lookup(name string) (*Field, bool) {
	if s == nil {
		return nil, false
	}
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i], true
		}
	}
	return nil, false
}

// BySortValue returns the sortable field whose GoodsSortField value is v.
func (s *Set) BySortValue(v string) (*Field, bool) {
	if s == nil {
		return nil, false
	}
	for i := range s.Fields {
		if s.Fields[i].Sortable && s.Fields[i].SortValue == v {
			return &s.Fields[i], true
		}
	}
	return nil, false
}
