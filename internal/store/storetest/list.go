package storetest

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

func names(goods []*model.Goods) []string {
	out := make([]string, len(goods))
	for i, g := range goods {
		out[i] = g.Name
	}
	return out
}

func testFilter(t *testing.T, s store.Store) {
	var all []*model.Goods
	for _, in := range []struct {
		name  string
		price float64
	}{
		{"Red Apple", 1.5},
		{"green apple", 2},
		{"APPLE pie", 3},
		{"Banana", 0},
		{"100% juice", -1},
		{"100X juice", 4},
		{"snake_case", 10},
		{"snakeXcase", 6},
		{`back\slash`, 2},
		{"backslash", 8},
		{"Äpfel", 5},
		{"plain", 7.25},
	} {
		all = append(all, create(t, s, tenantA, store.NewGoods{Name: in.name, Price: in.price}))
	}
	create(t, s, tenantB, store.NewGoods{Name: "apple of B", Price: 2})

	check := func(f store.Filter, want []string) {
		t.Helper()
		got := listAll(t, s, tenantA, store.ListParams{Filter: f, OrderBy: []store.Order{{Field: store.SortName}}}, 5)
		slices.Sort(want)
		require.Equal(t, want, names(got), "%+v", f)
		n, err := s.Count(t.Context(), tenantA, f)
		require.NoError(t, err)
		require.Equal(t, len(want), n, "Count(%+v)", f)
	}

	t.Run("name", func(t *testing.T) {
		apples := []string{"Red Apple", "green apple", "APPLE pie"}
		for contains, want := range map[string][]string{
			"apple": apples,
			"APPLE": apples,
			"pPl":   apples,
			"äpfel": {"Äpfel"},
			"ÄPFEL": {"Äpfel"},
			"0%":    {"100% juice"},
			"%":     {"100% juice"},
			"e_c":   {"snake_case"},
			"_":     {"snake_case"},
			`k\s`:   {`back\slash`},
			`\`:     {`back\slash`},
			"zzz":   {},
			"":      names(all),
		} {
			check(store.Filter{NameContains: contains}, want)
		}
	})

	t.Run("price", func(t *testing.T) {
		for _, c := range []struct {
			r    store.FloatRange
			want []string
		}{
			{store.FloatRange{Gt: ptr(2.0)}, []string{"APPLE pie", "100X juice", "snake_case", "snakeXcase", "backslash", "Äpfel", "plain"}},
			{store.FloatRange{Gte: ptr(2.0)}, []string{"green apple", `back\slash`, "APPLE pie", "100X juice", "snake_case", "snakeXcase", "backslash", "Äpfel", "plain"}},
			{store.FloatRange{Lt: ptr(2.0)}, []string{"Red Apple", "Banana", "100% juice"}},
			{store.FloatRange{Lte: ptr(2.0)}, []string{"Red Apple", "Banana", "100% juice", "green apple", `back\slash`}},
			{store.FloatRange{Gt: ptr(0.0), Lt: ptr(3.0)}, []string{"Red Apple", "green apple", `back\slash`}},
			{store.FloatRange{Gte: ptr(2.0), Lte: ptr(2.0)}, []string{"green apple", `back\slash`}},
			{store.FloatRange{Gt: ptr(5.0), Lt: ptr(5.0)}, []string{}},
			{store.FloatRange{Lt: ptr(-0.5)}, []string{"100% juice"}},
		} {
			check(store.Filter{Price: c.r}, c.want)
		}
		check(store.Filter{NameContains: "apple", Price: store.FloatRange{Gte: ptr(2.0)}}, []string{"green apple", "APPLE pie"})
	})

	t.Run("created", func(t *testing.T) {
		// Bounds between stored times (which have microsecond precision)
		// compare as exactly as bounds on them.
		mid := all[5].CreatedAt
		for _, tm := range []time.Time{mid, mid.Add(-time.Nanosecond), mid.Add(500 * time.Nanosecond), mid.Add(time.Microsecond)} {
			for _, r := range []store.TimeRange{
				{Gt: &tm}, {Gte: &tm}, {Lt: &tm}, {Lte: &tm},
				{Gte: &all[2].CreatedAt, Lt: &tm},
				{Gt: &tm, Lte: &all[9].CreatedAt},
			} {
				var want []string
				for _, g := range all {
					c := g.CreatedAt
					if (r.Gt == nil || c.After(*r.Gt)) && (r.Gte == nil || !c.Before(*r.Gte)) &&
						(r.Lt == nil || c.Before(*r.Lt)) && (r.Lte == nil || !c.After(*r.Lte)) {
						want = append(want, g.Name)
					}
				}
				check(store.Filter{CreatedAt: r}, want)
			}
		}
		check(store.Filter{CreatedAt: store.TimeRange{Gt: ptr(time.Now().Add(time.Hour))}}, []string{})
		check(store.Filter{CreatedAt: store.TimeRange{Lt: ptr(time.Now().Add(time.Hour))}}, names(all))
	})
}

func testOrder(t *testing.T, s store.Store) {
	var all []*model.Goods
	for _, in := range []struct {
		name  string
		price float64
	}{
		{"b", 2}, {"B", 2}, {"a", 1}, {"á", 1}, {"a", 3}, {"Z", -1},
		{"ab", 0}, {"", 2}, {"b", 1}, {"A", 3}, {"aa", 2}, {"b", 2},
	} {
		all = append(all, create(t, s, tenantA, store.NewGoods{Name: in.name, Price: in.price}))
	}
	// Updates, in another order than creation, spread updatedAt.
	for _, i := range []int{5, 0, 9, 3, 0} {
		g, err := s.Update(t.Context(), tenantA, all[i].ID, store.GoodsPatch{})
		require.NoError(t, err)
		all[i] = g
	}

	asc := func(f store.SortField) store.Order { return store.Order{Field: f} }
	desc := func(f store.SortField) store.Order { return store.Order{Field: f, Desc: true} }
	orders := [][]store.Order{
		nil,
		{asc(store.SortName), asc(store.SortPrice)},
		{asc(store.SortPrice), desc(store.SortName)},
		{desc(store.SortName), asc(store.SortPrice)},
		{desc(store.SortPrice), asc(store.SortCreatedAt)},
		{desc(store.SortUpdatedAt), asc(store.SortName)},
		{asc(store.SortPrice), asc(store.SortName), desc(store.SortUpdatedAt)},
	}
	for _, f := range []store.SortField{store.SortName, store.SortPrice, store.SortCreatedAt, store.SortUpdatedAt} {
		orders = append(orders, []store.Order{asc(f)}, []store.Order{desc(f)})
	}
	for _, order := range orders {
		want := ids(sorted(all, order))
		for _, pageSize := range []int{100, 1, 2, 5} {
			got := listAll(t, s, tenantA, store.ListParams{OrderBy: order}, pageSize)
			require.Equal(t, want, ids(got), "order %v, pages of %d", order, pageSize)
		}
	}
}

// testPaginationWithInserts checks that goods created between pages cause
// neither duplicates nor skips: keyset pagination continues after the last
// goods seen, wherever new goods land.
func testPaginationWithInserts(t *testing.T, s store.Store) {
	for i, order := range [][]store.Order{
		{{Field: store.SortName}},
		{{Field: store.SortName, Desc: true}},
		nil, // by creation time: new goods come last
	} {
		tenant := fmt.Sprintf("pages-%d", i)
		var initial []*model.Goods
		for i := range 10 {
			initial = append(initial, create(t, s, tenant, store.NewGoods{Name: fmt.Sprintf("m%02d", i), Price: 1}))
		}
		// Names that sort before everything created so far ("!" before
		// letters, decreasing), and after it ("~" after letters, increasing).
		first := func(page int) string { return fmt.Sprintf("!%02d", 99-page) }
		last := func(page int) string { return fmt.Sprintf("~%02d", page) }
		if order != nil && order[0].Desc {
			first, last = last, first
		}

		paginateWithInserts(t, s, tenant, order, initial, func(page int, end store.Edge) (see, notSee []string) {
			// Before the position: never seen; after it: seen later.
			g := create(t, s, tenant, store.NewGoods{Name: last(page), Price: 1})
			see = append(see, g.ID)
			if order == nil {
				return see, nil
			}
			g = create(t, s, tenant, store.NewGoods{Name: first(page), Price: 1})
			notSee = append(notSee, g.ID)
			// The same name as the last goods seen: the ID decides.
			g = create(t, s, tenant, store.NewGoods{Name: end.Node.Name, Price: 1})
			if g.ID > end.Node.ID {
				see = append(see, g.ID)
			} else {
				notSee = append(notSee, g.ID)
			}
			return see, notSee
		})
	}
}

func testInvalidCursor(t *testing.T, s store.Store) {
	for i := range 3 {
		create(t, s, tenantA, store.NewGoods{Name: fmt.Sprint(i), Price: float64(i)})
	}
	byName := []store.Order{{Field: store.SortName}}
	page, err := s.List(t.Context(), tenantA, store.ListParams{OrderBy: byName, First: 1})
	require.NoError(t, err)
	cursor := page.Edges[0].Cursor

	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []struct {
		after string
		order []store.Order
	}{
		{"x", byName},
		{"!!!", byName},
		{"====", byName},
		{b64([]byte("null")), byName},
		{b64([]byte("{}")), byName},
		{b64([]byte("[]")), byName},
		{b64([]byte(`"text"`)), byName},
		{b64([]byte{0xff, 0x00}), byName},
		{cursor + "A", byName},
		{cursor[:len(cursor)/2], byName},
		{base64.URLEncoding.EncodeToString([]byte("{")), byName},
		// A cursor for another order.
		{cursor, nil},
		{cursor, []store.Order{{Field: store.SortName, Desc: true}}},
		{cursor, []store.Order{{Field: store.SortPrice}}},
		{cursor, []store.Order{{Field: store.SortName}, {Field: store.SortPrice}}},
	} {
		_, err := s.List(t.Context(), tenantA, store.ListParams{OrderBy: c.order, First: 10, After: c.after})
		require.ErrorIs(t, err, store.ErrBadCursor, "cursor %q, order %v", c.after, c.order)
	}

	// The cursor still works for its own order.
	page, err = s.List(t.Context(), tenantA, store.ListParams{OrderBy: byName, First: 10, After: cursor})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, names(nodes(page)))
}

func nodes(p *store.Page) []*model.Goods {
	out := make([]*model.Goods, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node
	}
	return out
}

func testFirstZero(t *testing.T, s store.Store) {
	ctx := t.Context()
	page, err := s.List(ctx, tenantA, store.ListParams{First: 0})
	require.NoError(t, err)
	require.NotNil(t, page.Edges)
	require.Empty(t, page.Edges)
	require.False(t, page.HasNextPage, "nothing follows in an empty store")

	create(t, s, tenantA, store.NewGoods{Name: "a", Price: 1})
	create(t, s, tenantA, store.NewGoods{Name: "b", Price: 1})
	page, err = s.List(ctx, tenantA, store.ListParams{First: 0})
	require.NoError(t, err)
	require.Empty(t, page.Edges)
	require.True(t, page.HasNextPage, "goods follow the start")

	full, err := s.List(ctx, tenantA, store.ListParams{First: 2})
	require.NoError(t, err)
	require.Len(t, full.Edges, 2)
	require.False(t, full.HasNextPage)
	for i, want := range []bool{true, false} {
		page, err = s.List(ctx, tenantA, store.ListParams{First: 0, After: full.Edges[i].Cursor})
		require.NoError(t, err)
		require.Empty(t, page.Edges)
		require.Equal(t, want, page.HasNextPage, "goods follow edge %d", i)
	}
}

// testFirstMax checks that every page size is valid, the largest int
// too: limits are the caller's job.
func testFirstMax(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []*model.Goods
	for i := range 3 {
		all = append(all, create(t, s, tenantA, store.NewGoods{Name: fmt.Sprint(i), Price: 1}))
	}
	page, err := s.List(ctx, tenantA, store.ListParams{First: math.MaxInt})
	require.NoError(t, err)
	require.Equal(t, ids(all), ids(nodes(page)))
	require.False(t, page.HasNextPage)
	page, err = s.List(ctx, tenantA, store.ListParams{First: math.MaxInt, After: page.Edges[0].Cursor})
	require.NoError(t, err)
	require.Equal(t, ids(all[1:]), ids(nodes(page)))
	require.False(t, page.HasNextPage)
}

func testListErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.List(ctx, tenantA, store.ListParams{First: -1})
	require.Error(t, err, "negative First")
	_, err = s.List(ctx, tenantA, store.ListParams{First: 1, OrderBy: []store.Order{{Field: "color"}}})
	require.Error(t, err, "unknown sort field")
	require.NotErrorIs(t, err, store.ErrBadCursor)
}

// testNoCursors checks that a page asked for without cursors is the same
// page, with no cursor on its edges.
func testNoCursors(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 5 {
		create(t, s, tenantA, store.NewGoods{Name: fmt.Sprint(i), Price: float64(i)})
	}
	p := store.ListParams{First: 3, OrderBy: []store.Order{{Field: store.SortPrice, Desc: true}}}
	with, err := s.List(ctx, tenantA, p)
	require.NoError(t, err)
	p.NoCursors = true
	without, err := s.List(ctx, tenantA, p)
	require.NoError(t, err)
	require.Equal(t, ids(nodes(with)), ids(nodes(without)))
	require.Equal(t, with.HasNextPage, without.HasNextPage)
	for i, e := range without.Edges {
		require.Empty(t, e.Cursor, "edge %d", i)
		require.NotEmpty(t, with.Edges[i].Cursor, "edge %d", i)
	}
}
