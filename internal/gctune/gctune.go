// Package gctune keeps the garbage collector from running far more often
// than a server's memory calls for.
//
// The Go runtime starts a collection when the heap has grown by GOGC
// percent (100) of what the last one found live, or reaches 4 MiB (scaled
// by GOGC) if that is more. A gateway serving a few tenants holds a few
// MiB, yet allocates hundreds of MB a second under load: it then collects
// about a hundred times a second, and each collection's fixed costs (its
// phases, scanning every goroutine's stack, its write barriers) took a
// quarter of the CPU of a point read through the gateway. Raising GOGC
// for good would make a gateway of 10,000 tenants, whose live heap is
// large, use several times its memory.
//
// So the tuner gives the heap headroom of at least a fixed size, never
// less than GOGC=100 gives: after each collection it sets the GC percent
// so that the next starts when the heap is about live + headroom bytes,
// or twice live if that is more. A small heap costs at most the headroom
// in memory; a large one is collected as by default. The Go team's memory
// limit (GOMEMLIMIT) still applies, and wins when it is lower.
package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultHeadroom is the headroom a gateway runs with: a small fraction
// of the memory of any machine that serves traffic, and enough that a
// gateway allocating hundreds of MB a second collects a few times a
// second rather than a hundred.
const DefaultHeadroom = 64 << 20

// heapMinimum is the runtime's smallest heap goal at GOGC=100; it scales
// with GOGC.
const heapMinimum = 4 << 20

// The metrics the goal is computed from: the heap the last collection
// found live, and the goroutine stacks and globals it scanned, which the
// runtime's goal multiplies by the GC percent too.
var goalMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

var (
	mu      sync.Mutex
	running *tuner
	users   int
)

// Start starts tuning the collector for headroom bytes of headroom, and
// returns the function that stops it and sets the GC percent back to what
// it was. The
// caller must not start it when GOGC is set in the environment: that is
// the operator's choice. Start may be called again before stop (servers
// started in one test process); the process has one tuner, with the
// headroom of the first call, until the last stop.
func Start(headroom uint64) (stop func()) {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		running = &tuner{headroom: headroom, samples: make([]metrics.Sample, len(goalMetrics))}
		for i, name := range goalMetrics {
			running.samples[i].Name = name
		}
		gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(gogc)
		running.prev = int(gogc[0].Value.Uint64())
		running.percent = running.prev
		running.arm()
	}
	users++
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if users--; users == 0 {
				running.stop()
				running = nil
			}
		})
	}
}

// tuner sets the GC percent after each collection. Its fields other than
// headroom are used by the runtime's cleanup goroutine alone, but for
// stopped, which is under mu.
type tuner struct {
	headroom uint64
	samples  []metrics.Sample
	// percent is the GC percent the tuner set last, and prev the one
	// before Start, which stop restores.
	percent, prev int
	stopped       bool
}

// sentinel is an object made to be collected: its cleanup runs after the
// collection that finds it unreachable, and makes the next one. It holds
// a pointer so that it is not put in a block with other small objects,
// whose cleanups may wait for them.
type sentinel struct{ _ *byte }

func (t *tuner) arm() {
	runtime.AddCleanup(new(sentinel), (*tuner).afterGC, t)
}

// afterGC runs on the runtime's cleanup goroutine after a collection.
func (t *tuner) afterGC() {
	mu.Lock()
	defer mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.samples)
	live := t.samples[0].Value.Uint64()
	roots := t.samples[1].Value.Uint64() + t.samples[2].Value.Uint64()
	headroom := t.headroom
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		// Under a memory limit (GOMEMLIMIT), keep the goal well inside
		// it: the runtime would collect at the limit anyway, but at a
		// higher cost, and the limit is the operator's statement of
		// what the replica may use.
		free := uint64(limit) - min(uint64(limit), live+roots)
		headroom = min(headroom, free/2)
	}
	if p := percent(live, roots, headroom); p != t.percent {
		if old := debug.SetGCPercent(p); old != t.percent {
			// Someone else set the GC percent: theirs it is.
			debug.SetGCPercent(old)
			t.stopped = true
			return
		}
		t.percent = p
	}
	t.arm()
}

// stop ends the tuning, under mu, and restores the GC percent of before
// Start unless someone else has set one since.
func (t *tuner) stop() {
	if !t.stopped {
		if old := debug.SetGCPercent(t.prev); old != t.percent {
			debug.SetGCPercent(old)
		}
	}
	t.stopped = true
}

// percent returns the GC percent that makes the next collection start
// when the heap holds about live + headroom bytes, but no less than 100:
// the runtime's goal is live + (live+roots)*percent/100, where roots are
// the goroutine stacks and globals it scans, and at least
// heapMinimum*percent/100.
func percent(live, roots, headroom uint64) int {
	p := headroom * 100 / max(live+roots, 1)
	p = min(p, (live+headroom)*100/heapMinimum)
	return int(max(p, 100))
}
