package dynamic

import (
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultPlanCacheBytes is the default of Config.PlanCacheBytes: room for
// the plans of some 30 operations of a shipped tenant's schema (goods by
// ID plan in about 1.3 KB, a page of goods in about 3 KB).
const DefaultPlanCacheBytes = 64 << 10

// Planning an operation (collecting its fields, coercing their arguments,
// building the plans of the types below) costs about as much as executing
// it over a few values, and a client repeats the same few operations. So
// the executable schema keeps the plans of recent operations, by
// operation, and a repeated operation starts executing at once.
//
// gqlgen's query cache hands out the same parsed and validated document,
// so the same *ast.OperationDefinition, for the same query text: that
// pointer keys the cache, with the schema's ID. A plan depends on the
// operation, the schema, and the variables in two ways:
//
//   - @skip and @include (and any directive of a selection) whose
//     arguments refer to variables decide which fields are collected:
//     the plans of such an operation are kept by the values of those
//     variables, which must be booleans or null (else nothing is cached);
//   - arguments that refer to variables are coerced by each execution
//     (fieldArgs), with the errors of a fresh plan; arguments of literals
//     alone are coerced once, in the plan.
//
// Plans of a caller with an Access are neither cached nor served from the
// cache: an Access is made per request (authz.Grant.Access), so it cannot
// key the cache, and it changes the plan (forbidden fields).
//
// The cache is made on first use and bounded by Config.PlanCacheBytes,
// least recently used first out; the bytes are an estimate of the plans'
// memory when they were cached (the plans of interface and union
// selections, built on demand, are not counted). A plan larger than half
// the budget is not kept (the full introspection query's is about 43 KB;
// a page of goods', about 3 KB). A kept plan holds its
// document, which gqlgen's query cache may have let go of: at most what
// the plans of one budget refer to. With thousands of tenants, a budget
// per schema does not bound the process: executable schemas may share
// one cache instead (Config.PlanCache, a PlanCache), whose budget bounds
// them all.

// PlanCache is a cache of execution plans that executable schemas share
// (Config.PlanCache), within one budget. Plans of one schema are never
// served to another. It is safe for concurrent use.
type PlanCache struct{ c *planCache }

// NewPlanCache returns a cache whose plans take at most maxBytes
// together, as estimated.
func NewPlanCache(maxBytes int) *PlanCache {
	return &PlanCache{c: newPlanCache(maxBytes)}
}

// planKey identifies an operation of a schema in a plan cache. The
// operation alone would do (each schema has its own query cache, so its
// own documents); the schema makes sure.
type planKey struct {
	schema uint64 // ExecutableSchema.id
	op     *ast.OperationDefinition
}

// maxSchemaOperations bounds the operations one schema keeps plans of,
// so that in a cache schemas share (one per tenant and role view) one
// tenant's stream of distinct operations cannot push out the others'.
// Clients repeat a few operations; 64 is more than an app sends.
const maxSchemaOperations = 64

// maxPlanVariants bounds the plans kept for one operation, by the
// values of the variables its directives refer to.
const maxPlanVariants = 8

// maxConditionVariables bounds the variables that directives of an
// operation may refer to for its plans to be cached.
const maxConditionVariables = 16

// operationOverhead is what an operation's entry costs beyond its plans
// (the entry, the list element and map slot).
const operationOverhead = 160

// planCache holds the plans of recent operations, by operation. It is
// safe for concurrent use.
type planCache struct {
	max          int
	hits, misses atomic.Uint64

	mu    sync.Mutex
	lru   *simplelru.LRU[planKey, *operationPlans]
	bytes int
	// keys are each schema's cached operations, oldest first (see add
	// and forget).
	keys schemaKeys[planKey]
}

// operationPlans are the cached plans of one operation.
type operationPlans struct {
	// vars are the variables that directives of the operation's
	// selections refer to, and cacheable whether there are few enough
	// (maxConditionVariables). Both are set once, before the entry is
	// shared.
	vars      []string
	cacheable bool
	// plans are the root plans by the values of vars (see key), under
	// the cache's mu, and bytes their estimated size. tooLarge marks an
	// operation whose plan is not kept, being larger than half the
	// budget: it is planned for each execution, without looking for
	// the variables of its directives again.
	plans    map[string]*plan
	bytes    int
	tooLarge bool
	// source is the size of the operation's document text, which the
	// entry keeps alive through its key: charged to the budget too.
	source int
}

func newPlanCache(max int) *planCache {
	c := &planCache{max: max, keys: make(schemaKeys[planKey])}
	c.lru, _ = simplelru.NewLRU(max/operationOverhead+1, func(k planKey, ops *operationPlans) {
		c.bytes -= ops.bytes + operationOverhead + ops.source
		// A request that looked ops up before its eviction may add it
		// again (add): it comes back empty, charged for what it then
		// holds. (Only vars and cacheable are read outside c.mu.)
		ops.plans, ops.bytes, ops.tooLarge = nil, 0, false
		c.keys.remove(k.schema, k)
	})
	return c
}

// forget drops the plans of the schema id, which can run no more
// operations: in a cache that schemas share, they would otherwise keep
// the schema's types alive, past the eviction of its tenant from memory,
// until other plans pushed them out.
func (c *planCache) forget(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.keys.of(id) {
		c.lru.Remove(k)
	}
}

// plans returns the schema's plan cache, made on first use, so that a
// schema that never executes costs nothing; nil if it is off.
func (e *ExecutableSchema) plans() *planCache {
	if e.planBytes <= 0 {
		return nil
	}
	if c := e.planCache.Load(); c != nil {
		return c
	}
	e.planCache.CompareAndSwap(nil, newPlanCache(e.planBytes))
	return e.planCache.Load()
}

// plan returns the plan of ex's operation on the root type root: the
// cached one, or a new one, cached if it can be.
func (e *ExecutableSchema) plan(ex *execution, root *objectType) *plan {
	c := e.plans()
	if c == nil || ex.access != nil {
		return ex.newPlan(root, ex.oc.Operation.SelectionSet, true)
	}
	op := ex.oc.Operation
	k := planKey{e.id, op}
	var buf [maxConditionVariables]byte
	c.mu.Lock()
	ops, found := c.lru.Get(k)
	if found && ops.tooLarge {
		c.mu.Unlock()
		c.misses.Add(1)
		return ex.newPlan(root, op.SelectionSet, true)
	}
	if found {
		if key, ok := ops.key(ex.oc.Variables, &buf); ok {
			if p := ops.plans[string(key)]; p != nil {
				c.mu.Unlock()
				c.hits.Add(1)
				// The plans of abstract selections, built on demand, are
				// shared too.
				ex.shared = true
				return p
			}
		}
	}
	c.mu.Unlock()
	c.misses.Add(1)

	if !found {
		ops = newOperationPlans(ex.oc)
	}
	key, ok := ops.key(ex.oc.Variables, &buf)
	if !ok {
		return ex.newPlan(root, op.SelectionSet, true)
	}
	ex.shared = true
	p := ex.newPlan(root, op.SelectionSet, true)
	c.add(k, ops, string(key), p)
	return p
}

// add keeps p, the plan of the operation k for the condition key key,
// whose entry is ops unless one is cached already.
func (c *planCache) add(k planKey, ops *operationPlans, key string, p *plan) {
	size := p.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.lru.Get(k); ok {
		ops = cached
	} else {
		if operationOverhead+ops.source > c.max/2 {
			return // its document alone would take half the budget
		}
		if oldest, full := c.keys.full(k.schema, maxSchemaOperations); full {
			// The schema's oldest operation makes room: a client
			// sending ever new operations replaces its own plans, not
			// those of the tenants sharing the cache.
			c.lru.Remove(oldest)
		}
		c.lru.Add(k, ops)
		c.keys.add(k.schema, k)
		c.bytes += operationOverhead + ops.source
	}
	if size+operationOverhead+ops.source > c.max/2 {
		// One operation must not flush all others; its entry alone is
		// kept, marked.
		ops.tooLarge = true
		c.evict()
		return
	}
	if ops.tooLarge || ops.plans[key] != nil || len(ops.plans) >= maxPlanVariants {
		return
	}
	if ops.plans == nil {
		ops.plans = make(map[string]*plan, 1)
	}
	ops.plans[key] = p
	ops.bytes += size
	c.bytes += size
	c.evict()
}

// evict drops the least recently used operations while the cache is over
// its budget, under c.mu.
func (c *planCache) evict() {
	for c.bytes > c.max && c.lru.Len() > 1 {
		c.lru.RemoveOldest()
	}
}

// newOperationPlans returns an entry, with no plans, for the operation
// of oc.
func newOperationPlans(oc *graphql.OperationContext) *operationPlans {
	var vars []string
	directiveVariables(oc.Doc, oc.Operation.SelectionSet, map[string]bool{}, &vars)
	slices.Sort(vars)
	vars = slices.Compact(vars)
	return &operationPlans{vars: vars, cacheable: len(vars) <= maxConditionVariables, source: len(oc.RawQuery)}
}

// directiveVariables appends to vars the variables that the arguments of
// directives of sel refer to, through fragments (each once, by name, as
// in seen).
func directiveVariables(doc *ast.QueryDocument, sel ast.SelectionSet, seen map[string]bool, vars *[]string) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			appendDirectiveVariables(s.Directives, vars)
			directiveVariables(doc, s.SelectionSet, seen, vars)
		case *ast.InlineFragment:
			appendDirectiveVariables(s.Directives, vars)
			directiveVariables(doc, s.SelectionSet, seen, vars)
		case *ast.FragmentSpread:
			appendDirectiveVariables(s.Directives, vars)
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			f := s.Definition
			if f == nil && doc != nil {
				f = doc.Fragments.ForName(s.Name)
			}
			if f != nil {
				appendDirectiveVariables(f.Directives, vars)
				directiveVariables(doc, f.SelectionSet, seen, vars)
			}
		}
	}
}

