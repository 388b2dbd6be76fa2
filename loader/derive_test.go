package loader_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/loader"
)

// compileSDL compiles one extension file.
func compileSDL(t *testing.T, sdl string) *loader.Schema {
	t.Helper()
	s, err := loader.Compile([]*ast.Source{{Name: "tenants/test/goods.graphqls", Input: sdl}})
	require.NoError(t, err)
	return s
}

// inputField describes a field of an input type as "Type" or
// "Type = default", or returns "" if def has no such field.
func inputField(def *ast.Definition, name string) string {
	if def == nil {
		return ""
	}
	f := def.Fields.ForName(name)
	if f == nil {
		return ""
	}
	s := f.Type.String()
	if f.DefaultValue != nil {
		s += " = " + f.DefaultValue.String()
	}
	return s
}

func TestCompileDerivesInputsAndFilters(t *testing.T) {
	const enums = `
enum Unit { MM CM }
type Size { w: Int! unit: Unit }
`
	tests := []struct {
		name     string
		field    string // a field of extend type Goods
		create   string // its CreateGoodsInput field
		required bool   // whether createGoods needs it
		update   string // its UpdateGoodsInput field
		filter   string // its GoodsFilter field, "" for none
	}{
		{"required string", `code: String!`, "String!", true, "String", ""},
		{"nullable string", `code: String`, "String", false, "String", ""},
		{"non-null with default", `rate: Float! @default(value: 0.1)`, "Float! = 0.1", false, "Float", ""},
		{"nullable with default", `rate: Float @default(value: 2)`, "Float = 2", false, "Float", ""},
		{"list with default", `tags: [String!]! @default(value: [])`, "[String!]! = []", false, "[String!]", ""},
		{"list of nullable", `tags: [String]`, "[String]", false, "[String]", ""},
		{"list of one", `tags: [String!] @default(value: "new")`, `[String!] = "new"`, false, "[String!]", ""},
		{"nested list", `grid: [[Int!]!]!`, "[[Int!]!]!", true, "[[Int!]!]", ""},
		{"enum default", `unit: Unit! @default(value: CM)`, "Unit! = CM", false, "Unit", ""},
		{"object", `size: Size!`, "SizeInput!", true, "SizeInput", ""},
		{"list of objects", `sizes: [Size!]`, "[SizeInput!]", false, "[SizeInput!]", ""},
		{"object default", `size: Size @default(value: {w: 1, unit: MM})`, "SizeInput = {w:1,unit:MM}", false, "SizeInput", ""},
		{"filterable String", `code: String! @filterable`, "String!", true, "String", "StringFilter"},
		{"filterable ID", `ref: ID @filterable`, "ID", false, "ID", "IDFilter"},
		{"filterable enum", `unit: Unit! @filterable`, "Unit!", true, "Unit", "UnitFilter"},
		{"filterable Int", `stock: Int! @filterable`, "Int!", true, "Int", "IntRange"},
		{"filterable Float", `weight: Float @filterable`, "Float", false, "Float", "FloatRange"},
		{"filterable DateTime", `due: DateTime @filterable`, "DateTime", false, "DateTime", "DateTimeRange"},
		{"filterable Boolean", `fragile: Boolean! @filterable @sortable`, "Boolean!", true, "Boolean", "Boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := compileSDL(t, enums+"extend type Goods { "+tt.field+" }\n")
			name := s.Ext.Fields[0].Name
			types := s.AST.Types
			require.Equal(t, tt.create, inputField(types["CreateGoodsInput"], name), "CreateGoodsInput.%s", name)
			in := types["CreateGoodsInput"].Fields.ForName(name)
			require.Equal(t, tt.required, in.Type.NonNull && in.DefaultValue == nil, "CreateGoodsInput.%s is required", name)
			require.Equal(t, tt.update, inputField(types["UpdateGoodsInput"], name), "UpdateGoodsInput.%s", name)
			require.Equal(t, tt.filter, inputField(types["GoodsFilter"], name), "GoodsFilter.%s", name)
			// The base fields stay as they are, first.
			require.Equal(t, "name", types["CreateGoodsInput"].Fields[0].Name)
			require.Equal(t, "String!", inputField(types["CreateGoodsInput"], "name"))
		})
	}
}

