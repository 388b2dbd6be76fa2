package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
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

// testCheckedUpdates runs pairs of updates of one goods at once, each with
// a Check of a rule across two fields (price >= cost) that either update
// alone keeps but the two together break: one lowers the price, the other
// raises the cost. Each Check must see the goods as the other update left
// them, so one of each pair is refused and the rule holds at the end.
func testCheckedUpdates(t *testing.T, s store.Store) {
	errRule := fmt.Errorf("price must be at least the cost")
	rule := func(g *model.Goods) error {
		cost, _ := g.Ext["cost"].(float64)
		if v, ok := g.Ext["cost"].(int); ok {
			cost = float64(v)
		}
		if g.Price < cost {
			return errRule
		}
		return nil
	}
	for round := range 20 {
		g := create(t, s, tenantA, store.NewGoods{Name: fmt.Sprintf("checked %d", round), Price: 10, Ext: map[string]any{"cost": 5.0}})
		var wg sync.WaitGroup
		results := make([]error, 2)
		patches := []store.GoodsPatch{
			{Price: ptr(6.0), Check: rule},
			{Ext: map[string]any{"cost": 8.0}, Check: rule},
		}
		for i, p := range patches {
			wg.Go(func() {
				_, results[i] = s.Update(t.Context(), tenantA, g.ID, p)
			})
		}
		wg.Wait()
		refused := 0
		for _, err := range results {
			if err != nil {
				require.ErrorIs(t, err, errRule, "round %d", round)
				refused++
			}
		}
		require.Equal(t, 1, refused, "round %d: one of the two updates is refused", round)
		final, err := s.Get(t.Context(), tenantA, g.ID)
		require.NoError(t, err)
		require.NoError(t, rule(final), "round %d: the rule holds", round)
	}

	// A refused update writes nothing.
	g := create(t, s, tenantA, store.NewGoods{Name: "refused", Price: 10})
	_, err := s.Update(t.Context(), tenantA, g.ID, store.GoodsPatch{Price: ptr(1.0), Check: func(*model.Goods) error { return errRule }})
	require.ErrorIs(t, err, errRule)
	after, err := s.Get(t.Context(), tenantA, g.ID)
	require.NoError(t, err)
	require.Equal(t, 10.0, after.Price)
	require.Equal(t, g.UpdatedAt, after.UpdatedAt)

	// Check sees a missing goods as not found, without being called.
	_, err = s.Update(t.Context(), tenantB, g.ID, store.GoodsPatch{Price: ptr(1.0), Check: func(*model.Goods) error {
		t.Error("Check called for another tenant's goods")
		return nil
	}})
	require.ErrorIs(t, err, store.ErrNotFound)
}
