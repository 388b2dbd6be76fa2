package cache

import "sync/atomic"

// Stats are counters of a Cache's lookups since it was created.
type Stats struct {
	// LocalHits counts the calls of Get answered by a fresh in-process
	// copy.
	LocalHits uint64
	// RedisHits counts the resolutions answered by Redis.
	RedisHits uint64
	// StaleHits counts the resolutions answered by a stale in-process
	// copy while Redis could not be reached.
	StaleHits uint64
	// Loads counts the resolutions that called the source (misses).
	Loads uint64
}

// stats are the atomic counters behind Stats.
type stats struct {
	local, redis, stale, loads atomic.Uint64
}

// Stats returns the counters of the cache's lookups. Concurrent calls of
// Get that share one resolution count it once.
func (c *Cache) Stats() Stats {
	return Stats{
		LocalHits: c.stats.local.Load(),
		RedisHits: c.stats.redis.Load(),
		StaleHits: c.stats.stale.Load(),
		Loads:     c.stats.loads.Load(),
	}
}
