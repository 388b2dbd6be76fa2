package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// rawToken returns a token of the header and payload JSON given, with the
// signature sig.
func rawToken(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

func TestTenantIssuers(t *testing.T) {
	k := keys()
	f := newFixture(t)
	now := time.Now()
	aud := "tenantgraph"

	tests := []struct {
		name       string
		token      string
		wantTenant string // the request passes if set
		wantErr    error  // the reason it is refused otherwise
	}{
		// A tenant with its own HS256 secret.
		{name: "acme", token: acmeToken(t), wantTenant: "acme"},
		{name: "acme audience among several", token: acmeToken(t, "aud", []string{"other", aud}), wantTenant: "acme"},
		{name: "acme expired within leeway", token: acmeToken(t, "exp", now.Add(-10*time.Second)), wantTenant: "acme"},
		{name: "acme wrong audience", token: acmeToken(t, "aud", "other"), wantErr: auth.ErrTokenAudience},
		{name: "acme no audience", token: acmeToken(t, "aud", deleted), wantErr: auth.ErrTokenAudience},
		{name: "acme no exp", token: acmeToken(t, "exp", deleted), wantErr: auth.ErrTokenNoExpiry},
		{name: "acme expired", token: acmeToken(t, "exp", now.Add(-time.Minute)), wantErr: auth.ErrTokenExpired},
		{name: "acme nbf ahead", token: acmeToken(t, "nbf", now.Add(time.Minute)), wantErr: auth.ErrTokenNotYetValid},
		{name: "acme signed with the global secret", token: sign(t, jwa.HS256(), k.secret, claims("iss", acmeIss, "aud", aud)), wantErr: auth.ErrTokenSignature},
		{name: "acme alg none", token: unsigned(t, claims("iss", acmeIss, "aud", aud)), wantErr: auth.ErrTokenAlgorithm},
		{name: "acme HS384 with its secret", token: sign(t, jwa.HS384(), k.otherSecret, claims("iss", acmeIss, "aud", aud)), wantErr: auth.ErrTokenAlgorithm},
		{name: "acme RS256", token: sign(t, jwa.RS256(), k.rsa, claims("iss", acmeIss, "aud", aud)), wantErr: auth.ErrTokenAlgorithm},
		{name: "acme tenant claim malformed", token: acmeToken(t, "tenant_id", "../x"), wantErr: auth.ErrTenantClaim},
		{name: "acme tenant claim missing", token: acmeToken(t, "tenant_id", deleted), wantErr: auth.ErrTenantClaim},

		// A token signed with tenant A's key that claims tenant B.
		{name: "acme's key claims globex", token: acmeToken(t, "tenant_id", "globex"), wantErr: auth.ErrTenantMismatch},
		{name: "acme's key claims a tenant without issuer", token: acmeToken(t, "tenant_id", "hooli"), wantErr: auth.ErrTenantMismatch},
		{name: "acme's key with globex's issuer", token: sign(t, jwa.HS256(), k.otherSecret, claims("iss", globexIss, "tenant_id", "globex")), wantErr: auth.ErrTokenAlgorithm},
		{name: "globex's key with acme's issuer", token: sign(t, jwa.RS256(), k.rsa, claims("iss", acmeIss, "aud", aud, "tenant_id", "acme")), wantErr: auth.ErrTokenAlgorithm},
		{name: "globex's key claims acme", token: globexToken(t, "tenant_id", "acme"), wantErr: auth.ErrTenantMismatch},
		{name: "global key with acme's issuer", token: globalToken(t, "iss", acmeIss, "aud", aud), wantErr: auth.ErrTokenSignature},

		// A tenant with an RS256 public key.
		{name: "globex", token: globexToken(t), wantTenant: "globex"},
		{name: "globex any audience", token: globexToken(t, "aud", "whatever"), wantTenant: "globex"},
		{name: "globex signed with another key", token: sign(t, jwa.RS256(), k.otherRSA, claims("iss", globexIss, "tenant_id", "globex")), wantErr: auth.ErrTokenSignature},
		{name: "globex HS256 with the public key as secret", token: sign(t, jwa.HS256(), k.rsaPEM, claims("iss", globexIss, "tenant_id", "globex")), wantErr: auth.ErrTokenAlgorithm},
		{name: "globex PS256 with its key", token: sign(t, jwa.PS256(), k.rsa, claims("iss", globexIss, "tenant_id", "globex")), wantErr: auth.ErrTokenAlgorithm},
		{name: "globex alg none", token: unsigned(t, claims("iss", globexIss, "tenant_id", "globex")), wantErr: auth.ErrTokenAlgorithm},
		{name: "globex tampered", token: func() string {
			h, _, s := segments(t, globexToken(t))
			_, p, _ := segments(t, globexToken(t, "roles", []string{"owner"}))
			return h + "." + p + "." + s
		}(), wantErr: auth.ErrTokenSignature},

		// A tenant with a JWKS.
		{name: "initech", token: initechToken(t, "initech-1", k.ec), wantTenant: "initech"},
		{name: "initech without kid, one key in the set", token: initechToken(t, "", k.ec), wantTenant: "initech"},
		{name: "initech unknown kid", token: initechToken(t, "initech-9", k.ec), wantErr: auth.ErrTokenKeyUnknown},
		{name: "initech kid of another key", token: initechToken(t, "initech-1", k.otherEC), wantErr: auth.ErrTokenSignature},
		{name: "initech RS256", token: sign(t, jwa.RS256(), k.rsa, claims("iss", initechIss, "tenant_id", "initech"), "kid", "initech-1"), wantErr: auth.ErrTokenAlgorithm},

		// Tokens no tenant's issuer claims: the global Config, as before.
		{name: "global", token: globalToken(t), wantTenant: "acme"},
		{name: "global with an unknown issuer", token: globalToken(t, "iss", "https://unknown.example.com/"), wantTenant: "acme"},
		{name: "global issuer differs in case", token: globalToken(t, "iss", strings.ToUpper(acmeIss)), wantTenant: "acme"},
		{name: "unknown issuer, acme's key", token: sign(t, jwa.HS256(), k.otherSecret, claims("iss", "https://unknown.example.com/")), wantErr: auth.ErrTokenSignature},
		{name: "no issuer, acme's key", token: sign(t, jwa.HS256(), k.otherSecret, claims("aud", aud)), wantErr: auth.ErrTokenSignature},
		{name: "unknown issuer, globex's key", token: sign(t, jwa.RS256(), k.rsa, claims("iss", "https://unknown.example.com/")), wantErr: auth.ErrTokenAlgorithm},
		{name: "issuer not a string", token: signPayload(t, jwa.HS256(), k.secret, `{"iss":["`+acmeIss+`"],"exp":9999999999,"tenant_id":"acme"}`), wantErr: auth.ErrTokenMalformed},
		{name: "issuer of too many bytes", token: globalToken(t, "iss", acmeIss+strings.Repeat("x", 2000)), wantTenant: "acme"},

		// Routing reads exactly the iss claim, as jwx does.
		{name: "ISS is not iss", token: globalToken(t, "ISS", acmeIss), wantTenant: "acme"},
		{name: "repeated iss, last wins", token: signPayload(t, jwa.HS256(), k.otherSecret, `{"iss":"https://unknown.example.com/","iss":"`+acmeIss+`","aud":"tenantgraph","exp":9999999999,"tenant_id":"acme"}`), wantTenant: "acme"},
		{name: "repeated iss, global key", token: signPayload(t, jwa.HS256(), k.secret, `{"iss":"`+acmeIss+`","iss":"https://unknown.example.com/","exp":9999999999,"tenant_id":"acme"}`), wantTenant: "acme"},

		// The token's form, before any routing.
		{name: "malformed", token: "not-a-token", wantErr: auth.ErrTokenMalformed},
		{name: "payload not JSON", token: rawToken(`{"alg":"HS256"}`, `not json`, "c2ln"), wantErr: auth.ErrTokenSignature}, // as before: the global Config checks the signature first
		{name: "header not JSON, acme's issuer", token: rawToken(`not json`, `{"iss":"`+acmeIss+`"}`, "c2ln"), wantErr: auth.ErrTokenMalformed},
		{name: "kid not a string", token: rawToken(`{"alg":"ES256","kid":7}`, `{"iss":"`+initechIss+`"}`, "c2ln"), wantErr: auth.ErrTokenMalformed},
	}
	v := f.verifier(t, auth.VerifierOptions{})
	cached := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []*auth.Verifier{v, cached, cached} {
				var gotTenant string
				next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					gotTenant, _ = tenant.IDFrom(r.Context())
					c, _ := auth.ClaimsFrom(r.Context())
					require.Equal(t, gotTenant, c.TenantID)
					w.WriteHeader(http.StatusNoContent)
				})
				r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
				r.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				v.Middleware(next).ServeHTTP(w, r)

				c, err := v.Verify(tc.token)
				if tc.wantTenant != "" {
					require.Equal(t, http.StatusNoContent, w.Code, "body: %s", w.Body)
					require.Equal(t, tc.wantTenant, gotTenant)
					require.NoError(t, err)
					require.Equal(t, tc.wantTenant, c.TenantID)
					continue
				}
				require.Equal(t, http.StatusUnauthorized, w.Code)
				require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
				var resp gqlResponse
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp), "body: %s", w.Body)
				require.Len(t, resp.Errors, 1)
				require.Equal(t, tc.wantErr.Error(), resp.Errors[0].Message)
				require.Equal(t, "UNAUTHENTICATED", resp.Errors[0].Extensions["code"])
				require.NotContains(t, w.Body.String(), tc.token)

				require.ErrorIs(t, err, tc.wantErr)
				require.Empty(t, c.TenantID)
				ae, ok := apperr.As(err)
				require.True(t, ok, "%T is not an *apperr.Error", err)
				require.Equal(t, apperr.Unauthenticated, ae.Code)
				require.NotContains(t, ae.Err.Error(), tc.token)
			}
		})
	}
	// Each Verifier fetched the JWKS once: the unknown kid came within the
	// refresh interval.
	require.EqualValues(t, 2, f.jwks.fetches.Load())
}

