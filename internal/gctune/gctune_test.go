package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, roots, headroom uint64
		want                  int
	}{
		// A small heap: the goal is live + headroom, the runtime's
		// scaled minimum (4 MiB * percent/100) being the bound.
		{1 * mib, 0, 64 * mib, 1625},
		{0, 0, 64 * mib, 1600},
		{16 * mib, 0, 64 * mib, 400},
		{32 * mib, 0, 64 * mib, 200},
		// Stacks and globals count: the runtime multiplies them too.
		{16 * mib, 16 * mib, 64 * mib, 200},
		{10 * mib, 100 * mib, 64 * mib, 100},
		// A heap as large as the headroom or larger: GOGC=100.
		{64 * mib, 0, 64 * mib, 100},
		{190 * mib, 0, 64 * mib, 100},
		{1 * mib, 0, 0, 100},
	} {
		if got := percent(c.live, c.roots, c.headroom); got != c.want {
			t.Errorf("percent(%d MiB, %d MiB, %d MiB) = %d, want %d", c.live/mib, c.roots/mib, c.headroom/mib, got, c.want)
		}
	}
}

// gogc reads the GC percent in force.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// waitGOGC collects until the GC percent satisfies ok, or fails.
func waitGOGC(t *testing.T, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p := gogc(); ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("GC percent still %d", gogc())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStart(t *testing.T) {
	if p := gogc(); p != 100 {
		t.Skipf("GOGC is %d in this process", p)
	}
	const headroom = 64 << 20
	stop := Start(headroom)
	defer stop()
	// A test binary's live heap is a few MiB: the goal is live + 64 MiB.
	waitGOGC(t, func(p int) bool { return p > 100 })
	// The heap goal is about live + headroom (8 MiB of slack for what
	// changed since the last collection).
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: goalMetrics[0]}, {Name: goalMetrics[1]}, {Name: goalMetrics[2]}}
	metrics.Read(s)
	goal, live := s[0].Value.Uint64(), s[1].Value.Uint64()+s[2].Value.Uint64()+s[3].Value.Uint64()
	if goal > live+headroom+8<<20 {
		t.Errorf("heap goal %d MiB with %d MiB live, stacks and globals: more than 64 MiB of headroom", goal>>20, live>>20)
	}

	// A second user keeps the one tuner; it stops with the last.
	stop2 := Start(1)
	stop()
	stop() // a second call of the same stop does nothing
	runtime.GC()
	waitGOGC(t, func(p int) bool { return p > 100 })
	stop2()
	if p := gogc(); p != 100 {
		t.Errorf("GC percent %d after the last stop, want 100", p)
	}
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if p := gogc(); p != 100 {
		t.Errorf("GC percent %d after a collection once stopped, want 100", p)
	}
}

// TestLargeHeap checks that a heap larger than the headroom is collected
// as by default.
func TestLargeHeap(t *testing.T) {
	if p := gogc(); p != 100 {
		t.Skipf("GOGC is %d in this process", p)
	}
	keep := make([]*[1 << 10]byte, 16<<10) // 16 MiB live, of pointers
	for i := range keep {
		keep[i] = new([1 << 10]byte)
	}
	stop := Start(4 << 20)
	defer stop()
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if p := gogc(); p != 100 {
		t.Errorf("GC percent %d with 16 MiB live and 4 MiB of headroom, want 100", p)
	}
	runtime.KeepAlive(keep)
}

// TestMemoryLimit checks that under a memory limit the headroom is at
// most half of what the limit leaves.
func TestMemoryLimit(t *testing.T) {
	if p := gogc(); p != 100 {
		t.Skipf("GOGC is %d in this process", p)
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(40 << 20))
	stop := Start(64 << 20)
	defer stop()
	waitGOGC(t, func(p int) bool { return p > 100 })
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if goal := s[0].Value.Uint64(); goal > 40<<20 {
		t.Errorf("heap goal %d MiB under a memory limit of 40 MiB", goal>>20)
	}
}

// TestOthersPercent checks that a GC percent set by other code while the
// tuner runs is kept, and the tuner stops.
func TestOthersPercent(t *testing.T) {
	if p := gogc(); p != 100 {
		t.Skipf("GOGC is %d in this process", p)
	}
	stop := Start(64 << 20)
	defer stop()
	waitGOGC(t, func(p int) bool { return p > 100 })
	debug.SetGCPercent(150)
	defer debug.SetGCPercent(100)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := gogc(); p != 150 {
		t.Errorf("GC percent %d, want the 150 set by other code", p)
	}
	stop()
	if p := gogc(); p != 150 {
		t.Errorf("GC percent %d after stop, want the 150 set by other code", p)
	}
}
