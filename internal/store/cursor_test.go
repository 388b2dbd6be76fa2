package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/extension"
)

// The orders of the cursor tests; no two have the same cursor names.
var cursorOrders = [][]Order{
	defaultOrder,
	{{Field: SortName}},
	{{Field: SortPrice, Desc: true}, {Field: SortName}},
	{{Field: SortUpdatedAt, Desc: true}, {Field: SortCreatedAt}, {Field: SortPrice}, {Field: SortName, Desc: true}},
	{{Ext: &ExtKey{Name: "code", Class: extension.ClassString}}},
	{{Ext: &ExtKey{Name: "code", Class: extension.ClassString}, Desc: true}},
	{{Ext: &ExtKey{Name: "code", Class: extension.ClassNumber}}},
	{{Ext: &ExtKey{Name: "name", Class: extension.ClassString}}},
	{{Ext: &ExtKey{Name: "rate", Class: extension.ClassNumber, Default: 0.5}, Desc: true}, {Field: SortName}},
	{{Ext: &ExtKey{Name: "ok", Class: extension.ClassBool}}, {Ext: &ExtKey{Name: "at", Class: extension.ClassTime}, Desc: true}, {Field: SortPrice}},
	{{Ext: &ExtKey{Name: "missing", Class: extension.ClassTime}}, {Ext: &ExtKey{Name: "ext:string:x", Class: extension.ClassString}}},
}

func mustCompileOrder(t testing.TB, order []Order) []sortKey {
	t.Helper()
	keys, err := compileOrder(order)
	require.NoError(t, err)
	return keys
}

var cursorGoods = []*model.Goods{
	{
		ID:        "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
		Name:      "Äpfel \"quoted\" \\ %_",
		Price:     -0.1,
		CreatedAt: time.Date(2024, 7, 1, 12, 0, 0, 123456000, time.UTC),
		UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC),
		Ext: map[string]any{
			"code": "A \"1\" é", "name": "", "rate": 1e21, "ok": true,
			"at": "2024-07-01T12:00:00.123456Z", "ext:string:x": "x",
		},
	},
	{
		ID:   "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5c",
		Name: "n",
		// Wrong types, and missing keys: nulls, and a default.
		Ext: map[string]any{"code": 5.0, "ok": "true", "at": "2024-07-01T12:00:00Z"},
	},
}