// The global Config's issuer stays the global Config's, whatever tenant
// claims it.
func TestGlobalIssuerNotRoutedToTenant(t *testing.T) {
	k := keys()
	const globalIss = "https://id.example.com/"
	hijack := mustIssuer(t, auth.IssuerConfig{TenantID: "mallory", Issuer: globalIss, Algorithm: auth.HS256, Secret: k.otherSecret})
	issuers, err := auth.NewIssuerMap(hijack)
	require.NoError(t, err)
	v, err := auth.NewVerifierWithOptions(auth.Config{Secret: k.secret, Issuer: globalIss}, auth.VerifierOptions{Issuers: issuers})
	require.NoError(t, err)

	c, err := v.Verify(globalToken(t, "iss", globalIss))
	require.NoError(t, err)
	require.Equal(t, "acme", c.TenantID)

	_, err = v.Verify(sign(t, jwa.HS256(), k.otherSecret, claims("iss", globalIss, "tenant_id", "mallory")))
	require.ErrorIs(t, err, auth.ErrTokenSignature)
}

// issuersFunc adapts a function to auth.Issuers.
type issuersFunc func(ctx context.Context, iss string) (*auth.TenantIssuer, error)

func (f issuersFunc) Issuer(ctx context.Context, iss string) (*auth.TenantIssuer, error) {
	return f(ctx, iss)
}

