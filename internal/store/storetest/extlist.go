package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// extT0 is a time the extension data sets are built around.
var extT0 = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

// The extension fields of the list tests, without and with defaults.
var (
	codeKey    = store.ExtKey{Name: "code", Class: extension.ClassString}
	rateKey    = store.ExtKey{Name: "rate", Class: extension.ClassNumber}
	okKey      = store.ExtKey{Name: "ok", Class: extension.ClassBool}
	atKey      = store.ExtKey{Name: "at", Class: extension.ClassTime}
	extKeys    = []store.ExtKey{codeKey, rateKey, okKey, atKey}
	extDefault = map[string]any{
		"code": "B",
		"rate": 0.2,
		"ok":   true,
		"at":   extT0.Add(time.Microsecond).Format(extTimeLayout),
	}
)

// withDefault returns k with its default from extDefault.
func withDefault(k store.ExtKey) store.ExtKey {
	k.Default = extDefault[k.Name]
	return k
}

// extData is the extension values of the goods of the list tests: every
// class with values, duplicates, values of other types (which are null),
// JSON nulls and missing keys (which take the default).
func extData() []map[string]any {
	return []map[string]any{
		{"code": "A1", "rate": 0.1, "ok": true, "at": extT0},
		{"code": "a1", "rate": 0.2, "ok": false, "at": extT0.Add(time.Microsecond)},
		{"code": "B", "rate": 3, "ok": true, "at": extT0.Add(-time.Hour).In(time.FixedZone("X", 5*3600))},
		{"code": "", "rate": -1.5, "ok": false, "at": extT0.Add(1500 * time.Nanosecond)}, // at: the same as the second's
		{"code": "Ä", "rate": 0, "at": extT0.Format(extTimeLayout)},                      // at: the same as the first's
		{"code": "10", "rate": 1e21, "ok": true, "at": time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{"code": "9", "rate": "0.5", "ok": "true", "at": "2024-03-10T12:00:00Z"},
		{"code": 5, "rate": true, "ok": 1, "at": 20240310},
		{"code": nil, "rate": nil, "ok": nil, "at": nil},
		{},
		{"code": []any{"A1"}, "rate": map[string]any{"v": 1}, "ok": []any{true}, "at": time.Time{}},
		{"code": "A1 ", "rate": math.Copysign(0, -1), "ok": false, "at": extT0.Add(time.Hour)},
		{"code": "A1", "rate": -1e-300, "at": "2024-03-10T12:00:00.000000Z\n"},
		{"code": "a", "rate": 0.1, "ok": true, "at": "not a time", "other": "x"},
		{"rate": 0.2, "at": time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
}

// createExtData creates goods with extData for tenant, with repeating
// names and prices for the base sort keys.
func createExtData(t *testing.T, s store.Store, tenant string) []*model.Goods {
	var all []*model.Goods
	for i, ext := range extData() {
		all = append(all, create(t, s, tenant, store.NewGoods{
			Name:  fmt.Sprintf("g%02d", i),
			Price: float64(i % 4),
			Ext:   ext,
		}))
	}
	return all
}

func testExtFilter(t *testing.T, s store.Store) {
	all := createExtData(t, s, tenantA)
	create(t, s, tenantB, store.NewGoods{Name: "B's", Ext: map[string]any{"code": "A1", "rate": 0.1, "ok": true, "at": extT0}})

	// check checks f against the suite's reading of it, and against want
	// (names) where want is not nil.
	check := func(t *testing.T, f store.Filter, want []string) {
		t.Helper()
		require.Empty(t, f.NameContains, "check compares extension conditions only")
		var expected []string
		for _, g := range all {
			match := true
			for _, c := range f.Ext {
				match = match && extMatch(g, c)
			}
			if match {
				expected = append(expected, g.Name)
			}
		}
		if want != nil {
			require.Equal(t, want, expected, "the suite's reading of %+v", f)
		}
		if expected == nil {
			expected = []string{}
		}
		got := listAll(t, s, tenantA, store.ListParams{Filter: f, OrderBy: []store.Order{{Field: store.SortName}}}, 4)
		require.Equal(t, expected, names(got), "List %+v", f)
		n, err := s.Count(t.Context(), tenantA, f)
		require.NoError(t, err)
		require.Equal(t, len(expected), n, "Count %+v", f)
	}
	// checkKey checks the conditions of cs on k, without and with a default.
	checkKey := func(t *testing.T, k store.ExtKey, cs ...store.ExtCondition) {
		t.Helper()
		for _, key := range []store.ExtKey{k, withDefault(k)} {
			for _, c := range cs {
				c.ExtKey = key
				check(t, store.Filter{Ext: []store.ExtCondition{c}}, nil)
			}
		}
	}

	t.Run("string", func(t *testing.T) {
		checkKey(t, codeKey,
			store.ExtCondition{Eq: "A1"}, store.ExtCondition{Eq: ""}, store.ExtCondition{Eq: "B"},
			store.ExtCondition{Eq: "5"}, store.ExtCondition{Eq: "Ä"}, store.ExtCondition{Eq: "a1"},
			store.ExtCondition{In: []any{"A1", "a1", "9"}}, store.ExtCondition{In: []any{}},
			store.ExtCondition{In: []any{"zzz"}}, store.ExtCondition{In: []any{"B", ""}},
			store.ExtCondition{Gt: "A"}, store.ExtCondition{Gte: "B"}, store.ExtCondition{Lt: "a"},
			store.ExtCondition{Lte: "A1"}, store.ExtCondition{Gte: "1", Lt: "B"}, store.ExtCondition{Gt: "a", Lt: "A"},
			store.ExtCondition{Gt: ""}, store.ExtCondition{Gte: ""}, store.ExtCondition{Lt: "\U0010FFFF"},
		)
		// Pin the suite's reading: the number 5 is not "5", and goods
		// without a value match only through the default.
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: codeKey, Eq: "5"}}}, nil)
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: codeKey, Eq: "B"}}}, []string{"g02"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: withDefault(codeKey), Eq: "B"}}}, []string{"g02", "g09", "g14"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: codeKey, Eq: "A1"}}}, []string{"g00", "g12"})
	})

	t.Run("number", func(t *testing.T) {
		checkKey(t, rateKey,
			store.ExtCondition{Eq: 0.1}, store.ExtCondition{Eq: 3.0}, store.ExtCondition{Eq: 0.0},
			store.ExtCondition{Eq: math.Copysign(0, -1)}, store.ExtCondition{Eq: 0.5}, store.ExtCondition{Eq: 1e21},
			store.ExtCondition{In: []any{0.1, 0.2, 1e21}}, store.ExtCondition{In: []any{}}, store.ExtCondition{In: []any{0.30000000000000004}},
			store.ExtCondition{Gt: 0.0}, store.ExtCondition{Gte: 0.1}, store.ExtCondition{Lt: 0.0}, store.ExtCondition{Lte: -1.5},
			store.ExtCondition{Gt: 0.0, Lt: 1.0}, store.ExtCondition{Gt: math.Inf(-1)}, store.ExtCondition{Lt: math.Inf(1)},
			store.ExtCondition{Gte: math.Inf(1)}, store.ExtCondition{Lte: math.Inf(-1)}, store.ExtCondition{Gt: 0.1, Lte: 0.2},
			store.ExtCondition{Gt: -1e-300}, store.ExtCondition{Lt: 5e-324}, store.ExtCondition{Gte: 1e20},
		)
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: rateKey, Eq: 0.1}}}, []string{"g00", "g13"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: rateKey, Eq: 0.5}}}, nil)
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: rateKey, Eq: 3.0}}}, []string{"g02"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: rateKey, Eq: 0.0}}}, []string{"g04", "g11"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: withDefault(rateKey), Eq: 0.2}}}, []string{"g01", "g09", "g14"})
		// A default may be any Go number.
		intDefault := store.ExtKey{Name: "rate", Class: extension.ClassNumber, Default: 1}
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: intDefault, Eq: 1.0}}}, []string{"g09"})
		checkKey(t, intDefault, store.ExtCondition{Gte: 1.0}, store.ExtCondition{Lt: 1.0})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: rateKey, Gt: math.Inf(-1)}}},
			[]string{"g00", "g01", "g02", "g03", "g04", "g05", "g11", "g12", "g13", "g14"})
	})

	t.Run("bool", func(t *testing.T) {
		checkKey(t, okKey,
			store.ExtCondition{Eq: true}, store.ExtCondition{Eq: false},
			store.ExtCondition{In: []any{true}}, store.ExtCondition{In: []any{true, false}}, store.ExtCondition{In: []any{}},
			store.ExtCondition{Gt: false}, store.ExtCondition{Lt: true}, store.ExtCondition{Gte: false}, store.ExtCondition{Lte: false},
		)
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: okKey, Eq: true}}}, []string{"g00", "g02", "g05", "g13"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: withDefault(okKey), Eq: true}}},
			[]string{"g00", "g02", "g04", "g05", "g09", "g12", "g13", "g14"})
	})

	t.Run("time", func(t *testing.T) {
		// Bounds on stored times, between them, and beyond the years a
		// stored time can have.
		var cs []store.ExtCondition
		for _, tm := range []time.Time{
			extT0, extT0.Add(-time.Nanosecond), extT0.Add(500 * time.Nanosecond), extT0.Add(time.Microsecond),
			extT0.Add(1999 * time.Nanosecond), extT0.In(time.FixedZone("Y", -7*3600)),
			time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 999999500, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
			{},
		} {
			cs = append(cs,
				store.ExtCondition{Eq: tm}, store.ExtCondition{Gt: tm}, store.ExtCondition{Gte: tm},
				store.ExtCondition{Lt: tm}, store.ExtCondition{Lte: tm},
				store.ExtCondition{Gte: extT0.Add(-time.Hour), Lt: tm}, store.ExtCondition{Gt: tm, Lte: extT0.Add(time.Hour)},
			)
		}
		cs = append(cs,
			store.ExtCondition{In: []any{extT0, extT0.Add(time.Microsecond)}},
			store.ExtCondition{In: []any{extT0.Add(500 * time.Nanosecond)}},
			store.ExtCondition{In: []any{}},
		)
		checkKey(t, atKey, cs...)
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: atKey, Eq: extT0}}}, []string{"g00", "g04"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: atKey, Eq: extT0.Add(time.Microsecond)}}}, []string{"g01", "g03"})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: withDefault(atKey), Eq: extT0.Add(time.Microsecond)}}}, []string{"g01", "g03", "g09"})
		// A default may be a time.Time, cut to the microsecond.
		timeDefault := store.ExtKey{Name: "at", Class: extension.ClassTime, Default: extT0.Add(1999 * time.Nanosecond).In(time.FixedZone("Z", 3600))}
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: timeDefault, Eq: extT0.Add(time.Microsecond)}}}, []string{"g01", "g03", "g09"})
		checkKey(t, timeDefault, store.ExtCondition{Gt: extT0}, store.ExtCondition{Lte: extT0.Add(time.Microsecond)})
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: atKey, Gt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}},
			[]string{"g00", "g01", "g02", "g03", "g04", "g05", "g10", "g11", "g14"})
	})

	t.Run("combined", func(t *testing.T) {
		for _, f := range []store.Filter{
			{Ext: []store.ExtCondition{{ExtKey: codeKey, Gte: "A"}, {ExtKey: rateKey, Gt: 0.0}}},
			{Ext: []store.ExtCondition{{ExtKey: withDefault(okKey), Eq: true}, {ExtKey: withDefault(atKey), Lte: extT0.Add(time.Microsecond)}}},
			{Ext: []store.ExtCondition{{ExtKey: codeKey, Eq: "A1"}, {ExtKey: codeKey, Eq: "a1"}}},
			{Ext: []store.ExtCondition{{ExtKey: codeKey}}}, // no operator: no condition
			{Ext: []store.ExtCondition{{ExtKey: store.ExtKey{Name: "absent", Class: extension.ClassString}, Lt: "z"}}},
			{Ext: []store.ExtCondition{{ExtKey: store.ExtKey{Name: "other", Class: extension.ClassString}, Eq: "x"}}},
		} {
			check(t, f, nil)
		}
		check(t, store.Filter{Ext: []store.ExtCondition{{ExtKey: codeKey}}}, names(all))
		f := store.Filter{NameContains: "g1", Price: store.FloatRange{Gte: ptr(1.0)}, Ext: []store.ExtCondition{{ExtKey: rateKey, Gte: 0.0}}}
		got := listAll(t, s, tenantA, store.ListParams{Filter: f, OrderBy: []store.Order{{Field: store.SortName}}}, 2)
		require.Equal(t, []string{"g11", "g13", "g14"}, names(got), "-0 >= 0")
	})
}

