package dynamic

// PlanCacheStats returns what e's plan cache served and holds: its hits
// and misses, the operations it holds plans of and their estimated
// bytes.
func PlanCacheStats(e *ExecutableSchema) (hits, misses uint64, operations, bytes int) {
	c := e.planCache.Load()
	if c == nil {
		return 0, 0, 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits.Load(), c.misses.Load(), c.lru.Len(), c.bytes
}

// SharedPlanCacheStats returns the operations c holds plans of and their
// estimated bytes.
func SharedPlanCacheStats(c *PlanCache) (operations, bytes int) {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	return c.c.lru.Len(), c.c.bytes
}
