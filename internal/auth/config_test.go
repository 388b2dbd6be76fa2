package auth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

func TestConfigValidate(t *testing.T) {
	k := keys()
	rsa1024 := must(rsa.GenerateKey(rand.Reader, 1024))
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	privatePEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(k.rsa))})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, k.rsa)})

	tests := []struct {
		name    string
		cfg     auth.Config
		wantErr []string // substrings, one per problem; none if valid
	}{
		{name: "HS256", cfg: auth.Config{Secret: k.secret}},
		{name: "HS256 explicit", cfg: auth.Config{Algorithm: auth.HS256, Secret: k.secret, Issuer: "i", Audience: "a", TenantClaim: "org", Leeway: time.Minute}},
		{name: "RS256 PKIX", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}},
		{name: "RS256 PKCS1", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: pkcs1PEM}},
		{name: "RS256 certificate", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: certPEM}},
		{name: "ES256", cfg: auth.Config{Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}},
		{name: "tenant claim sub", cfg: auth.Config{Secret: k.secret, TenantClaim: "sub"}},
		{name: "scopes claim", cfg: auth.Config{Secret: k.secret, ScopesClaim: "permissions"}},

		{name: "zero", cfg: auth.Config{}, wantErr: []string{"secret must be at least 32 bytes, got 0"}},
		{name: "short secret", cfg: auth.Config{Secret: []byte("short-secret-value")}, wantErr: []string{"at least 32 bytes, got 18"}},
		{name: "unsupported algorithm", cfg: auth.Config{Algorithm: "HS512", Secret: k.secret}, wantErr: []string{`algorithm "HS512" is not supported`}},
		{name: "none algorithm", cfg: auth.Config{Algorithm: "none"}, wantErr: []string{`algorithm "none" is not supported`}},
		{name: "lower-case algorithm", cfg: auth.Config{Algorithm: "rs256", PublicKeyPEM: k.rsaPEM}, wantErr: []string{`algorithm "rs256" is not supported`}},
		{name: "HS256 with public key", cfg: auth.Config{Secret: k.secret, PublicKeyPEM: k.rsaPEM}, wantErr: []string{"public key is set but the algorithm is HS256"}},
		{name: "RS256 without key", cfg: auth.Config{Algorithm: auth.RS256}, wantErr: []string{"RS256 needs a public key"}},
		{name: "RS256 with secret", cfg: auth.Config{Algorithm: auth.RS256, Secret: k.secret, PublicKeyPEM: k.rsaPEM}, wantErr: []string{"secret is set but the algorithm is RS256"}},
		{name: "RS256 with EC key", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: k.ecPEM}, wantErr: []string{"RS256 needs an RSA key, got an EC key"}},
		{name: "RS256 with 1024-bit key", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: publicPEM(&rsa1024.PublicKey)}, wantErr: []string{"RSA key has 1024 bits"}},
		{name: "ES256 with RSA key", cfg: auth.Config{Algorithm: auth.ES256, PublicKeyPEM: k.rsaPEM}, wantErr: []string{"ES256 needs an EC key, got an RSA key"}},
		{name: "ES256 with P-384 key", cfg: auth.Config{Algorithm: auth.ES256, PublicKeyPEM: publicPEM(&p384.PublicKey)}, wantErr: []string{"ES256 needs a P-256 key, got P-384"}},
		{name: "private key", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: privatePEM}, wantErr: []string{"holds a private key"}},
		{name: "not PEM", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: []byte("ssh-rsa AAAA")}, wantErr: []string{"no PEM block"}},
		{name: "bad DER", cfg: auth.Config{Algorithm: auth.RS256, PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")})}, wantErr: []string{"auth: public key: "}},
		{name: "time claim as tenant claim", cfg: auth.Config{Secret: k.secret, TenantClaim: "exp"}, wantErr: []string{`tenant claim "exp"`}},
		{name: "registered claim as scopes claim", cfg: auth.Config{Secret: k.secret, ScopesClaim: "aud"}, wantErr: []string{`scopes claim "aud" is a registered claim`}},
		{name: "negative leeway", cfg: auth.Config{Secret: k.secret, Leeway: -time.Second}, wantErr: []string{"leeway -1s must be positive"}},
		{name: "large leeway", cfg: auth.Config{Secret: k.secret, Leeway: time.Hour}, wantErr: []string{"leeway 1h0m0s"}},
		{
			name: "every problem at once",
			cfg:  auth.Config{Secret: []byte("short-secret-value"), PublicKeyPEM: k.rsaPEM, TenantClaim: "aud", Leeway: -time.Second},
			wantErr: []string{
				"at least 32 bytes",
				"public key is set",
				`tenant claim "aud"`,
				"leeway -1s",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			_, nerr := auth.NewVerifier(tc.cfg)
			if len(tc.wantErr) == 0 {
				require.NoError(t, err)
				require.NoError(t, nerr)
				return
			}
			require.Error(t, err)
			require.Equal(t, err.Error(), nerr.Error(), "NewVerifier reports what Validate does")
			joined, ok := err.(interface{ Unwrap() []error })
			require.True(t, ok, "Validate's error is not an errors.Join")
			require.Len(t, joined.Unwrap(), len(tc.wantErr), "%v", err)
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
			require.NotContains(t, err.Error(), "short-secret-value")
			require.NotContains(t, err.Error(), "BEGIN")
		})
	}
}

func selfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "id.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return der
}

func TestConfigRedactsSecret(t *testing.T) {
	const secret = "correct-horse-battery-staple-0123456789"
	cfg := auth.Config{Secret: []byte(secret), Issuer: "https://id.example.com/"}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("auth", "config", cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("auth", "config", cfg)
	fmt.Fprintf(&buf, "%v %+v %#v %s %d %x %X %q\n", cfg, cfg, cfg, cfg, cfg, cfg, cfg, cfg)
	fmt.Fprintf(&buf, "%v %+v %#v %s %d %x %X %q\n", &cfg, &cfg, &cfg, &cfg, &cfg, &cfg, &cfg, &cfg)

	out := buf.String()
	require.NotContains(t, out, secret)
	require.NotContains(t, out, fmt.Sprint([]byte(secret)))
	require.NotContains(t, out, fmt.Sprintf("%x", secret))
	require.NotContains(t, out, fmt.Sprintf("%X", secret))
	require.Contains(t, out, `"secret":"REDACTED"`)
	require.Contains(t, out, "config.secret=REDACTED")
	require.Contains(t, out, "Secret:REDACTED")
	require.Contains(t, out, "https://id.example.com/")
}

func TestNewDevConfig(t *testing.T) {
	a, b := auth.NewDevConfig(), auth.NewDevConfig()
	require.NoError(t, a.Validate())
	require.Equal(t, auth.HS256, a.Algorithm)
	require.Len(t, a.Secret, 32)
	require.NotEqual(t, a.Secret, b.Secret)
}
