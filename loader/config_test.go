package loader_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
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
		{"bad status", "name: Acme\nstatus: paused\n", loader.TenantConfig{}, `t/tenant.yaml:2:9: status "paused" is not active or suspended`},
		{"wrong type", "name: [1, 2]\n", loader.TenantConfig{}, "t/tenant.yaml:1:7:"},
		{"not a mapping", "- a\n- b\n", loader.TenantConfig{}, "t/tenant.yaml:1:1:"},
		{"secrets and auth", "name: A\nsecrets:\n  signingKey: env:A_KEY\n  erp: file:/run/erp\nauth:\n  issuer: https://idp.a.example\n  audiences: [tenantgraph]\n  algorithm: HS256\n  key: secret:signingKey\nlimits:\n  maxPageSize: 50\n",
			loader.TenantConfig{Name: "A", Status: loader.StatusActive,
				Secrets: map[string]string{"signingKey": "env:A_KEY", "erp": "file:/run/erp"},
				Auth:    &loader.AuthConfig{Issuer: "https://idp.a.example", Audiences: []string{"tenantgraph"}, Algorithm: "HS256", Key: "secret:signingKey"},
				Limits:  limits.Limits{MaxPageSize: 50}}, ""},
		{"jwks defaults to RS256", "name: A\nauth:\n  issuer: https://idp\n  jwksURL: https://idp/.well-known/jwks.json\n",
			loader.TenantConfig{Name: "A", Status: loader.StatusActive,
				Auth: &loader.AuthConfig{Issuer: "https://idp", Algorithm: "RS256", JWKSURL: "https://idp/.well-known/jwks.json"}}, ""},
		{"key names no secret", "name: A\nauth:\n  issuer: i\n  key: secret:nope\n", loader.TenantConfig{}, `t/tenant.yaml:4:8: auth.key names secret "nope", which is not under secrets`},
		{"key not a secret ref", "name: A\nauth:\n  issuer: i\n  key: hunter2\n", loader.TenantConfig{}, `auth.key "hunter2" must be secret:NAME`},
		{"key and jwks", "name: A\nsecrets: {k: env:K}\nauth:\n  issuer: i\n  key: secret:k\n  jwksURL: https://x/j\n", loader.TenantConfig{}, "auth has both key and jwksURL"},
		{"neither key nor jwks", "name: A\nauth:\n  issuer: i\n", loader.TenantConfig{}, "auth needs key (secret:NAME) or jwksURL"},
		{"no issuer", "name: A\nauth:\n  jwksURL: https://x/j\n", loader.TenantConfig{}, "auth.issuer is required"},
		{"plain http jwks", "name: A\nauth:\n  issuer: i\n  jwksURL: http://idp.example/j\n", loader.TenantConfig{}, "must be https"},
		{"HS256 jwks", "name: A\nauth:\n  issuer: i\n  algorithm: HS256\n  jwksURL: https://idp/j\n", loader.TenantConfig{}, "HS256 keys are shared secrets"},
		{"bad algorithm", "name: A\nauth:\n  issuer: i\n  algorithm: none\n  jwksURL: https://idp/j\n", loader.TenantConfig{}, `auth.algorithm "none" is not`},
		{"bad secret ref", "name: A\nsecrets:\n  k: hunter2\n", loader.TenantConfig{}, `t/tenant.yaml:3:6: secrets.k: "hunter2" is not a reference`},
		{"page size", "name: A\nlimits:\n  maxPageSize: 5000\n", loader.TenantConfig{}, "t/tenant.yaml:3:16: limits.maxPageSize: 5000 is not between 1 and 1000"},
		{"every limit", "name: A\nlimits:\n  maxDepth: 12\n  maxAliases: 10\n  maxRootFields: 5\n  maxFields: 500\n  maxDirectives: 3\n  maxOperationName: 64\n  maxCost: 300\n  maxStringLength: 4000\n  maxFilterLength: 100\n  maxListLength: 50\n  maxPageSize: 20\n  timeout: 2.5s\n  maxConcurrent: 4\n  rate: {requests: 100, per: 1s, burst: 150}\n  costPerMinute: 60000\n",
			loader.TenantConfig{Name: "A", Status: loader.StatusActive, Limits: limits.Limits{
				MaxDepth: 12, MaxAliases: 10, MaxRootFields: 5, MaxFields: 500, MaxDirectives: 3, MaxOperationName: 64,
				MaxCost: 300, MaxStringLength: 4000, MaxFilterLength: 100, MaxListLength: 50, MaxPageSize: 20,
				Timeout: 2500 * time.Millisecond, MaxConcurrent: 4,
				Rate:          limits.Rate{Requests: 100, Per: time.Second, Burst: 150},
				CostPerMinute: 60000,
			}}, ""},
		{"rate without per", "name: A\nlimits:\n  rate: {requests: 10}\n", loader.TenantConfig{}, "t/tenant.yaml:3:9: limits.rate: per 0s is not between"},
		{"negative timeout", "name: A\nlimits:\n  timeout: -1s\n", loader.TenantConfig{}, "t/tenant.yaml:3:12: limits.timeout: -1s is not between 0s and 1h"},
		{"timeout not a duration", "name: A\nlimits:\n  timeout: soon\n", loader.TenantConfig{}, `t/tenant.yaml:3:12: "soon" is not a duration such as 1.5s`},
		{"hedged upstream", "name: A\nupstreams:\n  inventory:\n    urls: [https://a.example/graphql, https://b.example/graphql]\n    timeout: 300ms\n    hedge: 50ms\n",
			loader.TenantConfig{Name: "A", Status: loader.StatusActive, Upstreams: map[string]upstream.Spec{"inventory": {
				URLs:    []string{"https://a.example/graphql", "https://b.example/graphql"},
				Timeout: 300 * time.Millisecond, Hedge: 50 * time.Millisecond,
			}}}, ""},
		{"hedge not shorter than the timeout", "name: A\nupstreams:\n  inventory:\n    urls: [https://a.example/graphql, https://b.example/graphql]\n    timeout: 300ms\n    hedge: 1s\n",
			loader.TenantConfig{}, "t/tenant.yaml:6:12: upstreams.inventory.hedge: 1s is not shorter than the timeout, 300ms"},
		{"hedge with one URL", "name: A\nupstreams:\n  inventory:\n    urls: [https://a.example/graphql]\n    hedge: 50ms\n",
			loader.TenantConfig{}, "t/tenant.yaml:5:12: upstreams.inventory.hedge: needs two or more URLs"},
		{"hedge not a duration", "name: A\nupstreams:\n  inventory:\n    urls: [https://a.example/graphql, https://b.example/graphql]\n    hedge: soon\n",
			loader.TenantConfig{}, `t/tenant.yaml:5:12: "soon" is not a duration such as 1.5s`},
		{"unknown limit", "name: A\nlimits:\n  maxWidth: 3\n", loader.TenantConfig{}, `t/tenant.yaml:3:3: unknown field "maxWidth"`},
		{"unknown auth key", "name: A\nauth:\n  issuer: i\n  kid: x\n", loader.TenantConfig{}, `t/tenant.yaml:4:3: unknown field "kid"`},
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
