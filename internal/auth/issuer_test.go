package auth_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

func TestIssuerConfigValidate(t *testing.T) {
	k := keys()
	const iss = "https://id.acme.example/"
	const jwksURL = "https://id.acme.example/.well-known/jwks.json"
	privatePEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(k.rsa))})

	tests := []struct {
		name    string
		cfg     auth.IssuerConfig
		wantErr []string // substrings, one per problem; none if valid
	}{
		{name: "HS256", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.HS256, Secret: k.secret}},
		{name: "HS256 with audiences", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Audiences: []string{"a", "b"}, Algorithm: auth.HS256, Secret: k.secret}},
		{name: "RS256 PEM", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}},
		{name: "ES256 PEM", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}},
		{name: "RS256 JWKS", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, JWKSURL: jwksURL}},
		{name: "ES256 JWKS over http", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.ES256, JWKSURL: "http://localhost:8080/jwks"}},

		{name: "zero", cfg: auth.IssuerConfig{}, wantErr: []string{"tenant ID is not well-formed", "issuer is required", "algorithm is required"}},
		{name: "bad tenant ID", cfg: auth.IssuerConfig{TenantID: "../x", Issuer: iss, Algorithm: auth.HS256, Secret: k.secret}, wantErr: []string{"tenant ID is not well-formed"}},
		{name: "long issuer", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: strings.Repeat("x", 1025), Algorithm: auth.HS256, Secret: k.secret}, wantErr: []string{"issuer is 1025 bytes long"}},
		{name: "empty audience", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Audiences: []string{"a", ""}, Algorithm: auth.HS256, Secret: k.secret}, wantErr: []string{"audience 1 is empty"}},
		{name: "none", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: "none"}, wantErr: []string{`algorithm "none" is not supported`}},
		{name: "HS256 short secret", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.HS256, Secret: []byte("short-secret-value")}, wantErr: []string{"at least 32 bytes, got 18"}},
		{name: "HS256 with JWKS", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.HS256, JWKSURL: jwksURL}, wantErr: []string{"HS256 takes a secret", "at least 32 bytes, got 0"}},
		{name: "RS256 with secret", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, Secret: k.secret}, wantErr: []string{"secret is set but the algorithm is RS256", "RS256 needs a public key (PEM) or a JWKS URL"}},
		{name: "RS256 without key", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256}, wantErr: []string{"needs a public key (PEM) or a JWKS URL"}},
		{name: "PEM and JWKS", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM, JWKSURL: jwksURL}, wantErr: []string{"only one of"}},
		{name: "RS256 with EC key", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, PublicKeyPEM: k.ecPEM}, wantErr: []string{"RS256 needs an RSA key"}},
		{name: "private key", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, PublicKeyPEM: privatePEM}, wantErr: []string{"holds a private key"}},
		{name: "JWKS URL file", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, JWKSURL: "file:///etc/jwks.json"}, wantErr: []string{`must be an https URL, not "file"`}},
		{name: "JWKS URL relative", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, JWKSURL: "/jwks.json"}, wantErr: []string{"must be an https URL"}},
		{name: "JWKS URL credentials", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, JWKSURL: "https://user:pw@id.acme.example/jwks"}, wantErr: []string{"must not contain credentials"}},
		{name: "JWKS URL does not parse", cfg: auth.IssuerConfig{TenantID: "acme", Issuer: iss, Algorithm: auth.RS256, JWKSURL: "https://id.acme.example/%zz"}, wantErr: []string{"does not parse"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			ti, nerr := auth.NewTenantIssuer(tc.cfg)
			if len(tc.wantErr) == 0 {
				require.NoError(t, err)
				require.NoError(t, nerr)
				require.Equal(t, tc.cfg.TenantID, ti.TenantID())
				require.Equal(t, tc.cfg.Issuer, ti.Issuer())
				return
			}
			require.Error(t, err)
			require.Equal(t, err.Error(), nerr.Error())
			joined, ok := err.(interface{ Unwrap() []error })
			require.True(t, ok, "Validate's error is not an errors.Join")
			require.Len(t, joined.Unwrap(), len(tc.wantErr), "%v", err)
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
			require.NotContains(t, err.Error(), "short-secret-value")
			require.NotContains(t, err.Error(), "BEGIN")
			require.NotContains(t, err.Error(), "auth: auth:")
		})
	}
}

// NewTenantIssuer keeps a copy of what it is given.
func TestNewTenantIssuerCopies(t *testing.T) {
	secret := bytes.Clone(keys().otherSecret)
	cfg := auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Audiences: []string{"tenantgraph"}, Algorithm: auth.HS256, Secret: secret}
	ti := mustIssuer(t, cfg)
	issuers, err := auth.NewIssuerMap(ti)
	require.NoError(t, err)
	v, err := auth.NewVerifierWithOptions(auth.Config{Secret: keys().secret}, auth.VerifierOptions{Issuers: issuers})
	require.NoError(t, err)

	clear(secret)
	cfg.Audiences[0] = "other"
	_, err = v.Verify(acmeToken(t))
	require.NoError(t, err)
}

