package store

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

var cursorOrders = [][]Order{
	defaultOrder,
	{{Field: SortName}},
	{{Field: SortPrice, Desc: true}, {Field: SortName}},
	{{Field: SortUpdatedAt, Desc: true}, {Field: SortCreatedAt}, {Field: SortPrice}, {Field: SortName, Desc: true}},
}

func TestCursorRoundTrip(t *testing.T) {
	g := &model.Goods{
		ID:        "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
		Name:      "Äpfel \"quoted\" \\ %_",
		Price:     -0.1,
		CreatedAt: time.Date(2024, 7, 1, 12, 0, 0, 123456000, time.UTC),
		UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC),
	}
	for _, order := range cursorOrders {
		c, err := encodeCursor(g, order)
		require.NoError(t, err)
		got, err := decodeCursor(c, order)
		require.NoError(t, err)
		require.Equal(t, 0, compareGoods(g, got, order), "%v", order)
		require.Equal(t, g.ID, got.ID)

		for _, other := range cursorOrders {
			if len(other) != len(order) || other[0] != order[0] {
				_, err := decodeCursor(c, other)
				require.ErrorIs(t, err, ErrBadCursor, "cursor for %v used with %v", order, other)
			}
		}
	}
}

// FuzzDecodeCursor checks that any string either is refused with
// ErrBadCursor or decodes to a position that encodes to an equivalent
// cursor. Cursors come from clients: they are untrusted input.
func FuzzDecodeCursor(f *testing.F) {
	g := &model.Goods{ID: "0190b1a2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", Name: "n", Price: 1.5,
		CreatedAt: time.Unix(1700000000, 0).UTC(), UpdatedAt: time.Unix(1700000001, 1000).UTC()}
	for _, order := range cursorOrders {
		c, err := encodeCursor(g, order)
		require.NoError(f, err)
		f.Add(c)
	}
	f.Add("")
	f.Add("e30")
	f.Add("bnVsbA")
	f.Fuzz(func(t *testing.T, s string) {
		for _, order := range cursorOrders {
			pos, err := decodeCursor(s, order)
			if err != nil {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("decodeCursor(%q): error %v does not wrap ErrBadCursor", s, err)
				}
				continue
			}
			c, err := encodeCursor(pos, order)
			if err != nil {
				t.Fatalf("encodeCursor of decoded %q: %v", s, err)
			}
			again, err := decodeCursor(c, order)
			if err != nil {
				t.Fatalf("decodeCursor of re-encoded %q: %v", s, err)
			}
			if compareGoods(pos, again, order) != 0 || pos.ID != again.ID {
				t.Fatalf("cursor %q: %+v re-encodes to %+v", s, pos, again)
			}
		}
	})
}
