package cache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

func TestGetResolvesThroughLevels(t *testing.T) { testGetResolvesThroughLevels(t, testenv.RedisURL) }

func testGetResolvesThroughLevels(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	cfg.LocalTTL = time.Minute
	src := newSource("config", `{"name":"Acme"}`)
	a := newCache(t, cfg)

	for range 3 {
		got, err := a.Get(t.Context(), "acme", "config", src.load("config"))
		require.NoError(t, err)
		require.Equal(t, `{"name":"Acme"}`, string(got))
	}
	require.EqualValues(t, 1, src.loads.Load(), "loads by the first instance")

	// Another replica finds it in Redis.
	b := newCache(t, cfg)
	got, err := b.Get(t.Context(), "acme", "config", src.load("config"))
	require.NoError(t, err)
	require.Equal(t, `{"name":"Acme"}`, string(got))
	require.EqualValues(t, 1, src.loads.Load(), "loads after the second instance")

	// The value returned is the caller's own.
	got[0] = 'X'
	again, err := b.Get(t.Context(), "acme", "config", src.load("config"))
	require.NoError(t, err)
	require.Equal(t, `{"name":"Acme"}`, string(again))

	// Namespaces are apart.
	_, err = b.Get(t.Context(), "globex", "config", src.load("config"))
	require.NoError(t, err)
	require.EqualValues(t, 2, src.loads.Load())
	require.Equal(t, cache.StateOK, b.Status().State)
}

func TestGetLoadsOnceForConcurrentCallers(t *testing.T) {
	testGetLoadsOnceForConcurrentCallers(t, testenv.RedisURL)
}

func testGetLoadsOnceForConcurrentCallers(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	cfg.LocalTTL = time.Minute
	c := newCache(t, cfg)

	const callers = 1000
	var arrived, loads atomic.Int64
	load := func(ctx context.Context) ([]byte, error) {
		loads.Add(1)
		// Hold the load until every caller has asked, so they all
		// overlap with it (a caller arriving later finds the value in
		// process anyway).
		deadline := time.Now().Add(10 * time.Second)
		for arrived.Load() < callers && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling interval
		}
		return []byte("value"), nil
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			<-start
			arrived.Add(1)
			got, err := c.Get(t.Context(), "acme", "config", load)
			if err == nil && string(got) != "value" {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, loads.Load(), "loads for %d concurrent callers", callers)
}

func TestRedisHoldsNoPlaintextAndEveryKeyExpires(t *testing.T) {
	testRedisHoldsNoPlaintextAndEveryKeyExpires(t, testenv.RedisURL)
}

func testRedisHoldsNoPlaintextAndEveryKeyExpires(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, url := redisConfig(t, env)
	rdb := testenv.RedisClient(t, url)
	const marker = "MARKER-5f0c2a9e-s3cr3t"
	c := newCache(t, cfg)
	src := newSource()
	for i := range 20 {
		name := fmt.Sprintf("secret-%d", i)
		src.set(name, fmt.Sprintf(`{"password":%q}`, marker+name))
		_, err := c.Get(t.Context(), fmt.Sprintf("tenant-%d", i%3), name, src.load(name))
		require.NoError(t, err)
	}
	_, err := c.Get(t.Context(), "tenant-0", "missing", src.load("missing"))
	require.ErrorIs(t, err, cache.ErrNotFound)
	q := c.QueryCache("v1")
	query := "{ goods(id: 1) { name } }"
	q.Add(t.Context(), sha256Hex(query), query)
	require.NoError(t, c.InvalidateNamespace(t.Context(), "tenant-2"))

	keys, err := testenv.Keys(t.Context(), rdb, cfg.KeyPrefix+"*")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(keys), 21+3+1, "keys: %q", keys)
	for _, key := range keys {
		require.NotContains(t, key, "MARKER")
		value, err := rdb.Get(t.Context(), key).Result()
		require.NoError(t, err, key)
		require.NotContains(t, value, "MARKER", "plaintext in %s", key)
		require.NotContains(t, value, "password", "plaintext in %s", key)
		pttl, err := rdb.PTTL(t.Context(), key).Result()
		require.NoError(t, err)
		require.Greater(t, pttl, time.Duration(0), "key %s has no TTL", key)
		if strings.Contains(key, ":v:") {
			require.LessOrEqual(t, pttl, 11*time.Minute) // the default 10m ± 10%
		}
	}
}

