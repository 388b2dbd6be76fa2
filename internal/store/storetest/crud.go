package storetest

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

func testCreateGet(t *testing.T, s store.Store) {
	start := time.Now()
	g := create(t, s, tenantA, store.NewGoods{
		Name:        "Widget",
		Price:       9.5,
		Description: ptr("A widget"),
		Ext: map[string]any{
			"categoryCode": "A1",
			"taxRate":      0.2,
			"count":        3, // an int: stored as JSON, read back as float64
			"tags":         []string{"x", "y"},
			"dims":         map[string]any{"w": 1, "unit": "cm"},
			"none":         nil,
		},
	})
	id, err := uuid.Parse(g.ID)
	require.NoError(t, err)
	require.Equal(t, uuid.Version(7), id.Version(), "IDs are UUIDv7")
	require.Equal(t, "Widget", g.Name)
	require.Equal(t, 9.5, g.Price)
	require.Equal(t, ptr("A widget"), g.Description)
	require.Equal(t, map[string]any{
		"categoryCode": "A1",
		"taxRate":      0.2,
		"count":        float64(3),
		"tags":         []any{"x", "y"},
		"dims":         map[string]any{"w": float64(1), "unit": "cm"},
		"none":         nil,
	}, g.Ext)
	// The database's clock may be another machine's: allow for skew.
	require.WithinRange(t, g.CreatedAt, start.Add(-time.Minute), time.Now().Add(time.Minute))

	require.Equal(t, g, get(t, s, tenantA, g.ID))

	plain := create(t, s, tenantA, store.NewGoods{Name: "Plain", Price: 0})
	require.Nil(t, plain.Description)
	require.Equal(t, map[string]any{}, plain.Ext)
	require.Equal(t, plain, get(t, s, tenantA, plain.ID))

	empty := create(t, s, tenantA, store.NewGoods{Name: "", Price: -1, Description: ptr(""), Ext: map[string]any{}})
	require.Equal(t, ptr(""), empty.Description)
	require.Equal(t, empty, get(t, s, tenantA, empty.ID))

	require.NotEqual(t, g.ID, plain.ID)
}

// testCopies checks that a store shares no memory with its callers.
func testCopies(t *testing.T, s store.Store) {
	desc := "original"
	in := store.NewGoods{
		Name:        "Widget",
		Price:       1,
		Description: &desc,
		Ext:         map[string]any{"a": "x", "nested": map[string]any{"k": "v"}, "list": []any{"e"}},
	}
	g := create(t, s, tenantA, in)
	want := get(t, s, tenantA, g.ID)

	// Changing the input changes nothing stored.
	desc = "changed"
	in.Ext["a"] = "changed"
	in.Ext["nested"].(map[string]any)["k"] = "changed"
	in.Ext["list"].([]any)[0] = "changed"
	require.Equal(t, want, get(t, s, tenantA, g.ID))

	// Nor does changing what Create, Get, List and Update return.
	mutate := func(g *model.Goods) {
		*g.Description = "changed"
		g.Ext["a"] = "changed"
		g.Ext["nested"].(map[string]any)["k"] = "changed"
		g.Ext["list"].([]any)[0] = "changed"
		g.Ext["added"] = true
		g.Name = "changed"
	}
	mutate(g)
	require.Equal(t, want, get(t, s, tenantA, g.ID))
	mutate(get(t, s, tenantA, g.ID))
	require.Equal(t, want, get(t, s, tenantA, g.ID))
	page, err := s.List(t.Context(), tenantA, store.ListParams{First: 10})
	require.NoError(t, err)
	require.Len(t, page.Edges, 1)
	mutate(page.Edges[0].Node)
	require.Equal(t, want, get(t, s, tenantA, g.ID))

	patch := store.GoodsPatch{Ext: map[string]any{"b": map[string]any{"k": "v"}}}
	updated, err := s.Update(t.Context(), tenantA, g.ID, patch)
	require.NoError(t, err)
	want = get(t, s, tenantA, g.ID)
	require.Equal(t, want, updated)
	patch.Ext["b"].(map[string]any)["k"] = "changed"
	mutate(updated)
	require.Equal(t, want, get(t, s, tenantA, g.ID))
}

