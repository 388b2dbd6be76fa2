package cache

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
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

// health tracks whether Redis is usable. It is a circuit breaker:
// threshold consecutive failures open it, and while it is open the cache
// does not send commands to Redis; the monitor probes Redis and closes it.
// Its methods may be called concurrently.
type health struct {
	threshold    int
	warnInterval time.Duration
	logger       *slog.Logger

	open atomic.Bool // fast path for allow

	mu       sync.Mutex
	failures int       // consecutive failures
	since    time.Time // when the current state began
	err      error     // latest error while open
	lastWarn time.Time
}

func newHealth(threshold int, warnInterval time.Duration, logger *slog.Logger) *health {
	return &health{threshold: threshold, warnInterval: warnInterval, logger: logger, since: time.Now()}
}

// allow reports whether a command may be sent to Redis.
func (h *health) allow() bool { return !h.open.Load() }

// record notes the outcome of a command sent under a context derived from
// ctx. A failure after ctx itself ended (its caller gave up) says nothing
// certain about Redis and is not counted.
func (h *health) record(ctx context.Context, err error) {
	if err == nil {
		if h.open.Load() {
			// A command that started before the breaker opened; the
			// monitor's probe decides when Redis is back.
			return
		}
		h.mu.Lock()
		h.failures = 0
		h.mu.Unlock()
		return
	}
	if ctx.Err() != nil {
		return
	}
	h.mu.Lock()
	h.failures++
	h.err = err
	tripped := false
	if !h.open.Load() && h.failures >= h.threshold {
		h.open.Store(true)
		h.since = time.Now()
		h.lastWarn = h.since
		tripped = true
	}
	failures := h.failures
	h.mu.Unlock()
	if tripped {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "cache: redis unavailable; serving from process memory and the source",
			slog.Int("consecutive_failures", failures), slog.Any("error", err))
	}
}

// trip opens the breaker at once, as when Redis does not answer at start.
func (h *health) trip(err error) {
	h.mu.Lock()
	if h.open.Load() {
		h.mu.Unlock()
		return
	}
	h.open.Store(true)
	h.since = time.Now()
	h.lastWarn = h.since
	h.err = err
	h.mu.Unlock()
	h.logger.LogAttrs(context.Background(), slog.LevelWarn, "cache: redis unavailable; serving from process memory and the source",
		slog.Any("error", err))
}

// probeFailed notes that the monitor's probe failed while open.
func (h *health) probeFailed(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// recover closes the breaker after a successful probe, and logs how long
// Redis was unavailable.
func (h *health) recover() {
	h.mu.Lock()
	if !h.open.Load() {
		h.mu.Unlock()
		return
	}
	now := time.Now()
	down := now.Sub(h.since)
	h.failures = 0
	h.err = nil
	h.since = now
	h.open.Store(false)
	h.mu.Unlock()
	h.logger.LogAttrs(context.Background(), slog.LevelInfo, "cache: redis available again",
		slog.Duration("unavailable_for", down.Round(time.Millisecond)))
}

// warnIfDue logs that Redis is still unavailable, at most once per
// warnInterval.
func (h *health) warnIfDue(now time.Time) {
	h.mu.Lock()
	if !h.open.Load() || now.Sub(h.lastWarn) < h.warnInterval {
		h.mu.Unlock()
		return
	}
	h.lastWarn = now
	since, err := h.since, h.err
	h.mu.Unlock()
	h.logger.LogAttrs(context.Background(), slog.LevelWarn, "cache: redis still unavailable; serving from process memory and the source",
		slog.Time("since", since), slog.Duration("unavailable_for", now.Sub(since).Round(time.Millisecond)), slog.Any("error", err))
}

// status returns the current state.
func (h *health) status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open.Load() {
		return Status{State: StateDegraded, Since: h.since, Err: h.err}
	}
	return Status{State: StateOK, Since: h.since}
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
// from ctx (see health.record), unless the cache is closed: then failures
// are expected.
func (c *Cache) record(ctx context.Context, err error) {
	if c.closed.Load() {
		return
	}
	c.health.record(ctx, err)
}
