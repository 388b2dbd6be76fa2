package cache_test

import (
	"cmp"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestOnRedisCluster runs the tests of the cache that use Redis on a Redis
// Cluster of three masters, where a command may only name keys of one
// hash slot and a subscriber may be connected to another node than the
// publisher.
func TestOnRedisCluster(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	runRedisTests(t, rc.URLFor)
}

// redisTests are the tests of the cache that use Redis, which run on
// every kind of Redis deployment: a single server (their Test functions),
// a cluster and Sentinel.
var redisTests = []struct {
	name string
	test func(*testing.T, redisEnv)
}{
	{"GetResolvesThroughLevels", testGetResolvesThroughLevels},
	{"GetLoadsOnceForConcurrentCallers", testGetLoadsOnceForConcurrentCallers},
	{"RedisHoldsNoPlaintextAndEveryKeyExpires", testRedisHoldsNoPlaintextAndEveryKeyExpires},
	{"BrokenEntriesAreDroppedAndReloaded", testBrokenEntriesAreDroppedAndReloaded},
	{"EntriesOfAnotherMasterKeyAreReloaded", testEntriesOfAnotherMasterKeyAreReloaded},
	{"NotFoundIsCachedBriefly", testNotFoundIsCachedBriefly},
	{"LoadErrorsAreNotCached", testLoadErrorsAreNotCached},
	{"GetReturnsWhenCallerGivesUp", testGetReturnsWhenCallerGivesUp},
	{"LoadPanicReachesCaller", testLoadPanicReachesCaller},
	{"InvalidateReachesOtherInstances", testInvalidateReachesOtherInstances},
	{"InvalidateNamespaceBeatsSlowLoad", testInvalidateNamespaceBeatsSlowLoad},
	{"QueryCache", testQueryCache},
}

// runRedisTests runs redisTests on the Redis of env.
func runRedisTests(t *testing.T, env redisEnv) {
	for _, tt := range redisTests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, env) })
	}
}

// TestRedisClusterMasterKilled kills a master of a Redis Cluster without
// replicas while Gets run: the master that carries an instance's
// invalidation subscription and serves a namespace, "lost". Gets never fail: the lost
// master's values come from process memory and their source, while the
// values of the surviving masters are still read from, and invalidated
// through, Redis; Ping names the lost master. When the master returns
// (empty, with its slots), its values are stored in Redis again.
func TestRedisClusterMasterKilled(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	var l logs
	cfg := faultConfig(t, rc.URL(), &l)
	rdb := testenv.RedisClient(t, rc.URL())
	long := cfg
	long.LocalTTL = time.Hour // only an invalidation drops a copy
	b := newCache(t, long)
	waitSubscribers(t, rdb, cfg.KeyPrefix, 1)
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", l.String())
		}
	}()

	// The victim carries b's subscription (an instance subscribes on a
	// master that answers). Namespaces: one on the victim, one elsewhere.
	victim := -1
	for i, s := range rc.Masters {
		n, err := testenv.Subscribers(t.Context(), testenv.RedisClient(t, s.URL()), cfg.KeyPrefix+"invalidations")
		require.NoError(t, err)
		if n > 0 {
			victim = i
			break
		}
	}
	require.NotEqual(t, -1, victim)
	a := newCache(t, cfg)
	waitSubscribers(t, rdb, cfg.KeyPrefix, 2)
	valueKey := func(ns string) string { return cfg.KeyPrefix + "v:{" + ns + "}:key-0" }
	var lost, kept string
	for i := 0; lost == "" || kept == ""; i++ {
		ns := fmt.Sprintf("tenant-%d", i)
		if rc.Master(valueKey(ns)) == victim {
			lost = cmp.Or(lost, ns)
		} else {
			kept = cmp.Or(kept, ns)
		}
	}
	t.Logf("killing master %d (%s), which serves %q; %q is on another", victim, rc.Masters[victim].Addr(), lost, kept)

	src, keys := valueSource(50)
	for _, c := range []*cache.Cache{a, b} {
		for _, ns := range []string{lost, kept} {
			for _, key := range keys {
				_, err := c.Get(t.Context(), ns, key, src.load(key))
				require.NoError(t, err)
			}
		}
	}
	require.EqualValues(t, 2*len(keys), src.loads.Load(), "b read a's values from Redis")
	settings := newSource("config", "v1")
	got, err := b.Get(t.Context(), kept, "config", settings.load("config"))
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))
	w := startLoad(a, src, keys, lost, kept)
	waitGets(t, w, 1000)

	w.enter(phaseOutage)
	rc.Masters[victim].Kill()
	err = a.Ping(t.Context())
	require.ErrorContains(t, err, rc.Masters[victim].Addr(), "Ping names the lost master")
	waitGets(t, w, 2000)

	// The lost master's values come from the source now.
	got, err = a.Get(t.Context(), lost, "new-during-outage", func(context.Context) ([]byte, error) { return []byte("fresh"), nil })
	require.NoError(t, err)
	require.Equal(t, "fresh", string(got))

	// The survivors' values are still in Redis: a new instance reads them
	// there, and a's Gets keep reading them there.
	fresh := newCache(t, cfg)
	testenv.Eventually(t, 10*time.Second, func() bool {
		got, err := fresh.Get(t.Context(), kept, "key-1", func(context.Context) ([]byte, error) { return []byte("loaded"), nil })
		return err == nil && string(got) == "value of key-1"
	}, "a new instance to read %s's value from Redis", kept)
	hits := a.Stats().RedisHits
	testenv.Eventually(t, 10*time.Second, func() bool { return a.Stats().RedisHits >= hits+100 },
		"a to go on reading from Redis")

	// b subscribes again on a survivor, so invalidations still reach it.
	testenv.Eventually(t, 10*time.Second, func() bool {
		var n int64
		for i, s := range rc.Masters {
			if i != victim {
				k, err := testenv.Subscribers(t.Context(), testenv.RedisClient(t, s.URL()), cfg.KeyPrefix+"invalidations")
				require.NoError(t, err)
				n += k
			}
		}
		return n == 3
	}, "a, b and the new instance to be subscribed on the surviving masters")
	settings.set("config", "v2")
	if err := a.Invalidate(t.Context(), kept, "config"); err != nil {
		require.ErrorIs(t, err, cache.ErrInvalidationQueued)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		got, err := b.Get(t.Context(), kept, "config", settings.load("config"))
		return err == nil && string(got) == "v2"
	}, "the invalidation to reach b")

	w.enter(phaseRecovered)
	rc.Masters[victim].Start()
	testenv.Eventually(t, 30*time.Second, func() bool { return a.Ping(t.Context()) == nil }, "the master to answer again")
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, err := a.Get(t.Context(), lost, "key-3", src.load("key-3"))
		return err == nil && rdb.Exists(t.Context(), valueKey(lost)[:len(valueKey(lost))-len("key-0")]+"key-3").Val() == 1
	}, "values of %s to be stored in Redis again", lost)
	waitGets(t, w, 500)
	w.finish(t)
	w.report(t, "healthy cluster", phaseHealthy)
	w.report(t, "a master killed", phaseOutage)
	w.report(t, "master back", phaseRecovered)
	st := a.Stats()
	t.Logf("a: %d local hits, %d Redis hits, %d stale hits, %d loads", st.LocalHits, st.RedisHits, st.StaleHits, st.Loads)
}