func TestBrokenEntriesAreDroppedAndReloaded(t *testing.T) {
	testBrokenEntriesAreDroppedAndReloaded(t, testenv.RedisURL)
}

func testBrokenEntriesAreDroppedAndReloaded(t *testing.T, env redisEnv) {
	t.Parallel()
	tests := []struct {
		name    string
		corrupt func(t *testing.T, cfg cache.Config, set func(key, value string), get func(key string) string)
	}{
		{"garbage", func(t *testing.T, cfg cache.Config, set func(string, string), _ func(string) string) {
			set(cfg.KeyPrefix+"v:{acme}:config", "not sealed at all")
		}},
		{"truncated", func(t *testing.T, cfg cache.Config, set func(string, string), get func(string) string) {
			v := get(cfg.KeyPrefix + "v:{acme}:config")
			set(cfg.KeyPrefix+"v:{acme}:config", v[:len(v)-1])
		}},
		{"bit flipped", func(t *testing.T, cfg cache.Config, set func(string, string), get func(string) string) {
			v := []byte(get(cfg.KeyPrefix + "v:{acme}:config"))
			v[len(v)/2] ^= 0x80
			set(cfg.KeyPrefix+"v:{acme}:config", string(v))
		}},
		{"moved from another key", func(t *testing.T, cfg cache.Config, set func(string, string), get func(string) string) {
			set(cfg.KeyPrefix+"v:{acme}:config", get(cfg.KeyPrefix+"v:{acme}:other"))
		}},
		{"moved from another namespace", func(t *testing.T, cfg cache.Config, set func(string, string), get func(string) string) {
			set(cfg.KeyPrefix+"v:{acme}:config", get(cfg.KeyPrefix+"v:{globex}:config"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, url := redisConfig(t, env)
			var l logs
			cfg.Logger = newLogger(&l)
			rdb := testenv.RedisClient(t, url)
			src := newSource("config", "good config", "other", "other value")
			writer := newCache(t, cfg)
			for _, nk := range [][2]string{{"acme", "config"}, {"acme", "other"}, {"globex", "config"}} {
				_, err := writer.Get(t.Context(), nk[0], nk[1], src.load(nk[1]))
				require.NoError(t, err)
			}
			set := func(key, value string) {
				ttl := rdb.PTTL(t.Context(), key).Val()
				require.NoError(t, rdb.Set(t.Context(), key, value, ttl).Err())
			}
			get := func(key string) string {
				v, err := rdb.Get(t.Context(), key).Result()
				require.NoError(t, err, key)
				return v
			}
			tt.corrupt(t, cfg, set, get)

			loads := src.loads.Load()
			reader := newCache(t, cfg)
			got, err := reader.Get(t.Context(), "acme", "config", src.load("config"))
			require.NoError(t, err)
			require.Equal(t, "good config", string(got))
			require.Equal(t, loads+1, src.loads.Load(), "the broken entry was not reloaded")
			require.Equal(t, 1, l.count("cache: dropped a Redis entry"), "log:\n%s", l.String())

			// Stored again, sealed: a third instance need not load.
			third := newCache(t, cfg)
			got, err = third.Get(t.Context(), "acme", "config", src.load("config"))
			require.NoError(t, err)
			require.Equal(t, "good config", string(got))
			require.Equal(t, loads+1, src.loads.Load())
		})
	}
}

func TestEntriesOfAnotherMasterKeyAreReloaded(t *testing.T) {
	testEntriesOfAnotherMasterKeyAreReloaded(t, testenv.RedisURL)
}

func testEntriesOfAnotherMasterKeyAreReloaded(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	src := newSource("config", "v1")
	_, err := newCache(t, cfg).Get(t.Context(), "acme", "config", src.load("config"))
	require.NoError(t, err)

	cfg.Sealer = newSealer(t) // the master key was changed
	got, err := newCache(t, cfg).Get(t.Context(), "acme", "config", src.load("config"))
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))
	require.EqualValues(t, 2, src.loads.Load())
}