func TestIssuersErrors(t *testing.T) {
	f := newFixture(t)
	down := errors.New("tenant config store down")
	tests := []struct {
		name    string
		issuers auth.Issuers
		token   string
		wantErr error // nil: verified by the global Config
	}{
		{name: "lookup fails: no fallback to the global Config", issuers: issuersFunc(func(context.Context, string) (*auth.TenantIssuer, error) { return nil, down }), token: globalToken(t, "iss", "https://unknown.example.com/"), wantErr: auth.ErrTokenKeyUnavailable},
		{name: "not found, wrapped", issuers: issuersFunc(func(_ context.Context, iss string) (*auth.TenantIssuer, error) {
			return nil, errors.Join(auth.ErrIssuerNotFound, errors.New(iss))
		}), token: globalToken(t, "iss", "https://unknown.example.com/")},
		{name: "nil, nil is not found", issuers: issuersFunc(func(context.Context, string) (*auth.TenantIssuer, error) { return nil, nil }), token: globalToken(t, "iss", "https://unknown.example.com/")},
		{name: "issuer for another iss", issuers: issuersFunc(func(context.Context, string) (*auth.TenantIssuer, error) { return f.acme, nil }), token: acmeToken(t, "iss", "https://unknown.example.com/"), wantErr: auth.ErrTokenKeyUnavailable},
		{name: "no iss: no lookup", issuers: issuersFunc(func(context.Context, string) (*auth.TenantIssuer, error) { return nil, down }), token: globalToken(t)},
		{name: "zero IssuerMap", issuers: new(auth.IssuerMap), token: globalToken(t, "iss", acmeIss)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(t, auth.VerifierOptions{Issuers: tc.issuers, TokenCacheSize: 10})
			for range 2 {
				c, err := v.Verify(tc.token)
				if tc.wantErr == nil {
					require.NoError(t, err)
					require.Equal(t, "acme", c.TenantID)
					continue
				}
				require.ErrorIs(t, err, tc.wantErr)
				if errors.Is(tc.wantErr, auth.ErrTokenKeyUnavailable) {
					ae, _ := apperr.As(err)
					require.Equal(t, auth.ErrTokenKeyUnavailable.Error(), ae.Message, "the cause is not shown")
				}
			}
		})
	}
}