func testUpdate(t *testing.T, s store.Store) {
	g := create(t, s, tenantA, store.NewGoods{
		Name:        "Widget",
		Price:       10,
		Description: ptr("A widget"),
		Ext:         map[string]any{"a": 1, "b": "x"},
	})

	// update applies p and checks the result against want, which it
	// updates from prev: the timestamps are checked, not predicted.
	prev := g
	update := func(name string, p store.GoodsPatch, want model.Goods) {
		t.Helper()
		got, err := s.Update(t.Context(), tenantA, g.ID, p)
		require.NoError(t, err, name)
		requireWellFormed(t, got)
		require.True(t, got.UpdatedAt.After(prev.UpdatedAt), "%s: updatedAt increases: %v then %v", name, prev.UpdatedAt, got.UpdatedAt)
		require.Equal(t, g.CreatedAt, got.CreatedAt, "%s: createdAt does not change", name)
		want.ID, want.CreatedAt, want.UpdatedAt = g.ID, g.CreatedAt, got.UpdatedAt
		require.Equal(t, &want, got, name)
		require.Equal(t, got, get(t, s, tenantA, g.ID), "%s: Get returns what Update did", name)
		prev = got
	}

	update("name only", store.GoodsPatch{Name: ptr("Gadget")}, model.Goods{
		Name: "Gadget", Price: 10, Description: ptr("A widget"), Ext: map[string]any{"a": 1.0, "b": "x"},
	})
	update("price only", store.GoodsPatch{Price: ptr(12.25)}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("A widget"), Ext: map[string]any{"a": 1.0, "b": "x"},
	})
	update("description without SetDescription is ignored", store.GoodsPatch{Description: ptr("ignored")}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("A widget"), Ext: map[string]any{"a": 1.0, "b": "x"},
	})
	update("clear description", store.GoodsPatch{SetDescription: true}, model.Goods{
		Name: "Gadget", Price: 12.25, Ext: map[string]any{"a": 1.0, "b": "x"},
	})
	update("set description", store.GoodsPatch{SetDescription: true, Description: ptr("New")}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("New"), Ext: map[string]any{"a": 1.0, "b": "x"},
	})
	update("merge ext", store.GoodsPatch{Ext: map[string]any{"b": "y", "c": true, "d": []any{1, "two"}}}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("New"),
		Ext: map[string]any{"a": 1.0, "b": "y", "c": true, "d": []any{1.0, "two"}},
	})
	update("remove ext keys", store.GoodsPatch{Ext: map[string]any{"a": nil, "missing": nil, "c": false}}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("New"),
		Ext: map[string]any{"b": "y", "c": false, "d": []any{1.0, "two"}},
	})
	update("replace nested value", store.GoodsPatch{Ext: map[string]any{"d": map[string]any{"x": nil}}}, model.Goods{
		Name: "Gadget", Price: 12.25, Description: ptr("New"),
		Ext: map[string]any{"b": "y", "c": false, "d": map[string]any{"x": nil}},
	})
	update("all fields", store.GoodsPatch{
		Name: ptr(""), Price: ptr(-0.5), SetDescription: true, Description: ptr(""), Ext: map[string]any{"b": nil, "c": nil, "d": nil},
	}, model.Goods{
		Name: "", Price: -0.5, Description: ptr(""), Ext: map[string]any{},
	})
	update("empty patch sets updatedAt only", store.GoodsPatch{}, model.Goods{
		Name: "", Price: -0.5, Description: ptr(""), Ext: map[string]any{},
	})
	// Updates in quick succession still have increasing updatedAt.
	for range 5 {
		update("quick succession", store.GoodsPatch{}, model.Goods{
			Name: "", Price: -0.5, Description: ptr(""), Ext: map[string]any{},
		})
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	keep := create(t, s, tenantA, store.NewGoods{Name: "Keep", Price: 1})
	g := create(t, s, tenantA, store.NewGoods{Name: "Gone", Price: 2})

	require.NoError(t, s.Delete(ctx, tenantA, g.ID))
	_, err := s.Get(ctx, tenantA, g.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, tenantA, g.ID), store.ErrNotFound)
	_, err = s.Update(ctx, tenantA, g.ID, store.GoodsPatch{Name: ptr("Back")})
	require.ErrorIs(t, err, store.ErrNotFound)

	n, err := s.Count(ctx, tenantA, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{keep.ID}, ids(listAll(t, s, tenantA, store.ListParams{}, 10)))
	require.Equal(t, keep, get(t, s, tenantA, keep.ID))
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, tenantA, store.NewGoods{Name: "Widget", Price: 1})
	for _, id := range []string{uuid.NewString(), uuid.Must(uuid.NewV7()).String(), uuid.Nil.String()} {
		_, err := s.Get(ctx, tenantA, id)
		require.ErrorIs(t, err, store.ErrNotFound, id)
		_, err = s.Update(ctx, tenantA, id, store.GoodsPatch{Name: ptr("x")})
		require.ErrorIs(t, err, store.ErrNotFound, id)
		require.ErrorIs(t, s.Delete(ctx, tenantA, id), store.ErrNotFound, id)
	}
}