func TestCursorRoundTrip(t *testing.T) {
	for _, g := range cursorGoods {
		for _, order := range cursorOrders {
			keys := mustCompileOrder(t, order)
			pos := positionOf(g, keys)
			c, err := encodeCursor(pos, keys)
			require.NoError(t, err)
			got, err := decodeCursor(c, keys)
			require.NoError(t, err)
			require.Equal(t, pos, got, "%v", orderNames(keys))
			require.Zero(t, comparePositions(pos, got, keys))

			for _, other := range cursorOrders {
				otherKeys := mustCompileOrder(t, other)
				if slices.Equal(orderNames(otherKeys), orderNames(keys)) {
					continue
				}
				_, err := decodeCursor(c, otherKeys)
				require.ErrorIs(t, err, ErrBadCursor, "cursor for %v used with %v", orderNames(keys), orderNames(otherKeys))
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestCursorExtValues checks the values a cursor may hold for an
// extension field: null or a value of the field's class.
func TestCursorExtValues(t *testing.T) {
	cursor := func(name, value string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(
			`{"o":[` + string(mustJSON(name)) + `],"v":[` + value + `],"id":"0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"}`))
	}
	for _, c := range []struct {
		class  extension.Class
		good   []string
		bad    []string
		values []any
	}{
		{extension.ClassString, []string{`null`, `""`, `"x"`, `"\u00e9"`}, []string{`1`, `true`, `"\u0000"`, `[]`, `{}`}, []any{nil, "", "x", "é"}},
		{extension.ClassNumber, []string{`null`, `0`, `-1.5`, `1e308`}, []string{`"1"`, `true`, `1e400`, `[1]`}, []any{nil, 0.0, -1.5, 1e308}},
		{extension.ClassBool, []string{`null`, `false`, `true`}, []string{`0`, `"true"`}, []any{nil, false, true}},
		{extension.ClassTime, []string{`null`, `"2024-01-02T03:04:05.000006Z"`}, []string{`"2024-01-02T03:04:05Z"`, `"2024-01-02T03:04:05.000006Z\n"`, `1`, `"x"`}, []any{nil, "2024-01-02T03:04:05.000006Z"}},
	} {
		for _, desc := range []bool{false, true} {
			keys := mustCompileOrder(t, []Order{{Ext: &ExtKey{Name: "f", Class: c.class}, Desc: desc}})
			name := keys[0].name()
			for i, v := range c.good {
				pos, err := decodeCursor(cursor(name, v), keys)
				require.NoError(t, err, "%s %s", name, v)
				require.Equal(t, c.values[i], pos.values[0], "%s %s", name, v)
			}
			for _, v := range c.bad {
				_, err := decodeCursor(cursor(name, v), keys)
				require.ErrorIs(t, err, ErrBadCursor, "%s %s", name, v)
			}
		}
	}
	// Base fields are never null.
	keys := mustCompileOrder(t, []Order{{Field: SortName}})
	_, err := decodeCursor(cursor("name", "null"), keys)
	require.ErrorIs(t, err, ErrBadCursor)

	// The default is not part of the order a cursor belongs to.
	withDefault := mustCompileOrder(t, []Order{{Ext: &ExtKey{Name: "f", Class: extension.ClassNumber, Default: 1}}})
	_, err = decodeCursor(cursor("ext:number:f", "2"), withDefault)
	require.NoError(t, err)
}

// FuzzDecodeCursor checks that any string either is refused with
// ErrBadCursor or decodes to a position that encodes to an equivalent
// cursor. Cursors come from clients: they are untrusted input.
func FuzzDecodeCursor(f *testing.F) {
	for _, g := range cursorGoods {
		g := *g
		g.CreatedAt, g.UpdatedAt = time.Unix(1700000000, 0).UTC(), time.Unix(1700000001, 1000).UTC()
		for _, order := range cursorOrders {
			keys := mustCompileOrder(f, order)
			c, err := encodeCursor(positionOf(&g, keys), keys)
			require.NoError(f, err)
			f.Add(c)
		}
	}
	f.Add("")
	f.Add("e30")
	f.Add("bnVsbA")
	var orders [][]sortKey
	for _, order := range cursorOrders {
		orders = append(orders, mustCompileOrder(f, order))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, keys := range orders {
			pos, err := decodeCursor(s, keys)
			if err != nil {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("decodeCursor(%q): error %v does not wrap ErrBadCursor", s, err)
				}
				continue
			}
			c, err := encodeCursor(pos, keys)
			if err != nil {
				t.Fatalf("encodeCursor of decoded %q: %v", s, err)
			}
			again, err := decodeCursor(c, keys)
			if err != nil {
				t.Fatalf("decodeCursor of re-encoded %q: %v", s, err)
			}
			if comparePositions(pos, again, keys) != 0 || pos.id != again.id {
				t.Fatalf("cursor %q: %+v re-encodes to %+v", s, pos, again)
			}
		}
	})
}

// TestCursorEncoderIsJSONMarshal checks that cursorEncoder writes the
// bytes of encoding/json's cursorData, which cursors were before it and
// which clients hold: for every test goods and order, and for values of
// every kind a position may hold, those json.Marshal escapes or formats
// in a special way included.
func TestCursorEncoderIsJSONMarshal(t *testing.T) {
	marshal := func(p *position, keys []sortKey) string {
		c := cursorData{Order: orderNames(keys), ID: p.id}
		for _, v := range p.values {
			b, err := json.Marshal(v)
			require.NoError(t, err)
			c.Values = append(c.Values, b)
		}
		b, err := json.Marshal(c)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	check := func(p *position, keys []sortKey) {
		t.Helper()
		got, err := encodeCursor(p, keys)
		require.NoError(t, err)
		require.Equal(t, marshal(p, keys), got, "position %#v", p)
	}

	for _, g := range cursorGoods {
		for _, order := range cursorOrders {
			keys := mustCompileOrder(t, order)
			check(positionOf(g, keys), keys)
		}
	}

	zone := time.FixedZone("odd", -(3*3600 + 25*60 + 17))
	values := []any{
		nil, true, false,
		"", "plain", "a\"b", `back\slash`, "<&>", "tab\t", "\x00", "\x7f", "é", "\u2028", "\xff",
		0.0, math.Copysign(0, -1), 1.0, -0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64,
		time.Date(2024, 7, 1, 12, 0, 0, 123456000, time.UTC),
		time.Date(2024, 7, 1, 12, 0, 0, 0, zone),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.Local),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		json.Number("12"),
	}
	keys := mustCompileOrder(t, []Order{{Field: SortName}})
	for _, v := range values {
		check(&position{values: []any{v}, id: "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"}, keys)
	}
	check(&position{values: []any{"x"}, id: "<not a uuid>"}, keys)
	check(&position{id: "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"}, keys)

	// What json.Marshal refuses, the encoder refuses.
	for _, v := range []any{math.Inf(1), math.NaN(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, err := encodeCursor(&position{values: []any{v}, id: "x"}, keys)
		require.Error(t, err, "%v", v)
	}
}
