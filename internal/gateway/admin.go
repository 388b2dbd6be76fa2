package gateway

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// adminOnly admits requests bearing the operator token.
func adminOnly(token string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tenantgraph-admin"`)
				apperr.Write(w, http.StatusUnauthorized, &apperr.Error{Code: apperr.Unauthenticated, Message: "operator token missing or wrong"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// adminTenants answers GET /admin/tenants with the state of every tenant:
// its schema hash, when it was loaded, and the error of its latest load.
func (g *gateway) adminTenants(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"tenants": g.opts.Registry.States()})
}
