package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
)

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

// readiness holds the probes of /readyz.
type readiness struct {
	store *probe
	redis *probe // nil unless Options.Cache can Ping
}

func newReadiness(opts Options) *readiness {
	r := &readiness{store: &probe{name: "store", ping: opts.Store.Ping, logger: opts.Logger}}
	if p, ok := opts.Cache.(Pinger); ok {
		r.redis = &probe{name: "redis", ping: p.Ping, logger: opts.Logger}
	}
	return r
}

// readyz reports whether the gateway can serve requests: the store answers
// and tenants are loaded. It answers 503 when not. Details of a failure are
// logged, not shown.
//
// The store and Redis are probed by /readyz itself (each within
// probeTimeout, at most once per probeTTL, both at once), not judged by
// the requests that failed: a Postgres or Redis that stops answering shows
// within a probeTTL and a probeTimeout even when no client sends anything.
func (g *gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ready := true
	checks := map[string]check{}

	var (
		redisSince time.Time
		redisErr   error
		wg         sync.WaitGroup
	)
	if g.ready.redis != nil {
		wg.Go(func() { redisSince, redisErr = g.ready.redis.check(ctx) })
	}
	if _, err := g.ready.store.check(ctx); err != nil {
		ready = false
		checks["store"] = check{Status: "unavailable"}
	} else {
		checks["store"] = check{Status: "ok"}
	}
	wg.Wait()

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
	// sources: it is reported, but the gateway stays ready. Redis is
	// degraded as soon as the probe fails, before the cache's breaker
	// opens (which takes requests that fail).
	if g.opts.Cache != nil {
		switch st := g.opts.Cache.Status(); {
		case st.State == cache.StateDegraded:
			checks["redis"] = check{Status: "degraded", Detail: "unreachable since " + st.Since.UTC().Format(time.RFC3339) + "; serving from process memory and sources"}
		case st.State == cache.StateOK && redisErr != nil:
			checks["redis"] = check{Status: "degraded", Detail: "not answering since " + redisSince.UTC().Format(time.RFC3339) + "; requests may wait for it until the cache stops asking"}
		case st.State == cache.StateOK:
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
