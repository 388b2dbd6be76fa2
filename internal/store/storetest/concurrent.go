package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// testConcurrentWriters runs writers and readers at once (run it with
// -race). Concurrent updates of one goods must not lose each other's
// extension keys: each Update is one atomic merge.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const (
		workers = 8
		rounds  = 15
	)
	shared := create(t, s, tenantA, store.NewGoods{Name: "shared", Price: 0})

	errs := make(chan error, workers*rounds*4)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ctx := t.Context()
			for r := range rounds {
				g, err := s.Create(ctx, tenantA, store.NewGoods{
					Name:  fmt.Sprintf("w%d-%d", w, r),
					Price: float64(r),
					Ext:   map[string]any{"worker": w},
				})
				if err != nil {
					errs <- fmt.Errorf("create: %w", err)
					continue
				}
				if _, err := s.Update(ctx, tenantA, g.ID, store.GoodsPatch{Price: ptr(float64(r + 1))}); err != nil {
					errs <- fmt.Errorf("update own: %w", err)
				}
				key := fmt.Sprintf("w%d", w)
				if _, err := s.Update(ctx, tenantA, shared.ID, store.GoodsPatch{Ext: map[string]any{key: r}}); err != nil {
					errs <- fmt.Errorf("update shared: %w", err)
				}
				if _, err := s.List(ctx, tenantA, store.ListParams{First: 5, OrderBy: []store.Order{{Field: store.SortUpdatedAt, Desc: true}}}); err != nil {
					errs <- fmt.Errorf("list: %w", err)
				}
				if _, err := s.Get(ctx, tenantA, shared.ID); err != nil {
					errs <- fmt.Errorf("get: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	n, err := s.Count(t.Context(), tenantA, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 1+workers*rounds, n)
	n, err = s.Count(t.Context(), tenantA, store.Filter{Price: store.FloatRange{Gte: ptr(1.0)}})
	require.NoError(t, err)
	require.Equal(t, workers*rounds, n, "every update of its own goods applied")

	got := get(t, s, tenantA, shared.ID)
	want := map[string]any{}
	for w := range workers {
		want[fmt.Sprintf("w%d", w)] = float64(rounds - 1)
	}
	require.Equal(t, want, got.Ext, "no update lost another's key")
	require.True(t, got.UpdatedAt.After(shared.UpdatedAt))
}