func TestCompileAddsFilterTypesOnlyWhenUsed(t *testing.T) {
	s := compileSDL(t, `
enum Unit { MM CM }
enum Unused { A }
extend type Goods {
  code: String! @filterable
  other: String @filterable
  unit: Unit
  stock: Int
}
`)
	types := s.AST.Types
	require.NotNil(t, types["StringFilter"])
	require.Equal(t, "String", inputField(types["StringFilter"], "eq"))
	require.Equal(t, "[String!]", inputField(types["StringFilter"], "in"))
	require.NotEmpty(t, types["StringFilter"].Description)
	for _, name := range []string{"IDFilter", "IntRange", "UnitFilter", "UnusedFilter"} {
		require.Nil(t, types[name], "%s is not used", name)
	}

	s = compileSDL(t, `enum Unit { MM CM }
extend type Goods { unit: Unit @filterable, stock: Int! @filterable, ref: ID! @filterable }`)
	types = s.AST.Types
	require.Equal(t, "Unit", inputField(types["UnitFilter"], "eq"))
	require.Equal(t, "[Unit!]", inputField(types["UnitFilter"], "in"))
	require.Equal(t, "ID", inputField(types["IDFilter"], "eq"))
	for _, bound := range []string{"gt", "gte", "lt", "lte"} {
		require.Equal(t, "Int", inputField(types["IntRange"], bound))
	}
	require.Nil(t, types["StringFilter"])
}

func TestCompileDerivesSortValues(t *testing.T) {
	tests := []struct {
		field string
		want  string
	}{
		{"categoryCode", "CATEGORY_CODE"},
		{"code", "CODE"},
		{"vendorID", "VENDOR_ID"},
		{"HTTPStatus", "HTTP_STATUS"},
		{"httpStatusCode", "HTTP_STATUS_CODE"},
		{"line2Code", "LINE2_CODE"},
		{"already_snake", "ALREADY_SNAKE"},
		{"Mixed_Case", "MIXED_CASE"},
		{"_private", "_PRIVATE"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			s := compileSDL(t, "extend type Goods { "+tt.field+": String @sortable }")
			f, ok := s.Ext.Lookup(tt.field)
			require.True(t, ok)
			require.Equal(t, tt.want, f.SortValue)
			values := s.AST.Types["GoodsSortField"].EnumValues
			require.Equal(t, tt.want, values[len(values)-1].Name)
			require.Equal(t, "NAME", values[0].Name, "base values come first")
		})
	}

	s := compileSDL(t, "extend type Goods { plain: String }")
	require.Len(t, s.AST.Types["GoodsSortField"].EnumValues, 4, "no sortable field, no new value")
}

