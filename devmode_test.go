package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/loader"
)

// devTenants are the tenant.yaml files of the dev mode tests: a tenant
// without roles, two with roles in the default claim and in a claim of
// their own, and one with an authorization block but no roles.
var devTenants = map[string]string{
	"acme": "name: Acme\n",
	"customerA": `name: Customer A
authorization:
  roles:
    viewer: [goods:read]
    editor: [goods:read, goods:write]
    buyer:  [goods:read, goods:cost]
`,
	"globex": `name: Globex
authorization:
  rolesClaim: groups
  roles:
    auditor: [goods:read]
    admin: [goods:read, goods:write]
`,
	"initech": `name: Initech
authorization:
  unauthorized: reject
`,
}

// newDevRegistry loads devTenants. Its tenants have no executable schema
// or handler: dev tokens need their configuration only.
func newDevRegistry(t *testing.T) *loader.Registry {
	t.Helper()
	dir := t.TempDir()
	for id, yaml := range devTenants {
		require.NoError(t, os.Mkdir(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, loader.ConfigFile), []byte(yaml), 0o644))
	}
	reg, err := loader.New(loader.Options{
		Dir:           dir,
		NewExecutable: func(*loader.Schema) graphql.ExecutableSchema { return nil },
		NewHandler:    func(string, graphql.ExecutableSchema) http.Handler { return nil },
		Logger:        slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	require.NoError(t, reg.Problems())
	return reg
}

func TestSignDevTokens(t *testing.T) {
	cfg := auth.NewDevConfig()
	tokens, err := signDevTokens(cfg, newDevRegistry(t))
	require.NoError(t, err)

	type token struct {
		Tenant, Role string
		Claim        string   // the claim that holds the roles
		Roles        []string // the roles it holds; nil: no roles claim
	}
	want := []token{
		{Tenant: "acme"},
		{Tenant: "customerA", Claim: "roles", Roles: []string{"buyer", "editor", "viewer"}},
		{Tenant: "customerA", Role: "buyer", Claim: "roles", Roles: []string{"buyer"}},
		{Tenant: "customerA", Role: "editor", Claim: "roles", Roles: []string{"editor"}},
		{Tenant: "customerA", Role: "viewer", Claim: "roles", Roles: []string{"viewer"}},
		{Tenant: "globex", Claim: "groups", Roles: []string{"admin", "auditor"}},
		{Tenant: "globex", Role: "admin", Claim: "groups", Roles: []string{"admin"}},
		{Tenant: "globex", Role: "auditor", Claim: "groups", Roles: []string{"auditor"}},
		{Tenant: "initech"},
	}

	verifier, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	var got []token
	for _, tok := range tokens {
		claims, err := verifier.Verify(tok.Token)
		require.NoError(t, err, "%s (%s)", tok.Tenant, tok.Role)
		require.Equal(t, tok.Tenant, claims.TenantID)
		require.Equal(t, auth.DevSubject, claims.Subject)

		g := token{Tenant: tok.Tenant, Role: tok.Role}
		for _, name := range []string{"roles", "groups"} {
			v, ok := tokenPayload(t, tok.Token)[name]
			if !ok {
				continue
			}
			require.Empty(t, g.Claim, "%s (%s) has roles in two claims", tok.Tenant, tok.Role)
			g.Claim = name
			list, ok := v.([]any)
			require.True(t, ok, "%s (%s): claim %s is %T, not an array", tok.Tenant, tok.Role, name, v)
			g.Roles = []string{}
			for _, r := range list {
				g.Roles = append(g.Roles, r.(string))
			}
		}
		got = append(got, g)
	}
	require.Equal(t, want, got)
}

func TestSignDevTokensRefusesPublicKeys(t *testing.T) {
	_, err := signDevTokens(auth.Config{Algorithm: auth.RS256}, newDevRegistry(t))
	require.Error(t, err)
}

// bannerLine is a token line of the dev banner: a label, then the token.
var bannerLine = regexp.MustCompile(`(?m)^    (\S+(?: \(\S+\))?) +(ey[\w.-]+)$`)

func TestPrintDevBanner(t *testing.T) {
	tokens := []graphiql.DevToken{
		{Tenant: "acme", Token: "eyAcme"},
		{Tenant: "customerA", Token: "eyA.all"},
		{Tenant: "customerA", Role: "buyer", Token: "eyA.buyer"},
		{Tenant: "customerA", Role: "editor", Token: "eyA.editor"},
	}
	var out bytes.Buffer
	printDevBanner(&out, "http://127.0.0.1:8080/", tokens, "admin-token")
	banner := out.String()

	var labels []string
	for _, m := range bannerLine.FindAllStringSubmatch(banner, -1) {
		labels = append(labels, m[1]+" "+m[2])
	}
	require.Equal(t, []string{
		"acme eyAcme",
		"customerA eyA.all",
		"customerA (buyer) eyA.buyer",
		"customerA (editor) eyA.editor",
	}, labels, "banner:\n%s", banner)
	require.Contains(t, banner, "first token carries all of its roles")
	require.Contains(t, banner, "TOKEN=eyAcme\n")

	// Without roles, no word about them.
	out.Reset()
	printDevBanner(&out, "http://127.0.0.1:8080/", tokens[:1], "admin-token")
	require.NotContains(t, out.String(), "carries")
}