// testExtFilterErrors checks that conditions and sort keys that do not
// fit their field are refused, as errors of the caller, not bad cursors.
func testExtFilterErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, tenantA, store.NewGoods{Name: "x", Ext: map[string]any{"code": "A"}})
	for name, c := range map[string]store.ExtCondition{
		"string operand of a number":   {ExtKey: rateKey, Eq: "1"},
		"number operand of a string":   {ExtKey: codeKey, Eq: 1.0},
		"string operand of a time":     {ExtKey: atKey, Gt: "2024-03-10T12:00:00.000000Z"},
		"string operand of a bool":     {ExtKey: okKey, Eq: "true"},
		"nil in In":                    {ExtKey: codeKey, In: []any{"A", nil}},
		"NaN":                          {ExtKey: rateKey, Lt: math.NaN()},
		"NUL in a string":              {ExtKey: codeKey, Eq: "A\x00"},
		"invalid UTF-8":                {ExtKey: codeKey, In: []any{"\xff"}},
		"NUL in the name":              {ExtKey: store.ExtKey{Name: "co\x00de", Class: extension.ClassString}, Eq: "A"},
		"class none":                   {ExtKey: store.ExtKey{Name: "code", Class: extension.ClassNone}, Eq: "A"},
		"unknown class":                {ExtKey: store.ExtKey{Name: "code", Class: 99}, Eq: "A"},
		"default of another type":      {ExtKey: store.ExtKey{Name: "rate", Class: extension.ClassNumber, Default: "0.1"}, Eq: 0.1},
		"default time not fixed-width": {ExtKey: store.ExtKey{Name: "at", Class: extension.ClassTime, Default: "2024-03-10T12:00:00Z"}, Eq: extT0},
	} {
		f := store.Filter{Ext: []store.ExtCondition{c}}
		_, err := s.Count(ctx, tenantA, f)
		require.Error(t, err, name)
		_, err = s.List(ctx, tenantA, store.ListParams{Filter: f, First: 1})
		require.Error(t, err, name)
		require.NotErrorIs(t, err, store.ErrBadCursor, name)
	}
	for name, o := range map[string]store.Order{
		"class none":      {Ext: &store.ExtKey{Name: "code"}},
		"bad default":     {Ext: &store.ExtKey{Name: "ok", Class: extension.ClassBool, Default: 1.0}},
		"field and ext":   {Field: store.SortName, Ext: &codeKey},
		"NUL in the name": {Ext: &store.ExtKey{Name: "\x00", Class: extension.ClassString}},
	} {
		_, err := s.List(ctx, tenantA, store.ListParams{OrderBy: []store.Order{o}, First: 1})
		require.Error(t, err, name)
		require.NotErrorIs(t, err, store.ErrBadCursor, name)
	}
}