func TestCompileDerivesObjectInputs(t *testing.T) {
	s := compileSDL(t, `
"A unit of length."
enum Unit { MM CM }
"Outer dimensions."
type Dimensions {
  "Width in unit."
  width: Float!
  unit: Unit!
  box: Box
  labels: [Label!]!
}
type Box { size: Int, seal: Seal! }
type Seal { code: ID! }
type Label { text: String! }
"No field uses it."
type Orphan { x: Int }
extend type Goods {
  dimensions: Dimensions
  "Second use of Box."
  spare: [Box]
}
`)
	types := s.AST.Types
	in := types["DimensionsInput"]
	require.NotNil(t, in)
	require.Equal(t, ast.InputObject, in.Kind)
	require.Equal(t, "The input form of `Dimensions`.", in.Description)
	require.Equal(t, []string{"width", "unit", "box", "labels"}, fieldNames(in))
	require.Equal(t, "Float!", inputField(in, "width"))
	require.Equal(t, "Width in unit.", in.Fields.ForName("width").Description)
	require.Equal(t, "Unit!", inputField(in, "unit"))
	require.Equal(t, "BoxInput", inputField(in, "box"))
	require.Equal(t, "[LabelInput!]!", inputField(in, "labels"))
	require.Equal(t, "SealInput!", inputField(types["BoxInput"], "seal"))
	require.Equal(t, "ID!", inputField(types["SealInput"], "code"))
	require.Equal(t, "[BoxInput]", inputField(types["CreateGoodsInput"], "spare"))
	require.Equal(t, "Second use of Box.", types["CreateGoodsInput"].Fields.ForName("spare").Description)

	require.NotNil(t, types["Orphan"], "unused types stay in the schema")
	require.Nil(t, types["OrphanInput"], "unused types get no input type")
	require.Equal(t, ast.Object, types["Dimensions"].Kind, "the object type stays an object type")
}

func TestCompileCopiesDescriptions(t *testing.T) {
	s := compileSDL(t, `extend type Goods {
  "Category code from the customer's ERP"
  categoryCode: String! @filterable
  """
    Indented
      block
  """
  note: String
}`)
	for _, name := range []string{"Goods", "CreateGoodsInput", "UpdateGoodsInput", "GoodsFilter"} {
		f := s.AST.Types[name].Fields.ForName("categoryCode")
		require.Equal(t, "Category code from the customer's ERP", f.Description, name)
	}
	require.Equal(t, "Indented\n  block", s.AST.Types["CreateGoodsInput"].Fields.ForName("note").Description)
}

func TestCompileExtensionSet(t *testing.T) {
	s := compileSDL(t, `
enum Unit { MM CM }
type Size { w: Int!, h: Float, unit: Unit }
extend type Goods {
  "A description does not matter here."
  code: String! @filterable @sortable
  ref: ID @default(value: 42)
  unit: Unit! @default(value: CM) @sortable
  stock: Int! @default(value: 7) @filterable
  weight: Float @default(value: 1)
  fragile: Boolean! @default(value: true) @sortable
  due: DateTime @default(value: "2026-11-22T10:30:00.1234567+01:00") @filterable
  tags: [String!]! @default(value: [])
  one: [Int!] @default(value: 3)
  size: Size @default(value: {w: 2, unit: MM})
  old: String @deprecated(reason: "Use code.")
}
`)
	T := func(sdl string) *ast.Type {
		return s.AST.Types["Goods"].Fields.ForName(sdl).Type
	}
	require.Equal(t, []extension.Field{
		{Name: "code", Type: T("code"), Class: extension.ClassString, Filterable: true, Sortable: true, SortValue: "CODE"},
		{Name: "ref", Type: T("ref"), Class: extension.ClassString, HasDefault: true, Default: "42"},
		{Name: "unit", Type: T("unit"), Class: extension.ClassString, HasDefault: true, Default: "CM", Sortable: true, SortValue: "UNIT"},
		{Name: "stock", Type: T("stock"), Class: extension.ClassNumber, HasDefault: true, Default: float64(7), Filterable: true},
		{Name: "weight", Type: T("weight"), Class: extension.ClassNumber, HasDefault: true, Default: float64(1)},
		{Name: "fragile", Type: T("fragile"), Class: extension.ClassBool, HasDefault: true, Default: true, Sortable: true, SortValue: "FRAGILE"},
		{Name: "due", Type: T("due"), Class: extension.ClassTime, HasDefault: true, Default: "2026-11-22T09:30:00.123456Z", Filterable: true},
		{Name: "tags", Type: T("tags"), Class: extension.ClassNone, HasDefault: true, Default: []any{}},
		{Name: "one", Type: T("one"), Class: extension.ClassNone, HasDefault: true, Default: []any{float64(3)}},
		{Name: "size", Type: T("size"), Class: extension.ClassNone, HasDefault: true, Default: map[string]any{"w": float64(2), "unit": "MM"}},
		{Name: "old", Type: T("old"), Class: extension.ClassString},
	}, s.Ext.Fields)
	require.Equal(t, "String!", s.Ext.Fields[0].Type.String())
	require.NotNil(t, s.Ext.Fields[7].Default, "an empty list default is not null")

	f, ok := s.Ext.BySortValue("FRAGILE")
	require.True(t, ok)
	require.Equal(t, "fragile", f.Name)
}