func TestNotFoundIsCachedBriefly(t *testing.T) { testNotFoundIsCachedBriefly(t, testenv.RedisURL) }

func testNotFoundIsCachedBriefly(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, url := redisConfig(t, env)
	cfg.NegativeTTL = 500 * time.Millisecond
	cfg.LocalTTL = time.Minute
	rdb := testenv.RedisClient(t, url)
	src := newSource()
	a := newCache(t, cfg)

	_, err := a.Get(t.Context(), "acme", "secret/missing", src.load("missing"))
	require.ErrorIs(t, err, cache.ErrNotFound)
	_, err = a.Get(t.Context(), "acme", "secret/missing", src.load("missing"))
	require.ErrorIs(t, err, cache.ErrNotFound)
	require.EqualValues(t, 1, src.loads.Load(), "in process")

	_, err = newCache(t, cfg).Get(t.Context(), "acme", "secret/missing", src.load("missing"))
	require.ErrorIs(t, err, cache.ErrNotFound)
	require.EqualValues(t, 1, src.loads.Load(), "from Redis")
	pttl := rdb.PTTL(t.Context(), cfg.KeyPrefix+"v:{acme}:secret/missing").Val()
	require.Greater(t, pttl, time.Duration(0))
	require.LessOrEqual(t, pttl, cfg.NegativeTTL)

	// Once it exists and the negative entry expired, it is found.
	src.set("missing", "now here")
	testenv.Eventually(t, 10*time.Second, func() bool {
		got, err := a.Get(t.Context(), "acme", "secret/missing", src.load("missing"))
		return err == nil && string(got) == "now here"
	}, "the negative entry to expire")
}

func TestLoadErrorsAreNotCached(t *testing.T) { testLoadErrorsAreNotCached(t, testenv.RedisURL) }

func testLoadErrorsAreNotCached(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	c := newCache(t, cfg)
	boom := errors.New("secret manager unreachable")
	var calls atomic.Int64
	load := func(context.Context) ([]byte, error) {
		if calls.Add(1) == 1 {
			return nil, boom
		}
		return []byte("ok"), nil
	}
	_, err := c.Get(t.Context(), "acme", "config", load)
	require.ErrorIs(t, err, boom)
	got, err := c.Get(t.Context(), "acme", "config", load)
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
}

func TestGetReturnsWhenCallerGivesUp(t *testing.T) {
	testGetReturnsWhenCallerGivesUp(t, testenv.RedisURL)
}

