package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/rediskey"
)

// QueryCache is a graphql.Cache[string] for gqlgen's automatic persisted
// queries (extension.AutomaticPersistedQuery): it maps the SHA-256 of a
// query, in lower-case hex, to the query. Entries live in process and in
// Redis, in plain text (queries are not secrets), for Config.QueryTTL,
// renewed in Redis each time an entry is read from there. Entries whose
// key is not the hash of their value are neither stored nor served.
//
// A QueryCache shares its Cache's Redis connections and health: while the
// Cache is degraded it works in process only. Its methods may be called
// concurrently.
//
//	srv.Use(extension.AutomaticPersistedQuery{Cache: c.QueryCache(schemaVersion)})
type QueryCache struct {
	c     *Cache
	scope string // escaped
	local *local
}

var _ graphql.Cache[string] = (*QueryCache)(nil)

// QueryCache returns a QueryCache whose Redis keys are scoped by scope, for
// example a schema version, so that replicas serving different schemas do
// not share persisted queries.
func (c *Cache) QueryCache(scope string) *QueryCache {
	return &QueryCache{c: c, scope: rediskey.Escape(scope), local: newLocal(c.cfg.QueryEntries)}
}

// key returns the Redis key of the query of hash.
func (q *QueryCache) key(hash string) string {
	return q.c.cfg.KeyPrefix + "q:" + q.scope + ":" + hash
}

// Get returns the query of hash, and whether it was found.
func (q *QueryCache) Get(ctx context.Context, hash string) (string, bool) {
	if !isSHA256Hex(hash) {
		return "", false
	}
	now := time.Now()
	if e, fresh := q.local.get("", hash, now); fresh {
		return e.text, true
	}
	c := q.c
	if c.rdb == nil || !c.breaker.Allow() || c.closed.Load() {
		return "", false
	}
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	query, err := c.rdb.GetEx(opCtx, q.key(hash), c.cfg.QueryTTL).Result()
	cancel()
	if isNil(err) {
		c.record(ctx, nil)
		return "", false
	}
	c.record(ctx, err)
	if err != nil || !matches(hash, query) {
		return "", false
	}
	q.put(hash, query, now)
	return query, true
}

// Add stores query as the query of hash, unless hash is not its SHA-256.
func (q *QueryCache) Add(ctx context.Context, hash, query string) {
	if !matches(hash, query) {
		return
	}
	q.put(hash, query, time.Now())
	c := q.c
	if c.rdb == nil || !c.breaker.Allow() || c.closed.Load() {
		return
	}
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	err := c.rdb.Set(opCtx, q.key(hash), query, c.cfg.QueryTTL).Err()
	cancel()
	c.record(ctx, err)
}

func (q *QueryCache) put(hash, query string, now time.Time) {
	expires := now.Add(q.c.cfg.QueryTTL)
	q.local.put("", hash, &entry{text: query, expires: expires, staleUntil: expires})
}

// matches reports whether hash is the SHA-256 of query in lower-case hex.
func matches(hash, query string) bool {
	if !isSHA256Hex(hash) {
		return false
	}
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:]) == hash
}

func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return false
		}
	}
	return true
}
