package loader

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/extension"
)

// What the loader derives from a tenant's extension fields of Goods, so that
// a tenant declares a field once (DESIGN.md, section 3):
//
//   - CreateGoodsInput gets every field, with its input type: required
//     (non-null without a default) when the field is non-null and has no
//     @default, whose value becomes the input field's default;
//   - UpdateGoodsInput gets every field as optional (nullable);
//   - GoodsFilter gets a filter for every @filterable field: StringFilter,
//     IDFilter or <Enum>Filter (eq, in) for strings, IDs and enums, IntRange,
//     FloatRange or DateTimeRange (gt, gte, lt, lte) for numbers and
//     instants, and Boolean (equality) for booleans;
//   - GoodsSortField gets a value for every @sortable field: its name in
//     SCREAMING_SNAKE_CASE;
//   - every object type of the tenant's that a field reaches gets an input
//     type, <Type>Input, with the same fields in their input types;
//   - a @computed or @upstream field gets nothing: it is neither stored
//     nor given;
//   - whatever derives from a field with @requiresScopes carries the same
//     @requiresScopes: a caller who may not use the field may not set,
//     filter or sort by it either.
//
// and the weights of the static cost of operations (package cost):
//
//   - a filter of GoodsFilter for an extension field has the @cost of
//     GoodsFilter.nameContains: like it, it makes PostgreSQL compare a
//     value with every goods of the tenant (an unindexed jsonb expression);
//   - GoodsSortField gets that @cost too when the tenant has @sortable
//     fields: sorting by one sorts every goods of the tenant that the
//     filter admits, and IBM's cost directives cannot weigh one enum value
//     apart from the others, so every sort key of such a tenant costs it;
//   - a tenant's object type without a @cost of its own gets
//     @cost(weight: "0"): a value object is stored in the goods row and
//     read with it, unlike the object types of the base schema;
//   - an @upstream field without a @cost of its own gets
//     @cost(weight: "1") (upstreamWeight), whatever its type: it is not
//     read with the row but fetched from the tenant's service, one entity
//     per goods, as a resolver-backed field of the base schema reads a
//     goods row (Goods costs 1).
//
// Filter types are added only when a field needs them. Derived input fields
// carry the description of the field they derive from; derived
// definitions carry the position of the tenant's declaration they derive
// from, so that an error about one points at the tenant's file.

// The derived filter types, and the filter types of the base schema that
// derived filters use.
const (
	stringFilterName = "StringFilter"
	idFilterName     = "IDFilter"
	intRangeName     = "IntRange"
	floatRangeName   = "FloatRange"
	timeRangeName    = "DateTimeRange"
)

// enumFilterName returns the name of the filter type derived for an enum.
func enumFilterName(enum string) string { return enum + "Filter" }

// inputName returns the name of the input type derived for an object type.
func inputName(object string) string { return object + "Input" }

