package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
// View may be called concurrently; callers asking for a view not built
// yet wait for one build.
func (t *Tenant) View(g authz.Grant) (View, error) {
	if g.All() {
		return View{Runtime: t.Runtime}, nil
	}
	access := g.Access()
	if t.Policy.Mode() == authz.Reject {
		return View{Runtime: t.Runtime, Access: access}, nil
	}
	rt, err := t.views.get(g)
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
	// lru is made on first use (cache): most tenants serve no caller a
	// view, and need not hold an empty cache.
	once  sync.Once
	lru   *lru.Cache[string, *Runtime]
	group singleflight.Group
}

func newViewCache(base *Runtime, size int, build func(hash string, s *Schema) *Runtime) *viewCache {
	if size <= 0 {
		size = DefaultMaxViews
	}
	return &viewCache{base: base, build: build, size: size}
}

// cache returns the cache of view runtimes, by grant key.
func (c *viewCache) cache() *lru.Cache[string, *Runtime] {
	c.once.Do(func() {
		c.lru, _ = lru.New[string, *Runtime](c.size) // size > 0: no error
	})
	return c.lru
}

func (c *viewCache) get(g authz.Grant) (*Runtime, error) {
	key := g.Key()
	if rt, ok := c.cache().Get(key); ok {
		if rt == nil {
			return nil, ErrNoAccess
		}
		return rt, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		if rt, ok := c.cache().Get(key); ok {
			return rt, nil
		}
		ast, ok := g.Schema()
		if !ok {
			c.cache().Add(key, nil)
			return (*Runtime)(nil), nil
		}
		sum := sha256.Sum256([]byte(c.base.Hash + "\x00" + key))
		hash := hex.EncodeToString(sum[:])
		rt := c.build(hash, c.base.Schema.view(ast))
		c.cache().Add(key, rt)
		return rt, nil
	})
	if err != nil {
		return nil, fmt.Errorf("build view: %w", err)
	}
	rt := v.(*Runtime)
	if rt == nil {
		return nil, ErrNoAccess
	}
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