func TestIssuerRedactsSecret(t *testing.T) {
	const secret = "correct-horse-battery-staple-0123456789"
	cfg := auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.HS256, Secret: []byte(secret)}
	ti := mustIssuer(t, cfg)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("auth", "config", cfg, "issuer", ti)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("auth", "config", cfg, "issuer", ti)
	fmt.Fprintf(&buf, "%v %+v %#v %s %d %x %q\n", cfg, cfg, cfg, cfg, cfg, cfg, cfg)
	fmt.Fprintf(&buf, "%v %+v %#v %s %d %x %q\n", &cfg, &cfg, &cfg, &cfg, &cfg, &cfg, &cfg)
	fmt.Fprintf(&buf, "%v %+v %s %d %x\n", ti, ti, ti, ti, ti)

	out := buf.String()
	require.NotContains(t, out, secret)
	require.NotContains(t, out, fmt.Sprint([]byte(secret)))
	require.NotContains(t, out, fmt.Sprintf("%x", secret))
	require.Contains(t, out, `"secret":"REDACTED"`)
	require.Contains(t, out, "Secret:REDACTED")
	require.Contains(t, out, `"key":"secret"`)
	require.Contains(t, out, acmeIss)
}

// A TenantIssuer says where its key comes from, never the key.
func TestTenantIssuerKeySource(t *testing.T) {
	k := keys()
	for _, tc := range []struct {
		cfg  auth.IssuerConfig
		want string
	}{
		{auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.HS256, Secret: k.secret}, "secret"},
		{auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}, "public key"},
		{auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}, "public key"},
		{auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.ES256, JWKSURL: "https://id.acme.example/jwks"}, "jwks"},
	} {
		ti := mustIssuer(t, tc.cfg)
		require.Contains(t, ti.String(), "Key:"+tc.want+",")
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("auth", "issuer", ti)
		require.Contains(t, buf.String(), `"key":"`+tc.want+`"`)
	}
}

func TestIssuerMap(t *testing.T) {
	k := keys()
	a := mustIssuer(t, auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Algorithm: auth.HS256, Secret: k.secret})
	a2 := mustIssuer(t, auth.IssuerConfig{TenantID: "acme", Issuer: "https://other.acme.example.com/", Algorithm: auth.HS256, Secret: k.secret})
	g := mustIssuer(t, auth.IssuerConfig{TenantID: "globex", Issuer: globexIss, Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM})
	hijack := mustIssuer(t, auth.IssuerConfig{TenantID: "mallory", Issuer: acmeIss, Algorithm: auth.HS256, Secret: k.otherSecret})
	ctx := context.Background()

	m, err := auth.NewIssuerMap(a, a2, g)
	require.NoError(t, err)
	for _, ti := range []*auth.TenantIssuer{a, a2, g} {
		got, err := m.Issuer(ctx, ti.Issuer())
		require.NoError(t, err)
		require.Same(t, ti, got)
	}
	_, err = m.Issuer(ctx, "https://unknown.example.com/")
	require.ErrorIs(t, err, auth.ErrIssuerNotFound)

	err = m.Replace(a, nil, hijack)
	require.ErrorContains(t, err, "issuer 1 is nil")
	require.ErrorContains(t, err, `claimed by tenants "acme" and "mallory"`)
	got, err := m.Issuer(ctx, globexIss)
	require.NoError(t, err, "a failed Replace changes nothing")
	require.Same(t, g, got)

	require.NoError(t, m.Replace(hijack))
	got, err = m.Issuer(ctx, acmeIss)
	require.NoError(t, err)
	require.Same(t, hijack, got)
	_, err = m.Issuer(ctx, globexIss)
	require.ErrorIs(t, err, auth.ErrIssuerNotFound)

	_, err = auth.NewIssuerMap(a, hijack)
	require.Error(t, err)
}

func TestNewVerifierWithOptionsErrors(t *testing.T) {
	_, err := auth.NewVerifierWithOptions(auth.Config{}, auth.VerifierOptions{TokenCacheSize: -1, TokenCacheTTL: -1, JWKS: auth.JWKSOptions{MaxAge: -1}})
	require.ErrorContains(t, err, "secret must be at least 32 bytes")
	require.ErrorContains(t, err, "token cache size -1")
	require.ErrorContains(t, err, "token cache TTL -1ns")
	require.ErrorContains(t, err, "JWKS timeouts")
}
