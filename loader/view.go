package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/tenantgraph/tenantgraph/internal/authz"
)

// DefaultMaxViews is the default of Options.MaxViews.
const DefaultMaxViews = 32

// View is what one caller of a tenant is served: the tenant's runtime, or
// a runtime of the tenant's schema without what the caller may not use.
type View struct {
	// Runtime serves the caller's requests. Its Schema is what the
	// caller may see: introspection, validation and /schema.graphql all
	// use it.
	Runtime *Runtime
	// Access is what the caller may not use, for the executor
	// (dynamic.WithAccess), or nil when it may use everything.
	Access *authz.Access
}

// ErrNoAccess is returned by [Tenant.View] when the tenant hides what a
// caller may not use and the caller may use no field of Query: there is
// no schema to serve it.
var ErrNoAccess = errors.New("the token grants no access to any field of the tenant's API")

// View returns what a caller with the grant g of the tenant's Policy is
// served. A caller granted everything gets the tenant's Runtime. Under
// authz.Reject it gets the Runtime too, with an Access that makes what it
// may not use a FORBIDDEN field error. Under authz.Hide it gets a runtime
// of its own view of the schema (authz.Grant.Schema), built on its first
// request and shared with every caller granted the same; the tenant keeps
// at most Options.MaxViews of them, the least recently used going first,
// and a reload, which makes a new Tenant, drops them all.
//
// A view is built holding one of the compile slots of the tenant's
// Registry, as a compile does: callers with many distinct grants take no
// more CPU than a burst of compiles. View waits for a slot as long as it
// takes; ViewContext gives up.
//
// View may be called concurrently; callers asking for a view not built
// yet wait for one build.
func (t *Tenant) View(g authz.Grant) (View, error) {
	return t.ViewContext(context.Background(), g)
}

// ViewContext is View, giving up when ctx is done before the view is
// built: while it waits for a compile slot or for another caller's build
// of the same view. It then returns an error, ctx.Err() says why, and
// nothing is cached for the grant. A build under way is not stopped: its
// view is cached for the next caller.
func (t *Tenant) ViewContext(ctx context.Context, g authz.Grant) (View, error) {
	if g.All() {
		return View{Runtime: t.Runtime}, nil
	}
	access := g.Access()
	if t.Policy.Mode() == authz.Reject {
		return View{Runtime: t.Runtime, Access: access}, nil
	}
	rt, err := t.views.get(ctx, g)
	if err != nil {
		return View{}, err
	}
	return View{Runtime: rt, Access: access}, nil
}

// viewCache holds the view runtimes of one tenant, by grant.
type viewCache struct {
	base  *Runtime
	build func(hash string, s *Schema) *Runtime
	size  int
	// slots are the compile slots of the tenant's Registry.
	slots compileSlots
	// lru is made on first use (cache): most tenants serve no caller a
	// view, and need not hold an empty cache.
	once  sync.Once
	lru   *lru.Cache[string, *Runtime]
	group singleflight.Group
}

func newViewCache(base *Runtime, size int, slots compileSlots, build func(hash string, s *Schema) *Runtime) *viewCache {
	if size <= 0 {
		size = DefaultMaxViews
	}
	return &viewCache{base: base, build: build, size: size, slots: slots}
}

// cache returns the cache of view runtimes, by grant key.
func (c *viewCache) cache() *lru.Cache[string, *Runtime] {
	c.once.Do(func() {
		c.lru, _ = lru.New[string, *Runtime](c.size) // size > 0: no error
	})
	return c.lru
}

// get returns the view runtime of g, or nil and ErrNoAccess, building it
// if the cache holds none.
//
// One caller at a time builds the view of a grant, the leader; those
// asking for it meanwhile, its followers, wait for that build. The leader
// waits for a compile slot with its own ctx, and once it has one builds
// and caches the view whatever becomes of its ctx. A leader whose ctx
// ends before it gets a slot builds nothing, and its followers must not
// fail for a deadline that is not theirs: each whose ctx is live asks
// again, one becoming the new leader. Every caller, leader or follower,
// stops waiting when its own ctx is done.
func (c *viewCache) get(ctx context.Context, g authz.Grant) (*Runtime, error) {
	key := g.Key()
	for {
		if rt, ok := c.cache().Get(key); ok {
			if rt == nil {
				return nil, ErrNoAccess
			}
			return rt, nil
		}
		// DoChan, not Do: a follower waits no longer than its own ctx.
		ch := c.group.DoChan(key, func() (any, error) { return c.buildView(ctx, key, g) })
		var res singleflight.Result
		select {
		case res = <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for a view build: %w", context.Cause(ctx))
		}
		if errors.Is(res.Err, errGaveUp) && ctx.Err() == nil {
			continue // the leader gave up waiting for a slot
		}
		if res.Err != nil {
			return nil, fmt.Errorf("build view: %w", res.Err)
		}
		rt := res.Val.(*Runtime)
		if rt == nil {
			return nil, ErrNoAccess
		}
		return rt, nil
	}
}

// buildView builds and caches the view of g, holding a compile slot taken
// with ctx. It caches nil when g has no view (ErrNoAccess), and nothing
// when it gives up (errGaveUp) or fails.
func (c *viewCache) buildView(ctx context.Context, key string, g authz.Grant) (rt *Runtime, err error) {
	defer func() {
		// DoChan runs buildView on a goroutine of its own, where a panic
		// would end the process: it is the callers' error instead.
		if p := recover(); p != nil {
			rt, err = nil, fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if rt, ok := c.cache().Get(key); ok {
		return rt, nil
	}
	if err := c.slots.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.slots.release()
	ast, ok := g.Schema()
	if !ok {
		c.cache().Add(key, nil)
		return nil, nil
	}
	sum := sha256.Sum256([]byte(c.base.Hash + "\x00" + key))
	hash := hex.EncodeToString(sum[:])
	rt = c.build(hash, c.base.Schema.view(ast))
	c.cache().Add(key, rt)
	return rt, nil
}

// Len returns the number of views the cache holds, leaving out the grants
// it remembers to have none.
func (c *viewCache) Len() int {
	n := 0
	for _, rt := range c.cache().Values() {
		if rt != nil {
			n++
		}
	}
	return n
}

// Views returns the number of views of its schema the tenant holds, for
// operators.
func (t *Tenant) Views() int {
	if t.views == nil {
		return 0
	}
	return t.views.Len()
}
