package upstream

import (
	"sync"
	"time"
)

// BreakerConfig configures the circuit breaker that a Client keeps for
// each of its URLs. (Package breaker guards Redis, whose owner probes it
// in the background; here the probe is a request itself.)
type BreakerConfig struct {
	// Threshold is the number of consecutive failures of a URL
	// (connection errors, timeouts, 5xx, 408 and 429 answers, malformed
	// or oversized responses, errors without data) that open its
	// breaker. Default: 5.
	Threshold int
	// Cooldown is how long an open breaker keeps its URL out of use
	// before it lets one request through as a probe (half-open): the
	// probe's success closes the breaker, its failure opens it for
	// another Cooldown. Default: 10s.
	Cooldown time.Duration
}

func (c BreakerConfig) withDefaults() BreakerConfig {
	if c.Threshold <= 0 {
		c.Threshold = 5
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 10 * time.Second
	}
	return c
}

// BreakerState is the state of a URL's breaker.
type BreakerState int

// The states of a breaker.
const (
	// Closed: the URL is used.
	Closed BreakerState = iota
	// Open: the URL failed Threshold times in a row and is skipped until
	// Cooldown has passed.
	Open
	// HalfOpen: one request is probing the URL; others skip it.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "closed"
}

// outcome is what an attempt says of a URL's health.
type outcome int

const (
	// healthy: the server answered as a server that works does (an
	// answer with data, or a 4xx that blames the request).
	healthy outcome = iota
	// faulty: the server failed.
	faulty
	// unknown: nothing can be concluded, as when the caller gave up.
	unknown
)

// urlBreaker is the circuit breaker of one URL. Its methods may be called
// concurrently.
type urlBreaker struct {
	cfg BreakerConfig

	mu       sync.Mutex
	state    BreakerState
	failures int       // consecutive faulty outcomes
	since    time.Time // when state began
	probeAt  time.Time // while open, when a probe may go
	lastErr  error     // latest failure while not closed
}

// allow reports whether a request may go to the URL now, and whether it
// is the half-open probe, which must report its outcome to record.
func (b *urlBreaker) allow(now time.Time) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Closed:
		return true, false
	case Open:
		if !now.Before(b.probeAt) {
			b.state = HalfOpen
			return true, true
		}
	}
	return false, false
}

// record notes the outcome of a request that allow let through. It
// reports whether the breaker opened or closed (a failed probe, which
// keeps it open, is no change), with the consecutive failures and, on
// closing, how long the URL was out of use.
func (b *urlBreaker) record(now time.Time, probe bool, o outcome, err error) (changed bool, to BreakerState, failures int, wasDown time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o {
	case healthy:
		// Also a request that was under way as the breaker opened: the
		// server works.
		b.failures = 0
		if b.state != Closed {
			down := now.Sub(b.since)
			b.state, b.since, b.lastErr = Closed, now, nil
			return true, Closed, 0, down
		}
	case faulty:
		b.failures++
		if probe && b.state == HalfOpen {
			b.state, b.probeAt, b.lastErr = Open, now.Add(b.cfg.Cooldown), err
			return false, Open, b.failures, 0
		}
		if b.state == Closed && b.failures >= b.cfg.Threshold {
			b.state, b.since, b.probeAt, b.lastErr = Open, now, now.Add(b.cfg.Cooldown), err
			return true, Open, b.failures, 0
		}
		if b.state != Closed {
			b.lastErr = err
		}
	case unknown:
		if probe && b.state == HalfOpen {
			// Let the next request probe at once.
			b.state, b.probeAt = Open, now
		}
	}
	return false, b.state, b.failures, 0
}

// status returns a snapshot of the breaker.
func (b *urlBreaker) status() (BreakerState, time.Time, int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state, b.since, b.failures, b.lastErr
}
