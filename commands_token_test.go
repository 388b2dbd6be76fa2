package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

const tokenTestSecret = "a-test-secret-of-at-least-32-bytes!!"

// tokenTenants writes a tenants directory for the token command's tests
// and returns its path:
//   - shop reads roles from the groups claim and declares viewer and editor;
//   - plain has no authorization block;
//   - own accepts only tokens of its own issuer;
//   - broken has a tenant.yaml that does not parse.
func tokenTenants(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for id, yaml := range map[string]string{
		"shop": `name: Shop
authorization:
  rolesClaim: groups
  roles:
    viewer: [goods:read]
    editor: [goods:read, goods:write]
`,
		"plain": "name: Plain\n",
		"own": `name: Own
secrets:
  idp: env:OWN_IDP_SECRET
auth:
  issuer: https://own.example.com/
  algorithm: HS256
  key: secret:idp
  acceptGlobalTokens: false
`,
		"broken": "name: [\n",
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "tenant.yaml"), []byte(yaml), 0o644))
	}
	return dir
}

// tokenPayload returns the claims of a compact JWT, unverified.
func tokenPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(b, &claims))
	return claims
}

func TestTokenCommand(t *testing.T) {
	dir := tokenTenants(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string // added to JWT_SECRET and TENANTGRAPH_TENANTS_DIR

		wantClaims  map[string]any // claims the token must have, exactly
		wantAbsent  []string       // claims it must not have
		wantScopes  []string       // read back by a Verifier with the same settings
		wantRoles   []string       // read back from wantRolesIn
		wantRolesIn string         // the roles claim the Verifier reads; default "roles"
		wantWarning string         // on stderr, if set; stderr must be empty otherwise
	}{
		{
			name:       "no grant",
			args:       []string{"--tenant", "plain"},
			wantAbsent: []string{"scope", "scp", "roles", "groups"},
		},
		{
			name:       "scopes",
			args:       []string{"--tenant", "plain", "--scope", "goods:read goods:cost"},
			wantClaims: map[string]any{"scope": "goods:read goods:cost"},
			wantScopes: []string{"goods:cost", "goods:read"},
		},
		{
			name:       "scopes repeated: their union",
			args:       []string{"--tenant", "plain", "--scope", "goods:read  goods:cost", "--scope", "goods:read x", "--scope", ""},
			wantClaims: map[string]any{"scope": "goods:read goods:cost x"},
			wantScopes: []string{"goods:cost", "goods:read", "x"},
		},
		{
			name:       "scopes in JWT_SCOPES_CLAIM",
			args:       []string{"--tenant", "plain", "--scope", "a b"},
			env:        map[string]string{"JWT_SCOPES_CLAIM": "permissions"},
			wantClaims: map[string]any{"permissions": "a b"},
			wantAbsent: []string{"scope"},
			wantScopes: []string{"a", "b"},
		},
		{
			name:       "roles repeated, in the default claim",
			args:       []string{"--tenant", "plain", "--role", "editor", "--role", "buyer", "--role", "editor"},
			wantClaims: map[string]any{"roles": []any{"editor", "buyer"}},
			wantRoles:  []string{"buyer", "editor"},
		},
		{
			name:       "a comma is part of a role",
			args:       []string{"--tenant", "plain", "--role", "a,b"},
			wantClaims: map[string]any{"roles": []any{"a,b"}},
			wantRoles:  []string{"a,b"},
		},
		{
			name:       "tenant without a directory",
			args:       []string{"--tenant", "elsewhere", "--role", "editor"},
			wantClaims: map[string]any{"roles": []any{"editor"}, "tenant_id": "elsewhere"},
			wantRoles:  []string{"editor"},
		},
		{
			name:        "the tenant's roles claim",
			args:        []string{"--tenant", "shop", "--role", "editor", "--scope", "goods:cost"},
			wantClaims:  map[string]any{"groups": []any{"editor"}, "scope": "goods:cost"},
			wantAbsent:  []string{"roles"},
			wantScopes:  []string{"goods:cost"},
			wantRoles:   []string{"editor"},
			wantRolesIn: "groups",
		},
		{
			name:        "--roles-claim wins",
			args:        []string{"--tenant", "shop", "--role", "editor", "--roles-claim", "realm_roles"},
			wantClaims:  map[string]any{"realm_roles": []any{"editor"}},
			wantAbsent:  []string{"roles", "groups"},
			wantRoles:   []string{"editor"},
			wantRolesIn: "realm_roles",
		},
		{
			name:        "a role the tenant does not declare",
			args:        []string{"--tenant", "shop", "--role", "owner"},
			wantClaims:  map[string]any{"groups": []any{"owner"}},
			wantRoles:   []string{"owner"},
			wantRolesIn: "groups",
			wantWarning: `declares no role "owner"`,
		},
		{
			name:        "unreadable tenant.yaml not needed",
			args:        []string{"--tenant", "broken", "--role", "editor", "--roles-claim", "roles"},
			wantClaims:  map[string]any{"roles": []any{"editor"}},
			wantRoles:   []string{"editor"},
			wantWarning: "broken/tenant.yaml",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"JWT_SECRET": tokenTestSecret, "TENANTGRAPH_TENANTS_DIR": dir}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			require.NoError(t, run(t.Context(), append([]string{"token"}, tc.args...), func(k string) string { return env[k] }, &stdout, &stderr))
			if tc.wantWarning == "" {
				require.Empty(t, stderr.String())
			} else {
				require.Contains(t, stderr.String(), tc.wantWarning)
			}
			token := strings.TrimSpace(stdout.String())

			claims := tokenPayload(t, token)
			for name, want := range tc.wantClaims {
				require.Equal(t, want, claims[name], "claim %q", name)
			}
			for _, name := range tc.wantAbsent {
				require.NotContains(t, claims, name)
			}

			v, err := auth.NewVerifierWithOptions(
				auth.Config{Secret: []byte(tokenTestSecret), ScopesClaim: env["JWT_SCOPES_CLAIM"]},
				auth.VerifierOptions{RolesClaim: func(string) string { return tc.wantRolesIn }},
			)
			require.NoError(t, err)
			c, err := v.Verify(token)
			require.NoError(t, err)
			require.Equal(t, tc.wantScopes, c.Scopes)
			require.Equal(t, tc.wantRoles, c.Roles)
		})
	}
}