func extAsc(k store.ExtKey) store.Order  { return store.Order{Ext: &k} }
func extDesc(k store.ExtKey) store.Order { return store.Order{Ext: &k, Desc: true} }

func testExtOrder(t *testing.T, s store.Store) {
	all := createExtData(t, s, tenantA)
	create(t, s, tenantB, store.NewGoods{Name: "B's", Ext: map[string]any{"code": "0"}})

	var orders [][]store.Order
	for _, k := range extKeys {
		for _, key := range []store.ExtKey{k, withDefault(k)} {
			orders = append(orders, []store.Order{extAsc(key)}, []store.Order{extDesc(key)})
		}
	}
	orders = append(orders,
		[]store.Order{extDesc(okKey), {Field: store.SortName}},
		[]store.Order{extAsc(atKey), {Field: store.SortPrice, Desc: true}},
		[]store.Order{extDesc(withDefault(rateKey)), extAsc(codeKey)},
		[]store.Order{{Field: store.SortPrice}, extDesc(withDefault(codeKey))},
		[]store.Order{extAsc(okKey), extDesc(withDefault(atKey)), extAsc(rateKey)},
		[]store.Order{{Field: store.SortPrice, Desc: true}, extAsc(okKey), {Field: store.SortCreatedAt, Desc: true}},
		[]store.Order{extAsc(store.ExtKey{Name: "absent", Class: extension.ClassNumber})},
		[]store.Order{extDesc(store.ExtKey{Name: "absent", Class: extension.ClassNumber, Default: 1})},
		[]store.Order{extAsc(store.ExtKey{Name: "rate", Class: extension.ClassNumber, Default: 1})},
		[]store.Order{extDesc(store.ExtKey{Name: "at", Class: extension.ClassTime, Default: extT0.Add(999 * time.Nanosecond)})},
		[]store.Order{extAsc(codeKey), extAsc(store.ExtKey{Name: "code", Class: extension.ClassNumber})},
	)
	for _, order := range orders {
		want := sorted(all, order)
		for _, pageSize := range []int{100, 1, 2, 3, 5} {
			got := listAll(t, s, tenantA, store.ListParams{OrderBy: order, First: pageSize}, pageSize)
			require.Equal(t, names(want), names(got), "order %s, pages of %d", orderString(order), pageSize)
		}
	}

	// Pin the suite's reading on one order: null first, then the values.
	got := listAll(t, s, tenantA, store.ListParams{OrderBy: []store.Order{extAsc(okKey), {Field: store.SortName}}}, 100)
	require.Equal(t, []string{
		"g04", "g06", "g07", "g08", "g09", "g10", "g12", "g14", // null
		"g01", "g03", "g11", // false
		"g00", "g02", "g05", "g13", // true
	}, names(got))
	got = listAll(t, s, tenantA, store.ListParams{OrderBy: []store.Order{extDesc(withDefault(okKey)), {Field: store.SortName}}}, 100)
	require.Equal(t, []string{
		"g00", "g02", "g04", "g05", "g09", "g12", "g13", "g14", // true, or missing
		"g01", "g03", "g11", // false
		"g06", "g07", "g08", "g10", // null
	}, names(got))
}