func appendDirectiveVariables(ds ast.DirectiveList, vars *[]string) {
	for _, d := range ds {
		for _, a := range d.Arguments {
			appendVariables(a.Value, vars)
		}
	}
}

func appendVariables(v *ast.Value, vars *[]string) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		*vars = append(*vars, v.Raw)
	}
	for _, c := range v.Children {
		appendVariables(c.Value, vars)
	}
}

// key returns the condition key of the variables' values vars: a byte
// per variable of ops.vars, 't' for true, 'f' for false, 'n' for null
// (or not given), written in buf. It returns false if the plans of the
// operation are not cached, or a variable has another value, such as a
// string.
func (ops *operationPlans) key(vars map[string]any, buf *[maxConditionVariables]byte) ([]byte, bool) {
	if !ops.cacheable {
		return nil, false
	}
	for i, name := range ops.vars {
		switch vars[name] {
		case true:
			buf[i] = 't'
		case false:
			buf[i] = 'f'
		case nil:
			buf[i] = 'n'
		default:
			return nil, false
		}
	}
	return buf[:len(ops.vars)], true
}

// size returns an estimate of the memory of p and the plans below it,
// as built (abstract plans are built later).
func (p *plan) size() int {
	n := int(unsafe.Sizeof(*p)) + cap(p.fields)*int(unsafe.Sizeof(planField{}))
	for i := range p.fields {
		pf := &p.fields[i]
		n += len(pf.key) + len(pf.args)*argSize
		if pf.child != nil {
			n += pf.child.size()
		}
		if pf.abstract != nil {
			n += int(unsafe.Sizeof(*pf.abstract))
		}
	}
	for _, bp := range p.batches {
		n += int(unsafe.Sizeof(*bp)) + cap(bp.fields)*int(unsafe.Sizeof(graphql.CollectedField{}))
	}
	return n
}

// argSize is an estimate of the memory of a coerced argument: its map
// slot and a small value.
const argSize = 64
