package loader_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/loader"
)

// plainOptions are the options of a registry of dir that serves tenants
// with the dynamic executor behind a handler that answers 404, and logs
// nothing: for tests of the registry itself.
func plainOptions(dir string) loader.Options {
	return loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return dynamic.New(dynamic.Config{Schema: s.AST})
		},
		NewHandler: func(string, graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:     slog.New(slog.DiscardHandler),
	}
}

func newRegistry(t *testing.T, dir string) (*loader.Registry, error) {
	t.Helper()
	reg, err := loader.New(plainOptions(dir))
	if err == nil {
		t.Cleanup(reg.Close)
	}
	return reg, err
}

func TestRegistryLoadsTenants(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "acme", "tenant.yaml"), "name: Acme\n")
	writeFile(t, filepath.Join(dir, "globex", "tenant.yaml"), "name: Globex\nstatus: suspended\n")
	writeFile(t, filepath.Join(dir, "..data", "tenant.yaml"), "broken: [")    // a ConfigMap's hidden entry
	writeFile(t, filepath.Join(dir, "README.md"), "not a tenant directory\n") // plain files are ignored

	reg, err := newRegistry(t, dir)
	require.NoError(t, err)

	var ids []string
	for _, st := range reg.States() {
		ids = append(ids, st.ID)
		require.True(t, st.Serving, st.ID)
		require.False(t, st.Resident, "%s: nothing is compiled before it is looked up", st.ID)
	}
	require.Equal(t, []string{"acme", "globex"}, ids)
	require.Empty(t, reg.Tenants())

	acme, ok := reg.Lookup("acme")
	require.True(t, ok)
	require.Equal(t, "Acme", acme.Config.Name)
	require.Equal(t, loader.StatusActive, acme.Config.Status)
	require.NotNil(t, acme.Runtime.Schema.AST.Types["Goods"])

	globex, _ := reg.Lookup("globex")
	require.Equal(t, loader.StatusSuspended, globex.Config.Status)
	require.Same(t, acme.Runtime, globex.Runtime, "tenants with the same schema sources share a runtime")
	require.Len(t, acme.Runtime.Hash, 64)

	_, ok = reg.Lookup("initech")
	require.False(t, ok)
	ids = nil
	for _, tn := range reg.Tenants() {
		ids = append(ids, tn.ID)
	}
	require.Equal(t, []string{"acme", "globex"}, ids, "looked-up tenants are resident")
}

func TestRegistryReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good", "tenant.yaml"), "name: Good\n")
	writeFile(t, filepath.Join(dir, "unknown-key", "tenant.yaml"), "name: X\nplan: gold\n")
	writeFile(t, filepath.Join(dir, "no-name", "tenant.yaml"), "status: active\n")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	writeFile(t, filepath.Join(dir, "bad id!", "tenant.yaml"), "name: X\n")
	writeFile(t, filepath.Join(dir, "bad-sdl", "tenant.yaml"), "name: X\n")
	writeFile(t, filepath.Join(dir, "bad-sdl", "goods.graphqls"), "extend type Query {\n  hack: String\n}\n")

	want := []string{
		filepath.Join(dir, "unknown-key", "tenant.yaml") + `:2:1: unknown field "plan"`,
		filepath.Join(dir, "no-name", "tenant.yaml") + ": name is required",
		filepath.Join(dir, "empty") + ": missing tenant.yaml",
		filepath.Join(dir, "bad id!") + ": directory name is not a valid tenant ID",
		filepath.Join(dir, "bad-sdl", "goods.graphqls") + ":1:",
	}

	// At start, broken tenants are not served but do not stop the others.
	reg, err := newRegistry(t, dir)
	require.NoError(t, err)
	_, ok := reg.Lookup("good")
	require.True(t, ok)
	for _, id := range []string{"unknown-key", "no-name", "empty", "bad-sdl"} {
		_, ok := reg.Lookup(id)
		require.False(t, ok, id)
		require.True(t, reg.Known(id), id)
	}
	msg := reg.Problems().Error()
	for _, w := range want {
		require.Contains(t, msg, w)
	}

	// Check refuses all of them, in one report.
	err = loader.Check(dir)
	require.Error(t, err)
	for _, w := range want {
		require.Contains(t, err.Error(), w)
	}
}

func TestRegistryReloadKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "acme", "tenant.yaml"), "name: Acme\n")
	writeFile(t, filepath.Join(dir, "globex", "tenant.yaml"), "name: Globex\n")
	writeFile(t, filepath.Join(dir, "globex", "goods.graphqls"), "extend type Goods {\n  colour: String\n}\n")
	reg, err := newRegistry(t, dir)
	require.NoError(t, err)
	acme, _ := reg.Lookup("acme")
	globex, _ := reg.Lookup("globex")
	require.NotNil(t, globex.Runtime.Schema.AST.Types["Goods"].Fields.ForName("colour"))

	// Unchanged tenants keep their Tenant; a broken one keeps its last good.
	writeFile(t, filepath.Join(dir, "globex", "goods.graphqls"), "extend type Goods {\n  colour: Nope\n}\n")
	err = reg.Reload()
	require.ErrorContains(t, err, filepath.Join(dir, "globex", "goods.graphqls")+":2:")
	acme2, _ := reg.Lookup("acme")
	globex2, _ := reg.Lookup("globex")
	require.Same(t, acme, acme2)
	require.Same(t, globex, globex2)
	st := reg.States()
	require.Equal(t, "globex", st[1].ID)
	require.True(t, st[1].Serving)
	require.Contains(t, st[1].Error, "Nope")

	// Undoing the broken edit brings back the tenant as it was, without
	// the error.
	writeFile(t, filepath.Join(dir, "globex", "goods.graphqls"), "extend type Goods {\n  colour: String\n}\n")
	require.NoError(t, reg.Reload())
	globexBack, _ := reg.Lookup("globex")
	require.Same(t, globex, globexBack)
	require.Empty(t, reg.States()[1].Error)
	require.NoError(t, reg.Problems())

	// A good edit is served; removing a tenant's directory removes it.
	writeFile(t, filepath.Join(dir, "globex", "goods.graphqls"), "extend type Goods {\n  size: Int\n}\n")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "acme")))
	require.NoError(t, reg.Reload())
	globex3, _ := reg.Lookup("globex")
	require.NotNil(t, globex3.Runtime.Schema.AST.Types["Goods"].Fields.ForName("size"))
	require.Nil(t, globex3.Runtime.Schema.AST.Types["Goods"].Fields.ForName("colour"))
	require.Empty(t, reg.States()[0].Error)
	_, ok := reg.Lookup("acme")
	require.False(t, ok)
	require.False(t, reg.Known("acme"))
}

func TestRegistryMissingDirectory(t *testing.T) {
	_, err := newRegistry(t, filepath.Join(t.TempDir(), "nope"))
	require.ErrorContains(t, err, "read tenants directory")
}

func TestShippedTenantsLoad(t *testing.T) {
	reg, err := newRegistry(t, filepath.Join("..", "tenants"))
	require.NoError(t, err)
	for _, id := range []string{"acme", "customerA"} {
		_, ok := reg.Lookup(id)
		require.True(t, ok, id)
	}
}

func TestRegistryIssuers(t *testing.T) {
	dir := t.TempDir()
	auth := "auth:\n  issuer: https://idp.example\n  jwksURL: https://idp.example/jwks\n"
	writeFile(t, filepath.Join(dir, "a", "tenant.yaml"), "name: A\n"+auth)
	writeFile(t, filepath.Join(dir, "b", "tenant.yaml"), "name: B\n"+auth)
	writeFile(t, filepath.Join(dir, "c", "tenant.yaml"), "name: C\n")
	reg, err := newRegistry(t, dir)
	require.NoError(t, err)

	owner, ok := reg.Issuer("https://idp.example")
	require.True(t, ok)
	require.Equal(t, "a", owner.ID, "the first tenant by ID keeps a contested issuer")
	require.ErrorContains(t, reg.Problems(), `auth.issuer "https://idp.example" is already the issuer of tenant "a"`)
	_, ok = reg.Issuer("https://other.example")
	require.False(t, ok)

	// Resolving the conflict clears the problem at the next reload.
	writeFile(t, filepath.Join(dir, "b", "tenant.yaml"), "name: B\nauth:\n  issuer: https://b.example\n  jwksURL: https://b.example/jwks\n")
	require.NoError(t, reg.Reload())
	owner, _ = reg.Issuer("https://b.example")
	require.Equal(t, "b", owner.ID)
	require.NoError(t, reg.Problems())
}
