package ratelimit_test

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// The fault tests run their own redis-server, freeze, kill and restart it
// while requests run. They are not parallel, so that their timings are not
// those of other tests.

// faultOptions returns Options for s, tuned to notice faults quickly.
func faultOptions(t testing.TB, s *testenv.RedisServer, l *logs) ratelimit.Options {
	t.Helper()
	opts, err := cache.ParseRedisURL(s.URL())
	require.NoError(t, err)
	return ratelimit.Options{
		Redis:            opts,
		KeyPrefix:        "fault:",
		OpTimeout:        50 * time.Millisecond,
		FailureThreshold: 3,
		ProbeInterval:    50 * time.Millisecond,
		WarnInterval:     500 * time.Millisecond,
		Logger:           newLogger(l),
	}
}

// load drives AllowN from several goroutines, as requests of several
// tenants, recording each call's latency and whether it was decided in
// process, under the phase in which it ends, until finished. Latencies go
// to histograms: in process a call takes well under a microsecond, and
// keeping millions of them would make the test's own garbage collection
// the largest latency measured.
type load struct {
	l     *ratelimit.Limiter
	phase atomic.Int32
	calls atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	phases map[int32]*phaseStats
}

type phaseStats struct {
	latency histogram
	local   int64
	refused int64
}

func (ps *phaseStats) add(o *phaseStats) {
	ps.latency.add(&o.latency)
	ps.local += o.local
	ps.refused += o.refused
}

func (ps *phaseStats) localShare() float64 {
	return float64(ps.local) / float64(max(1, ps.latency.n))
}

// histogram counts durations in buckets of 1/8 of a power of two, so a
// percentile is off by at most 12.5%; the maximum is exact.
type histogram struct {
	counts [64 * 8]int64
	n      int64
	max    time.Duration
}

func (h *histogram) record(d time.Duration) {
	ns := uint64(max(d, 0))
	i := int(ns)
	if ns >= 8 {
		e := bits.Len64(ns) - 1
		i = e*8 + int(ns>>(e-3)&7)
	}
	h.counts[i]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) add(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// percentile returns the upper bound of the bucket of the p-th percentile
// (0 < p < 100).
func (h *histogram) percentile(p float64) time.Duration {
	rank := int64(float64(h.n)*p/100 + 0.5)
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= max(rank, 1) {
			if i < 8 {
				return time.Duration(i)
			}
			e, m := i/8, i%8
			return min(h.max, time.Duration((uint64(8+m+1)<<(e-3))-1))
		}
	}
	return h.max
}

const workers = 4

// loadRate is never reached by the load: a refusal is a failure.
var loadRate = limits.Rate{Requests: 1_000_000, Per: time.Second}

func startLoad(l *ratelimit.Limiter) *load {
	w := &load{l: l, stop: make(chan struct{}), phases: map[int32]*phaseStats{}}
	for i := range workers {
		w.wg.Go(func() {
			mine := new(phaseStats)
			var phase int32
			flush := func() {
				w.mu.Lock()
				ps := w.phases[phase]
				if ps == nil {
					ps = new(phaseStats)
					w.phases[phase] = ps
				}
				ps.add(mine)
				w.mu.Unlock()
				*mine = phaseStats{}
			}
			defer flush()
			tenants := make([]string, 10)
			for j := range tenants {
				tenants[j] = fmt.Sprintf("tenant-%d", j)
			}
			for j := i; ; j++ {
				select {
				case <-w.stop:
					return
				default:
				}
				start := time.Now()
				res := l.AllowN(context.Background(), tenants[j%len(tenants)], "requests", loadRate, 1)
				took := time.Since(start)
				// A call counts in the phase in which it ends: one in
				// flight when a fault begins pays for it.
				if p := w.phase.Load(); p != phase {
					flush()
					phase = p
				}
				mine.latency.record(took)
				if res.Local {
					mine.local++
				}
				if !res.Allowed {
					mine.refused++
				}
				w.calls.Add(1)
			}
		})
	}
	return w
}

// enter switches the recorded phase.
func (w *load) enter(phase int32) { w.phase.Store(phase) }

// waitCalls waits until the workers made n more calls.
func (w *load) waitCalls(t *testing.T, n int64) {
	t.Helper()
	base := w.calls.Load()
	testenv.Eventually(t, 30*time.Second, func() bool { return w.calls.Load()-base >= n }, "%d calls", n)
}

func (w *load) finish() {
	close(w.stop)
	w.wg.Wait()
}

// report logs the latency of the calls of phase, and returns its stats.
func (w *load) report(t *testing.T, name string, phase int32) *phaseStats {
	t.Helper()
	ps := w.phases[phase]
	h := &ps.latency
	t.Logf("AllowN, %-24s n=%-8d in process=%5.1f%%  p50=%-10v p99=%-10v max=%v", name+":", h.n,
		100*ps.localShare(), h.percentile(50), h.percentile(99), h.max)
	return ps
}

const (
	phaseHealthy int32 = iota
	phaseHung
	phaseResumed
	phaseKilled
	phaseRestarted
)

