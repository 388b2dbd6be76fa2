package cache

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgraph/tenantgraph/internal/rediskey"
)

// errUnavailable stands for a Redis the cache does not ask: the breaker is
// open, or the cache is closed.
var errUnavailable = errors.New("cache: redis skipped while unavailable")

// Envelope kinds: the first byte of a sealed entry's plaintext.
const (
	kindValue    = 1
	kindNotFound = 2
)

// valueKey returns the Redis key of key in ns. The braces make ns a hash
// tag: a namespace's keys live in one Redis Cluster slot, so they can be
// read and deleted together.
func (c *Cache) valueKey(ns, key string) string {
	return c.cfg.KeyPrefix + "v:{" + rediskey.Escape(ns) + "}:" + key
}

// genKey returns the Redis key of ns's generation.
func (c *Cache) genKey(ns string) string {
	return c.cfg.KeyPrefix + "g:{" + rediskey.Escape(ns) + "}"
}

// channel returns the invalidation channel.
func (c *Cache) channel() string { return c.cfg.KeyPrefix + "invalidations" }

// genTTL returns the TTL of a generation key: longer than any entry's, so
// it does not expire under live entries (writes renew it).
func (c *Cache) genTTL() time.Duration {
	return 2 * max(c.cfg.NegativeTTL, time.Duration(float64(c.cfg.RedisTTL)*(1+c.cfg.TTLJitter)))
}

// newGen returns a new generation: random, so a generation that expired
// and was created again never matches the entries of the old one.
func newGen() string { return strconv.FormatUint(rand.Uint64(), 36) }

// encodeEntry returns the plaintext of e as stored under generation gen:
// kind, length of gen, gen, value.
func encodeEntry(e *entry, gen string) []byte {
	kind := byte(kindValue)
	if e.notFound {
		kind = kindNotFound
	}
	b := make([]byte, 0, 2+len(gen)+len(e.value))
	b = append(b, kind, byte(len(gen)))
	b = append(b, gen...)
	return append(b, e.value...)
}

// decodeEntry parses what encodeEntry returns.
func decodeEntry(b []byte) (e *entry, gen string, ok bool) {
	if len(b) < 2 || len(b) < 2+int(b[1]) {
		return nil, "", false
	}
	gen = string(b[2 : 2+int(b[1])])
	switch b[0] {
	case kindValue:
		return &entry{value: b[2+int(b[1]):]}, gen, true
	case kindNotFound:
		if len(b) != 2+int(b[1]) {
			return nil, "", false
		}
		return &entry{notFound: true}, gen, true
	}
	return nil, "", false
}

// fetch reads key of ns from Redis. It returns the entry, or nil on a miss,
// and the namespace's current generation, under which a value loaded now
// may be stored. It returns an error when Redis is unavailable.
func (c *Cache) fetch(ctx context.Context, ns, key string) (*entry, string, error) {
	if !c.breaker.Allow() || c.closed.Load() {
		return nil, "", errUnavailable
	}
	vk, gk := c.valueKey(ns, key), c.genKey(ns)
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	vals, err := c.rdb.MGet(opCtx, gk, vk).Result()
	cancel()
	c.record(ctx, err)
	if err != nil {
		return nil, "", err
	}
	gen, _ := vals[0].(string)
	raw, _ := vals[1].(string)
	if gen == "" {
		// A new namespace, or an idle one whose generation expired. Any
		// value predates the new generation.
		gen, err = c.createGen(ctx, gk)
		return nil, gen, err
	}
	if raw == "" {
		return nil, gen, nil
	}
	plain, err := c.cfg.Sealer.Open([]byte(raw), vk)
	var e *entry
	var egen string
	if err == nil {
		var ok bool
		if e, egen, ok = decodeEntry(plain); !ok {
			err = errors.New("cache: malformed entry")
		}
	}
	if err != nil {
		c.dropBroken(ctx, ns, vk, err)
		return nil, gen, nil
	}
	if egen != gen {
		// Stored before the namespace was invalidated.
		return nil, gen, nil
	}
	c.setLocalTimes(e, time.Now())
	return e, gen, nil
}

// createGen gives the namespace of generation key gk a generation unless it
// has one, and returns the generation it has.
func (c *Cache) createGen(ctx context.Context, gk string) (string, error) {
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	pipe := c.rdb.Pipeline()
	pipe.SetNX(opCtx, gk, newGen(), c.genTTL())
	get := pipe.Get(opCtx, gk)
	_, err := pipe.Exec(opCtx)
	if errors.Is(err, redis.Nil) {
		err = nil // expired at once; store nothing this time
	}
	c.record(ctx, err)
	if err != nil {
		return "", err
	}
	return get.Val(), nil
}

// dropBroken deletes an entry that cannot be opened or decoded: it was
// sealed under another master key, or altered. It is never served.
func (c *Cache) dropBroken(ctx context.Context, ns, vk string, cause error) {
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	err := c.rdb.Del(opCtx, vk).Err()
	cancel()
	c.record(ctx, err)
	if ok, suppressed := c.openFailures.allow(time.Now()); ok {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "cache: dropped a Redis entry that cannot be opened (another master key, or altered)",
			slog.String("namespace", ns), slog.Any("error", cause), slog.Int("suppressed", suppressed))
	}
}

// store writes e to Redis as the value of key in ns under generation gen,
// sealed, with a TTL, and renews the generation's TTL.
func (c *Cache) store(ctx context.Context, ns, key, gen string, e *entry) {
	if !c.breaker.Allow() || c.closed.Load() {
		return
	}
	vk, gk := c.valueKey(ns, key), c.genKey(ns)
	ttl := c.jitter(c.cfg.RedisTTL)
	if e.notFound {
		ttl = c.cfg.NegativeTTL
	}
	sealed := c.cfg.Sealer.Seal(encodeEntry(e, gen), vk)
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	pipe := c.rdb.Pipeline()
	pipe.Set(opCtx, vk, sealed, ttl)
	pipe.PExpire(opCtx, gk, c.genTTL())
	_, err := pipe.Exec(opCtx)
	c.record(ctx, err)
}

// isNil reports whether err is Redis's answer that a key does not exist.
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
