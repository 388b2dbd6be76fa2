package cache_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestQueryCache(t *testing.T) { testQueryCache(t, testenv.RedisURL) }

func testQueryCache(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, url := redisConfig(t, env)
	cfg.QueryTTL = time.Hour
	rdb := testenv.RedisClient(t, url)
	a, b := newCache(t, cfg), newCache(t, cfg)
	query := "query Goods { goodsList(first: 5) { nodes { id name } } }"
	hash := sha256Hex(query)

	qa := a.QueryCache("schema-1")
	_, ok := qa.Get(t.Context(), hash)
	require.False(t, ok)
	qa.Add(t.Context(), hash, query)
	got, ok := qa.Get(t.Context(), hash)
	require.True(t, ok)
	require.Equal(t, query, got)

	// Another replica with the same schema version finds it in Redis,
	// stored with a TTL; another schema version does not.
	got, ok = b.QueryCache("schema-1").Get(t.Context(), hash)
	require.True(t, ok)
	require.Equal(t, query, got)
	_, ok = b.QueryCache("schema-2").Get(t.Context(), hash)
	require.False(t, ok)
	key := cfg.KeyPrefix + "q:schema-1:" + hash
	require.Equal(t, query, rdb.Get(t.Context(), key).Val(), "queries are stored in plain text")
	pttl := rdb.PTTL(t.Context(), key).Val()
	require.Greater(t, pttl, time.Duration(0))
	require.LessOrEqual(t, pttl, time.Hour)

	// A pair whose key is not the hash of its query is not stored.
	other := "{ __typename }"
	qa.Add(t.Context(), hash[:63]+"0", other)
	qa.Add(t.Context(), sha256Hex(other), query)
	_, ok = qa.Get(t.Context(), sha256Hex(other))
	require.False(t, ok)
	_, ok = qa.Get(t.Context(), "not a hash")
	require.False(t, ok)

	// An entry altered in Redis is not served.
	require.NoError(t, rdb.Set(t.Context(), cfg.KeyPrefix+"q:schema-3:"+hash, "mutation { deleteGoods(id: 1) }", time.Hour).Err())
	_, ok = b.QueryCache("schema-3").Get(t.Context(), hash)
	require.False(t, ok)
}