// orderString describes an order in failure messages.
func orderString(order []store.Order) string {
	s := ""
	for _, o := range order {
		f := string(o.Field)
		if o.Ext != nil {
			f = fmt.Sprintf("ext %s (class %d, default %v)", o.Ext.Name, o.Ext.Class, o.Ext.Default)
		}
		if o.Desc {
			f += " desc"
		}
		s += f + "; "
	}
	return s
}

// testExtPaginationWithInserts checks keyset pagination through orders
// by extension fields, nulls included: goods created between pages are
// seen if and only if they sort after the last goods seen.
func testExtPaginationWithInserts(t *testing.T, s store.Store) {
	orders := [][]store.Order{
		{extAsc(codeKey)},
		{extDesc(codeKey)},
		{extDesc(withDefault(rateKey)), {Field: store.SortName}},
		{extAsc(okKey), extDesc(atKey)},
		{extAsc(withDefault(atKey)), {Field: store.SortPrice, Desc: true}},
		{extDesc(okKey), extAsc(withDefault(codeKey))},
	}
	for i, order := range orders {
		tenant := fmt.Sprintf("ext-pages-%d", i)
		data := extData()
		var initial []*model.Goods
		for j, ext := range data {
			initial = append(initial, create(t, s, tenant, store.NewGoods{Name: fmt.Sprintf("i%02d", j), Price: float64(j % 3), Ext: ext}))
		}

		see, notSee := paginateWithInserts(t, s, tenant, order, initial, func(page int, end store.Edge) (see, notSee []string) {
			// New goods: some of the data set's values (nulls, defaults
			// and wrong types among them), and the last goods' own, where
			// the ID decides.
			var added []*model.Goods
			for j := range 3 {
				ext := extData()[(page*3+j)%len(data)]
				added = append(added, create(t, s, tenant, store.NewGoods{Name: fmt.Sprintf("p%02d-%d", page, j), Price: float64(j), Ext: ext}))
			}
			added = append(added, create(t, s, tenant, store.NewGoods{Name: end.Node.Name, Price: end.Node.Price, Ext: end.Node.Ext}))
			for _, g := range added {
				if compareGoods(g, end.Node, order) > 0 {
					see = append(see, g.ID)
				} else {
					notSee = append(notSee, g.ID)
				}
			}
			return see, notSee
		})
		desc := orderString(order)
		require.NotEmpty(t, see, desc)
		require.NotEmpty(t, notSee, desc)
	}
}

