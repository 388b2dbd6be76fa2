package dynamic

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

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

// PlanCacheReaddAfterEviction runs the sequence of a request that looked
// up an operation's entry, saw it evicted, and added a plan to it: it
// returns the cache's bytes after the entry was forgotten again, which
// must be 0.
func PlanCacheReaddAfterEviction() int {
	c := newPlanCache(1 << 20)
	k := planKey{schema: 1}
	ops := &operationPlans{cacheable: true, source: 100}
	p := &plan{}
	c.add(k, ops, "t", p)
	c.forget(1)
	c.add(k, ops, "f", p) // the same ops, looked up before the forget
	c.forget(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// PlanCacheFlood adds plans of n distinct operations of schema 1 to a
// shared cache that holds one of schema 2 first, and returns how many of
// each schema's operations it then holds.
func PlanCacheFlood(n int) (flooder, other int) {
	c := newPlanCache(64 << 10) // room for 400 operations' entries
	c.add(planKey{schema: 2, op: &ast.OperationDefinition{}}, &operationPlans{cacheable: true}, "", &plan{})
	for range n {
		c.add(planKey{schema: 1, op: &ast.OperationDefinition{}}, &operationPlans{cacheable: true}, "", &plan{})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return countSchemas(c.lru.Keys(), func(k planKey) uint64 { return k.schema })
}

// IntrospectionCacheFlood stores n distinct responses of schema 1 in a
// cache that holds one of schema 2 first, and returns how many of each
// schema's responses it then holds.
func IntrospectionCacheFlood(n int) (flooder, other int) {
	c := newResponseCache(64 << 10) // room for about 400 small entries
	c.add(&responseKey{schema: 2, query: "{ __typename }"}, []byte(`{}`))
	for i := range n {
		c.add(&responseKey{schema: 1, query: "{ __type(name: \"T" + strconv.Itoa(i) + "\") { name } }"}, []byte(`{}`))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return countSchemas(c.lru.Keys(), func(k responseKey) uint64 { return k.schema })
}

// countSchemas counts the keys of schema 1 and of the others.
func countSchemas[K any](keys []K, schema func(K) uint64) (one, others int) {
	for _, k := range keys {
		if schema(k) == 1 {
			one++
		} else {
			others++
		}
	}
	return one, others
}

// CanonicalInt32 is canonicalInt32, for the black-box tests.
var CanonicalInt32 = canonicalInt32