// testMalformedID checks that IDs that are not UUIDs name no goods: they
// are ErrNotFound, never another error.
func testMalformedID(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := create(t, s, tenantA, store.NewGoods{Name: "Widget", Price: 1})
	for _, id := range []string{
		"",
		"1",
		"not-a-uuid",
		g.ID + "0",
		g.ID[:35],
		"{" + g.ID + "}",
		"urn:uuid:" + g.ID,
		strings.ReplaceAll(g.ID, "-", ""),
		strings.Replace(g.ID, "-", "_", 1),
		"' OR 1=1 --",
		g.ID[:35] + "\x00",
		g.ID[:35] + "\xff",
	} {
		_, err := s.Get(ctx, tenantA, id)
		require.ErrorIs(t, err, store.ErrNotFound, "%q", id)
		_, err = s.Update(ctx, tenantA, id, store.GoodsPatch{Name: ptr("x")})
		require.ErrorIs(t, err, store.ErrNotFound, "%q", id)
		require.ErrorIs(t, s.Delete(ctx, tenantA, id), store.ErrNotFound, "%q", id)
	}
	require.Equal(t, g, get(t, s, tenantA, g.ID))

	// Hexadecimal digits are case-insensitive, as Postgres reads a uuid.
	require.Equal(t, g, get(t, s, tenantA, strings.ToUpper(g.ID)))
}

// testUnstorable checks that both stores refuse what Postgres cannot
// store, rather than one storing it and the other failing.
func testUnstorable(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := create(t, s, tenantA, store.NewGoods{Name: "Widget", Price: 1})
	for name, in := range map[string]store.NewGoods{
		"NaN price":           {Name: "x", Price: math.NaN()},
		"infinite price":      {Name: "x", Price: math.Inf(1)},
		"NUL in name":         {Name: "x\x00y"},
		"invalid UTF-8 name":  {Name: "x\xffy"},
		"NUL in description":  {Name: "x", Description: ptr("\x00")},
		"NUL in ext value":    {Name: "x", Ext: map[string]any{"a": "\x00"}},
		"NUL in ext key":      {Name: "x", Ext: map[string]any{"a\x00": "b"}},
		"NaN in ext":          {Name: "x", Ext: map[string]any{"a": math.NaN()}},
		"unencodable ext":     {Name: "x", Ext: map[string]any{"a": make(chan int)}},
		"NUL in nested value": {Name: "x", Ext: map[string]any{"a": []any{map[string]any{"b": "\x00"}}}},
	} {
		_, err := s.Create(ctx, tenantA, in)
		require.Error(t, err, name)
		require.False(t, errors.Is(err, store.ErrNotFound), name)
	}
	for name, p := range map[string]store.GoodsPatch{
		"NaN price":          {Price: ptr(math.NaN())},
		"NUL in name":        {Name: ptr("\x00")},
		"NUL in description": {SetDescription: true, Description: ptr("\x00")},
		"NUL in ext":         {Ext: map[string]any{"a": "\x00"}},
	} {
		_, err := s.Update(ctx, tenantA, g.ID, p)
		require.Error(t, err, name)
	}
	_, err := s.Create(ctx, "", store.NewGoods{Name: "x"})
	require.Error(t, err, "empty tenant ID")
	_, err = s.Count(ctx, tenantA, store.Filter{NameContains: "\x00"})
	require.Error(t, err, "NUL in filter")
	_, err = s.Count(ctx, tenantA, store.Filter{Price: store.FloatRange{Lt: ptr(math.NaN())}})
	require.Error(t, err, "NaN in filter")

	require.Equal(t, g, get(t, s, tenantA, g.ID), "failed updates change nothing")
	n, err := s.Count(ctx, tenantA, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 1, n, "failed creates store nothing")
}

func testPing(t *testing.T, s store.Store) {
	require.NoError(t, s.Ping(t.Context()))
}