// FuzzVerifyIssuers checks that no input makes a Verifier with tenant
// issuers, a JWKS and a cache panic or succeed, and that every failure is an
// UNAUTHENTICATED error with one of the known messages. The seeds are near
// misses for each issuer.
func FuzzVerifyIssuers(f *testing.F) {
	k := keys()
	fx := newFixture(f)
	now := time.Now()
	for _, s := range []string{
		"",
		"a.b.c",
		rawToken(`{"alg":"HS256"}`, `{"iss":"`+acmeIss+`"}`, ""),
		rawToken(`{"alg":"ES256","kid":"initech-1"}`, `{"iss":"`+initechIss+`","tenant_id":"initech","exp":9999999999}`, "c2ln"),
		rawToken(`{"alg":"ES256"}`, `{"iss":"`+initechIss+`","iss":"`+acmeIss+`"}`, "c2ln"),
		rawToken(`{"alg":"RS256"}`, `{"iss":{"x":1},"exp":1}`, "c2ln"),
		rawToken(`{"alg":"RS256"}`, `{"iss":"`+globexIss+`"`, "c2ln"),
		sign(f, jwa.HS256(), k.secret, claims("iss", acmeIss, "aud", "tenantgraph")),
		sign(f, jwa.HS256(), k.otherSecret, claims("iss", acmeIss, "aud", "tenantgraph", "tenant_id", "globex")),
		sign(f, jwa.HS256(), k.otherSecret, claims("iss", acmeIss, "aud", "tenantgraph", "exp", now.Add(-time.Hour))),
		sign(f, jwa.RS256(), k.otherRSA, claims("iss", globexIss, "tenant_id", "globex")),
		sign(f, jwa.HS256(), k.rsaPEM, claims("iss", globexIss, "tenant_id", "globex")),
		sign(f, jwa.ES256(), k.ec, claims("iss", initechIss, "tenant_id", "initech"), "kid", "initech-2"),
		sign(f, jwa.ES256(), k.otherEC, claims("iss", initechIss, "tenant_id", "initech"), "kid", "initech-1"),
		sign(f, jwa.ES256(), k.ec, claims("iss", initechIss, "tenant_id", "acme"), "kid", "initech-1"),
		unsigned(f, claims("iss", initechIss, "tenant_id", "initech")),
		sign(f, jwa.HS256(), k.otherSecret, claims("iss", "https://unknown.example.com/")),
	} {
		f.Add(s)
	}
	v := fx.verifier(f, auth.VerifierOptions{TokenCacheSize: 100, JWKS: auth.JWKSOptions{FetchTimeout: time.Second}})
	known := map[string]bool{}
	for m := range reasons {
		known[m] = true
	}
	for _, err := range []error{auth.ErrTenantMismatch, auth.ErrTokenKeyUnknown, auth.ErrTokenKeyUnavailable} {
		known[err.Error()] = true
	}

	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(raw)
		if err == nil {
			t.Fatalf("Verify(%q) = %+v, want an error", raw, c)
		}
		ae, ok := apperr.As(err)
		if !ok || ae.Code != apperr.Unauthenticated {
			t.Fatalf("Verify(%q): error %#v is not UNAUTHENTICATED", raw, err)
		}
		if !known[ae.Message] {
			t.Fatalf("Verify(%q): unknown message %q", raw, ae.Message)
		}
		if c.TenantID != "" {
			t.Fatalf("Verify(%q) failed but returned tenant %q", raw, c.TenantID)
		}
	})
}
