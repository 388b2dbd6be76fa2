package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestOnRedisSentinel runs the tests of the cache that use Redis on a
// master found through Redis Sentinel.
func TestOnRedisSentinel(t *testing.T) {
	rs := testenv.StartRedisSentinel(t)
	runRedisTests(t, rs.URLFor)
}

// TestRedisSentinelFailover kills the master while Gets run: the Sentinel
// promotes the replica, Gets never fail meanwhile, and once the cache
// follows the Sentinel to the new master, it stores values there again
// and its invalidations reach another instance through it.
func TestRedisSentinelFailover(t *testing.T) {
	rs := testenv.StartRedisSentinel(t)
	var l logs
	cfg := faultConfig(t, rs.URL(), &l)
	long := cfg
	long.LocalTTL = time.Hour // only an invalidation drops a copy
	a := newCache(t, cfg)
	b := newCache(t, long)
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", l.String())
		}
	}()
	waitSubscribers(t, testenv.RedisClient(t, rs.Master.URL()), cfg.KeyPrefix, 2)

	src, keys := valueSource(50)
	for _, key := range keys {
		_, err := a.Get(t.Context(), "acme", key, src.load(key))
		require.NoError(t, err)
	}
	settings := newSource("config", "v1")
	got, err := b.Get(t.Context(), "acme", "config", settings.load("config"))
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))
	w := startLoad(a, src, keys, "acme")
	waitGets(t, w, 1000)

	w.enter(phaseOutage)
	old := rs.Master.Addr()
	rs.Master.Kill()
	testenv.Eventually(t, 30*time.Second, func() bool { return rs.MasterAddr() != old },
		"the Sentinel to fail over (down after %v)", testenv.SentinelDownAfter)
	require.Equal(t, rs.Replica.Addr(), rs.MasterAddr())
	t.Logf("the Sentinel promoted %s", rs.MasterAddr())

	w.enter(phaseRecovered)
	testenv.Eventually(t, 30*time.Second, func() bool { return a.Ping(t.Context()) == nil }, "the cache to reach the new master")
	promoted := testenv.RedisClient(t, rs.Replica.URL())
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, err := a.Get(t.Context(), "acme", "after-failover", func(context.Context) ([]byte, error) { return []byte("fresh"), nil })
		n, _ := testenv.Keys(t.Context(), promoted, cfg.KeyPrefix+"v:{acme}:after-failover")
		return err == nil && len(n) == 1
	}, "values to be stored on the new master")
	testenv.Eventually(t, 10*time.Second, func() bool {
		n, err := testenv.Subscribers(t.Context(), promoted, cfg.KeyPrefix+"invalidations")
		return err == nil && n == 2
	}, "a and b to subscribe on the new master")
	settings.set("config", "v2")
	require.NoError(t, a.Invalidate(t.Context(), "acme", "config"))
	testenv.Eventually(t, 10*time.Second, func() bool {
		got, err := b.Get(t.Context(), "acme", "config", settings.load("config"))
		return err == nil && string(got) == "v2"
	}, "the invalidation to reach b through the new master")
	waitGets(t, w, 500)
	w.finish(t)
	w.report(t, "healthy", phaseHealthy)
	w.report(t, "master killed, until the failover", phaseOutage)
	w.report(t, "after the failover", phaseRecovered)
}