func TestCompileExtensionSetOrder(t *testing.T) {
	// Files are read in order of name, whatever order they are given in.
	s, err := loader.Compile([]*ast.Source{
		{Name: "tenants/t/b.graphqls", Input: "extend type Goods { b1: Int b2: Int }"},
		{Name: "tenants/t/a.graphqls", Input: "extend type Goods { a1: Int }\nextend type Goods { a2: Int }"},
	})
	require.NoError(t, err)
	var names []string
	for _, f := range s.Ext.Fields {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"a1", "a2", "b1", "b2"}, names)
	require.Equal(t, []string{"name", "price", "description", "a1", "a2", "b1", "b2"}, fieldNames(s.AST.Types["CreateGoodsInput"]))
}

func TestCompileAcceptsTypesAcrossFiles(t *testing.T) {
	s, err := loader.Compile([]*ast.Source{
		{Name: "tenants/t/goods.graphqls", Input: "extend type Goods { size: Size @default(value: {unit: CM}) }"},
		{Name: "tenants/t/types.graphqls", Input: "type Size { unit: Unit! }\nenum Unit { MM CM }"},
	})
	require.NoError(t, err)
	require.Equal(t, "SizeInput = {unit:CM}", inputField(s.AST.Types["CreateGoodsInput"], "size"))
}

func fieldNames(def *ast.Definition) []string {
	var names []string
	for _, f := range def.Fields {
		names = append(names, f.Name)
	}
	return names
}

// TestCompileWeighsUpstreamFields checks that an @upstream field costs
// what a resolver-backed field costs for each goods (1), unless the
// tenant weighs it, while a stored field still costs nothing.
func TestCompileWeighsUpstreamFields(t *testing.T) {
	s := compileSDL(t, `
type Warehouse { code: String! city: String }
extend type Goods {
  code: String
  stock: Int @upstream(name: "inventory")
  warehouse: Warehouse @upstream(name: "inventory")
  forecast: Int @upstream(name: "inventory") @cost(weight: "5")
}
`)
	cost := func(query string) int {
		t.Helper()
		doc, errs := gqlparser.LoadQuery(s.AST, query)
		require.Empty(t, errs)
		return s.Cost.Operation(doc, doc.Operations[0], nil)
	}
	page := cost(`{ goodsList(first: 10) { nodes { id code } } }`)
	require.Equal(t, page, cost(`{ goodsList(first: 10) { nodes { id code warehouse { code } } } }`)-10, "warehouse: 1 per goods")
	require.Equal(t, page+10, cost(`{ goodsList(first: 10) { nodes { id code stock } } }`), "stock: 1 per goods")
	require.Equal(t, page+20, cost(`{ goodsList(first: 10) { nodes { id code stock warehouse { code city } } } }`))
	require.Equal(t, page+50, cost(`{ goodsList(first: 10) { nodes { id code forecast } } }`), "the tenant's own @cost")
	require.Equal(t, `@cost(weight: "1")`, directiveString(s.Authoring.Types["Goods"].Fields.ForName("stock").Directives.ForName("cost")),
		"in the authoring schema, which tenantgraph schema --authoring prints")
}

// directiveString prints d as SDL.
func directiveString(d *ast.Directive) string {
	if d == nil {
		return ""
	}
	return "@" + d.Name + "(" + d.Arguments[0].Name + ": " + d.Arguments[0].Value.String() + ")"
}