func testGetReturnsWhenCallerGivesUp(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	cfg.LocalTTL = time.Minute
	c := newCache(t, cfg)
	release := make(chan struct{})
	var loads atomic.Int64
	load := func(ctx context.Context) ([]byte, error) {
		loads.Add(1)
		select {
		case <-release:
			return []byte("slow value"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Get(ctx, "acme", "config", load)
	require.ErrorIs(t, err, context.Canceled)

	// The resolution goes on for the others, and its value is kept.
	close(release)
	got, err := c.Get(t.Context(), "acme", "config", load)
	require.NoError(t, err)
	require.Equal(t, "slow value", string(got))
	require.EqualValues(t, 1, loads.Load())
}

func TestLoadPanicReachesCaller(t *testing.T) { testLoadPanicReachesCaller(t, testenv.RedisURL) }

func testLoadPanicReachesCaller(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, _ := redisConfig(t, env)
	c := newCache(t, cfg)
	defer func() {
		r := recover()
		require.NotNil(t, r)
		require.Contains(t, fmt.Sprint(r), "resolver exploded")
	}()
	c.Get(t.Context(), "acme", "config", func(context.Context) ([]byte, error) { panic("resolver exploded") })
	t.Fatal("Get did not panic")
}

func TestInvalidateReachesOtherInstances(t *testing.T) {
	testInvalidateReachesOtherInstances(t, testenv.RedisURL)
}

func testInvalidateReachesOtherInstances(t *testing.T, env redisEnv) {
	t.Parallel()
	for _, whole := range []bool{false, true} {
		name := "keys"
		if whole {
			name = "namespace"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, url := redisConfig(t, env)
			cfg.LocalTTL = time.Hour // only an invalidation drops a copy
			rdb := testenv.RedisClient(t, url)
			src := newSource("config", "old", "signing-key", "old key")
			a, b := newCache(t, cfg), newCache(t, cfg)
			waitSubscribers(t, rdb, cfg.KeyPrefix, 2)
			for _, c := range []*cache.Cache{a, b} {
				for _, key := range []string{"config", "signing-key"} {
					got, err := c.Get(t.Context(), "acme", key, src.load(key))
					require.NoError(t, err)
					require.Equal(t, "old", string(got)[:3])
				}
			}
			require.EqualValues(t, 2, src.loads.Load(), "loads of the old values")
			// A value of another namespace stays.
			other, err := b.Get(t.Context(), "globex", "config", src.load("config"))
			require.NoError(t, err)

			src.set("config", "new")
			src.set("signing-key", "new key")
			if whole {
				require.NoError(t, a.InvalidateNamespace(t.Context(), "acme"))
			} else {
				require.NoError(t, a.Invalidate(t.Context(), "acme", "config", "signing-key"))
			}
			for _, key := range []string{"config", "signing-key"} {
				testenv.Eventually(t, 2*time.Second, func() bool {
					got, err := b.Get(t.Context(), "acme", key, src.load(key))
					return err == nil && strings.HasPrefix(string(got), "new")
				}, "the other instance to drop %s", key)
				got, err := a.Get(t.Context(), "acme", key, src.load(key))
				require.NoError(t, err)
				require.Equal(t, "new", string(got)[:3])
			}
			loads := src.loads.Load()
			got, err := b.Get(t.Context(), "globex", "config", func(context.Context) ([]byte, error) {
				t.Error("globex was invalidated too")
				return nil, nil
			})
			require.NoError(t, err)
			require.Equal(t, other, got)
			// Two old values, one of globex, and two new ones: one replica
			// loaded each new value, the other read it from Redis.
			require.EqualValues(t, 5, loads)
		})
	}
}

// TestInvalidateNamespaceBeatsSlowLoad checks that a value loaded before a
// namespace was invalidated, but stored after, is not served from Redis.
func TestInvalidateNamespaceBeatsSlowLoad(t *testing.T) {
	testInvalidateNamespaceBeatsSlowLoad(t, testenv.RedisURL)
}

func testInvalidateNamespaceBeatsSlowLoad(t *testing.T, env redisEnv) {
	t.Parallel()
	cfg, url := redisConfig(t, env)
	cfg.LocalTTL = time.Hour
	rdb := testenv.RedisClient(t, url)
	a, b := newCache(t, cfg), newCache(t, cfg)
	waitSubscribers(t, rdb, cfg.KeyPrefix, 2)

	loading, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := a.Get(t.Context(), "acme", "config", func(context.Context) ([]byte, error) {
			close(loading)
			<-release
			return []byte("old"), nil // read from the source before the change
		})
		done <- err
	}()
	<-loading
	require.NoError(t, b.InvalidateNamespace(t.Context(), "acme")) // after the change
	close(release)
	require.NoError(t, <-done)

	fresh := newCache(t, cfg)
	got, err := fresh.Get(t.Context(), "acme", "config", func(context.Context) ([]byte, error) { return []byte("new"), nil })
	require.NoError(t, err)
	require.Equal(t, "new", string(got))
	testenv.Eventually(t, 2*time.Second, func() bool {
		got, err := a.Get(t.Context(), "acme", "config", func(context.Context) ([]byte, error) { return []byte("new"), nil })
		return err == nil && string(got) == "new"
	}, "the loading instance to serve the new value")
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	opts, err := cache.ParseRedisURL("redis://127.0.0.1:6379/0")
	require.NoError(t, err)
	_, err = cache.New(t.Context(), cache.Config{
		Redis:       opts,
		KeyPrefix:   "bad{prefix}",
		LocalTTL:    -time.Second,
		TTLJitter:   0.9,
		MaxEntries:  -1,
		OpTimeout:   -1,
		NegativeTTL: -time.Second,
	})
	require.Error(t, err)
	for _, want := range []string{"Sealer", "KeyPrefix", "LocalTTL", "TTLJitter", "MaxEntries", "OpTimeout", "NegativeTTL"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		name, url string
		want      redis.UniversalOptions
		client    string // the type of client redis.NewUniversalClient makes
	}{
		{"single", "redis://user:pa55word@cache.internal:6380/2",
			redis.UniversalOptions{Addrs: []string{"cache.internal:6380"}, DB: 2, Username: "user", Password: "pa55word"},
			"*redis.Client"},
		{"cluster", "redis://:pa55word@node1:7000?addr=node2:7001&addr=node3:7002&pool_size=20",
			redis.UniversalOptions{IsClusterMode: true, Addrs: []string{"node1:7000", "node2:7001", "node3:7002"}, Password: "pa55word", PoolSize: 20},
			"*redis.ClusterClient"},
		{"cluster with database 0", "redis://node1:7000/0?addr=node2:7001",
			redis.UniversalOptions{IsClusterMode: true, Addrs: []string{"node1:7000", "node2:7001"}},
			"*redis.ClusterClient"},
		{"sentinel", "redis://sentinel:s3ntinel@sentinel1:26379/3?master_name=cache&addr=sentinel2:26379&password=pa55word",
			redis.UniversalOptions{MasterName: "cache", Addrs: []string{"sentinel1:26379", "sentinel2:26379"}, DB: 3,
				SentinelUsername: "sentinel", SentinelPassword: "s3ntinel", Password: "pa55word"},
			"*redis.Client"}, // NewFailoverClient's
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := cache.ParseRedisURL(tt.url)
			require.NoError(t, err)
			require.True(t, opts.ContextTimeoutEnabled)
			want := tt.want
			want.ContextTimeoutEnabled = true
			require.Equal(t, &want, opts)
			rdb := redis.NewUniversalClient(opts)
			defer rdb.Close()
			require.Equal(t, tt.client, fmt.Sprintf("%T", rdb))
		})
	}

	for _, bad := range []string{
		"redis://user:pa55word@host:port/0",
		"http://user:pa55word@host/0",
		"redis://:pa55word@host/x",
		"redis://:pa55word@host%zz/0",
		"redis://:pa55word@node1:7000/2?addr=node2:7001",              // a cluster has database 0 only
		"redis://:pa55word@node1:7000?addr=node2",                     // no port
		"redis://:pa55word@node1:7000?addr=node2:7001&db=1",           // unknown to a cluster
		"redis://:pa55word@node1:7000?addr=node2:7001&read_only=true", // reads from replicas
		"redis://:pa55word@node1:7000?addr=node2:7001&route_randomly=true",
		"redis://:pa55word@sentinel1:26379?master_name=cache&replica_only=true",
		"redis://:pa55word@sentinel1:26379?master_name=cache&route_by_latency=true",
		"redis://sentinel1:26379?master_name=cache&password=pa55word&dial_timeout=x",
	} {
		_, err := cache.ParseRedisURL(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "pa55word")
	}
}

func TestEmptyNamespaceIsRefused(t *testing.T) {
	c := newCache(t, cache.Config{})
	_, err := c.Get(t.Context(), "", "config", newSource().load("config"))
	require.Error(t, err)
}