// TestRedisFaults freezes Redis (SIGSTOP: connections stay open and
// nothing answers, the worst case for latency), resumes it, then kills it
// (SIGKILL) and starts a new, empty one on the same port, while requests
// run. AllowN keeps answering within about OpTimeout, limits in process
// meanwhile, Status says so, the log warns once per interval, and the
// Limiter goes back to Redis by itself.
//
// The assertions on timing are loose: the test machine may be shared with
// other work, and then even a healthy Redis misses a 50ms OpTimeout now
// and then (which opens the breaker, as it should). The figures are
// logged.
func TestRedisFaults(t *testing.T) {
	server := testenv.StartRedisServer(t)
	var logged logs
	opts := faultOptions(t, server, &logged)
	rdb := testenv.RedisClient(t, server.URL())
	l := newLimiter(t, opts)
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", logged.String())
		}
	}()
	testenv.Eventually(t, 10*time.Second, func() bool { return !l.AllowN(t.Context(), "warm-up", "requests", loadRate, 1).Local },
		"a decision in Redis")
	started := time.Now()
	w := startLoad(l)
	w.waitCalls(t, 2000)

	outage := func(phase int32, fault func(), tenant string) time.Time {
		t.Helper()
		w.enter(phase)
		fault()
		began := time.Now()
		testenv.Eventually(t, 10*time.Second, func() bool { return l.Status().State == ratelimit.StateDegraded },
			"Status to report degraded")
		st := l.Status()
		require.Error(t, st.Err)
		require.False(t, st.Since.Before(began.Add(-time.Second)), "Since is when the outage began")

		// Limits hold, in process.
		tight := limits.Rate{Requests: 5, Per: time.Minute}
		for i := range 6 {
			res := l.AllowN(t.Context(), tenant, "requests", tight, 1)
			require.True(t, res.Local)
			require.Equal(t, i < 5, res.Allowed, "call %d of a limit of 5", i+1)
		}

		// Stay down long enough for repeated warnings.
		warned := logged.count("ratelimit: redis still unavailable")
		testenv.Eventually(t, 20*time.Second, func() bool { return logged.count("ratelimit: redis still unavailable") >= warned+2 },
			"two periodic warnings")
		w.waitCalls(t, 2000)
		return began
	}
	recovery := func(phase int32, fix func()) {
		t.Helper()
		fix()
		testenv.Eventually(t, 10*time.Second, func() bool { return l.Status().State == ratelimit.StateRedis },
			"Status to report redis")
		w.enter(phase)
		w.waitCalls(t, 1000)
	}

	stopped := outage(phaseHung, server.Stop, "hung")
	recovery(phaseResumed, server.Cont)
	downHung := time.Since(stopped)
	killed := outage(phaseKilled, server.Kill, "killed")
	recovery(phaseRestarted, server.Start)
	downKilled := time.Since(killed)
	w.finish()

	healthy := w.report(t, "healthy (Redis)", phaseHealthy)
	hung := w.report(t, "Redis hung (SIGSTOP)", phaseHung)
	resumed := w.report(t, "after SIGCONT", phaseResumed)
	dead := w.report(t, "Redis killed (SIGKILL)", phaseKilled)
	restarted := w.report(t, "after restart", phaseRestarted)
	t.Logf("outages: hung %v, killed %v; OpTimeout %v, FailureThreshold %d",
		downHung.Round(time.Millisecond), downKilled.Round(time.Millisecond), opts.OpTimeout, opts.FailureThreshold)

	for _, ps := range []*phaseStats{healthy, hung, resumed, dead, restarted} {
		require.Zero(t, ps.refused, "the load stays under its limit, in process too")
	}
	// Until the breaker opens, a call waits for Redis for at most
	// OpTimeout; then not at all.
	for _, ps := range []*phaseStats{hung, dead} {
		require.Greater(t, ps.localShare(), 0.99, "decided in process")
		require.Less(t, ps.latency.percentile(99), opts.OpTimeout)
		require.Less(t, ps.latency.max, 2*time.Second)
	}

	// Shared again: the new server holds the buckets.
	testenv.Eventually(t, 10*time.Second, func() bool {
		return !l.AllowN(t.Context(), "after", "requests", limits.Rate{Requests: 5, Per: time.Minute}, 1).Local
	}, "a decision in Redis")
	require.EqualValues(t, 1, rdb.Exists(t.Context(), "rate:"+opts.KeyPrefix+"{after}:requests").Val())

	// Each opening of the breaker is logged once, and so is each closing;
	// while open, a warning once per interval, not once per call.
	opened := logged.count("ratelimit: redis unavailable")
	require.GreaterOrEqual(t, opened, 2, "one warning as each outage begins")
	require.Equal(t, opened, logged.count("ratelimit: redis available again"), "one notice as each ends")
	still := logged.count("ratelimit: redis still unavailable")
	limit := int(time.Since(started)/opts.WarnInterval) + opened
	t.Logf("%d periodic warnings (at most %d for a %v interval)", still, limit, opts.WarnInterval)
	require.LessOrEqual(t, still, limit)
}

// TestRedisDownAtStart starts a Limiter whose Redis does not answer yet.
func TestRedisDownAtStart(t *testing.T) {
	server := testenv.StartRedisServer(t)
	var logged logs
	opts := faultOptions(t, server, &logged)
	server.Kill()

	start := time.Now()
	l := newLimiter(t, opts)
	require.Less(t, time.Since(start), 100*time.Millisecond, "New waited for Redis")
	testenv.Eventually(t, 2*time.Second, func() bool { return l.Status().State == ratelimit.StateDegraded },
		"Status to report degraded")
	res := l.AllowN(t.Context(), "acme", "requests", loadRate, 1)
	require.True(t, res.Allowed)
	require.True(t, res.Local)

	server.Start()
	testenv.Eventually(t, 10*time.Second, func() bool { return l.Status().State == ratelimit.StateRedis },
		"Status to report redis")
	testenv.Eventually(t, 10*time.Second, func() bool { return !l.AllowN(t.Context(), "acme", "requests", loadRate, 1).Local },
		"a decision in Redis")
	require.GreaterOrEqual(t, logged.count("ratelimit: redis unavailable"), 1)
	require.Equal(t, logged.count("ratelimit: redis unavailable"), logged.count("ratelimit: redis available again"))
}
