package ratelimit_test

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// BenchmarkAllowN measures AllowN for a request of one of 1000 tenants:
// against the Redis of TEST_REDIS_URL (one round trip and the GCRA
// script), in process (no Redis configured), and while Redis is
// unavailable (the breaker is open: in process too).
func BenchmarkAllowN(b *testing.B) {
	tenants := make([]string, 1000)
	for i := range tenants {
		tenants[i] = fmt.Sprintf("tenant-%d", i)
	}
	run := func(b *testing.B, l *ratelimit.Limiter, wantLocal bool) {
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res := l.AllowN(b.Context(), tenants[i%len(tenants)], "requests", loadRate, 1)
				if !res.Allowed || res.Local != wantLocal {
					b.Fatalf("%+v", res)
				}
				i++
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)) * 97
				for pb.Next() {
					res := l.AllowN(b.Context(), tenants[i%len(tenants)], "requests", loadRate, 1)
					if !res.Allowed || res.Local != wantLocal {
						b.Errorf("%+v", res)
						return
					}
					i++
				}
			})
		})
	}

	b.Run("redis", func(b *testing.B) {
		opts, _ := redisOptions(b, testenv.RedisURL)
		run(b, newLimiter(b, opts), false)
	})
	b.Run("local", func(b *testing.B) {
		run(b, newLimiter(b, ratelimit.Options{}), true)
	})
	b.Run("degraded", func(b *testing.B) {
		// A port nothing listens on.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		l := newLimiter(b, ratelimit.Options{Redis: &redis.UniversalOptions{Addrs: []string{addr}}})
		testenv.Eventually(b, 5*time.Second, func() bool { return l.Status().State == ratelimit.StateDegraded }, "degraded")
		run(b, l, true)
	})
}
