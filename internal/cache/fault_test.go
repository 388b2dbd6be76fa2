package cache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// The fault tests run their own redis-server, kill or freeze it while
// requests run, and start it again. They are not parallel, so that their
// timings are not those of other tests.

// load drives Gets of keys against a Cache from several goroutines,
// recording each Get's latency under the current phase, until stopped.
type load struct {
	c    *cache.Cache
	src  *source
	keys []string
	nss  []string // namespaces, taken in turn

	phase atomic.Int32
	gets  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup

	mu        sync.Mutex
	latencies map[int32][]time.Duration
	errs      []error
}

const workers = 4

// startLoad starts Gets of keys in namespaces (by default, "acme").
func startLoad(c *cache.Cache, src *source, keys []string, namespaces ...string) *load {
	if len(namespaces) == 0 {
		namespaces = []string{"acme"}
	}
	l := &load{c: c, src: src, keys: keys, nss: namespaces, stop: make(chan struct{}), latencies: map[int32][]time.Duration{}}
	for w := range workers {
		l.wg.Go(func() {
			var mine []time.Duration
			var phase int32
			flush := func() {
				l.mu.Lock()
				l.latencies[phase] = append(l.latencies[phase], mine...)
				l.mu.Unlock()
				mine = mine[:0]
			}
			defer flush()
			for i := w; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				if p := l.phase.Load(); p != phase {
					flush()
					phase = p
				}
				key, ns := keys[i%len(keys)], namespaces[i/len(keys)%len(namespaces)]
				start := time.Now()
				got, err := c.Get(context.Background(), ns, key, src.load(key))
				mine = append(mine, time.Since(start))
				l.gets.Add(1)
				if err == nil && string(got) != "value of "+key {
					err = fmt.Errorf("Get %s = %q", key, got)
				}
				if err != nil {
					l.mu.Lock()
					l.errs = append(l.errs, err)
					l.mu.Unlock()
				}
			}
		})
	}
	return l
}

// enter switches the recorded phase.
func (l *load) enter(phase int32) { l.phase.Store(phase) }

func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	require.Empty(t, l.errs, "Gets failed")
}

func (l *load) report(t *testing.T, name string, phase int32) (p99, maxLatency time.Duration) {
	t.Helper()
	ds := l.latencies[phase]
	p99, maxLatency = percentile(ds, 99), percentile(ds, 100)
	t.Logf("Get latency, %-28s n=%-7d p50=%-10v p99=%-10v max=%v", name+":", len(ds), percentile(ds, 50), p99, maxLatency)
	return p99, maxLatency
}

func valueSource(n int) (*source, []string) {
	src := newSource()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
		src.set(keys[i], "value of "+keys[i])
	}
	return src, keys
}

const (
	phaseHealthy int32 = iota
	phaseOutage
	phaseRecovered
)

