package dynamic

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultIntrospectionCacheBytes is the default of
// Config.IntrospectionCacheBytes: room for about 25 full introspection
// responses of a shipped tenant's schema (30 to 40 KB each).
const DefaultIntrospectionCacheBytes = 1 << 20

// An introspection-only operation is a query whose root fields, after
// @skip and @include and through fragments, are only __schema, __type and
// __typename. Its response depends on nothing but the schema, the
// document, the operation's name and the variables' values: no resolver
// or store is involved, and an Access is not asked about introspection
// fields (their enums, __TypeKind and __DirectiveLocation, are built in,
// which an Access never restricts). So the executable schema keeps the
// responses of such operations, by document, operation name and
// variables, in a small cache of its own, and a repeated one (GraphiQL's
// and codegen's full introspection query) costs a map lookup.
//
// A response is kept only if its operation ran with introspection enabled
// and without an error; one that ran with introspection disabled is neither
// served from the cache nor kept. A schema never changes, so entries need
// no invalidation: the cache goes with its executable schema. Executable
// schemas may instead share one cache (Config.IntrospectionCache), which
// bounds the memory of all of them together: with thousands of tenants, a
// budget per schema would not bound the process.

// IntrospectionCache is a cache of responses to introspection-only
// operations that executable schemas share (Config.IntrospectionCache).
// Entries of one schema are never served to another. It is safe for
// concurrent use.
type IntrospectionCache struct{ c *responseCache }

// NewIntrospectionCache returns a cache whose entries (documents,
// variables and response data) take at most maxBytes together.
func NewIntrospectionCache(maxBytes int) *IntrospectionCache {
	return &IntrospectionCache{c: newResponseCache(maxBytes)}
}

// schemaIDs numbers executable schemas, to tell their entries apart in a
// shared cache without holding on to the schemas.
var schemaIDs atomic.Uint64

// responseKey identifies an introspection-only operation: its document's
// text, its operation name and its variables' values as JSON (map keys
// sorted), empty when it has none.
type responseKey struct {
	schema                      uint64 // ExecutableSchema.id
	query, operation, variables string
}

// entryOverhead is what an entry costs beyond its key's and data's bytes
// (the list element, map slot and headers), counted so that many small
// entries, such as __type queries with endless distinct names, stay
// within the budget too.
const entryOverhead = 160

func (k *responseKey) size() int {
	return len(k.query) + len(k.operation) + len(k.variables) + entryOverhead
}

// responseCache is a least-recently-used cache of response data whose
// keys and data take at most max bytes. It is safe for concurrent use.
type responseCache struct {
	max          int
	hits, misses atomic.Uint64

	mu    sync.Mutex
	lru   *simplelru.LRU[responseKey, []byte]
	bytes int
	// keys are each schema's entries, oldest first (see add).
	keys schemaKeys[responseKey]
}

// maxSchemaResponses bounds the responses one schema keeps, so that in a
// cache schemas share one tenant's stream of distinct introspection
// queries (endless __type names, say) cannot push out the others'.
const maxSchemaResponses = 32

func newResponseCache(max int) *responseCache {
	c := &responseCache{max: max, keys: make(schemaKeys[responseKey])}
	// The budget bounds the entries; the LRU's own bound is only the most
	// entries that could fit.
	c.lru, _ = simplelru.NewLRU(max/entryOverhead+1, func(k responseKey, data []byte) {
		c.bytes -= k.size() + len(data)
		c.keys.remove(k.schema, k)
	})
	return c
}

// get returns the data stored for k.
func (c *responseCache) get(k *responseKey) ([]byte, bool) {
	c.mu.Lock()
	data, ok := c.lru.Get(*k)
	c.mu.Unlock()
	return data, ok
}

// add stores data for k, evicting the least recently used entries beyond
// the budget. Data larger than half the budget is not kept: one response
// must not flush all others.
func (c *responseCache) add(k *responseKey, data []byte) {
	size := k.size() + len(data)
	if size > c.max/2 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(*k) {
		return // a concurrent request stored it
	}
	if oldest, full := c.keys.full(k.schema, maxSchemaResponses); full {
		c.lru.Remove(oldest) // the schema's oldest makes room
	}
	c.lru.Add(*k, data)
	c.keys.add(k.schema, *k)
	c.bytes += size
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

// IntrospectionCacheStats is what the cache of responses to
// introspection-only operations of an ExecutableSchema served and holds.
type IntrospectionCacheStats struct {
	// Hits counts the introspection-only operations answered from the
	// cache, Misses those executed.
	Hits, Misses uint64
	// Entries is the number of responses held, and Bytes the memory they
	// take as the budget counts it: their documents, variables and data,
	// and an estimate of each entry's overhead.
	Entries, Bytes int
}

// IntrospectionCacheStats returns what the schema's cache of responses
// to introspection-only operations served and holds (all schemas' that
// share it, for a Config.IntrospectionCache): zero if it is off or no such
// operation ran yet.
func (e *ExecutableSchema) IntrospectionCacheStats() IntrospectionCacheStats {
	c := e.cache.Load()
	if c == nil {
		return IntrospectionCacheStats{}
	}
	return c.stats()
}

// Stats returns what the cache served and holds.
func (c *IntrospectionCache) Stats() IntrospectionCacheStats { return c.c.stats() }

func (c *responseCache) stats() IntrospectionCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return IntrospectionCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: c.lru.Len(), Bytes: c.bytes}
}

