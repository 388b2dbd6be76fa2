package storetest

import (
	"cmp"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// extTimeLayout is how stores keep a time.Time in an extension value.
const extTimeLayout = "2006-01-02T15:04:05.000000Z"

// extValue returns the value of the extension field k of g as the store
// must compare it (see store.ExtKey): a string, float64, bool or, for
// ClassTime, a time.Time; nil for null. It is the suite's own reading of
// the contract: times are parsed and compared as instants, where stores
// compare strings.
func extValue(g *model.Goods, k store.ExtKey) any {
	v, ok := g.Ext[k.Name]
	if !ok {
		// The default as it would be stored: it may be any Go number, or
		// a time.Time.
		switch d := k.Default.(type) {
		case int:
			v = float64(d)
		case time.Time:
			v = d.UTC().Format(extTimeLayout)
		default:
			v = d
		}
	}
	switch k.Class {
	case extension.ClassString:
		if s, ok := v.(string); ok {
			return s
		}
	case extension.ClassNumber:
		if f, ok := v.(float64); ok {
			return f
		}
	case extension.ClassBool:
		if b, ok := v.(bool); ok {
			return b
		}
	case extension.ClassTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(extTimeLayout, s); err == nil && t.Format(extTimeLayout) == s {
				return t
			}
		}
	}
	return nil
}

// compareExt compares two results of extValue for one field: null first.
func compareExt(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case float64:
		return cmp.Compare(a, b.(float64))
	case bool:
		return cmp.Compare(boolInt(a), boolInt(b.(bool)))
	case time.Time:
		return a.Compare(b.(time.Time))
	}
	panic("compareExt: unexpected type")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// extMatch reports whether g satisfies c, as the suite reads the contract.
func extMatch(g *model.Goods, c store.ExtCondition) bool {
	v := extValue(g, c.ExtKey)
	// is reports whether v compares with x as ok says; null never does.
	is := func(x any, ok func(int) bool) bool {
		return v != nil && ok(compareExt(v, x))
	}
	eq := func(r int) bool { return r == 0 }
	if c.Eq != nil && !is(c.Eq, eq) {
		return false
	}
	if c.In != nil {
		found := false
		for _, x := range c.In {
			found = found || is(x, eq)
		}
		if !found {
			return false
		}
	}
	return (c.Gt == nil || is(c.Gt, func(r int) bool { return r > 0 })) &&
		(c.Gte == nil || is(c.Gte, func(r int) bool { return r >= 0 })) &&
		(c.Lt == nil || is(c.Lt, func(r int) bool { return r < 0 })) &&
		(c.Lte == nil || is(c.Lte, func(r int) bool { return r <= 0 }))
}