// TestRedisHung freezes Redis (SIGSTOP): connections stay open and nothing
// answers, the worst case for latency. Gets keep succeeding from process
// memory, Status reports degraded, the log warns once per interval, and
// after SIGCONT the cache uses Redis again by itself.
func TestRedisHung(t *testing.T) {
	server := testenv.StartRedisServer(t)
	var l logs
	cfg := faultConfig(t, server.URL(), &l)
	rdb := testenv.RedisClient(t, server.URL())
	c := newCache(t, cfg)
	src, keys := valueSource(50)
	for _, key := range keys {
		_, err := c.Get(t.Context(), "acme", key, src.load(key))
		require.NoError(t, err)
	}
	_, err := c.Get(t.Context(), "acme", "to-invalidate", func(context.Context) ([]byte, error) { return []byte("x"), nil })
	require.NoError(t, err)
	require.EqualValues(t, 1, rdb.Exists(t.Context(), cfg.KeyPrefix+"v:{acme}:to-invalidate").Val())

	w := startLoad(c, src, keys)
	defer func() {
		if !t.Failed() {
			return
		}
		t.Logf("log:\n%s", l.String())
	}()
	waitGets(t, w, 2000)

	w.enter(phaseOutage)
	server.Stop()
	stoppedAt := time.Now()
	testenv.Eventually(t, 10*time.Second, func() bool { return c.Status().State == cache.StateDegraded },
		"Status to report degraded")
	st := c.Status()
	require.Error(t, st.Err)
	require.False(t, st.Since.IsZero())
	loadsAtOutage := src.loads.Load()

	// A value never seen before comes from the source.
	got, err := c.Get(t.Context(), "acme", "new-during-outage", func(context.Context) ([]byte, error) { return []byte("fresh"), nil })
	require.NoError(t, err)
	require.Equal(t, "fresh", string(got))
	// An invalidation is queued, and sent before Redis is used again.
	err = c.Invalidate(t.Context(), "acme", "to-invalidate")
	require.ErrorIs(t, err, cache.ErrInvalidationQueued)

	// Stay down long enough for repeated warnings.
	testenv.Eventually(t, 20*time.Second, func() bool { return l.count("cache: redis still unavailable") >= 2 },
		"two periodic warnings")
	waitGets(t, w, 2000)
	require.Equal(t, loadsAtOutage, src.loads.Load(), "values were loaded from the source although in process")

	server.Cont()
	testenv.Eventually(t, 10*time.Second, func() bool { return c.Status().State == cache.StateOK },
		"Status to report ok after SIGCONT")
	down := time.Since(stoppedAt)
	require.EqualValues(t, 0, rdb.Exists(t.Context(), cfg.KeyPrefix+"v:{acme}:to-invalidate").Val(),
		"the queued invalidation was not sent before Redis was used again")
	w.enter(phaseRecovered)
	waitGets(t, w, 500)
	w.finish(t)

	healthyP99, healthyMax := w.report(t, "healthy (Redis round trip)", phaseHealthy)
	hungP99, hungMax := w.report(t, "Redis hung (SIGSTOP)", phaseOutage)
	w.report(t, "after SIGCONT", phaseRecovered)
	t.Logf("Get while Redis hung vs healthy: p99 %v vs %v (added %v), max %v vs %v (added %v); OpTimeout %v",
		hungP99, healthyP99, hungP99-healthyP99, hungMax, healthyMax, hungMax-healthyMax, cfg.OpTimeout)
	// Generous: the machine is shared. A Get waits for at most one Redis
	// command (OpTimeout) before it falls back.
	require.Less(t, hungMax, 2*time.Second)

	checkWarnings(t, &l, 1, down, cfg.WarnInterval)
	require.Equal(t, 1, l.count("cache: redis available again"))
	resumesCaching(t, c, rdb, cfg.KeyPrefix)
}