// responses returns the schema's response cache, made on first use, so
// that a schema never introspected costs nothing. The cache must be on
// (cacheBytes > 0).
func (e *ExecutableSchema) responses() *responseCache {
	if c := e.cache.Load(); c != nil {
		return c
	}
	e.cache.CompareAndSwap(nil, newResponseCache(e.cacheBytes))
	return e.cache.Load()
}

// executeCached is execute for an introspection-only operation of key k:
// the cached data when there is some, else the data of executing it,
// cached when it had no error.
func (e *ExecutableSchema) executeCached(ctx context.Context, oc *graphql.OperationContext, root *objectType, c *responseCache, k *responseKey) []byte {
	if data, ok := c.get(k); ok && ctx.Err() == nil {
		c.hits.Add(1)
		return data
	}
	c.misses.Add(1)
	data := e.execute(ctx, oc, root)
	if graphql.GetErrors(ctx) == nil {
		c.add(k, data)
	}
	return data
}

// introspectionKey returns the cache key of oc's operation, and false if
// the operation is not introspection-only or its response must not come
// from the cache: introspection is disabled, or the operation context
// was not made from a document's text.
func (e *ExecutableSchema) introspectionKey(oc *graphql.OperationContext) (responseKey, bool) {
	if oc.Operation.Operation != ast.Query || oc.DisableIntrospection || oc.RawQuery == "" || oc.Doc == nil ||
		!introspectionOnly(oc, oc.Operation.SelectionSet, 0) {
		return responseKey{}, false
	}
	k := responseKey{schema: e.id, query: oc.RawQuery, operation: oc.OperationName}
	if len(oc.Variables) > 0 {
		vars, err := json.Marshal(oc.Variables)
		if err != nil {
			return responseKey{}, false
		}
		k.variables = string(vars)
	}
	return k, true
}

// maxFragmentNesting bounds how deep introspectionOnly follows fragments
// within fragments; deeper root selections are not cached. Validation
// refuses cycles, but this needs no trust in it.
const maxFragmentNesting = 16

// introspectionOnly reports whether the selection set sel of the query
// root selects only __schema, __type and __typename, leaving out what
// @skip and @include exclude with oc's variables, through fragments and
// inline fragments. Type conditions are not looked at: a fragment's fields
// count even where it does not apply, which can only keep an operation
// out of the cache.
func introspectionOnly(oc *graphql.OperationContext, sel ast.SelectionSet, nesting int) bool {
	if nesting > maxFragmentNesting {
		return false
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !included(s.Directives, oc.Variables) {
				continue
			}
			if s.Name != "__schema" && s.Name != "__type" && s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if included(s.Directives, oc.Variables) && !introspectionOnly(oc, s.SelectionSet, nesting+1) {
				return false
			}
		case *ast.FragmentSpread:
			if !included(s.Directives, oc.Variables) {
				continue
			}
			f := s.Definition
			if f == nil {
				f = oc.Doc.Fragments.ForName(s.Name)
			}
			if f == nil || !introspectionOnly(oc, f.SelectionSet, nesting+1) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// included reports whether @skip and @include among ds leave their
// selection in, as graphql.CollectFields decides it; an "if" argument that
// is no boolean leaves it in.
func included(ds ast.DirectiveList, vars map[string]any) bool {
	if len(ds) == 0 {
		return true
	}
	if d := ds.ForName("skip"); d != nil {
		if b, ok := ifArgument(d, vars); ok && b {
			return false
		}
	}
	if d := ds.ForName("include"); d != nil {
		if b, ok := ifArgument(d, vars); ok && !b {
			return false
		}
	}
	return true
}

// ifArgument returns the value of d's "if" argument, and false if it has
// none or it is no boolean.
func ifArgument(d *ast.Directive, vars map[string]any) (value, ok bool) {
	arg := d.Arguments.ForName("if")
	if arg == nil {
		return false, false
	}
	v, err := arg.Value.Value(vars)
	if err != nil {
		return false, false
	}
	value, ok = v.(bool)
	return value, ok
}
