package cache_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/testenv"

	"github.com/tenantgraph/tenantgraph/internal/cache"
)

var benchValue = []byte(`{"name":"Acme","issuer":"https://id.acme.example","signingKey":"0123456789abcdef0123456789abcdef"}`)

func benchLoad(context.Context) ([]byte, error) { return benchValue, nil }

// BenchmarkGet measures Get at each level, against TEST_REDIS_URL.
func BenchmarkGet(b *testing.B) {
	base, _ := redisConfig(b, testenv.RedisURL)
	base.OpTimeout = 100 * time.Millisecond

	b.Run("hit-process", func(b *testing.B) {
		cfg := base
		cfg.LocalTTL = time.Hour
		c := newCache(b, cfg)
		if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit-redis", func(b *testing.B) {
		cfg := base
		cfg.LocalTTL = time.Nanosecond // every Get reads Redis
		c := newCache(b, cfg)
		if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Get(b.Context(), "acme", "config", func(context.Context) ([]byte, error) {
				b.Fatal("loaded")
				return nil, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		c := newCache(b, base)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i++
			if _, err := c.Get(b.Context(), "acme", "miss-"+strconv.Itoa(i), benchLoad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit-process-parallel", func(b *testing.B) {
		cfg := base
		cfg.LocalTTL = time.Hour
		c := newCache(b, cfg)
		if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Get(context.Background(), "acme", "config", benchLoad); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkGetDuringOutage measures Get (p99 and max too) on a Redis of its
// own: healthy (every Get reads Redis), hung by SIGSTOP, and hung with the
// circuit breaker disabled, where every Get waits for OpTimeout.
func BenchmarkGetDuringOutage(b *testing.B) {
	server := testenv.StartRedisServer(b)
	var l logs
	stopped := false
	run := func(b *testing.B, threshold int, hang bool) {
		if stopped {
			server.Cont()
			stopped = false
		}
		cfg := faultConfig(b, server.URL(), &l)
		cfg.LocalTTL = time.Nanosecond // every Get asks Redis, unless it is skipped
		cfg.FailureThreshold = threshold
		c := newCache(b, cfg)
		if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
			b.Fatal(err)
		}
		if hang {
			server.Stop()
			stopped = true
		}
		if hang && threshold < 1000 {
			testenv.Eventually(b, 10*time.Second, func() bool {
				c.Get(b.Context(), "acme", "config", benchLoad)
				return c.Status().State == cache.StateDegraded
			}, "degraded")
		}
		// Latencies of the first samples (allocated up front, so that
		// recording them does not disturb what they measure), and the max.
		ds := make([]time.Duration, 0, 1<<20)
		var maxLatency time.Duration
		b.ReportAllocs()
		for b.Loop() {
			start := time.Now()
			if _, err := c.Get(b.Context(), "acme", "config", benchLoad); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			if len(ds) < cap(ds) {
				ds = append(ds, d)
			}
			maxLatency = max(maxLatency, d)
		}
		b.ReportMetric(float64(percentile(ds, 99).Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(maxLatency.Nanoseconds()), "max-ns")
	}
	b.Run("healthy", func(b *testing.B) { run(b, 3, false) })
	b.Run("hung", func(b *testing.B) { run(b, 3, true) })
	b.Run("hung-no-breaker", func(b *testing.B) { run(b, 1<<30, true) })
}
