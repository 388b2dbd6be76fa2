package loader_test

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/loader"
)

// TestReloadLogsChangesOnly: a reload that changes nothing, such as
// Watch's first right after start, does not repeat "tenants loaded" or a
// tenant's failure at info level; a reload that changes something does.
func TestReloadLogsChangesOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "acme", "tenant.yaml"), "name: Acme\n")
	writeFile(t, filepath.Join(dir, "broken", "tenant.yaml"), "name: [\n")
	logs := &testenv.Buffer{}
	reg, err := loader.New(loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return dynamic.New(dynamic.Config{Schema: s.AST})
		},
		NewHandler: func(string, graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	require.Equal(t, 1, logs.Count(`"msg":"tenants loaded"`), logs.String())
	require.Equal(t, 1, logs.Count(`"msg":"tenant failed to load; it is not served"`), logs.String())

	require.Error(t, reg.Reload())
	require.Equal(t, 1, logs.Count(`"msg":"tenants loaded"`), "nothing changed: %s", logs)
	require.Equal(t, 1, logs.Count(`"msg":"tenant failed to load; it is not served"`), "failing as before: %s", logs)

	writeFile(t, filepath.Join(dir, "acme", "tenant.yaml"), "name: Acme Corp\n")
	require.Error(t, reg.Reload())
	require.Equal(t, 2, logs.Count(`"msg":"tenants loaded"`), "acme changed: %s", logs)

	writeFile(t, filepath.Join(dir, "broken", "tenant.yaml"), "name: Fixed\n")
	require.NoError(t, reg.Reload())
	require.Equal(t, 3, logs.Count(`"msg":"tenants loaded"`), "broken was fixed: %s", logs)
}
