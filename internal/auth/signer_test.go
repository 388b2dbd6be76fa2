package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

func TestSigner(t *testing.T) {
	k := keys()
	tests := []struct {
		name string
		cfg  auth.Config
	}{
		{name: "defaults", cfg: auth.Config{Secret: k.secret}},
		{name: "issuer and audience", cfg: auth.Config{Secret: k.secret, Issuer: "https://id.example.com/", Audience: "tenantgraph"}},
		{name: "custom tenant claim", cfg: auth.Config{Secret: k.secret, TenantClaim: "org_id"}},
		{name: "tenant in sub", cfg: auth.Config{Secret: k.secret, TenantClaim: "sub"}},
		{name: "dev config", cfg: auth.NewDevConfig()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := auth.NewSigner(tc.cfg)
			require.NoError(t, err)
			v, err := auth.NewVerifier(tc.cfg)
			require.NoError(t, err)

			token, err := s.Sign("acme", time.Hour)
			require.NoError(t, err)
			c, err := v.Verify(token)
			require.NoError(t, err)
			require.Equal(t, "acme", c.TenantID)
			require.WithinDuration(t, time.Now().Add(time.Hour), c.ExpiresAt, 2*time.Second)
			if tc.cfg.TenantClaim != "sub" {
				require.Equal(t, auth.DevSubject, c.Subject)
			}

			// Another key does not accept it.
			other, err := auth.NewVerifier(auth.NewDevConfig())
			require.NoError(t, err)
			_, err = other.Verify(token)
			require.ErrorIs(t, err, auth.ErrTokenSignature)
		})
	}
}

func TestSignerIssuerChecked(t *testing.T) {
	k := keys()
	s, err := auth.NewSigner(auth.Config{Secret: k.secret, Issuer: "dev"})
	require.NoError(t, err)
	v, err := auth.NewVerifier(auth.Config{Secret: k.secret, Issuer: "https://id.example.com/"})
	require.NoError(t, err)
	token, err := s.Sign("acme", time.Minute)
	require.NoError(t, err)
	_, err = v.Verify(token)
	require.ErrorIs(t, err, auth.ErrTokenIssuer)
}

func TestNewSignerErrors(t *testing.T) {
	k := keys()
	for _, tc := range []struct {
		name    string
		cfg     auth.Config
		wantErr string
	}{
		{name: "RS256", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}, wantErr: "cannot sign RS256 tokens: that needs the private key"},
		{name: "ES256", cfg: auth.Config{Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}, wantErr: "cannot sign ES256 tokens"},
		{name: "short secret", cfg: auth.Config{Secret: []byte("short")}, wantErr: "at least 32 bytes"},
		{name: "unsupported algorithm", cfg: auth.Config{Algorithm: "HS512", Secret: k.secret}, wantErr: `"HS512" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.NewSigner(tc.cfg)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestSignErrors(t *testing.T) {
	s, err := auth.NewSigner(auth.NewDevConfig())
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		tenant string
		ttl    time.Duration
	}{
		{name: "empty tenant", tenant: "", ttl: time.Hour},
		{name: "malformed tenant", tenant: "../x", ttl: time.Hour},
		{name: "zero ttl", tenant: "acme", ttl: 0},
		{name: "negative ttl", tenant: "acme", ttl: -time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, err := s.Sign(tc.tenant, tc.ttl)
			require.Error(t, err)
			require.Empty(t, token)
		})
	}
}

// A Verifier with the Signer's Config reads back the scopes and roles a
// token was granted.
func TestSignGrant(t *testing.T) {
	k := keys()
	for _, tc := range []struct {
		name        string
		scopesClaim string              // Config.ScopesClaim
		rolesClaim  func(string) string // VerifierOptions.RolesClaim
		grant       auth.Grant
		wantScopes  []string
		wantRoles   []string
	}{
		{name: "nothing"},
		{name: "scopes", grant: auth.Grant{Scopes: []string{"goods:read", "goods:cost"}}, wantScopes: []string{"goods:cost", "goods:read"}},
		{name: "roles", grant: auth.Grant{Roles: []string{"editor", "buyer"}}, wantRoles: []string{"buyer", "editor"}},
		{name: "both", grant: auth.Grant{Scopes: []string{"goods:read"}, Roles: []string{"viewer"}}, wantScopes: []string{"goods:read"}, wantRoles: []string{"viewer"}},
		{
			name:        "configured claims",
			scopesClaim: "permissions",
			rolesClaim:  func(string) string { return "groups" },
			grant:       auth.Grant{Scopes: []string{"a", "b"}, Roles: []string{"editor"}, RolesClaim: "groups"},
			wantScopes:  []string{"a", "b"},
			wantRoles:   []string{"editor"},
		},
		{name: "roles in another claim", grant: auth.Grant{Roles: []string{"editor"}, RolesClaim: "groups"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := auth.Config{Secret: k.secret, ScopesClaim: tc.scopesClaim}
			s, err := auth.NewSigner(cfg)
			require.NoError(t, err)
			v, err := auth.NewVerifierWithOptions(cfg, auth.VerifierOptions{RolesClaim: tc.rolesClaim})
			require.NoError(t, err)
			token, err := s.SignGrant("acme", time.Hour, tc.grant)
			require.NoError(t, err)
			c, err := v.Verify(token)
			require.NoError(t, err)
			require.Equal(t, tc.wantScopes, c.Scopes)
			require.Equal(t, tc.wantRoles, c.Roles)
			require.False(t, c.TenantIssuer)
		})
	}
}

func TestSignGrantErrors(t *testing.T) {
	s, err := auth.NewSigner(auth.NewDevConfig())
	require.NoError(t, err)
	many := make([]string, 257)
	for i := range many {
		many[i] = fmt.Sprint("s", i)
	}
	for _, tc := range []struct {
		name    string
		grant   auth.Grant
		wantErr []string
	}{
		{name: "scope with a space", grant: auth.Grant{Scopes: []string{"a b"}}, wantErr: []string{`scope "a b" has ' '`}},
		{name: "empty scope", grant: auth.Grant{Scopes: []string{""}}, wantErr: []string{`scope "" is empty`}},
		{name: "role with a quote", grant: auth.Grant{Roles: []string{`a"b`}}, wantErr: []string{`role "a\"b" has '"'`}},
		{name: "too many scopes", grant: auth.Grant{Scopes: many}, wantErr: []string{"257 scopes, more than 256"}},
		{name: "registered roles claim", grant: auth.Grant{Roles: []string{"a"}, RolesClaim: "exp"}, wantErr: []string{`roles claim "exp" is a registered claim`}},
		{
			name:    "every problem at once",
			grant:   auth.Grant{Scopes: []string{"a b"}, Roles: []string{""}, RolesClaim: "sub"},
			wantErr: []string{`scope "a b"`, `role ""`, `roles claim "sub"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, err := s.SignGrant("acme", time.Hour, tc.grant)
			require.Empty(t, token)
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}
