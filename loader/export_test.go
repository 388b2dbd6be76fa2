package loader

import "time"

// HoldCompileSlots takes every compile slot of r, as a burst of compiles
// would, until release is called.
func (r *Registry) HoldCompileSlots() (release func()) {
	for range cap(r.compiling) {
		r.compiling <- struct{}{}
	}
	return func() {
		for range cap(r.compiling) {
			<-r.compiling
		}
	}
}

// SetClock makes r read the time of idle expiry (Options.IdleTimeout)
// from now, and its sweeper wake every sweepEvery. Call it before the
// first lookup.
func (r *Registry) SetClock(now func() time.Time, sweepEvery time.Duration) {
	r.now, r.epoch = now, now()
	r.sweepInterval = sweepEvery
}

// Sweep evicts the idle tenants now, as the sweeper does when it wakes.
func (r *Registry) Sweep() { r.sweep() }

// SweeperDone returns a channel closed when r's sweeper has ended, or nil
// if none started.
func (r *Registry) SweeperDone() <-chan struct{} {
	r.sweeper.mu.Lock()
	defer r.sweeper.mu.Unlock()
	return r.sweeper.done
}
