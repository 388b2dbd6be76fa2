package auth

import (
	"net/http"
	"strings"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// Middleware returns a handler that verifies the request's bearer token and
// calls next with the token's tenant ID in the context (see [tenant.WithID])
// and its claims (see [WithClaims]).
//
// The token is read from the Authorization header only, as
// "Authorization: Bearer <token>" (the scheme is case-insensitive); never
// from the query string or a cookie. A request without a valid token gets
// status 401, a WWW-Authenticate: Bearer challenge (with error="invalid_token"
// if a token was sent, as RFC 6750 asks) and a GraphQL JSON error with
// extensions.code UNAUTHENTICATED, written by [apperr.Write]; next is not
// called.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, aerr := bearerToken(r)
		if aerr != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			apperr.Write(w, http.StatusUnauthorized, aerr)
			return
		}
		claims, aerr := v.verify(r.Context(), raw)
		if aerr != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			apperr.Write(w, http.StatusUnauthorized, aerr)
			return
		}
		ctx := tenant.WithID(r.Context(), claims.TenantID)
		ctx = WithClaims(ctx, claims)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken returns the token of r's Authorization header.
func bearerToken(r *http.Request) (string, *apperr.Error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", unauthenticated(ErrNoToken, nil)
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", unauthenticated(ErrScheme, nil)
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", unauthenticated(ErrNoToken, nil)
	}
	return token, nil
}
