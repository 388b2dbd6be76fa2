package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
)

// readyTimeout bounds the checks of one /readyz request.
const readyTimeout = 2 * time.Second

// Pinger is what /readyz asks whether the store can serve.
type Pinger interface {
	Ping(ctx context.Context) error
}

// check is one line of the /readyz report.
type check struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// healthz reports that the process is alive.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports whether the gateway can serve requests: the store answers
// and tenants are loaded. It answers 503 when not. Details of a failure are
// logged, not shown.
func (g *gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	ready := true
	checks := map[string]check{}

	if err := g.opts.Store.Ping(ctx); err != nil {
		ready = false
		checks["store"] = check{Status: "unavailable"}
		g.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "readiness: store unavailable",
			slog.String("request_id", RequestIDFrom(ctx)), slog.Any("error", err))
	} else {
		checks["store"] = check{Status: "ok"}
	}

	// Tenants that fail to load are reported by count only: their errors
	// (with file paths) are for operators, at /admin/tenants.
	serving, failing := 0, 0
	for _, s := range g.opts.Registry.States() {
		if s.Serving {
			serving++
		}
		if s.Error != "" {
			failing++
		}
	}
	switch {
	case serving == 0:
		ready = false
		checks["tenants"] = check{Status: "unavailable", Detail: "no tenants loaded"}
	case failing > 0:
		checks["tenants"] = check{Status: "degraded", Detail: plural(serving, "tenant") + " serving, " + itoa(int64(failing)) + " failing to load"}
	default:
		checks["tenants"] = check{Status: "ok", Detail: plural(serving, "tenant") + " loaded"}
	}

	// A degraded cache still serves, from process memory and the
	// sources: it is reported, but the gateway stays ready.
	if g.opts.Cache != nil {
		switch st := g.opts.Cache.Status(); st.State {
		case cache.StateDegraded:
			checks["redis"] = check{Status: "degraded", Detail: "unreachable since " + st.Since.UTC().Format(time.RFC3339) + "; serving from process memory and sources"}
		case cache.StateOK:
			checks["redis"] = check{Status: "ok"}
		}
	}

	// Rate limits never fail closed: without Redis they are applied per
	// replica, which /readyz says.
	if g.opts.RateLimiter != nil {
		switch st := g.opts.RateLimiter.Status(); st.State {
		case ratelimit.StateRedis:
			checks["ratelimit"] = check{Status: "ok", Detail: "shared by every replica through Redis"}
		case ratelimit.StateLocal:
			checks["ratelimit"] = check{Status: "local", Detail: "no Redis: each replica limits on its own"}
		case ratelimit.StateDegraded:
			checks["ratelimit"] = check{Status: "degraded", Detail: "Redis unreachable since " + st.Since.UTC().Format(time.RFC3339) + "; each replica limits on its own"}
		}
	}

	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(int64(n)) + " " + word + "s"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
