package loader

import (
	"sync"
	"time"
	"weak"
)

// Idle expiry (Options.IdleTimeout). Each version records when a lookup
// last used it; a sweeper goroutine evicts the resident versions unused
// for longer than the timeout, through the recency list, so that they go
// exactly as the least recently used tenant goes when the list is full.
//
// Lookups only record. A reload that compiles a resident tenant again
// gives its new version the old one's last use: edits of an idle tenant's
// files do not keep it resident. Preload counts as a use, as a lookup does.

// clock returns the time of r's clock as nanoseconds since r was made.
// Durations of time.Now's readings come from the monotonic clock, so a
// step of the wall clock neither expires every tenant nor none.
func (r *Registry) clock() int64 {
	return int64(r.now().Sub(r.epoch))
}

// touch records that a lookup uses v now. It stores the time only if the
// one stored is older than r.touchEvery (at most a second, and a small
// part of the timeout): lookups of a busy tenant, from every CPU, then
// read v's last use and do not write it, so they do not take turns at
// owning its cache line. A tenant may so look idle up to touchEvery
// early, which the timeout dwarfs.
func (r *Registry) touch(v *version) {
	if r.opts.IdleTimeout < 0 {
		return
	}
	now := r.clock()
	if now-v.lastUse.Load() >= int64(r.touchEvery) {
		v.lastUse.Store(now)
	}
}

// sweep evicts the resident versions unused for longer than the idle
// timeout. It holds reloadMu, so that it never evicts a version that a
// reload is replacing and whose tenant the new version has taken over.
// A lookup of a version being evicted keeps the Tenant it found; the
// next one compiles the tenant again.
func (r *Registry) sweep() {
	if r.opts.IdleTimeout < 0 {
		return
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	now := r.clock()
	evicted := 0
	for _, v := range r.resident.Keys() {
		if now-v.lastUse.Load() > int64(r.opts.IdleTimeout) {
			r.resident.Remove(v) // the evict callback swaps its tenant out
			evicted++
		}
	}
	if evicted > 0 {
		r.opts.Logger.Debug("idle tenants evicted", "tenants", evicted, "resident", r.resident.Len(),
			"idleTimeout", r.opts.IdleTimeout)
	}
}

// sweeper runs Registry.sweep every Registry.sweepInterval, from the first
// time a tenant becomes resident until Close. A registry that never
// compiles a tenant, or whose idle timeout is negative, starts none.
type sweeper struct {
	mu      sync.Mutex
	started bool
	closed  bool
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when the goroutine returns
}

// startSweeper starts r's sweeper unless it runs, ran, or is not wanted.
// It is called whenever a tenant becomes resident, which is rare enough
// to take a lock.
func (r *Registry) startSweeper() {
	if r.opts.IdleTimeout < 0 {
		return
	}
	s := &r.sweeper
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go sweepLoop(weak.Make(r), r.sweepInterval, s.stop, s.done)
}

// sweepLoop sweeps r every interval until stop is closed or r is
// collected, then closes done. It holds r weakly, so that a registry
// dropped without Close is still collected, its tenants with it.
func sweepLoop(r weak.Pointer[Registry], interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			reg := r.Value()
			if reg == nil {
				return
			}
			reg.sweep()
		}
	}
}

// Close stops the goroutine that evicts idle tenants, and returns once it
// has ended. The Registry remains usable, but tenants stay resident
// however long they are idle. Close may be called more than once, and
// concurrently with other methods.
func (r *Registry) Close() {
	s := &r.sweeper
	s.mu.Lock()
	if s.started && !s.closed {
		close(s.stop)
	}
	s.closed = true
	done := s.done // nil if it never started
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}
