package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// gqlResponse is the shape of the body of a refused request.
type gqlResponse struct {
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Data any `json:"data"`
}

// How a test case sends its token.
var (
	viaQuery = func(r *http.Request, token string) {
		r.URL.RawQuery = url.Values{"jwt": {token}, "access_token": {token}, "token": {token}}.Encode()
	}
	viaCookie = func(r *http.Request, token string) {
		r.AddCookie(&http.Cookie{Name: "jwt", Value: token})
	}
	withHeader = func(value string) func(*http.Request, string) {
		return func(r *http.Request, _ string) { r.Header.Set("Authorization", value) }
	}
)

func TestMiddleware(t *testing.T) {
	k := keys()
	hs := auth.Config{Secret: k.secret}
	rs := auth.Config{Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM}
	es := auth.Config{Algorithm: auth.ES256, PublicKeyPEM: k.ecPEM}
	issAud := auth.Config{Secret: k.secret, Issuer: "https://id.example.com/", Audience: "tenantgraph"}
	const nsClaim = "https://tenantgraph.dev/tenant"
	custom := auth.Config{Secret: k.secret, TenantClaim: nsClaim}
	maxTTL := auth.Config{Secret: k.secret, MaxTTL: 2 * time.Hour}

	hs256 := func(c map[string]any) string { return sign(t, jwa.HS256(), k.secret, c) }
	now := time.Now()

	valid := hs256(claims())
	header, payload, signature := segments(t, valid)
	evil := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":9999999999,"tenant_id":"evil"}`))
	_, _, otherSignature := segments(t, hs256(claims("sub", "someone-else")))

	tests := []struct {
		name  string
		cfg   auth.Config // hs if zero
		token string      // sent, and must not appear in the response
		// send puts token into the request; by default it sends
		// "Authorization: Bearer <token>".
		send func(r *http.Request, token string)

		wantTenant string // the request passes if set
		wantRoles  []string
		wantErr    error // the reason it is refused otherwise
	}{
		{name: "valid", token: valid, wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "lower-case scheme", token: valid, send: withHeader("bearer " + valid), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "expired within leeway", token: hs256(claims("exp", now.Add(-10*time.Second))), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "nbf within leeway", token: hs256(claims("nbf", now.Add(10*time.Second))), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "roles not strings refused", token: hs256(claims("roles", []any{"admin", 1})), wantErr: auth.ErrRolesClaim},
		{name: "one role as a string", token: hs256(claims("roles", "admin")), wantTenant: "acme", wantRoles: []string{"admin"}},
		{name: "no roles", token: hs256(claims("roles", deleted)), wantTenant: "acme"},
		{name: "tenant of 63 chars", token: hs256(claims("tenant_id", strings.Repeat("a", 63))), wantTenant: strings.Repeat("a", 63), wantRoles: []string{"admin", "viewer"}},

		// The request.
		{name: "no header", send: func(*http.Request, string) {}, wantErr: auth.ErrNoToken},
		{name: "Bearer without token", send: withHeader("Bearer"), wantErr: auth.ErrNoToken},
		{name: "Bearer and spaces", send: withHeader("Bearer   "), wantErr: auth.ErrNoToken},
		{name: "Basic scheme", token: "dXNlcjpwYXNz", send: withHeader("Basic dXNlcjpwYXNz"), wantErr: auth.ErrScheme},
		{name: "token without scheme", token: valid, send: withHeader(valid), wantErr: auth.ErrScheme},
		{name: "token in query string", token: valid, send: viaQuery, wantErr: auth.ErrNoToken},
		{name: "token in cookie", token: valid, send: viaCookie, wantErr: auth.ErrNoToken},

		// The token's form.
		{name: "malformed", token: "not-a-token", wantErr: auth.ErrTokenMalformed},
		{name: "malformed base64", token: "eyJhbGciOiJIUzI1NiJ9.!!!.abc", wantErr: auth.ErrTokenMalformed},
		{name: "two segments", token: header + ".e30", wantErr: auth.ErrTokenMalformed},
		{name: "four segments", token: valid + ".e30", wantErr: auth.ErrTokenMalformed},
		{name: "header not JSON", token: "aGVsbG8.e30.c2ln", wantErr: auth.ErrTokenMalformed},
		{name: "space inside token", token: valid[:20] + " " + valid[20:], wantErr: auth.ErrTokenMalformed},
		{name: "too long", token: strings.Repeat("a", 17<<10) + ".e30.c2ln", wantErr: auth.ErrTokenMalformed},

		// The signature and algorithm.
		{name: "tampered payload", token: header + "." + evil + "." + signature, wantErr: auth.ErrTokenSignature},
		{name: "bad signature", token: header + "." + payload + "." + otherSignature, wantErr: auth.ErrTokenSignature},
		{name: "signed with another secret", token: sign(t, jwa.HS256(), k.otherSecret, claims()), wantErr: auth.ErrTokenSignature},
		{name: "alg none", token: unsigned(t, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "HS384 with the right secret", token: sign(t, jwa.HS384(), k.secret, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "RS256 when HS256 configured", token: sign(t, jwa.RS256(), k.rsa, claims()), wantErr: auth.ErrTokenAlgorithm},

		{name: "RS256 valid", cfg: rs, token: sign(t, jwa.RS256(), k.rsa, claims(), "kid", "key-1"), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "RS256 signed with another key", cfg: rs, token: sign(t, jwa.RS256(), k.otherRSA, claims()), wantErr: auth.ErrTokenSignature},
		{name: "HS256 with the public key as secret when RS256 configured", cfg: rs, token: sign(t, jwa.HS256(), k.rsaPEM, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "alg none when RS256 configured", cfg: rs, token: unsigned(t, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "ES256 when RS256 configured", cfg: rs, token: sign(t, jwa.ES256(), k.ec, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "PS256 with the right key when RS256 configured", cfg: rs, token: sign(t, jwa.PS256(), k.rsa, claims()), wantErr: auth.ErrTokenAlgorithm},

		{name: "ES256 valid", cfg: es, token: sign(t, jwa.ES256(), k.ec, claims()), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "ES256 signed with another key", cfg: es, token: sign(t, jwa.ES256(), k.otherEC, claims()), wantErr: auth.ErrTokenSignature},
		{name: "RS256 when ES256 configured", cfg: es, token: sign(t, jwa.RS256(), k.rsa, claims()), wantErr: auth.ErrTokenAlgorithm},
		{name: "HS256 when ES256 configured", cfg: es, token: sign(t, jwa.HS256(), k.ecPEM, claims()), wantErr: auth.ErrTokenAlgorithm},

		// Time.
		{name: "no exp", token: hs256(claims("exp", deleted)), wantErr: auth.ErrTokenNoExpiry},
		{name: "expired beyond leeway", token: hs256(claims("exp", now.Add(-time.Minute))), wantErr: auth.ErrTokenExpired},
		{name: "nbf beyond leeway", token: hs256(claims("nbf", now.Add(time.Minute))), wantErr: auth.ErrTokenNotYetValid},
		{name: "iat beyond leeway", token: hs256(claims("iat", now.Add(time.Minute))), wantErr: auth.ErrTokenIssuedAt},
		{name: "lifetime at the maximum", cfg: maxTTL, token: hs256(claims("iat", now.Add(-time.Hour), "exp", now.Add(time.Hour))), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "lifetime past the maximum", cfg: maxTTL, token: hs256(claims("iat", now.Add(-time.Hour), "exp", now.Add(time.Hour+time.Second))), wantErr: auth.ErrTokenLifetime},
		{name: "lifetime without iat counts from now", cfg: maxTTL, token: hs256(claims("iat", deleted, "exp", now.Add(3*time.Hour))), wantErr: auth.ErrTokenLifetime},
		{name: "short lifetime without iat", cfg: maxTTL, token: hs256(claims("iat", deleted, "exp", now.Add(time.Hour))), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "exp not a number", token: signPayload(t, jwa.HS256(), k.secret, `{"exp":"tomorrow","tenant_id":"acme"}`), wantErr: auth.ErrTokenMalformed},
		{name: "claims not an object", token: signPayload(t, jwa.HS256(), k.secret, `["acme"]`), wantErr: auth.ErrTokenMalformed},

		// Issuer and audience.
		{name: "issuer and audience", cfg: issAud, token: hs256(claims("iss", "https://id.example.com/", "aud", "tenantgraph")), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "audience among several", cfg: issAud, token: hs256(claims("iss", "https://id.example.com/", "aud", []string{"other", "tenantgraph"})), wantTenant: "acme", wantRoles: []string{"admin", "viewer"}},
		{name: "wrong issuer", cfg: issAud, token: hs256(claims("iss", "https://evil.example.com/", "aud", "tenantgraph")), wantErr: auth.ErrTokenIssuer},
		{name: "no issuer", cfg: issAud, token: hs256(claims("aud", "tenantgraph")), wantErr: auth.ErrTokenIssuer},
		{name: "wrong audience", cfg: issAud, token: hs256(claims("iss", "https://id.example.com/", "aud", "other")), wantErr: auth.ErrTokenAudience},
		{name: "no audience", cfg: issAud, token: hs256(claims("iss", "https://id.example.com/")), wantErr: auth.ErrTokenAudience},

		// The tenant claim.
		{name: "tenant absent", token: hs256(claims("tenant_id", deleted)), wantErr: auth.ErrTenantClaim},
		{name: "tenant empty", token: hs256(claims("tenant_id", "")), wantErr: auth.ErrTenantClaim},
		{name: "tenant number", token: hs256(claims("tenant_id", 42)), wantErr: auth.ErrTenantClaim},
		{name: "tenant array", token: hs256(claims("tenant_id", []string{"acme"})), wantErr: auth.ErrTenantClaim},
		{name: "tenant object", token: hs256(claims("tenant_id", map[string]any{"id": "acme"})), wantErr: auth.ErrTenantClaim},
		{name: "tenant null", token: hs256(claims("tenant_id", nil)), wantErr: auth.ErrTenantClaim},
		{name: "tenant path traversal", token: hs256(claims("tenant_id", "../x")), wantErr: auth.ErrTenantClaim},
		{name: "tenant with space", token: hs256(claims("tenant_id", "a b")), wantErr: auth.ErrTenantClaim},
		{name: "tenant of 64 chars", token: hs256(claims("tenant_id", strings.Repeat("a", 64))), wantErr: auth.ErrTenantClaim},
		{name: "tenant with leading hyphen", token: hs256(claims("tenant_id", "-acme")), wantErr: auth.ErrTenantClaim},
		{name: "custom tenant claim", cfg: custom, token: hs256(claims("tenant_id", deleted, nsClaim, "globex")), wantTenant: "globex", wantRoles: []string{"admin", "viewer"}},
		{name: "default claim when custom configured", cfg: custom, token: valid, wantErr: auth.ErrTenantClaim},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Secret == nil && cfg.PublicKeyPEM == nil {
				cfg = hs
			}
			v, err := auth.NewVerifier(cfg)
			require.NoError(t, err)

			var reached bool
			var gotClaims auth.Claims
			var gotTenant string
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				gotTenant, _ = tenant.IDFrom(r.Context())
				gotClaims, _ = auth.ClaimsFrom(r.Context())
				w.WriteHeader(http.StatusNoContent)
			})

			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
			if tc.send != nil {
				tc.send(r, tc.token)
			} else {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(w, r)

			if tc.wantTenant != "" {
				require.Equal(t, http.StatusNoContent, w.Code, "body: %s", w.Body)
				require.True(t, reached)
				require.Equal(t, tc.wantTenant, gotTenant)
				require.Equal(t, tc.wantTenant, gotClaims.TenantID)
				require.Equal(t, "user-1", gotClaims.Subject)
				require.Equal(t, tc.wantRoles, gotClaims.Roles)
				require.WithinDuration(t, time.Now(), gotClaims.ExpiresAt, time.Hour+time.Minute)
				return
			}

			require.False(t, reached, "next handler called")
			require.Equal(t, http.StatusUnauthorized, w.Code)
			challenge := `Bearer error="invalid_token"`
			if errors.Is(tc.wantErr, auth.ErrNoToken) || errors.Is(tc.wantErr, auth.ErrScheme) {
				challenge = "Bearer" // RFC 6750, section 3.1: no error code without a token
			}
			require.Equal(t, challenge, w.Header().Get("WWW-Authenticate"))
			require.Equal(t, "application/json", w.Header().Get("Content-Type"))
			body := w.Body.String()
			if tc.token != "" {
				require.NotContains(t, body, tc.token)
			}
			var resp gqlResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp), "body: %s", body)
			require.Len(t, resp.Errors, 1)
			require.Equal(t, tc.wantErr.Error(), resp.Errors[0].Message)
			require.Equal(t, "UNAUTHENTICATED", resp.Errors[0].Extensions["code"])

			// Verify itself reports the same reason, and no part of the
			// error, logged or not, holds the token.
			if tc.send == nil {
				_, err := v.Verify(tc.token)
				require.ErrorIs(t, err, tc.wantErr)
				ae, ok := apperr.As(err)
				require.True(t, ok, "%T is not an *apperr.Error", err)
				require.Equal(t, apperr.Unauthenticated, ae.Code)
				if len(tc.token) > 8 {
					require.NotContains(t, ae.Err.Error(), tc.token)
					if sig := tc.token[strings.LastIndex(tc.token, ".")+1:]; len(sig) > 8 {
						require.NotContains(t, ae.Err.Error(), sig)
					}
				}
			}
		})
	}
}
