package dynamic

import (
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
	a, err := loader.Compile([]*ast.Source{{Name: "a.graphqls", Input: "extend type Goods { colour: String }"}})
	require.NoError(t, err)
	b, err := loader.Compile([]*ast.Source{{Name: "b.graphqls", Input: "extend type Goods { size: Int }"}})
	require.NoError(t, err)
	ea, eb := New(Config{Schema: a.AST}), New(Config{Schema: b.AST})
	for _, name := range []string{"__Schema", "__Type", "__Field", "__InputValue", "__EnumValue", "__Directive"} {
		require.Same(t, ea.objects[name], eb.objects[name], name)
	}
	require.NotSame(t, ea.objects["Goods"], eb.objects["Goods"])
	require.NotNil(t, eb.objects["Goods"].fields["size"])
	require.Nil(t, eb.objects["Goods"].fields["colour"])
	require.Same(t, eb.objects["__Field"], eb.objects["__Type"].fields["fields"].typ.elem.object,
		"a shared type refers to the shared types")

	// A schema of definitions of its own gets types of its own.
	other, err := gqlparser.LoadSchema(&ast.Source{Name: "other.graphqls", Input: "type Query { a: Int }"})
	require.NoError(t, err)
	eo := New(Config{Schema: other})
	require.NotSame(t, ea.objects["__Type"], eo.objects["__Type"])
	require.Same(t, other.Types["__Type"], eo.objects["__Type"].def)
}
