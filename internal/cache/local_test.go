package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestWithoutRedis checks that the same API works in process only.
func TestWithoutRedis(t *testing.T) {
	t.Parallel()
	c := newCache(t, cache.Config{NegativeTTL: 200 * time.Millisecond})
	require.Equal(t, cache.StateLocal, c.Status().State)
	require.False(t, c.Status().Since.IsZero())

	src := newSource("config", "v1", "other", "o1")
	get := func(ns, key string) (string, error) {
		v, err := c.Get(t.Context(), ns, key, src.load(key))
		return string(v), err
	}
	for range 3 {
		v, err := get("acme", "config")
		require.NoError(t, err)
		require.Equal(t, "v1", v)
	}
	require.EqualValues(t, 1, src.loads.Load())

	src.set("config", "v2")
	require.NoError(t, c.Invalidate(t.Context(), "acme", "config"))
	v, err := get("acme", "config")
	require.NoError(t, err)
	require.Equal(t, "v2", v)

	_, err = get("acme", "other")
	require.NoError(t, err)
	src.set("config", "v3")
	src.set("other", "o2")
	require.NoError(t, c.InvalidateNamespace(t.Context(), "acme"))
	for key, want := range map[string]string{"config": "v3", "other": "o2"} {
		v, err := get("acme", key)
		require.NoError(t, err)
		require.Equal(t, want, v)
	}

	loads := src.loads.Load()
	_, err = get("acme", "missing")
	require.ErrorIs(t, err, cache.ErrNotFound)
	_, err = get("acme", "missing")
	require.ErrorIs(t, err, cache.ErrNotFound)
	require.Equal(t, loads+1, src.loads.Load())
	src.set("missing", "found")
	testenv.Eventually(t, 5*time.Second, func() bool {
		v, err := get("acme", "missing")
		return err == nil && v == "found"
	}, "the negative entry to expire")

	q := c.QueryCache("v1")
	query := "{ goodsList { totalCount } }"
	q.Add(t.Context(), sha256Hex(query), query)
	got, ok := q.Get(t.Context(), sha256Hex(query))
	require.True(t, ok)
	require.Equal(t, query, got)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "a second Close")

	// After Close, Get still answers.
	v, err = get("acme", "config")
	require.NoError(t, err)
	require.Equal(t, "v3", v)
}

func TestMaxEntriesBoundsTheProcessLevel(t *testing.T) {
	t.Parallel()
	c := newCache(t, cache.Config{MaxEntries: 10})
	src := newSource()
	for i := range 100 {
		key := fmt.Sprint(i)
		src.set(key, key)
		_, err := c.Get(t.Context(), "ns", key, src.load(key))
		require.NoError(t, err)
	}
	// At most 10 of the 100 are still held: reading them all again loads
	// at least 90.
	before := src.loads.Load()
	for i := range 100 {
		_, err := c.Get(t.Context(), "ns", fmt.Sprint(i), func(ctx context.Context) ([]byte, error) {
			return src.load(fmt.Sprint(i))(ctx)
		})
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, src.loads.Load()-before, int64(90))
}
