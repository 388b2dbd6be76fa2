package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// defaultTokenCacheTTL is the default of VerifierOptions.TokenCacheTTL.
	defaultTokenCacheTTL = 5 * time.Minute
	// maxTokenCacheShards is the most shards a tokenCache is split into.
	maxTokenCacheShards = 16
	// evictionProbes is how many entries a full shard looks at for an
	// expired one to evict before it evicts one at random.
	evictionProbes = 8
)

// tokenKey is the SHA-256 of a raw token. The cache never holds the token.
type tokenKey [sha256.Size]byte

// cachedToken is what the verification of a token produced, and what it
// depended on beyond the token and the Verifier's fixed configuration.
type cachedToken struct {
	claims Claims
	// iss is the unverified iss the token was routed by, looked up again
	// on a hit.
	iss string
	// issuer is the tenant issuer the token was verified against, or nil
	// for the global Config. Its JWKS URL, if it has one, names the set
	// the key came from.
	issuer *TenantIssuer
	// rolesClaim is the claim claims.Roles was read from, looked up again
	// for the tenant on a hit.
	rolesClaim string
	// expires is when the entry stops being used: the token's exp, or
	// sooner.
	expires time.Time
}

// tokenCache is a bounded map from tokens to the claims of their successful
// verification. It is split into shards, each with its own lock and an
// equal share of the capacity. A tokenCache is safe for concurrent use.
//
// Entries are put under an epoch read before verification started, and a
// purge advances the epoch, so that a verification that raced with a purge
// (say of a key that was rotated out) does not put its result back.
type tokenCache struct {
	shards   []tokenShard
	perShard int
	maxTTL   time.Duration
	epoch    atomic.Uint64
}

type tokenShard struct {
	mu sync.Mutex
	m  map[tokenKey]cachedToken
}

// newTokenCache returns a cache of at most size entries, each kept at most
// maxTTL.
func newTokenCache(size int, maxTTL time.Duration) *tokenCache {
	n := min(size, maxTokenCacheShards)
	c := &tokenCache{
		shards:   make([]tokenShard, n),
		perShard: size / n,
		maxTTL:   maxTTL,
	}
	for i := range c.shards {
		c.shards[i].m = make(map[tokenKey]cachedToken)
	}
	return c
}

func hashToken(raw string) tokenKey {
	return sha256.Sum256([]byte(raw))
}

func (c *tokenCache) shard(k tokenKey) *tokenShard {
	return &c.shards[binary.LittleEndian.Uint64(k[:8])%uint64(len(c.shards))]
}

// get returns the entry of k if there is one that has not expired at now.
func (c *tokenCache) get(k tokenKey, now time.Time) (cachedToken, bool) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if !ok {
		return cachedToken{}, false
	}
	if !now.Before(e.expires) {
		delete(s.m, k)
		return cachedToken{}, false
	}
	return e, true
}

// begin returns the epoch to pass to put for a verification starting now.
func (c *tokenCache) begin() uint64 { return c.epoch.Load() }

// put caches e under k, until e.claims.ExpiresAt but at most maxTTL from now,
// unless the cache was purged since epoch was read from begin. A full shard
// evicts an expired entry if it finds one quickly, and a random one if not.
func (c *tokenCache) put(k tokenKey, e cachedToken, epoch uint64, now time.Time) {
	e.expires = e.claims.ExpiresAt
	if limit := now.Add(c.maxTTL); limit.Before(e.expires) {
		e.expires = limit
	}
	if !now.Before(e.expires) {
		return
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if _, ok := s.m[k]; !ok && len(s.m) >= c.perShard {
		s.evict(now)
	}
	s.m[k] = e
}

// evict removes one entry of s. s.mu is held.
func (s *tokenShard) evict(now time.Time) {
	var victim tokenKey
	probes := 0
	for k, e := range s.m { // map order is random
		if probes == 0 {
			victim = k
		}
		if !now.Before(e.expires) {
			victim = k
			break
		}
		if probes++; probes == evictionProbes {
			break
		}
	}
	delete(s.m, victim)
}

// purge removes every entry for which match returns true, and stops
// verifications running now from caching their results.
func (c *tokenCache) purge(match func(*cachedToken) bool) {
	c.epoch.Add(1) // before the sweep: see put
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if match(&e) {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// len returns the number of entries, expired ones included.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// TokenCacheStats are counters of a Verifier's verified-token cache.
type TokenCacheStats struct {
	// Hits counts the tokens answered from the cache.
	Hits uint64
	// Misses counts the tokens verified in full while the cache was on.
	Misses uint64
	// Entries is the number of tokens in the cache now, counting expired
	// ones not yet evicted.
	Entries int
}

// TokenCacheStats returns the counters of v's verified-token cache; all zero
// if v has none.
func (v *Verifier) TokenCacheStats() TokenCacheStats {
	if v.cache == nil {
		return TokenCacheStats{}
	}
	return TokenCacheStats{Hits: v.hits.Load(), Misses: v.misses.Load(), Entries: v.cache.len()}
}

// PurgeTokens empties v's verified-token cache, so that every token is
// verified in full again. Verifications under way when it is called do not
// put their results in the cache.
//
// Call it, or PurgeTenantTokens, when a key that tokens were verified with
// may no longer be trusted while the TenantIssuer that holds it stays the
// same. A Verifier purges by itself the tokens verified with a JWKS key that
// a later fetch of the set no longer has, and never answers from the cache
// a token whose iss now leads to another *TenantIssuer (or none), or whose
// tenant's roles are now read from another claim: a tenant whose auth block
// changed needs no purge if its TenantIssuer is rebuilt, nor one whose
// roles claim changed.
func (v *Verifier) PurgeTokens() {
	if v.cache != nil {
		v.cache.purge(func(*cachedToken) bool { return true })
	}
}

// PurgeTenantTokens removes from v's verified-token cache the tokens whose
// tenant claim is tenantID, whichever issuer they came from. See
// [Verifier.PurgeTokens].
func (v *Verifier) PurgeTenantTokens(tenantID string) {
	if v.cache != nil {
		v.cache.purge(func(e *cachedToken) bool { return e.claims.TenantID == tenantID })
	}
}

// purgeJWKS removes from v's verified-token cache the tokens verified with a
// key of the JWKS at u.
func (v *Verifier) purgeJWKS(u string) {
	if v.cache != nil {
		v.cache.purge(func(e *cachedToken) bool { return e.issuer != nil && e.issuer.cfg.JWKSURL == u })
	}
}
