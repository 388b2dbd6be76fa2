// Package storetest is the conformance suite of store.Store. Every Store
// implementation runs it, so that all of them behave alike:
//
//	func TestMemory(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return store.NewMemory(nil)
//		})
//	}
package storetest

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// The tenants of the suite. Every test has a new, empty store, so they are
// the only tenants in it.
const (
	tenantA = "acme"
	tenantB = "globex"
)

// Run runs the conformance suite against the stores that newStore makes,
// one per subtest. newStore must return a new, empty store; Run closes it
// when the subtest ends. The subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CopiesInAndOut", testCopies},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"MalformedID", testMalformedID},
		{"Unstorable", testUnstorable},
		{"TenantIsolation", testTenantIsolation},
		{"Filter", testFilter},
		{"Order", testOrder},
		{"PaginationWithInserts", testPaginationWithInserts},
		{"InvalidCursor", testInvalidCursor},
		{"FirstZero", testFirstZero},
		{"FirstMax", testFirstMax},
		{"NoCursors", testNoCursors},
		{"ListErrors", testListErrors},
		{"ExtValues", testExtValues},
		{"ExtUnstorable", testExtUnstorable},
		{"ExtFilter", testExtFilter},
		{"ExtFilterErrors", testExtFilterErrors},
		{"ExtOrder", testExtOrder},
		{"ExtPaginationWithInserts", testExtPaginationWithInserts},
		{"ExtCursor", testExtCursor},
		{"ConcurrentWriters", testConcurrentWriters},
		{"CheckedUpdates", testCheckedUpdates},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(s.Close)
			tt.test(t, s)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// create creates goods and checks what every new goods must satisfy.
func create(t *testing.T, s store.Store, tenantID string, in store.NewGoods) *model.Goods {
	t.Helper()
	g, err := s.Create(t.Context(), tenantID, in)
	require.NoError(t, err)
	requireWellFormed(t, g)
	require.Equal(t, g.CreatedAt, g.UpdatedAt, "new goods: updatedAt = createdAt")
	return g
}

// requireWellFormed checks what is true of every goods a store returns.
func requireWellFormed(t *testing.T, g *model.Goods) {
	t.Helper()
	require.NotNil(t, g)
	id, err := uuid.Parse(g.ID)
	require.NoError(t, err, "ID is a UUID")
	require.Equal(t, id.String(), g.ID, "ID is canonical")
	require.NotNil(t, g.Ext, "Ext is never nil")
	for _, tm := range []time.Time{g.CreatedAt, g.UpdatedAt} {
		require.Equal(t, time.UTC, tm.Location(), "times are UTC")
		require.Equal(t, tm.Truncate(time.Microsecond), tm, "times have microsecond precision")
	}
	require.False(t, g.UpdatedAt.Before(g.CreatedAt), "updatedAt >= createdAt")
}

func get(t *testing.T, s store.Store, tenantID, id string) *model.Goods {
	t.Helper()
	g, err := s.Get(t.Context(), tenantID, id)
	require.NoError(t, err)
	requireWellFormed(t, g)
	return g
}

// listAll lists every goods of p, pageSize at a time, and checks the pages.
func listAll(t *testing.T, s store.Store, tenantID string, p store.ListParams, pageSize int) []*model.Goods {
	t.Helper()
	p.First = pageSize
	var all []*model.Goods
	for range 10000 {
		page, err := s.List(t.Context(), tenantID, p)
		require.NoError(t, err)
		require.NotNil(t, page.Edges)
		require.LessOrEqual(t, len(page.Edges), pageSize)
		for _, e := range page.Edges {
			require.NotEmpty(t, e.Cursor)
			requireWellFormed(t, e.Node)
			all = append(all, e.Node)
		}
		if !page.HasNextPage {
			return all
		}
		require.Len(t, page.Edges, pageSize, "a page before the last is full")
		p.After = page.Edges[len(page.Edges)-1].Cursor
	}
	t.Fatal("listAll: too many pages")
	return nil
}

// paginateWithInserts lists the goods of tenant in order, three at a time,
// and after each page but the last calls insert with the page's number and
// last edge. insert creates goods and returns the IDs of those that later
// pages must show (they sort after the edge) and must not show (before it).
// paginateWithInserts checks that the pages are in order, without
// duplicates, and show every goods of initial and of see and none of
// notSee; it returns see and notSee.
func paginateWithInserts(t *testing.T, s store.Store, tenant string, order []store.Order, initial []*model.Goods,
	insert func(page int, end store.Edge) (see, notSee []string),
) (see, notSee []string) {
	t.Helper()
	var seen []*model.Goods
	p := store.ListParams{OrderBy: order, First: 3}
	for page := 0; ; page++ {
		require.Less(t, page, 100, "too many pages")
		got, err := s.List(t.Context(), tenant, p)
		require.NoError(t, err)
		seen = append(seen, nodes(got)...)
		if !got.HasNextPage {
			break
		}
		end := got.Edges[len(got.Edges)-1]
		p.After = end.Cursor
		pageSee, pageNotSee := insert(page, end)
		see, notSee = append(see, pageSee...), append(notSee, pageNotSee...)
	}

	desc := orderString(order)
	seenIDs := ids(seen)
	require.Equal(t, ids(sorted(seen, order)), seenIDs, "%s: pages are in order", desc)
	require.Len(t, slices.Compact(slices.Sorted(slices.Values(seenIDs))), len(seenIDs), "%s: no duplicates", desc)
	for _, id := range append(ids(initial), see...) {
		require.Contains(t, seenIDs, id, "%s: no skips", desc)
	}
	for _, id := range notSee {
		require.NotContains(t, seenIDs, id, "%s: goods created before the position are not seen", desc)
	}
	return see, notSee
}

func ids(goods []*model.Goods) []string {
	out := make([]string, len(goods))
	for i, g := range goods {
		out[i] = g.ID
	}
	return out
}

// sorted returns goods sorted as List must sort them: by order (by
// creation time when it is empty), then by ID. Names compare by bytes;
// extension fields as extValue and compareExt say.
func sorted(goods []*model.Goods, order []store.Order) []*model.Goods {
	if len(order) == 0 {
		order = []store.Order{{Field: store.SortCreatedAt}}
	}
	out := slices.Clone(goods)
	slices.SortFunc(out, func(a, b *model.Goods) int {
		return compareGoods(a, b, order)
	})
	return out
}

// compareGoods compares a and b as List orders them by order, then by ID.
func compareGoods(a, b *model.Goods, order []store.Order) int {
	for _, o := range order {
		var c int
		switch {
		case o.Ext != nil:
			c = compareExt(extValue(a, *o.Ext), extValue(b, *o.Ext))
		case o.Field == store.SortName:
			c = strings.Compare(a.Name, b.Name)
		case o.Field == store.SortPrice:
			c = cmp.Compare(a.Price, b.Price)
		case o.Field == store.SortCreatedAt:
			c = a.CreatedAt.Compare(b.CreatedAt)
		case o.Field == store.SortUpdatedAt:
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		default:
			panic("unknown sort field " + o.Field)
		}
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}
