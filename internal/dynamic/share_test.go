package dynamic

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/loader"
)

// TestSharedIntrospectionTypes checks that schemas with the same
// introspection definitions (as loader.Compile gives every tenant) share
// their compiled introspection types, and that others do not.
func TestSharedIntrospectionTypes(t *testing.T) {
	lastCompiled.Store(nil)
	a, err := loader.Compile([]*ast.Source{{Name: "a.graphqls", Input: "extend type Goods { colour: String }"}})
	require.NoError(t, err)
	b, err := loader.Compile([]*ast.Source{{Name: "b.graphqls", Input: "extend type Goods { size: Int }"}})
	require.NoError(t, err)
	ea, eb := New(Config{Schema: a.AST}), New(Config{Schema: b.AST})
	for _, name := range []string{"__Schema", "__Type", "__Field", "__InputValue", "__EnumValue", "__Directive"} {
		require.Same(t, object(ea, name), object(eb, name), name)
	}
	require.NotSame(t, object(ea, "Goods"), object(eb, "Goods"))
	require.NotNil(t, object(eb, "Goods").fields.get("size"))
	require.Nil(t, object(eb, "Goods").fields.get("colour"))
	require.Same(t, object(eb, "__Field"), object(eb, "__Type").fields.get("fields").typ.elem.object,
		"a shared type refers to the shared types")

	// A schema of definitions of its own gets types of its own.
	other, err := gqlparser.LoadSchema(&ast.Source{Name: "other.graphqls", Input: "type Query { a: Int }"})
	require.NoError(t, err)
	eo := New(Config{Schema: other})
	require.NotSame(t, object(ea, "__Type"), object(eo, "__Type"))
	require.Same(t, other.Types["__Type"], object(eo, "__Type").def)
}

// TestSharedObjectsAndFields checks that tenants with different
// extensions share the compiled object types and fields that come out the
// same (PageInfo, the base fields of Goods, Query.__schema), and nothing
// that is a tenant's own: each sees exactly its own fields of Goods, and
// the fields with a resolver of its Config, or that refer to its Goods,
// are its own.
func TestSharedObjectsAndFields(t *testing.T) {
	lastCompiled.Store(nil)
	a, err := loader.Compile([]*ast.Source{{Name: "a.graphqls", Input: "extend type Goods { colour: String @filterable }"}})
	require.NoError(t, err)
	b, err := loader.Compile([]*ast.Source{{Name: "b.graphqls", Input: "extend type Goods { size: Int }"}})
	require.NoError(t, err)
	resolver := func(context.Context, any, map[string]any) (any, error) { return nil, nil }
	config := func(s *ast.Schema) Config {
		return Config{Schema: s, Resolvers: map[string]FieldResolver{"Query.goods": resolver, "GoodsConnection.totalCount": resolver}}
	}
	ea := New(config(a.AST))
	eb := New(config(b.AST))
	ea2 := New(config(a.AST)) // a again, after b: shares with b

	require.Same(t, object(ea, "PageInfo"), object(eb, "PageInfo"))
	for _, e := range []*ExecutableSchema{ea, eb, ea2} {
		require.Same(t, object(ea, "PageInfo"), object(e, "GoodsConnection").fields.get("pageInfo").typ.object)
	}
	for _, name := range []string{"id", "name", "price", "description", "createdAt", "updatedAt"} {
		require.Same(t, object(ea, "Goods").fields.get(name), object(eb, "Goods").fields.get(name), name)
	}
	require.Same(t, ea.query.fields.get("__schema"), eb.query.fields.get("__schema"))
	require.Same(t, object(ea, "GoodsEdge").fields.get("cursor"), object(eb, "GoodsEdge").fields.get("cursor"))

	for _, tc := range []struct {
		e    *ExecutableSchema
		own  string
		none string
	}{{ea, "colour", "size"}, {eb, "size", "colour"}, {ea2, "colour", "size"}} {
		goods := object(tc.e, "Goods")
		require.Len(t, goods.fields.list, 7)
		require.NotNil(t, goods.fields.get(tc.own))
		require.Nil(t, goods.fields.get(tc.none))
		require.Same(t, goods, tc.e.query.fields.get("goods").typ.object)
		require.Same(t, goods, object(tc.e, "GoodsEdge").fields.get("node").typ.object)
		require.Same(t, goods, object(tc.e, "GoodsConnection").fields.get("nodes").typ.elem.object)
		require.Same(t, object(tc.e, "GoodsEdge"), object(tc.e, "GoodsConnection").fields.get("edges").typ.elem.object)
		require.NotNil(t, tc.e.query.fields.get("goods").resolve)
		require.NotNil(t, object(tc.e, "GoodsConnection").fields.get("totalCount").resolve)
		require.True(t, tc.e.query.callsResolvers)
		require.False(t, goods.callsResolvers)
	}
	require.NotSame(t, ea.query.fields.get("goods"), eb.query.fields.get("goods"))
	require.NotSame(t, object(ea, "GoodsConnection").fields.get("totalCount"), object(eb, "GoodsConnection").fields.get("totalCount"))

	// A resolver on a field of a type otherwise shared makes the type
	// the schema's own, and its field too.
	ec := New(Config{Schema: b.AST, Resolvers: map[string]FieldResolver{"PageInfo.hasNextPage": resolver}})
	require.NotSame(t, object(eb, "PageInfo"), object(ec, "PageInfo"))
	require.NotNil(t, object(ec, "PageInfo").fields.get("hasNextPage").resolve)
	require.Nil(t, object(eb, "PageInfo").fields.get("hasNextPage").resolve)
	require.Same(t, object(eb, "PageInfo").fields.get("endCursor"), object(ec, "PageInfo").fields.get("endCursor"))
	ed := New(config(b.AST))
	require.Nil(t, object(ed, "PageInfo").fields.get("hasNextPage").resolve, "a resolver of one schema is not another's")
}