// derive returns what the loader derives from the tenant's extension
// fields, as a schema document to merge after the tenant's files, and the
// extension.Set that describes the fields. base is the base schema as
// parsed: a filter type it defines already is used rather than derived.
// derive adds the @cost of the tenant's object types and @upstream fields
// to their definitions in t, which are the tenant's, parsed for this
// compilation.
func derive(base *ast.SchemaDocument, t *declared) (*ast.SchemaDocument, *extension.Set) {
	set := &extension.Set{}
	d := &deriver{t: t, doc: &ast.SchemaDocument{}, added: map[string]bool{}}
	for _, def := range t.defs {
		if def.Kind == ast.Object && def.Directives.ForName(costName) == nil {
			def.Directives = append(def.Directives, costDirective("0", def.Position))
		}
	}
	for _, f := range t.fields {
		if f.upstream != nil && f.def.Directives.ForName(costName) == nil {
			f.def.Directives = append(f.def.Directives, costDirective(upstreamWeight, f.def.Position))
		}
	}
	if len(t.fields) == 0 {
		return d.doc, set
	}
	scan := scanWeight(base)
	for _, def := range base.Definitions {
		d.added[def.Name] = true
	}
	pos := t.fields[0].def.Position
	create := &ast.Definition{Kind: ast.InputObject, Name: createInputName, Position: pos}
	update := &ast.Definition{Kind: ast.InputObject, Name: updateInputName, Position: pos}
	filter := &ast.Definition{Kind: ast.InputObject, Name: filterName, Position: pos}
	sortField := &ast.Definition{Kind: ast.Enum, Name: sortFieldName, Position: pos}

	for _, f := range t.fields {
		def := f.def
		if notStored(f) != "" {
			continue // computed or from an upstream: never stored or given
		}
		in := d.inputType(def.Type)
		create.Fields = append(create.Fields, &ast.FieldDefinition{
			Description:  def.Description,
			Name:         def.Name,
			Type:         in,
			DefaultValue: copyValue(f.defaultValue),
			Directives:   requires(f.requires),
			Position:     def.Position,
		})
		optional := *in
		optional.NonNull = false
		update.Fields = append(update.Fields, &ast.FieldDefinition{
			Description: def.Description,
			Name:        def.Name,
			Type:        &optional,
			Directives:  requires(f.requires),
			Position:    def.Position,
		})
		if f.filterable {
			ff := &ast.FieldDefinition{
				Description: def.Description,
				Name:        def.Name,
				Type:        ast.NamedType(d.filterType(def.Type), def.Type.Position),
				Position:    def.Position,
			}
			if scan != nil {
				ff.Directives = ast.DirectiveList{costDirective(scan.Raw, def.Position)}
			}
			ff.Directives = append(ff.Directives, requires(f.requires)...)
			filter.Fields = append(filter.Fields, ff)
		}
		if f.sortable {
			sortField.EnumValues = append(sortField.EnumValues, &ast.EnumValueDefinition{
				Name:       f.sortValue,
				Directives: requires(f.requires),
				Position:   def.Position,
			})
		}
		set.Fields = append(set.Fields, extension.Field{
			Name:       def.Name,
			Type:       def.Type,
			Class:      d.class(def.Type),
			HasDefault: f.defaultValue != nil,
			Default:    f.defaultJSON,
			Filterable: f.filterable,
			Sortable:   f.sortable,
			SortValue:  f.sortValue,
		})
	}

	if len(sortField.EnumValues) > 0 && scan != nil && !hasCost(base, sortFieldName) {
		sortField.Directives = ast.DirectiveList{costDirective(scan.Raw, pos)}
	}
	for _, ext := range []*ast.Definition{create, update, filter, sortField} {
		if len(ext.Fields) > 0 || len(ext.EnumValues) > 0 {
			d.doc.Extensions = append(d.doc.Extensions, ext)
		}
	}
	return d.doc, set
}

// requires returns the directives that carry a field's @requiresScopes
// over to what derives from the field: dir alone, or none if it is nil.
func requires(dir *ast.Directive) ast.DirectiveList {
	if dir == nil {
		return nil
	}
	return ast.DirectiveList{dir}
}

// costName is the name of the @cost directive.
const costName = "cost"

// upstreamWeight is the @cost of an @upstream field that has none of its
// own: what a resolver-backed field of the base schema costs for each
// goods row it reads.
const upstreamWeight = "1"

// scanWeight returns the weight of GoodsFilter.nameContains in the base
// schema, the weight of a condition that PostgreSQL checks on every goods
// of the tenant, or nil if it has none.
func scanWeight(base *ast.SchemaDocument) *ast.Value {
	filter := base.Definitions.ForName(filterName)
	if filter == nil {
		return nil
	}
	f := filter.Fields.ForName("nameContains")
	if f == nil {
		return nil
	}
	dir := f.Directives.ForName(costName)
	if dir == nil {
		return nil
	}
	if arg := dir.Arguments.ForName("weight"); arg != nil && arg.Value != nil {
		return arg.Value
	}
	return nil
}

// hasCost reports whether the base type name has a @cost.
func hasCost(base *ast.SchemaDocument, name string) bool {
	def := base.Definitions.ForName(name)
	return def != nil && def.Directives.ForName(costName) != nil
}

// costDirective returns @cost(weight: weight) at pos.
func costDirective(weight string, pos *ast.Position) *ast.Directive {
	return &ast.Directive{
		Name: costName,
		Arguments: ast.ArgumentList{{
			Name:     "weight",
			Value:    &ast.Value{Raw: weight, Kind: ast.StringValue, Position: pos},
			Position: pos,
		}},
		Position: pos,
	}
}

// deriver builds the derived definitions of one tenant.
type deriver struct {
	t     *declared
	doc   *ast.SchemaDocument
	added map[string]bool // names of the definitions in doc or the base schema
}

// inputType returns the input type of a field of type t: t itself, with
// the tenant's object types replaced by their derived input types, which
// it adds to the document.
func (d *deriver) inputType(t *ast.Type) *ast.Type {
	if t.Elem != nil {
		return &ast.Type{Elem: d.inputType(t.Elem), NonNull: t.NonNull, Position: t.Position}
	}
	name := t.NamedType
	if def := d.t.types[name]; def != nil && def.Kind == ast.Object {
		name = d.objectInput(def)
	}
	return &ast.Type{NamedType: name, NonNull: t.NonNull, Position: t.Position}
}