// testExtCursor checks that a cursor of an order by an extension field
// belongs to that field, class and direction.
func testExtCursor(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, code := range []any{"b", "a", nil, "c", 1.0} {
		create(t, s, tenantA, store.NewGoods{Name: fmt.Sprint(i), Ext: map[string]any{"code": code, "rate": float64(i)}})
	}
	byCode := []store.Order{extAsc(codeKey)}
	page, err := s.List(ctx, tenantA, store.ListParams{OrderBy: byCode, First: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"2", "4", "1"}, names(nodes(page)), "nulls (and a number) first, then a, b, c")
	nullCursor, cursor := page.Edges[0].Cursor, page.Edges[2].Cursor

	byName, err := s.List(ctx, tenantA, store.ListParams{OrderBy: []store.Order{{Field: store.SortName}}, First: 1})
	require.NoError(t, err)
	for _, c := range []struct {
		name  string
		after string
		order []store.Order
	}{
		{"descending", cursor, []store.Order{extDesc(codeKey)}},
		{"another class", cursor, []store.Order{extAsc(store.ExtKey{Name: "code", Class: extension.ClassTime})}},
		{"another class, null value", nullCursor, []store.Order{extAsc(store.ExtKey{Name: "code", Class: extension.ClassNumber})}},
		{"another field", cursor, []store.Order{extAsc(store.ExtKey{Name: "kind", Class: extension.ClassString})}},
		{"a base field", cursor, []store.Order{{Field: store.SortName}}},
		{"the default order", cursor, nil},
		{"one more key", cursor, []store.Order{extAsc(codeKey), {Field: store.SortName}}},
		{"base cursor, ext field of its name", byName.Edges[0].Cursor, []store.Order{extAsc(store.ExtKey{Name: "name", Class: extension.ClassString})}},
	} {
		_, err := s.List(ctx, tenantA, store.ListParams{OrderBy: c.order, First: 10, After: c.after})
		require.ErrorIs(t, err, store.ErrBadCursor, c.name)
	}

	// The cursors work for their own order, and for the same field with
	// another default: the position is the value.
	page, err = s.List(ctx, tenantA, store.ListParams{OrderBy: byCode, First: 10, After: cursor})
	require.NoError(t, err)
	require.Equal(t, []string{"0", "3"}, names(nodes(page)))
	page, err = s.List(ctx, tenantA, store.ListParams{OrderBy: byCode, First: 10, After: nullCursor})
	require.NoError(t, err)
	require.Equal(t, []string{"4", "1", "0", "3"}, names(nodes(page)))
	page, err = s.List(ctx, tenantA, store.ListParams{OrderBy: []store.Order{extAsc(withDefault(codeKey))}, First: 10, After: cursor})
	require.NoError(t, err)
	require.Equal(t, []string{"0", "3"}, names(nodes(page)))
}
