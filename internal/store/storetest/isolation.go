package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// testTenantIsolation checks that a tenant cannot see or change the goods
// of another, whatever ID or cursor it passes.
func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	var a []*model.Goods
	for _, name := range []string{"apple", "cherry", "date"} {
		a = append(a, create(t, s, tenantA, store.NewGoods{Name: name, Price: 1}))
	}
	b := create(t, s, tenantB, store.NewGoods{Name: "banana", Price: 1})

	for _, g := range a {
		_, err := s.Get(ctx, tenantB, g.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.Update(ctx, tenantB, g.ID, store.GoodsPatch{Name: ptr("stolen"), Ext: map[string]any{"x": 1}})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.Delete(ctx, tenantB, g.ID), store.ErrNotFound)
		require.Equal(t, g, get(t, s, tenantA, g.ID), "A's goods are untouched")
	}
	_, err := s.Get(ctx, tenantA, b.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.Equal(t, []string{b.ID}, ids(listAll(t, s, tenantB, store.ListParams{}, 10)))
	require.Equal(t, ids(a), ids(listAll(t, s, tenantA, store.ListParams{}, 10)))
	for _, c := range []struct {
		tenant string
		filter store.Filter
		want   int
	}{
		{tenantA, store.Filter{}, 3},
		{tenantB, store.Filter{}, 1},
		{"initech", store.Filter{}, 0},
		{tenantA, store.Filter{NameContains: "an"}, 0},
		{tenantB, store.Filter{NameContains: "an"}, 1},
	} {
		n, err := s.Count(ctx, c.tenant, c.filter)
		require.NoError(t, err)
		require.Equal(t, c.want, n, "%s %+v", c.tenant, c.filter)
	}
	require.Empty(t, listAll(t, s, tenantA, store.ListParams{Filter: store.Filter{NameContains: "an"}}, 10))

	// A cursor of B's list, used by A, positions A's list and yields only
	// A's goods. By name, banana sorts between apple and cherry.
	for _, order := range [][]store.Order{nil, {{Field: store.SortName}}} {
		page, err := s.List(ctx, tenantB, store.ListParams{First: 1, OrderBy: order})
		require.NoError(t, err)
		require.Len(t, page.Edges, 1)
		got := listAll(t, s, tenantA, store.ListParams{OrderBy: order, After: page.Edges[0].Cursor}, 2)
		for _, g := range got {
			require.Contains(t, ids(a), g.ID)
		}
		if order != nil {
			require.Equal(t, ids(a[1:]), ids(got), "cherry and date sort after banana")
		}
	}
}
