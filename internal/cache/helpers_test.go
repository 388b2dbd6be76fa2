package cache_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// testKey returns a random master key.
func testKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, cache.MasterKeySize)
	rand.Read(key)
	return key
}

func newSealer(t testing.TB) *cache.Sealer {
	t.Helper()
	s, err := cache.NewSealer(testKey(t))
	require.NoError(t, err)
	return s
}

// A redisEnv gives a test the URL of a Redis and a key prefix of its own,
// as testenv.RedisURL does for the Redis of TEST_REDIS_URL and
// RedisCluster.URLFor for a Redis Cluster: the tests that use Redis run on
// both (see TestOnRedisCluster).
type redisEnv func(testing.TB) (url, keyPrefix string)

// redisConfig returns a Config for the Redis of env, under the test's own
// key prefix, and the URL.
func redisConfig(t testing.TB, env redisEnv) (cache.Config, string) {
	t.Helper()
	url, prefix := env(t)
	opts, err := cache.ParseRedisURL(url)
	require.NoError(t, err)
	return cache.Config{
		Redis:     opts,
		Sealer:    newSealer(t),
		KeyPrefix: prefix,
		// Generous: the test machine is shared and runs with -race.
		OpTimeout:   time.Second,
		DialTimeout: time.Second,
	}, url
}

// newCache returns a Cache of cfg, closed when the test ends.
func newCache(t testing.TB, cfg cache.Config) *cache.Cache {
	t.Helper()
	c, err := cache.New(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// source is a value source that counts its loads.
type source struct {
	loads atomic.Int64
	mu    sync.Mutex
	vals  map[string][]byte // missing: not found
}

func newSource(kv ...string) *source {
	s := &source{vals: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.vals[kv[i]] = []byte(kv[i+1])
	}
	return s
}

func (s *source) set(key, value string) {
	s.mu.Lock()
	s.vals[key] = []byte(value)
	s.mu.Unlock()
}

// load returns the load function of key.
func (s *source) load(key string) cache.LoadFunc {
	return func(context.Context) ([]byte, error) {
		s.loads.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		v, ok := s.vals[key]
		if !ok {
			return nil, fmt.Errorf("value %q: %w", key, cache.ErrNotFound)
		}
		return slices.Clone(v), nil
	}
}

// waitSubscribers waits until n clients listen on the cache's channel.
func waitSubscribers(t testing.TB, rdb redis.UniversalClient, prefix string, n int64) {
	t.Helper()
	channel := prefix + "invalidations"
	testenv.Eventually(t, 10*time.Second, func() bool {
		m, err := testenv.Subscribers(t.Context(), rdb, channel)
		return err == nil && m == n
	}, "%d subscribers on %s", n, channel)
}

// logs is a concurrency-safe buffer of JSON log lines.
type logs struct{ testenv.Buffer }

// count returns how many lines have a message beginning with msg.
func (l *logs) count(msg string) int { return l.Count(`"msg":"` + msg) }

// countLevel returns how many lines have level, such as "WARN".
func (l *logs) countLevel(level string) int { return l.Count(`"level":"` + level + `"`) }

func newLogger(l *logs) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// faultConfig returns a Config for the Redis at url, such as a
// testenv.RedisServer's or RedisCluster's, tuned to notice faults quickly.
func faultConfig(t testing.TB, url string, l *logs) cache.Config {
	t.Helper()
	opts, err := cache.ParseRedisURL(url)
	require.NoError(t, err)
	return cache.Config{
		Redis:            opts,
		Sealer:           newSealer(t),
		KeyPrefix:        "fault:",
		LocalTTL:         time.Millisecond, // nearly every Get asks Redis while it is up
		MaxStale:         time.Hour,
		OpTimeout:        75 * time.Millisecond,
		DialTimeout:      100 * time.Millisecond,
		FailureThreshold: 3,
		ProbeInterval:    50 * time.Millisecond,
		WarnInterval:     500 * time.Millisecond,
		Logger:           newLogger(l),
	}
}

// percentile returns the p-th percentile (0 < p <= 100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
