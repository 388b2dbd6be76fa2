package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// State is the condition of a Limiter's shared level.
type State string

// The states reported by Status.
const (
	// StateRedis: Redis answers; every replica draws from one budget.
	StateRedis State = "redis"
	// StateDegraded: Redis failed repeatedly and is skipped until it
	// answers again; each replica limits in process, at the full rate.
	StateDegraded State = "degraded"
	// StateLocal: no Redis is configured; each replica limits in process.
	StateLocal State = "local"
)

// Status is a snapshot of a Limiter's health, for a readiness report. A
// degraded Limiter still limits (in process), so /readyz should report it
// without failing.
type Status struct {
	State State
	// Since is when the Limiter entered State (for StateLocal, when it
	// was created).
	Since time.Time
	// Err is the latest Redis error while degraded, otherwise nil.
	Err error
}

// breaker tracks whether Redis is usable: threshold consecutive failures
// open it, and while it is open the Limiter sends nothing to Redis; the
// monitor's probe closes it. The hot path (allow, and record of a
// success) touches only atomics. Its methods may be called concurrently.
type breaker struct {
	threshold    int32
	warnInterval time.Duration
	logger       *slog.Logger

	open     atomic.Bool
	failures atomic.Int32 // consecutive failures while closed

	mu       sync.Mutex
	since    time.Time // when the current state began
	err      error     // latest error while open
	lastWarn time.Time
}

func newBreaker(threshold int, warnInterval time.Duration, logger *slog.Logger) *breaker {
	return &breaker{threshold: int32(threshold), warnInterval: warnInterval, logger: logger, since: time.Now()}
}

// allow reports whether a call may be sent to Redis.
func (b *breaker) allow() bool { return !b.open.Load() }

// record notes the outcome of a call sent under a context derived from
// ctx. A failure after ctx itself ended (its caller gave up, or its
// deadline was shorter than OpTimeout) says nothing certain about Redis
// and is not counted.
func (b *breaker) record(ctx context.Context, err error) {
	if err == nil {
		// A success while open is a call that started before the breaker
		// opened; the probe decides when Redis is back.
		if b.failures.Load() != 0 && !b.open.Load() {
			b.failures.Store(0)
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	n := b.failures.Add(1)
	if n < b.threshold || !b.openWith(err) {
		return
	}
	b.logger.LogAttrs(ctx, slog.LevelWarn, "ratelimit: redis unavailable; limiting in process, each replica at the full rate",
		slog.Int("consecutive_failures", int(n)), slog.Any("error", err))
}

// trip opens the breaker at once, as when Redis does not answer at start.
func (b *breaker) trip(err error) {
	if !b.openWith(err) {
		return
	}
	b.logger.LogAttrs(context.Background(), slog.LevelWarn, "ratelimit: redis unavailable; limiting in process, each replica at the full rate",
		slog.Any("error", err))
}

// openWith opens the breaker for err, and reports whether it was closed.
func (b *breaker) openWith(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open.Load() {
		return false
	}
	now := time.Now()
	b.since, b.lastWarn, b.err = now, now, err
	b.open.Store(true)
	return true
}

// probeFailed notes that the probe failed while open.
func (b *breaker) probeFailed(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// recover closes the breaker after a successful probe, and logs how long
// Redis was unavailable.
func (b *breaker) recover() {
	b.mu.Lock()
	if !b.open.Load() {
		b.mu.Unlock()
		return
	}
	now := time.Now()
	down := now.Sub(b.since)
	b.since, b.err = now, nil
	b.failures.Store(0)
	b.open.Store(false)
	b.mu.Unlock()
	b.logger.LogAttrs(context.Background(), slog.LevelInfo, "ratelimit: redis available again; limits are shared again",
		slog.Duration("unavailable_for", down.Round(time.Millisecond)))
}

// warnIfDue logs that Redis is still unavailable, at most once per
// warnInterval.
func (b *breaker) warnIfDue(now time.Time) {
	b.mu.Lock()
	if !b.open.Load() || now.Sub(b.lastWarn) < b.warnInterval {
		b.mu.Unlock()
		return
	}
	b.lastWarn = now
	since, err := b.since, b.err
	b.mu.Unlock()
	b.logger.LogAttrs(context.Background(), slog.LevelWarn, "ratelimit: redis still unavailable; limiting in process, each replica at the full rate",
		slog.Time("since", since), slog.Duration("unavailable_for", now.Sub(since).Round(time.Millisecond)), slog.Any("error", err))
}

// status returns the current state.
func (b *breaker) status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open.Load() {
		return Status{State: StateDegraded, Since: b.since, Err: b.err}
	}
	return Status{State: StateRedis, Since: b.since}
}