// object returns e's object type named name, found from its root types,
// or nil.
func object(e *ExecutableSchema, name string) *objectType {
	seen := map[*objectType]bool{}
	var walk func(o *objectType) *objectType
	walk = func(o *objectType) *objectType {
		if o == nil || seen[o] {
			return nil
		}
		seen[o] = true
		if o.name == name {
			return o
		}
		for _, f := range o.fields.list {
			t := f.typ
			for t.kind == kindList {
				t = t.elem
			}
			if found := walk(t.object); found != nil {
				return found
			}
		}
		return nil
	}
	if o := walk(e.query); o != nil {
		return o
	}
	return walk(e.mutation)
}

// TestManyFields checks that an object type with more fields than a
// fieldTable searches in order finds each of them.
func TestManyFields(t *testing.T) {
	var sdl strings.Builder
	sdl.WriteString("extend type Goods {\n")
	for i := range 2 * linearFields {
		fmt.Fprintf(&sdl, "  f%d: Int\n", i)
	}
	sdl.WriteString("}\n")
	s, err := loader.Compile([]*ast.Source{{Name: "many.graphqls", Input: sdl.String()}})
	require.NoError(t, err)
	e := New(Config{Schema: s.AST})
	goods := object(e, "Goods")
	require.NotNil(t, goods.fields.byName)
	for _, fd := range s.AST.Types["Goods"].Fields {
		require.Same(t, fd, goods.fields.get(fd.Name).def, fd.Name)
	}
	require.Nil(t, goods.fields.get("nope"))
	require.Nil(t, object(e, "PageInfo").fields.byName)
	require.Nil(t, object(e, "PageInfo").fields.get("nope"))
}

// TestCompileConcurrently compiles schemas at once, as tenants compile and
// views are built on different requests: a compile reads what the one
// before published (run with -race; a field map written after it was
// published was a fatal concurrent map read and write).
func TestCompileConcurrently(t *testing.T) {
	var b strings.Builder
	b.WriteString("type Query {")
	for i := range linearFields + 4 { // indexed by name
		fmt.Fprintf(&b, " f%d: Int", i)
	}
	b.WriteString(" }")
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "many.graphqls", Input: b.String()})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				e := New(Config{Schema: s})
				require.NotNil(t, e.query.fields.get("f19"))
			}
		})
	}
	wg.Wait()
}
