package cache

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// flightKey names a value being resolved.
type flightKey struct{ ns, key string }

// flight is one resolution of a value, shared by every caller that asks
// for the value while it runs.
type flight struct {
	done  chan struct{} // closed when e, err and panic are set
	e     *entry
	err   error
	panic any // a panic of the resolution, with its stack, to re-raise in callers
}

// group runs at most one resolution per key at a time (like
// golang.org/x/sync/singleflight), in a goroutine of its own so that a
// caller that gives up does not end the resolution for the others.
type group struct {
	mu      sync.Mutex
	flights map[flightKey]*flight
}

// do returns the flight of key, starting fn in a new goroutine when none
// is running.
func (g *group) do(key flightKey, fn func() (*entry, error)) *flight {
	g.mu.Lock()
	if f, ok := g.flights[key]; ok {
		g.mu.Unlock()
		return f
	}
	if g.flights == nil {
		g.flights = map[flightKey]*flight{}
	}
	f := &flight{done: make(chan struct{})}
	g.flights[key] = f
	g.mu.Unlock()

	go func() {
		defer func() {
			if r := recover(); r != nil {
				f.panic = fmt.Sprintf("%v\n\ngoroutine of cache load:\n%s", r, debug.Stack())
			}
			g.mu.Lock()
			delete(g.flights, key)
			g.mu.Unlock()
			close(f.done)
		}()
		f.e, f.err = fn()
	}()
	return f
}
