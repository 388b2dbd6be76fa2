package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/jsonlex"
)

// A cursor is the position of one goods in one order: base64url (without
// padding) of the JSON of cursorData. Both stores make and read the same
// cursors. A cursor holds no tenant and needs none: every query is scoped
// to the caller's tenant, so another tenant's cursor can only position a
// page among the caller's own goods.
type cursorData struct {
	// Order is the sort order the cursor belongs to: the names of its
	// keys (sortKey.name).
	Order []string `json:"o"`
	// Values are the goods' values of the keys in Order: null for an
	// extension field without a value.
	Values []json.RawMessage `json:"v"`
	// ID is the goods' ID, the last sort key.
	ID string `json:"id"`
}

// orderNames returns the Order of a cursor for keys.
func orderNames(keys []sortKey) []string {
	names := make([]string, len(keys))
	for i := range keys {
		names[i] = keys[i].name()
	}
	return names
}

// encodeCursor returns the cursor of the position p in the order of keys.
func encodeCursor(p *position, keys []sortKey) (string, error) {
	e, err := newCursorEncoder(keys)
	if err != nil {
		return "", err
	}
	return e.encode(p)
}

// cursorEncoder makes the cursors of one order, the bytes that
// json.Marshal of a cursorData gives, base64url-encoded, without
// encoding/json's reflection and allocations for each: a page of goods
// costs one string per cursor. A cursorEncoder is not safe for
// concurrent use.
type cursorEncoder struct {
	// prefix is the JSON of the cursor up to its values:
	// {"o":[names],"v":
	prefix []byte
	// buf and out are the JSON and base64 text of the last cursor,
	// kept for the next one's.
	buf, out []byte
}

func newCursorEncoder(keys []sortKey) (*cursorEncoder, error) {
	names, err := json.Marshal(orderNames(keys))
	if err != nil {
		return nil, fmt.Errorf("store: encode cursor: %w", err)
	}
	prefix := append(append([]byte(`{"o":`), names...), `,"v":`...)
	return &cursorEncoder{prefix: prefix}, nil
}

// encode returns the cursor of the position p.
func (e *cursorEncoder) encode(p *position) (string, error) {
	b := append(e.buf[:0], e.prefix...)
	if len(p.values) == 0 {
		b = append(b, "null"...) // as json.Marshal writes a nil Values
	}
	for i, v := range p.values {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		var err error
		if b, err = appendCursorJSON(b, v); err != nil {
			return "", fmt.Errorf("store: encode cursor: %w", err)
		}
	}
	if len(p.values) > 0 {
		b = append(b, ']')
	}
	b = append(b, `,"id":`...)
	b, err := appendCursorJSON(b, p.id)
	if err != nil {
		return "", fmt.Errorf("store: encode cursor: %w", err)
	}
	e.buf = append(b, '}')
	e.out = base64.RawURLEncoding.AppendEncode(e.out[:0], e.buf)
	return string(e.out), nil
}

// appendCursorJSON appends v as json.Marshal writes it, in place for the
// values of sort keys (nil, string, float64, bool and time.Time), through
// json.Marshal for anything else.
func appendCursorJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case time.Time:
		// What Time.MarshalJSON writes, and refuses.
		b = append(b, '"')
		b, err := v.AppendText(b)
		if err != nil {
			return nil, err
		}
		return append(b, '"'), nil
	case float64:
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			return jsonlex.AppendFloat(b, v), nil
		}
	case string:
		if plainJSONString(v) {
			return append(append(append(b, '"'), v...), '"'), nil
		}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// plainJSONString reports whether json.Marshal writes s as it is, in
// quotes: printable ASCII without the characters it escapes.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// decodeCursor returns the position that cursor s stands for. s must have
// been made for the same order. Every error wraps ErrBadCursor.
func decodeCursor(s string, keys []sortKey) (*position, error) {
	p, err := parseCursor(s, keys)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	return p, nil
}

func parseCursor(s string, keys []sortKey) (*position, error) {
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
	if !slices.Equal(c.Order, orderNames(keys)) || len(c.Values) != len(keys) {
		return nil, errors.New("made for another order")
	}
	p := &position{values: make([]any, len(keys))}
	var ok bool
	if p.id, ok = parseID(c.ID); !ok {
		return nil, errors.New("malformed ID")
	}
	for i := range keys {
		if p.values[i], err = parseCursorValue(c.Values[i], &keys[i]); err != nil {
			return nil, fmt.Errorf("bad %s: %w", keys[i].name(), err)
		}
	}
	return p, nil
}

// parseCursorValue parses the value of k as encodeCursor writes it.
func parseCursorValue(raw json.RawMessage, k *sortKey) (any, error) {
	if bytes.Equal(raw, []byte("null")) {
		if k.ext == nil {
			return nil, errors.New("null")
		}
		return nil, nil
	}
	var class extension.Class
	switch k.field {
	case SortName:
		class = extension.ClassString
	case SortPrice:
		class = extension.ClassNumber
	case SortCreatedAt, SortUpdatedAt:
		return parseCursorTime(raw)
	}
	if k.ext != nil {
		class = k.ext.class
	}
	switch class {
	case extension.ClassString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, checkText("cursor value", s)
	case extension.ClassNumber:
		var f float64
		err := json.Unmarshal(raw, &f)
		return f, err
	case extension.ClassBool:
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case extension.ClassTime:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if !extTimeRegexp.MatchString(s) {
			return nil, errors.New("not a time")
		}
		return s, nil
	}
	return nil, errors.New("unknown sort key")
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
