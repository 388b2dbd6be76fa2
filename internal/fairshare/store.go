package fairshare

import (
	"context"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// Store returns s with a share of its connections per tenant: a call holds
// one of its tenant's slots of l for its duration, and a tenant has
// limits.FromContext(ctx).MaxConcurrent slots (no bound without limits in
// ctx). A call over its tenant's share waits, as long as its context
// lasts, behind the tenant's other calls, while other tenants' calls go
// ahead: a request with 30 aliases of goodsList can't hold every
// connection of the pool.
//
// l should bound no total (New(0)): the store's pool does that.
func Store(s store.Store, l *Limiter) store.Store {
	return &sharedStore{Store: s, l: l}
}

type sharedStore struct {
	store.Store
	l *Limiter
}

// acquire takes one of the tenant's connection slots.
func (s *sharedStore) acquire(ctx context.Context, tenantID string) (Slot, error) {
	limit := 0
	if lim := limits.FromContext(ctx); lim != nil {
		limit = lim.MaxConcurrent
	}
	return s.l.Acquire(ctx, tenantID, limit, -1)
}

// call runs f holding one of the tenant's connection slots.
func call[T any](s *sharedStore, ctx context.Context, tenantID string, f func() (T, error)) (T, error) {
	slot, err := s.acquire(ctx, tenantID)
	if err != nil {
		var zero T
		return zero, err
	}
	defer slot.Release()
	return f()
}

func (s *sharedStore) Get(ctx context.Context, tenantID, id string) (*model.Goods, error) {
	return call(s, ctx, tenantID, func() (*model.Goods, error) { return s.Store.Get(ctx, tenantID, id) })
}

func (s *sharedStore) List(ctx context.Context, tenantID string, p store.ListParams) (*store.Page, error) {
	return call(s, ctx, tenantID, func() (*store.Page, error) { return s.Store.List(ctx, tenantID, p) })
}

func (s *sharedStore) Count(ctx context.Context, tenantID string, f store.Filter) (int, error) {
	return call(s, ctx, tenantID, func() (int, error) { return s.Store.Count(ctx, tenantID, f) })
}

func (s *sharedStore) Create(ctx context.Context, tenantID string, in store.NewGoods) (*model.Goods, error) {
	return call(s, ctx, tenantID, func() (*model.Goods, error) { return s.Store.Create(ctx, tenantID, in) })
}

func (s *sharedStore) Update(ctx context.Context, tenantID, id string, p store.GoodsPatch) (*model.Goods, error) {
	return call(s, ctx, tenantID, func() (*model.Goods, error) { return s.Store.Update(ctx, tenantID, id, p) })
}

func (s *sharedStore) Delete(ctx context.Context, tenantID, id string) error {
	_, err := call(s, ctx, tenantID, func() (struct{}, error) { return struct{}{}, s.Store.Delete(ctx, tenantID, id) })
	return err
}
