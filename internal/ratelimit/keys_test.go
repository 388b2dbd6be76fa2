package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestKeys looks at the keys in Redis: named after the tenant as a hash
// tag, each with a TTL, gone once the bucket is full again.
func TestKeys(t *testing.T) { testKeys(t, testenv.RedisURL) }

func testKeys(t *testing.T, env redisEnv) {
	t.Parallel()
	opts, rdb := redisOptions(t, env)
	l := newLimiter(t, opts)
	ctx := t.Context()
	rate := limits.Rate{Requests: 10, Per: time.Minute}
	for _, tenant := range []string{"acme", "globex-2_b"} {
		for _, bucket := range []string{"requests", "cost"} {
			require.True(t, l.AllowN(ctx, tenant, bucket, rate, 3).Allowed)
		}
	}
	// Escaped: no brace or colon of a tenant reaches a key.
	require.True(t, l.AllowN(ctx, "we{ir}d:x y", "requests", rate, 1).Allowed)

	p := "rate:" + opts.KeyPrefix
	keys := bucketKeys(t, ctx, rdb, opts.KeyPrefix)
	require.Equal(t, []string{
		p + "{acme}:cost",
		p + "{acme}:requests",
		p + "{globex-2_b}:cost",
		p + "{globex-2_b}:requests",
		p + "{we%7Bir%7Dd%3Ax%20y}:requests",
	}, keys)

	for _, key := range keys {
		// Redis Cluster hashes only the part between the first '{' and
		// the first '}' after it: the tenant.
		open := strings.IndexByte(key, '{')
		end := strings.IndexByte(key[open:], '}')
		require.True(t, open > 0 && end > 1, key)
		tag := key[open+1 : open+end]
		require.Equal(t, p+"{"+tag+"}:", key[:len(p)+len(tag)+3], "the hash tag is the tenant: %s", key)

		ttl, err := rdb.PTTL(ctx, key).Result()
		require.NoError(t, err)
		require.Greater(t, ttl, time.Duration(0), "%s has a TTL", key)
		require.LessOrEqual(t, ttl, time.Minute, "%s lives until its bucket is full again", key)
	}

	// A bucket's key expires when the bucket is full again.
	fast := limits.Rate{Requests: 1000, Per: time.Second}
	require.True(t, l.AllowN(ctx, "initech", "requests", fast, 1).Allowed)
	key := p + "{initech}:requests"
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0))
	require.LessOrEqual(t, ttl, time.Second)
	testenv.Eventually(t, 5*time.Second, func() bool { return rdb.Exists(ctx, key).Val() == 0 },
		"%s to expire", key)
}
