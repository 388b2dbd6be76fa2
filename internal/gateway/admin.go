package gateway

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

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
// its schema hash, when it was loaded, and the error of its latest load;
// the requests refused so far, by tenant and code; the views of their
// schemas that tenants hold for their callers' grants, by tenant; and the
// state of each URL of the tenants' upstreams (its breaker), by tenant
// and upstream.
func (g *gateway) adminTenants(w http.ResponseWriter, _ *http.Request) {
	views := map[string]int{}
	upstreams := map[string]map[string]any{}
	for _, t := range g.opts.Registry.Tenants() {
		if n := t.Views(); n > 0 {
			views[t.ID] = n
		}
		for name, c := range t.Upstreams {
			if upstreams[t.ID] == nil {
				upstreams[t.ID] = map[string]any{}
			}
			var urls []map[string]any
			for _, u := range c.Status() {
				st := map[string]any{"url": u.URL, "state": u.State.String(), "since": u.Since, "failures": u.Failures}
				if u.LastError != nil {
					st["lastError"] = u.LastError.Error()
				}
				urls = append(urls, st)
			}
			upstreams[t.ID][name] = urls
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenants":   g.opts.Registry.States(),
		"refusals":  g.opts.Refusals.Counts(),
		"views":     views,
		"upstreams": upstreams,
	})
}

// adminRefresh answers POST /admin/tenants/{id}/refresh: the tenant's
// files are read again, and its cached configuration and secrets are
// dropped in Redis and in every replica, so that the next request resolves
// them from their sources.
func (g *gateway) adminRefresh(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !g.opts.Registry.Known(id) {
		apperr.Write(w, http.StatusNotFound, &apperr.Error{Code: apperr.NotFound, Message: "no tenant " + strconv.Quote(id)})
		return
	}
	g.opts.Registry.Reload() // problems are logged and shown in the states
	if err := g.opts.Refresh(r.Context(), id); err != nil {
		g.opts.Logger.Error("refresh failed", "tenant", id, "request_id", RequestIDFrom(r.Context()), "error", err)
		apperr.Write(w, http.StatusServiceUnavailable, &apperr.Error{Code: apperr.Internal, Message: "refresh failed; see the gateway's log"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"refreshed": id})
}
