package ratelimit

import "time"

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