// testExtValues checks that extension values read back as JSON values,
// with every time.Time, wherever it is, as a fixed-width UTC string.
func testExtValues(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+05:30", 5*3600+1800)
	tm := time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone) // 18:29:59.123456 UTC, nanoseconds cut
	tmUTC := "2024-02-29T18:29:59.123456Z"
	now := time.Now() // with a monotonic reading and the local zone
	// Each value, and what it reads back as.
	values := map[string]struct{ in, want any }{
		"string":      {"x", "x"},
		"empty":       {"", ""},
		"unicode":     {"Äpfel € 😀", "Äpfel € 😀"},
		"escaped":     {"<a href=\"x\">&amp;</a>\n\t\\ \u2028", "<a href=\"x\">&amp;</a>\n\t\\ \u2028"},
		"float":       {0.1, 0.1},
		"negative":    {-2.5, -2.5},
		"large":       {1e300, 1e300},
		"small":       {5e-324, 5e-324},
		"int":         {3, 3.0},
		"int64":       {int64(-42), -42.0},
		"bigint":      {int64(1<<53 + 1), float64(1 << 53)}, // rounded, as a float64
		"negzero":     {math.Copysign(0, -1), 0.0},
		"float32":     {float32(0.5), 0.5},
		"true":        {true, true},
		"false":       {false, false},
		"null":        {nil, nil},
		"time":        {tm, tmUTC},
		"timePtr":     {&tm, tmUTC},
		"nilTimePtr":  {(*time.Time)(nil), nil},
		"now":         {now, now.UTC().Truncate(time.Microsecond).Format(extTimeLayout)},
		"zeroTime":    {time.Time{}, "0001-01-01T00:00:00.000000Z"},
		"lastTime":    {time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999Z"},
		"epoch":       {time.Unix(0, 0), "1970-01-01T00:00:00.000000Z"},
		"list":        {[]any{1, "a", nil, true, tm, []any{tm}, map[string]any{"at": tm}}, []any{1.0, "a", nil, true, tmUTC, []any{tmUTC}, map[string]any{"at": tmUTC}}},
		"strings":     {[]string{"x", "y"}, []any{"x", "y"}},
		"times":       {[]time.Time{tm, {}}, []any{tmUTC, "0001-01-01T00:00:00.000000Z"}},
		"ints":        {[]int{1, 2}, []any{1.0, 2.0}},
		"object":      {map[string]any{"at": tm, "n": 1, "nested": map[string]any{"list": []any{tm}, "ptr": &tm}}, map[string]any{"at": tmUTC, "n": 1.0, "nested": map[string]any{"list": []any{tmUTC}, "ptr": tmUTC}}},
		"typedMap":    {map[string]time.Time{"a": tm}, map[string]any{"a": tmUTC}},
		"emptyList":   {[]any{}, []any{}},
		"emptyObject": {map[string]any{}, map[string]any{}},
		"nilObject":   {map[string]any(nil), nil},
		"nilList":     {[]any(nil), nil},
		"nilStrings":  {[]string(nil), nil},
		"nested nils": {map[string]any{"m": map[string]any(nil), "l": []any(nil), "t": (*time.Time)(nil)}, map[string]any{"m": nil, "l": nil, "t": nil}},
	}
	in, want := map[string]any{}, map[string]any{}
	for k, v := range values {
		in[k], want[k] = v.in, v.want
	}
	g := create(t, s, tenantA, store.NewGoods{Name: "all kinds", Ext: in})
	require.Equal(t, want, g.Ext, "Create")
	require.False(t, math.Signbit(g.Ext["negzero"].(float64)), "-0 reads back as 0, as jsonb keeps it")
	require.Equal(t, g, get(t, s, tenantA, g.ID), "Get")
	listed := listAll(t, s, tenantA, store.ListParams{}, 10)
	require.Len(t, listed, 1)
	require.Equal(t, g, listed[0], "List")

	// Update stores times the same way, top level and nested.
	tm2 := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	patched, err := s.Update(t.Context(), tenantA, g.ID, store.GoodsPatch{Ext: map[string]any{
		"time":   tm2,
		"object": map[string]any{"at": tm2},
		"added":  []any{tm2, 7},
		"string": nil,
	}})
	require.NoError(t, err)
	want["time"] = "2030-01-02T03:04:05.000006Z"
	want["object"] = map[string]any{"at": "2030-01-02T03:04:05.000006Z"}
	want["added"] = []any{"2030-01-02T03:04:05.000006Z", 7.0}
	delete(want, "string")
	require.Equal(t, want, patched.Ext, "Update")
	require.Equal(t, patched, get(t, s, tenantA, g.ID))
}

// testExtUnstorable checks that both stores refuse times that have no
// fixed-width form, and values that cannot be encoded.
func testExtUnstorable(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := create(t, s, tenantA, store.NewGoods{Name: "Widget", Ext: map[string]any{"a": 1}})
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	for name, ext := range map[string]map[string]any{
		"year 10000":        {"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year -1":           {"t": time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year 10000 in UTC": {"t": time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("W", -2*3600))},
		"nested":            {"t": []any{map[string]any{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"cyclic":            cyclic,
	} {
		_, err := s.Create(ctx, tenantA, store.NewGoods{Name: "x", Ext: ext})
		require.Error(t, err, name)
		_, err = s.Update(ctx, tenantA, g.ID, store.GoodsPatch{Ext: ext})
		require.Error(t, err, name)
	}
	require.Equal(t, g, get(t, s, tenantA, g.ID), "failed updates change nothing")
	n, err := s.Count(ctx, tenantA, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 1, n, "failed creates store nothing")
}