func TestTokenCommandErrors(t *testing.T) {
	dir := tokenTenants(t)
	env := map[string]string{"JWT_SECRET": tokenTestSecret, "TENANTGRAPH_TENANTS_DIR": dir}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "scope with a quote", args: []string{"--tenant", "plain", "--scope", `goods:read a"b`}, wantErr: `invalid value "goods:read a\"b" for flag -scope: "a\"b" has '"'`},
		{name: "scope not ASCII", args: []string{"--tenant", "plain", "--scope", "café"}, wantErr: `"café" is not ASCII`},
		{name: "scope too long", args: []string{"--tenant", "plain", "--scope", strings.Repeat("s", 129)}, wantErr: "longer than 128 bytes"},
		{name: "role with a space", args: []string{"--tenant", "plain", "--role", "a b"}, wantErr: `flag -role: "a b" has ' '`},
		{name: "empty role", args: []string{"--tenant", "plain", "--role", ""}, wantErr: `flag -role: "" is empty`},
		{name: "registered roles claim", args: []string{"--tenant", "plain", "--role", "a", "--roles-claim", "sub"}, wantErr: `roles claim "sub" is a registered claim`},
		{name: "registered scopes claim", args: []string{"--tenant", "plain", "--scope", "a"}, env: map[string]string{"JWT_SCOPES_CLAIM": "aud"}, wantErr: `scopes claim "aud" is a registered claim`},
		{name: "malformed tenant ID", args: []string{"--tenant", "../plain"}, wantErr: `"../plain" is not a valid tenant ID`},
		{name: "tenant accepts only its own issuer", args: []string{"--tenant", "own"}, wantErr: "auth.acceptGlobalTokens: false"},
		{name: "roles claim of an unreadable tenant.yaml", args: []string{"--tenant", "broken", "--role", "editor"}, wantErr: "broken/tenant.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return env[k]
			}
			var stdout bytes.Buffer
			err := run(t.Context(), append([]string{"token"}, tc.args...), getenv, &stdout, &bytes.Buffer{})
			require.ErrorContains(t, err, tc.wantErr)
			require.Empty(t, stdout.String(), "no token is printed")
		})
	}
}
