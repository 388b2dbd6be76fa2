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

// liveMetric is the heap the last collection found live.
const liveMetric = "/gc/heap/live:bytes"

var (
	mu      sync.Mutex
	running *tuner
	users   int
)

// Start starts tuning the collector for headroom bytes of headroom, and
// returns the function that stops it and sets GOGC back to 100. The
// caller must not start it when GOGC is set in the environment: that is
// the operator's choice. Start may be called again before stop (servers
// started in one test process); the process has one tuner, with the
// headroom of the first call, until the last stop.
func Start(headroom uint64) (stop func()) {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		running = &tuner{headroom: headroom, samples: []metrics.Sample{{Name: liveMetric}}}
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
	percent  int
	stopped  bool
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
	if p := percent(t.samples[0].Value.Uint64(), t.headroom); p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
	t.arm()
}

// stop ends the tuning, under mu.
func (t *tuner) stop() {
	t.stopped = true
	debug.SetGCPercent(100)
}

// percent returns the GC percent that makes the next collection start
// when the heap holds about live + headroom bytes, but no less than 100:
// the goal is live*(1+percent/100), and at least heapMinimum*percent/100.
func percent(live, headroom uint64) int {
	live = max(live, 1)
	p := headroom * 100 / live
	p = min(p, (live+headroom)*100/heapMinimum)
	return int(max(p, 100))
}