// TestRedisKilled kills Redis (SIGKILL) and starts a new, empty one on the
// same port: Gets keep succeeding, and afterwards values are stored in
// Redis again and invalidations reach other instances again.
func TestRedisKilled(t *testing.T) {
	server := testenv.StartRedisServer(t)
	var l logs
	cfg := faultConfig(t, server.URL(), &l)
	rdb := testenv.RedisClient(t, server.URL())
	c := newCache(t, cfg)
	long := cfg
	long.LocalTTL = time.Hour
	other := newCache(t, long)
	waitSubscribers(t, rdb, cfg.KeyPrefix, 2)

	src, keys := valueSource(50)
	for _, key := range keys {
		_, err := c.Get(t.Context(), "acme", key, src.load(key))
		require.NoError(t, err)
	}
	w := startLoad(c, src, keys)
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", l.String())
		}
	}()
	waitGets(t, w, 1000)

	w.enter(phaseOutage)
	server.Kill()
	killedAt := time.Now()
	testenv.Eventually(t, 10*time.Second, func() bool { return c.Status().State == cache.StateDegraded },
		"Status to report degraded")
	testenv.Eventually(t, 20*time.Second, func() bool { return l.count("cache: redis still unavailable") >= 2 },
		"two periodic warnings")
	waitGets(t, w, 2000)
	got, err := c.Get(t.Context(), "acme", "new-during-outage", func(context.Context) ([]byte, error) { return []byte("fresh"), nil })
	require.NoError(t, err)
	require.Equal(t, "fresh", string(got))

	server.Start()
	testenv.Eventually(t, 10*time.Second, func() bool { return c.Status().State == cache.StateOK && other.Status().State == cache.StateOK },
		"Status to report ok after restart")
	down := time.Since(killedAt)
	w.enter(phaseRecovered)
	waitGets(t, w, 500)
	w.finish(t)
	w.report(t, "healthy (Redis round trip)", phaseHealthy)
	_, killedMax := w.report(t, "Redis killed", phaseOutage)
	w.report(t, "after restart", phaseRecovered)
	require.Less(t, killedMax, 2*time.Second)

	checkWarnings(t, &l, 2, down, cfg.WarnInterval)
	require.Equal(t, 2, l.count("cache: redis available again"), "one per instance")
	resumesCaching(t, c, rdb, cfg.KeyPrefix)

	// Both instances subscribed again by themselves.
	waitSubscribers(t, rdb, cfg.KeyPrefix, 2)
	src.set("after", "v1")
	got, err = other.Get(t.Context(), "acme", "after", src.load("after"))
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))
	src.set("after", "v2")
	require.NoError(t, c.Invalidate(t.Context(), "acme", "after"))
	testenv.Eventually(t, 2*time.Second, func() bool {
		got, err := other.Get(t.Context(), "acme", "after", src.load("after"))
		return err == nil && string(got) == "v2"
	}, "the other instance to drop its copy")
}

// TestRedisDownAtStart starts a Cache whose Redis does not answer yet.
func TestRedisDownAtStart(t *testing.T) {
	server := testenv.StartRedisServer(t)
	var l logs
	cfg := faultConfig(t, server.URL(), &l)
	server.Kill()

	start := time.Now()
	c := newCache(t, cfg)
	require.Less(t, time.Since(start), 2*time.Second, "New waited too long")
	require.Equal(t, cache.StateDegraded, c.Status().State)
	got, err := c.Get(t.Context(), "acme", "config", func(context.Context) ([]byte, error) { return []byte("v"), nil })
	require.NoError(t, err)
	require.Equal(t, "v", string(got))

	server.Start()
	testenv.Eventually(t, 10*time.Second, func() bool { return c.Status().State == cache.StateOK }, "Status to report ok")
	resumesCaching(t, c, testenv.RedisClient(t, server.URL()), cfg.KeyPrefix)
}

// waitGets waits until the workers made n more Gets.
func waitGets(t *testing.T, w *load, n int64) {
	t.Helper()
	base := w.gets.Load()
	testenv.Eventually(t, 30*time.Second, func() bool { return w.gets.Load()-base >= n }, "%d Gets", n)
}

// checkWarnings checks that instances warned once per interval during an
// outage of length down, not once per request.
func checkWarnings(t *testing.T, l *logs, instances int, down, interval time.Duration) {
	t.Helper()
	warnings := l.countLevel("WARN")
	limit := instances * (int(down/interval) + 2)
	t.Logf("outage of %v: %d warnings from %d instances (at most %d for a %v interval)",
		down.Round(time.Millisecond), warnings, instances, limit, interval)
	require.GreaterOrEqual(t, warnings, 2*instances)
	require.LessOrEqual(t, warnings, limit)
}

// resumesCaching checks that values are stored in Redis again.
func resumesCaching(t *testing.T, c *cache.Cache, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	i := 0
	testenv.Eventually(t, 10*time.Second, func() bool {
		i++
		key := fmt.Sprintf("resumed-%d", i)
		if _, err := c.Get(t.Context(), "acme", key, func(context.Context) ([]byte, error) { return []byte("v"), nil }); err != nil {
			return false
		}
		return rdb.Exists(t.Context(), prefix+"v:{acme}:"+key).Val() == 1
	}, "values to be stored in Redis again")
}
