package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// A cursor is the position of one goods in one order: base64url (without
// padding) of the JSON of cursorData. Both stores make and read the same
// cursors. A cursor holds no tenant and needs none: every query is scoped
// to the caller's tenant, so another tenant's cursor can only position a
// page among the caller's own goods.
type cursorData struct {
	// Order is the sort order the cursor belongs to: the field names, each
	// with a leading "-" when descending.
	Order []string `json:"o"`
	// Values are the goods' values of the fields in Order.
	Values []json.RawMessage `json:"v"`
	// ID is the goods' ID, the last sort key.
	ID string `json:"id"`
}

// orderKeys returns the Order of a cursor for order.
func orderKeys(order []Order) []string {
	keys := make([]string, len(order))
	for i, o := range order {
		keys[i] = string(o.Field)
		if o.Desc {
			keys[i] = "-" + keys[i]
		}
	}
	return keys
}

// encodeCursor returns the cursor of g in order.
func encodeCursor(g *model.Goods, order []Order) (string, error) {
	c := cursorData{Order: orderKeys(order), ID: g.ID}
	for _, o := range order {
		v, err := json.Marshal(sortFields[o.Field].value(g))
		if err != nil {
			return "", fmt.Errorf("store: encode cursor: %w", err)
		}
		c.Values = append(c.Values, v)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("store: encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor returns the position that cursor s stands for: goods with
// only the ID and the fields of order set. s must have been made for the
// same order. Every error wraps ErrBadCursor.
func decodeCursor(s string, order []Order) (*model.Goods, error) {
	g, err := parseCursor(s, order)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	return g, nil
}

func parseCursor(s string, order []Order) (*model.Goods, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("not base64url")
	}
	var c cursorData
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, errors.New("not a cursor object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the cursor object")
	}
	if !slices.Equal(c.Order, orderKeys(order)) || len(c.Values) != len(order) {
		return nil, errors.New("made for another order")
	}
	g := &model.Goods{}
	var ok bool
	if g.ID, ok = parseID(c.ID); !ok {
		return nil, errors.New("malformed ID")
	}
	for i, o := range order {
		raw := c.Values[i]
		if bytes.Equal(raw, []byte("null")) {
			return nil, fmt.Errorf("null %s", o.Field)
		}
		switch o.Field {
		case SortName:
			err = json.Unmarshal(raw, &g.Name)
			if err == nil {
				err = checkText("name", g.Name)
			}
		case SortPrice:
			err = json.Unmarshal(raw, &g.Price)
		case SortCreatedAt:
			g.CreatedAt, err = parseCursorTime(raw)
		case SortUpdatedAt:
			g.UpdatedAt, err = parseCursorTime(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("bad %s: %w", o.Field, err)
		}
	}
	return g, nil
}

// parseCursorTime parses a time as encodeCursor writes it. Stored times
// have microsecond precision; a finer one was not made by a store.
func parseCursorTime(raw json.RawMessage) (time.Time, error) {
	var t time.Time
	if err := json.Unmarshal(raw, &t); err != nil {
		return time.Time{}, err
	}
	if !t.Equal(truncateTime(t)) {
		return time.Time{}, errors.New("finer than a microsecond")
	}
	return t.UTC(), nil
}
