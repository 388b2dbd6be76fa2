package loader_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

func newRegistry(t *testing.T, dir string) (*loader.Registry, error) {
	t.Helper()
	return loader.New(loader.Options{
		Dir:        dir,
		Resolvers:  &resolvers.Resolver{},
		NewHandler: func(graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:     slog.New(slog.DiscardHandler),
	})
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
	for _, tn := range reg.Tenants() {
		ids = append(ids, tn.ID)
	}
	require.Equal(t, []string{"acme", "globex"}, ids)

	acme, ok := reg.Lookup("acme")
	require.True(t, ok)
	require.Equal(t, "Acme", acme.Config.Name)
	require.Equal(t, loader.StatusActive, acme.Config.Status)
	require.NotNil(t, acme.Runtime.Schema.Types["Goods"])

	globex, _ := reg.Lookup("globex")
	require.Equal(t, loader.StatusSuspended, globex.Config.Status)
	require.Same(t, acme.Runtime, globex.Runtime, "tenants with the same schema sources share a runtime")
	require.Len(t, acme.Runtime.Hash, 64)

	_, ok = reg.Lookup("initech")
	require.False(t, ok)
}

func TestRegistryReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good", "tenant.yaml"), "name: Good\n")
	writeFile(t, filepath.Join(dir, "unknown-key", "tenant.yaml"), "name: X\nplan: gold\n")
	writeFile(t, filepath.Join(dir, "no-name", "tenant.yaml"), "status: active\n")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	writeFile(t, filepath.Join(dir, "bad id!", "tenant.yaml"), "name: X\n")

	_, err := newRegistry(t, dir)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(dir, "unknown-key", "tenant.yaml") + `:2:1: unknown field "plan"`,
		filepath.Join(dir, "no-name", "tenant.yaml") + ": name is required",
		filepath.Join(dir, "empty") + ": missing tenant.yaml",
		filepath.Join(dir, "bad id!") + ": directory name is not a valid tenant ID",
	} {
		require.Contains(t, msg, want)
	}
	require.Equal(t, 4, strings.Count(msg, "\n")+1, "one line per problem:\n%s", msg)
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
