package loader_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/loader"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    loader.TenantConfig
		wantErr string
	}{
		{"full", "name: Acme\nstatus: suspended\n", loader.TenantConfig{Name: "Acme", Status: loader.StatusSuspended}, ""},
		{"status defaults to active", "name: Acme\n", loader.TenantConfig{Name: "Acme", Status: loader.StatusActive}, ""},
		{"unknown key", "name: Acme\nstatus: active\ncolour: blue\n", loader.TenantConfig{}, `t/tenant.yaml:3:1: unknown field "colour"`},
		{"missing name", "status: active\n", loader.TenantConfig{}, "t/tenant.yaml: name is required"},
		{"empty file", "", loader.TenantConfig{}, "t/tenant.yaml: name is required"},
		{"bad status", "name: Acme\nstatus: paused\n", loader.TenantConfig{}, `t/tenant.yaml: status "paused" is not active or suspended`},
		{"wrong type", "name: [1, 2]\n", loader.TenantConfig{}, "t/tenant.yaml:1:7:"},
		{"not a mapping", "- a\n- b\n", loader.TenantConfig{}, "t/tenant.yaml:1:1:"},
		{"syntax error", "name: 'open\n", loader.TenantConfig{}, "t/tenant.yaml:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loader.ParseConfig("t/tenant.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"name: Acme\n", "name: x\nstatus: suspended\n", "a: [", "{}", "name: !!binary aGk=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := loader.ParseConfig("f/tenant.yaml", data)
		if err == nil && (c.Name == "" || (c.Status != loader.StatusActive && c.Status != loader.StatusSuspended)) {
			t.Fatalf("accepted an invalid config %+v", c)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "f/tenant.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}