// objectInput adds the input type of the object type obj, and those of the
// object types it reaches, and returns its name. The policy check has
// refused recursive object types.
func (d *deriver) objectInput(obj *ast.Definition) string {
	name := inputName(obj.Name)
	if d.added[name] {
		return name
	}
	d.added[name] = true
	in := &ast.Definition{
		Kind:        ast.InputObject,
		Name:        name,
		Description: "The input form of `" + obj.Name + "`.",
		Position:    obj.Position,
	}
	d.doc.Definitions = append(d.doc.Definitions, in)
	for _, f := range obj.Fields {
		in.Fields = append(in.Fields, &ast.FieldDefinition{
			Description: f.Description,
			Name:        f.Name,
			Type:        d.inputType(f.Type),
			Directives:  requires(f.Directives.ForName(authz.DirectiveName)),
			Position:    f.Position,
		})
	}
	return name
}

// filterType returns the type of the GoodsFilter field of a filterable
// field of type t, a named type, adding it to the document if it is a
// derived one.
func (d *deriver) filterType(t *ast.Type) string {
	switch t.NamedType {
	case "String":
		return d.equalityFilter(stringFilterName, "String", t.Position)
	case "ID":
		return d.equalityFilter(idFilterName, "ID", t.Position)
	case "Int":
		return d.intRange(t.Position)
	case "Float":
		return floatRangeName
	case "DateTime":
		return timeRangeName
	case "Boolean":
		return "Boolean"
	default: // an enum; the policy check refused the rest
		return d.equalityFilter(enumFilterName(t.NamedType), t.NamedType, t.Position)
	}
}

// equalityFilter adds the filter type name, with conditions eq and in on
// values of type of, and returns name.
func (d *deriver) equalityFilter(name, of string, pos *ast.Position) string {
	if d.added[name] {
		return name
	}
	d.added[name] = true
	d.doc.Definitions = append(d.doc.Definitions, &ast.Definition{
		Kind:        ast.InputObject,
		Name:        name,
		Description: "Conditions on a field of type `" + of + "`; a value matches when it satisfies every condition given.",
		Fields: ast.FieldList{
			{
				Description: "Equal to this value.",
				Name:        "eq",
				Type:        ast.NamedType(of, pos),
				Position:    pos,
			},
			{
				Description: "Equal to one of these values; an empty list matches nothing.",
				Name:        "in",
				Type:        ast.ListType(ast.NonNullNamedType(of, pos), pos),
				Position:    pos,
			},
		},
		Position: pos,
	})
	return name
}

// intRange adds IntRange, the range filter of Int fields, and returns its
// name. It is built like the base schema's FloatRange.
func (d *deriver) intRange(pos *ast.Position) string {
	if d.added[intRangeName] {
		return intRangeName
	}
	d.added[intRangeName] = true
	def := &ast.Definition{
		Kind:        ast.InputObject,
		Name:        intRangeName,
		Description: "Bounds on an integer; bounds left out are open.",
		Position:    pos,
	}
	for _, bound := range []string{"gt", "gte", "lt", "lte"} {
		def.Fields = append(def.Fields, &ast.FieldDefinition{Name: bound, Type: ast.NamedType("Int", pos), Position: pos})
	}
	d.doc.Definitions = append(d.doc.Definitions, def)
	return intRangeName
}

// class returns the value class of a field of type t.
func (d *deriver) class(t *ast.Type) extension.Class {
	if t.Elem != nil {
		return extension.ClassNone
	}
	switch t.NamedType {
	case "String", "ID":
		return extension.ClassString
	case "Int", "Float":
		return extension.ClassNumber
	case "Boolean":
		return extension.ClassBool
	case "DateTime":
		return extension.ClassTime
	}
	if def := d.t.types[t.NamedType]; def != nil && def.Kind == ast.Enum {
		return extension.ClassString
	}
	return extension.ClassNone
}

// sortValue returns the GoodsSortField value of a field: its name in
// SCREAMING_SNAKE_CASE, such as CATEGORY_CODE for categoryCode, VENDOR_ID
// for vendorID and HTTP_STATUS for httpStatus or HTTPStatus.
func sortValue(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isUpper(c) && i > 0 && name[i-1] != '_' {
			prev := name[i-1]
			startsWord := i+1 < len(name) && isLower(name[i+1])
			if isLower(prev) || isDigit(prev) || (isUpper(prev) && startsWord) {
				b.WriteByte('_')
			}
		}
		if isLower(c) {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// copyValue returns a deep copy of v, so that the default of a derived
// input field does not share its literal with the @default directive.
func copyValue(v *ast.Value) *ast.Value {
	if v == nil {
		return nil
	}
	c := &ast.Value{Raw: v.Raw, Kind: v.Kind, Position: v.Position}
	if len(v.Children) > 0 {
		c.Children = make(ast.ChildValueList, len(v.Children))
		for i, child := range v.Children {
			c.Children[i] = &ast.ChildValue{Name: child.Name, Value: copyValue(child.Value), Position: child.Position}
		}
	}
	return c
}
