package gateway

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
)

// lazyLRU is a graphql.Cache holding up to size entries, the least
// recently used going first, that makes its LRU on the first Add: of
// many tenants resident on a replica most serve few requests, and need
// not hold empty caches. Its methods may be called concurrently.
type lazyLRU[T any] struct {
	size int
	lru  atomic.Pointer[lru.LRU[T]]
}

var _ graphql.Cache[any] = (*lazyLRU[any])(nil)

// newLazyLRU returns a lazyLRU of size entries; it panics if size is not
// positive, as lru.New does.
func newLazyLRU[T any](size int) *lazyLRU[T] {
	if size <= 0 {
		panic("gateway: cache size must be positive")
	}
	return &lazyLRU[T]{size: size}
}

// Get looks up key's value.
func (c *lazyLRU[T]) Get(ctx context.Context, key string) (value T, ok bool) {
	if l := c.lru.Load(); l != nil {
		return l.Get(ctx, key)
	}
	return value, false
}

// Add adds key's value.
func (c *lazyLRU[T]) Add(ctx context.Context, key string, value T) {
	l := c.lru.Load()
	if l == nil {
		c.lru.CompareAndSwap(nil, lru.New[T](c.size))
		l = c.lru.Load()
	}
	l.Add(ctx, key, value)
}
