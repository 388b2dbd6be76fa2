// Package breaker is the circuit breaker that packages cache and ratelimit
// put in front of Redis: Config.Threshold consecutive failures open it,
// and while it is open its owner sends nothing to Redis and falls back on
// what it can do alone; the owner's own probe closes it again.
//
// A Breaker logs as it opens, at intervals while it stays open, and as it
// closes. Its messages name the owner and what the owner does meanwhile,
// and operators search the log for them:
//
//	b := breaker.New(breaker.Config{
//		Name:         "cache",
//		Fallback:     "serving from process memory and the source",
//		Threshold:    3,
//		WarnInterval: 30 * time.Second,
//		Logger:       logger,
//	})
//	// logs "cache: redis unavailable; serving from process memory and the source",
//	// "cache: redis still unavailable; serving from process memory and the source"
//	// and "cache: redis available again".
//
// Around each Redis call the owner asks Allow first and tells Record the
// outcome; a background loop probes Redis while Allow says no, and calls
// Recover when the probe succeeds or ProbeFailed and WarnIfDue when it
// does not.
package breaker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Breaker.
type Config struct {
	// Name begins every message, followed by ": redis", as in
	// "ratelimit: redis unavailable; ...". Usually the owning package.
	Name string

	// Fallback says what the owner does while the breaker is open; it
	// ends the warnings, after "; ". Default: the warnings end after
	// "unavailable".
	Fallback string

	// Restored says what the owner does again once the breaker closes;
	// it ends that notice, after "; ", as in "ratelimit: redis available
	// again; limits are shared again". Default: the notice ends after
	// "again".
	Restored string

	// Threshold is the number of consecutive failures that open the
	// breaker. Zero or less means 1.
	Threshold int

	// WarnInterval is the least time between two warnings, logged by
	// WarnIfDue, that Redis is still unavailable. Zero means a warning
	// at every call of WarnIfDue while open.
	WarnInterval time.Duration

	// Logger receives the messages. Default: discard.
	Logger *slog.Logger
}

// State is the condition of a Breaker.
type State int

// The states of a Breaker.
const (
	// Closed: calls may be sent (the zero State).
	Closed State = iota
	// Open: consecutive failures or Trip opened the breaker; nothing is
	// to be sent but the owner's probe, until Recover.
	Open
)

// String returns "closed" or "open".
func (s State) String() string {
	if s == Open {
		return "open"
	}
	return "closed"
}

// Status is a snapshot of a Breaker.
type Status struct {
	State State
	// Since is when the breaker entered State (when it was made, if it
	// has always been closed).
	Since time.Time
	// Err is the latest error while Open (of a call that was under way
	// as the breaker opened, or of the probe), otherwise nil.
	Err error
}

// A Breaker tracks whether Redis is usable. Allow, and Record of a
// success, touch only atomics, as the owner calls them on every request;
// the rest takes a mutex. Its methods may be called concurrently. Make one
// with New; the zero Breaker is not usable.
type Breaker struct {
	threshold    int64
	warnInterval time.Duration
	logger       *slog.Logger

	// The messages, made once by New.
	msgUnavailable, msgStill, msgAvailable string

	open     atomic.Bool
	failures atomic.Int64 // consecutive failures since the breaker last closed or a call succeeded

	mu       sync.Mutex
	since    time.Time // when the current state began
	err      error     // latest error while open
	lastWarn time.Time
}

// New returns a closed Breaker configured by cfg.
func New(cfg Config) *Breaker {
	meanwhile := ""
	if cfg.Fallback != "" {
		meanwhile = "; " + cfg.Fallback
	}
	again := ""
	if cfg.Restored != "" {
		again = "; " + cfg.Restored
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Breaker{
		threshold:      int64(max(cfg.Threshold, 1)),
		warnInterval:   cfg.WarnInterval,
		logger:         logger,
		msgUnavailable: cfg.Name + ": redis unavailable" + meanwhile,
		msgStill:       cfg.Name + ": redis still unavailable" + meanwhile,
		msgAvailable:   cfg.Name + ": redis available again" + again,
		since:          time.Now(),
	}
}

// Allow reports whether a call may be sent to Redis: whether the breaker
// is closed.
func (b *Breaker) Allow() bool { return !b.open.Load() }

// Record notes the outcome of a call sent under a context derived from
// ctx: a success (nil err) ends a run of failures, and the Threshold-th
// failure in a row opens the breaker and logs so. A failure after ctx
// itself ended (its caller gave up, or its deadline was shorter than the
// call's own timeout) says nothing certain about Redis and is not counted.
// A success while open is a call that started before the breaker opened;
// only Recover closes it.
func (b *Breaker) Record(ctx context.Context, err error) {
	if err == nil {
		if b.failures.Load() != 0 && !b.open.Load() {
			b.failures.Store(0)
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	n := b.failures.Add(1)
	if n < b.threshold && !b.open.Load() {
		return
	}
	b.mu.Lock()
	if b.open.Load() {
		// A call that was under way as the breaker opened.
		b.err = err
		b.mu.Unlock()
		return
	}
	if b.failures.Load() < b.threshold {
		// A success, or Recover, ended the run meanwhile.
		b.mu.Unlock()
		return
	}
	b.openLocked(err)
	b.mu.Unlock()
	b.logger.LogAttrs(ctx, slog.LevelWarn, b.msgUnavailable,
		slog.Int64("consecutive_failures", n), slog.Any("error", err))
}

// Trip opens the breaker at once for err, as when Redis does not answer
// at start, and logs so. It does nothing if the breaker is open.
func (b *Breaker) Trip(err error) {
	b.mu.Lock()
	if b.open.Load() {
		b.mu.Unlock()
		return
	}
	b.openLocked(err)
	b.mu.Unlock()
	b.logger.LogAttrs(context.Background(), slog.LevelWarn, b.msgUnavailable,
		slog.Any("error", err))
}

// openLocked opens the closed breaker for err. b.mu is held.
func (b *Breaker) openLocked(err error) {
	now := time.Now()
	b.since, b.lastWarn, b.err = now, now, err
	b.open.Store(true)
}

// ProbeFailed notes err, the failure of the owner's probe while open, as
// the latest error.
func (b *Breaker) ProbeFailed(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// Recover closes the breaker after a successful probe, and logs how long
// Redis was unavailable. It does nothing if the breaker is closed.
func (b *Breaker) Recover() {
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
	b.logger.LogAttrs(context.Background(), slog.LevelInfo, b.msgAvailable,
		slog.Duration("unavailable_for", down.Round(time.Millisecond)))
}

// WarnIfDue logs that Redis is still unavailable, if the breaker is open
// and the last warning (or the opening) was WarnInterval or more before
// now.
func (b *Breaker) WarnIfDue(now time.Time) {
	b.mu.Lock()
	if !b.open.Load() || now.Sub(b.lastWarn) < b.warnInterval {
		b.mu.Unlock()
		return
	}
	b.lastWarn = now
	since, err := b.since, b.err
	b.mu.Unlock()
	b.logger.LogAttrs(context.Background(), slog.LevelWarn, b.msgStill,
		slog.Time("since", since), slog.Duration("unavailable_for", now.Sub(since).Round(time.Millisecond)), slog.Any("error", err))
}

// Status returns a snapshot of the breaker.
func (b *Breaker) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open.Load() {
		return Status{State: Open, Since: b.since, Err: b.err}
	}
	return Status{State: Closed, Since: b.since}
}
