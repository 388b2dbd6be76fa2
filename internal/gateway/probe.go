package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// probeTimeout bounds each dependency probe of /readyz: well under the
// timeout orchestrators give a readiness check (Kubernetes: 1 s by
// default), so that a dependency that hangs makes /readyz answer "not
// ready" rather than not answer at all.
const probeTimeout = 500 * time.Millisecond

// probeTTL is how long /readyz reuses a probe's outcome: orchestrators
// and load balancers of many replicas may ask several times a second, and
// each answer costs the dependency a round trip at most once per TTL.
const probeTTL = time.Second

// probe asks a dependency (Postgres, Redis) whether it answers, at most
// once per probeTTL, and remembers the outcome. Its method may be called
// concurrently: callers that arrive while a probe runs wait for its
// outcome (probeTimeout at most) rather than send another.
type probe struct {
	name   string // "store", "redis": names the probe in logs
	ping   func(ctx context.Context) error
	logger *slog.Logger

	mu    sync.Mutex
	at    time.Time // when the last probe ended; zero before the first
	err   error     // the last probe's error
	since time.Time // when the probe began failing (zero while it succeeds)
}

// check returns the outcome of a probe no older than probeTTL, probing
// first if need be: since when the dependency has been failing (zero if
// it answers) and the last probe's error. A failure and a recovery are logged once each.
//
// The probe runs without ctx's cancellation, so that a client that goes
// away does not leave a failure in the cache for the next one.
func (p *probe) check(ctx context.Context) (since time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && time.Since(p.at) < probeTTL {
		return p.since, p.err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	err = p.ping(pctx)
	cancel()
	now := time.Now()
	switch {
	case err != nil && p.err == nil:
		p.since = now
		p.logger.LogAttrs(ctx, slog.LevelWarn, "readiness: "+p.name+" does not answer",
			slog.Duration("timeout", probeTimeout), slog.Any("error", err))
	case err == nil && p.err != nil:
		p.logger.LogAttrs(ctx, slog.LevelInfo, "readiness: "+p.name+" answers again",
			slog.Duration("unavailable_for", now.Sub(p.since).Round(time.Millisecond)))
		p.since = time.Time{}
	}
	p.at, p.err = now, err
	return p.since, p.err
}
