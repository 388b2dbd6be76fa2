package loader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestCompileSharesBaseDefinitions checks that tenants share the
// definitions their schemas have in common with the base schema, and only
// those: sharing changes nothing a tenant's schema says.
func TestCompileSharesBaseDefinitions(t *testing.T) {
	dir := filepath.Join("..", "tenants", "customerA")
	names, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	require.NoError(t, err)
	var files []*ast.Source
	for _, name := range names {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		files = append(files, &ast.Source{Name: name, Input: string(b)})
	}
	a, err := Compile(files)
	require.NoError(t, err)
	b, err := Compile(nil)
	require.NoError(t, err)

	for _, name := range []string{"__Type", "__Schema", "String", "PageInfo", "DateTime"} {
		require.Same(t, a.AST.Types[name], b.AST.Types[name], name)
		require.Same(t, a.Authoring.Types[name], b.Authoring.Types[name], name)
	}
	require.Same(t, a.AST.Directives["deprecated"], b.AST.Directives["deprecated"])
	require.NotSame(t, a.AST.Types["Goods"], b.AST.Types["Goods"])
	for _, schema := range []func(*Schema) *ast.Schema{
		func(s *Schema) *ast.Schema { return s.AST },
		func(s *Schema) *ast.Schema { return s.Authoring },
	} {
		ga, gb := schema(a).Types["Goods"], schema(b).Types["Goods"]
		require.Same(t, gb.Fields.ForName("name"), ga.Fields.ForName("name"), "the base fields of a tenant's own Goods are shared")
		require.Same(t, schema(b).Types["GoodsSortField"].EnumValues.ForName("PRICE"), schema(a).Types["GoodsSortField"].EnumValues.ForName("PRICE"))
	}
	require.Nil(t, b.AST.Types["Goods"].Fields.ForName("taxRate"), "customerA's fields stay its own")
	require.Same(t, a.AST.Query, a.AST.Types["Query"], "roots point into the schema's own types")

	// The same schema, compiled without sharing, says the same.
	alone, err := compile(files, nil)
	require.NoError(t, err)
	require.Equal(t, alone.SDL(), a.SDL())
	require.Equal(t, alone.AuthoringSDL(), a.AuthoringSDL())
	for name, defs := range alone.AST.PossibleTypes {
		require.Len(t, a.AST.PossibleTypes[name], len(defs))
		for i, def := range a.AST.PossibleTypes[name] {
			require.Same(t, a.AST.Types[def.Name], def)
			require.Equal(t, defs[i].Name, def.Name)
		}
	}
}
