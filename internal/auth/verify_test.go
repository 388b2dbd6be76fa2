package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// reasons are the messages Verify may give.
var reasons = map[string]bool{}

func init() {
	for _, err := range []error{
		auth.ErrNoToken, auth.ErrScheme, auth.ErrTokenMalformed, auth.ErrTokenAlgorithm,
		auth.ErrTokenSignature, auth.ErrTokenNoExpiry, auth.ErrTokenExpired,
		auth.ErrTokenNotYetValid, auth.ErrTokenIssuedAt, auth.ErrTokenIssuer,
		auth.ErrTokenAudience, auth.ErrTokenInvalid, auth.ErrTenantClaim, auth.ErrTokenLifetime,
	} {
		reasons[err.Error()] = true
	}
}

// FuzzVerify checks that no input makes Verify panic or succeed, and that
// every failure is an UNAUTHENTICATED error with one of the known messages.
// The seeds are near misses: tokens signed with another key, unsigned,
// expired or truncated.
func FuzzVerify(f *testing.F) {
	k := keys()
	for _, s := range []string{
		"",
		"a.b.c",
		"..",
		"e30.e30.",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		sign(f, jwa.HS256(), k.otherSecret, claims()),
		sign(f, jwa.HS256(), k.otherSecret, claims("exp", time.Unix(1, 0))),
		sign(f, jwa.HS384(), k.secret, claims()),
		sign(f, jwa.RS256(), k.rsa, claims()),
		unsigned(f, claims()),
		sign(f, jwa.HS256(), k.otherSecret, claims())[:40],
	} {
		f.Add(s)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: k.secret})
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(raw)
		if err == nil {
			t.Fatalf("Verify(%q) = %+v, want an error", raw, c)
		}
		ae, ok := apperr.As(err)
		if !ok || ae.Code != apperr.Unauthenticated {
			t.Fatalf("Verify(%q): error %#v is not UNAUTHENTICATED", raw, err)
		}
		if !reasons[ae.Message] {
			t.Fatalf("Verify(%q): unknown message %q", raw, ae.Message)
		}
		if c.TenantID != "" {
			t.Fatalf("Verify(%q) failed but returned tenant %q", raw, c.TenantID)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k := keys()
	for _, bc := range []struct {
		alg   string
		cfg   auth.Config
		token string
	}{
		{auth.HS256, auth.Config{Secret: k.secret}, sign(b, jwa.HS256(), k.secret, claims())},
		{auth.RS256, auth.Config{Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}, sign(b, jwa.RS256(), k.rsa, claims())},
		{auth.ES256, auth.Config{Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}, sign(b, jwa.ES256(), k.ec, claims())},
	} {
		b.Run(bc.alg, func(b *testing.B) {
			v, err := auth.NewVerifier(bc.cfg)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(bc.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMiddleware measures the whole per-request cost of the middleware
// with an HS256 token, against a bare handler as the baseline.
func BenchmarkMiddleware(b *testing.B) {
	k := keys()
	v, err := auth.NewVerifier(auth.Config{Secret: k.secret})
	require.NoError(b, err)
	token := sign(b, jwa.HS256(), k.secret, claims())
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, bc := range []struct {
		name    string
		handler http.Handler
		token   string
	}{
		{"baseline", next, token},
		{"valid", v.Middleware(next), token},
		{"expired", v.Middleware(next), sign(b, jwa.HS256(), k.secret, claims("exp", time.Now().Add(-time.Hour)))},
		{"bad signature", v.Middleware(next), sign(b, jwa.HS256(), k.otherSecret, claims())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.Header.Set("Authorization", "Bearer "+bc.token)
			b.ReportAllocs()
			for b.Loop() {
				bc.handler.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}
