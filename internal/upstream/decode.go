package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// entityList is the _entities of a response. It decodes as encoding/json
// decodes into []map[string]any with UseNumber (objects as
// map[string]any, arrays as []any, numbers as json.Number, strings,
// bools and nil), at a fraction of the cost: encoding/json builds every
// map through reflection, grows it entry by entry and allocates every
// key, string and number, while entityList makes each map at its size
// and takes keys, strings and numbers as substrings of one copy of the
// list's text. A string with escapes or non-ASCII bytes is unquoted by
// encoding/json itself, so every value is exactly what it would give.
//
// Those substrings keep the whole text alive while any of them is: the
// results of one call are read once, by the request that made it.
type entityList []map[string]any

// UnmarshalJSON decodes b, the text encoding/json hands an Unmarshaler,
// which it has checked is JSON; anything else is refused with an error,
// never a panic.
func (l *entityList) UnmarshalJSON(b []byte) error {
	d := jsonDecoder{s: string(b)}
	d.space()
	if d.literal("null") {
		*l = nil
		return d.end()
	}
	if !d.consume('[') {
		return d.unexpected("a list of entities")
	}
	d.space()
	if d.consume(']') {
		*l = entityList{}
		return d.end()
	}
	for {
		d.space()
		switch {
		case d.literal("null"):
			d.elements = append(d.elements, nil)
		case d.peek() == '{':
			v, err := d.value(0)
			if err != nil {
				return err
			}
			d.elements = append(d.elements, v)
		default:
			return d.unexpected("an entity (an object or null)")
		}
		d.space()
		if d.consume(']') {
			break
		}
		if !d.consume(',') {
			return d.unexpected("',' or ']'")
		}
	}
	out := make(entityList, len(d.elements))
	for i, e := range d.elements {
		out[i], _ = e.(map[string]any)
	}
	*l = out
	return d.end()
}

// maxDepth is encoding/json's limit on nesting, which the text given to
// UnmarshalJSON therefore respects.
const maxDepth = 10000

// member is an object's member being decoded.
type member struct {
	key   string
	value any
}

// jsonDecoder decodes JSON text s into the values encoding/json gives
// for any, with numbers as json.Number. The members and elements of the
// objects and arrays being decoded wait on stacks shared by all levels,
// so that each map and slice is made once, at its size.
type jsonDecoder struct {
	s        string
	i        int
	members  []member
	elements []any
}

// value decodes the value at d.i, depth levels down.
func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("JSON nested too deep")
	}
	d.space()
	switch c := d.peek(); {
	case c == '{':
		d.i++
		base := len(d.members)
		d.space()
		if !d.consume('}') {
			for {
				d.space()
				k, err := d.string()
				if err != nil {
					return nil, err
				}
				d.space()
				if !d.consume(':') {
					return nil, d.unexpected("':'")
				}
				v, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				d.members = append(d.members, member{k, v})
				d.space()
				if d.consume('}') {
					break
				}
				if !d.consume(',') {
					return nil, d.unexpected("',' or '}'")
				}
			}
		}
		ms := d.members[base:]
		m := make(map[string]any, len(ms))
		for _, kv := range ms {
			m[kv.key] = kv.value // the last of equal keys wins, as in encoding/json
		}
		clear(ms)
		d.members = d.members[:base]
		return m, nil
	case c == '[':
		d.i++
		base := len(d.elements)
		d.space()
		if !d.consume(']') {
			for {
				v, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				d.elements = append(d.elements, v)
				d.space()
				if d.consume(']') {
					break
				}
				if !d.consume(',') {
					return nil, d.unexpected("',' or ']'")
				}
			}
		}
		es := d.elements[base:]
		a := make([]any, len(es))
		copy(a, es)
		clear(es)
		d.elements = d.elements[:base]
		return a, nil
	case c == '"':
		return d.string()
	case c == '-' || '0' <= c && c <= '9':
		start := d.i
		for d.i < len(d.s) && isNumberByte(d.s[d.i]) {
			d.i++
		}
		return json.Number(d.s[start:d.i]), nil
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.unexpected("a value")
}

// string decodes the string at d.i. One of printable ASCII without
// escapes, or of valid UTF-8, is a substring of d.s; others are
// unquoted by encoding/json, which replaces invalid UTF-8 with U+FFFD.
func (d *jsonDecoder) string() (string, error) {
	if !d.consume('"') {
		return "", d.unexpected("a string")
	}
	start := d.i
	escaped, ascii := false, true
	for ; d.i < len(d.s); d.i++ {
		switch c := d.s[d.i]; {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if !escaped && (ascii || utf8.ValidString(s)) {
				return s, nil
			}
			return d.unquote(start - 1)
		case c == '\\':
			d.i++ // the escaped byte, which is never the closing quote
			escaped = true
		case c < ' ':
			return "", d.unexpected("a string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", d.unexpected("the end of a string")
}

// unquote unquotes the string that starts (with its quote) at from and
// ends before d.i, as encoding/json does.
func (d *jsonDecoder) unquote(from int) (string, error) {
	var s string
	if err := json.Unmarshal([]byte(d.s[from:d.i]), &s); err != nil {
		return "", err
	}
	return s, nil
}

// isNumberByte reports whether c may be part of a JSON number.
func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// space skips white space.
func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the byte at d.i, or 0 at the end.
func (d *jsonDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// consume skips c if it is the byte at d.i, and reports whether it was.
func (d *jsonDecoder) consume(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// literal skips lit if it is at d.i, and reports whether it was.
func (d *jsonDecoder) literal(lit string) bool {
	if len(d.s)-d.i >= len(lit) && d.s[d.i:d.i+len(lit)] == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// end returns an error unless only white space is left.
func (d *jsonDecoder) end() error {
	d.space()
	if d.i != len(d.s) {
		return d.unexpected("the end")
	}
	return nil
}

// unexpected returns the error of finding something other than what was
// wanted at d.i.
func (d *jsonDecoder) unexpected(wanted string) error {
	if d.i >= len(d.s) {
		return fmt.Errorf("JSON ends where %s should be", wanted)
	}
	return fmt.Errorf("JSON has %q at offset %d where %s should be", d.s[d.i], d.i, wanted)
}
