package cache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/redisclient"
)

// State is the condition of a Cache's Redis level.
type State string

// The states reported by Status.
const (
	// StateOK: Redis answers; values are shared by every replica.
	StateOK State = "ok"
	// StateDegraded: Redis failed repeatedly and is skipped until it
	// answers again. Get serves from process memory and the source.
	StateDegraded State = "degraded"
	// StateLocal: no Redis is configured; the cache lives in process.
	StateLocal State = "local"
)

// Status is a snapshot of a Cache's health, for a readiness report. A
// degraded cache still serves (from process memory and the source), so
// /readyz should report it without failing.
type Status struct {
	State State
	// Since is when the cache entered State (for StateLocal, when it was
	// created).
	Since time.Time
	// Err is the latest Redis error while degraded, otherwise nil.
	Err error
}

// limiter lets through one event per interval and counts the rest.
type limiter struct {
	interval time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether an event at now should be logged, and how many
// were suppressed since the last one that was.
func (l *limiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// record notes the outcome of a Redis command sent under a context derived
// from ctx (see breaker.Breaker.Record), unless the cache is closed: then
// failures are expected.
func (c *Cache) record(ctx context.Context, err error) {
	if c.closed.Load() {
		return
	}
	c.breaker.Record(ctx, err)
}

// Ping asks Redis whether it answers, within ctx and Config.OpTimeout,
// for a readiness probe that must not wait for requests to fail. On a
// Redis Cluster every master must answer: while one does not, the values
// in its slots are out of reach (the cache serves them from process
// memory and the source) and Ping reports it. Ping returns nil without
// Redis, and does not touch the breaker: the cache goes on judging Redis
// by its own calls.
func (c *Cache) Ping(ctx context.Context) error {
	if c.rdb == nil || c.closed.Load() {
		return nil
	}
	if err := redisclient.Ping(ctx, c.rdb); err != nil {
		return fmt.Errorf("cache: ping redis: %w", err)
	}
	return nil
}
