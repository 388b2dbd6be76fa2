// Package redisclient holds the go-redis client settings that packages
// cache and ratelimit share: a slow or dead Redis must cost a caller a
// bounded time, and their circuit breakers, not go-redis, retry.
//
//	rdb := redis.NewUniversalClient(redisclient.Bounded(cfg.Redis, cfg.OpTimeout, cfg.DialTimeout))
package redisclient

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounded returns a copy of o in which every wait for Redis is bounded:
// ContextTimeoutEnabled is set, so a call's context bounds it too; a dial
// takes at most dialTimeout and is not retried (the caller's breaker and
// its probe retry instead); a read, a write and a wait for a pooled
// connection take at most opTimeout each. A failed call is retried once,
// after 1 to 5ms, on a fresh connection: after Redis restarts, pooled
// connections fail once each. go-redis does not retry a call that timed
// out, so a script is not run twice for one call that Redis was merely
// slow to answer. The other fields of o (addresses, credentials, TLS,
// pool sizes) are kept. o is not modified.
func Bounded(o *redis.UniversalOptions, opTimeout, dialTimeout time.Duration) *redis.UniversalOptions {
	c := *o
	c.ContextTimeoutEnabled = true
	c.DialTimeout = dialTimeout
	c.DialerRetries = 1
	c.ReadTimeout = opTimeout
	c.WriteTimeout = opTimeout
	c.PoolTimeout = opTimeout
	c.MaxRetries = 1
	c.MinRetryBackoff = time.Millisecond
	c.MaxRetryBackoff = 5 * time.Millisecond
	return &c
}

// Ping asks rdb whether it answers. On a Redis Cluster every master must
// answer (each is asked, at once), since the keys of a master that does
// not are out of reach; the error names the first that failed. A single
// server or a Sentinel-managed master answers for itself.
func Ping(ctx context.Context, rdb redis.UniversalClient) error {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return rdb.Ping(ctx).Err()
	}
	return cc.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
		if err := master.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("cluster master %s: %w", master.Options().Addr, err)
		}
		return nil
	})
}
