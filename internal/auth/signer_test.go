package auth_test

import (
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
