package ratelimit_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// A redisEnv gives a test the URL of a Redis and a key prefix of its own,
// as testenv.RedisURL does for the Redis of TEST_REDIS_URL and
// RedisCluster.URLFor for a Redis Cluster (see TestOnRedisCluster).
type redisEnv func(testing.TB) (url, keyPrefix string)

// redisOptions returns Options for the Redis of env, under the test's own
// key prefix, and a plain client of that Redis to look behind the
// Limiter's back. Every key of the prefix is deleted when the test ends:
// testenv deletes those that begin with it, this those that begin with
// redis_rate's "rate:" and it.
func redisOptions(t testing.TB, env redisEnv) (ratelimit.Options, redis.UniversalClient) {
	t.Helper()
	url, prefix := env(t)
	opts, err := cache.ParseRedisURL(url)
	require.NoError(t, err)
	rdb := testenv.RedisClient(t, url)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, key := range bucketKeys(t, ctx, rdb, prefix) {
			rdb.Unlink(ctx, key)
		}
	})
	return ratelimit.Options{
		Redis:     opts,
		KeyPrefix: prefix,
		// Generous: the test machine is shared and runs with -race.
		OpTimeout: time.Second,
	}, rdb
}

// bucketKeys returns the Redis keys of the buckets under prefix, sorted.
func bucketKeys(t testing.TB, ctx context.Context, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	keys, err := testenv.Keys(ctx, rdb, "rate:"+prefix+"*")
	require.NoError(t, err)
	slices.Sort(keys)
	return keys
}

// newLimiter returns a Limiter of opts, closed when the test ends.
func newLimiter(t testing.TB, opts ratelimit.Options) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// logs is a concurrency-safe buffer of JSON log lines.
type logs struct{ testenv.Buffer }

// count returns how many lines have a message beginning with msg.
func (l *logs) count(msg string) int { return l.Count(`"msg":"` + msg) }

func newLogger(l *logs) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
