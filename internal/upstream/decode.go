package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tenantgraph/tenantgraph/internal/jsonlex"
	"github.com/tenantgraph/tenantgraph/internal/jsonvalue"
)

// Object is an object of an upstream's answer: an entity, or the value
// of a field of an object type. It holds its fields in a slice, read by
// name: an entity has the few fields a request selects, where a map would
// cost two allocations and a hash per read. It implements
// dynamic.JSONObject. An Object is read-only: the results of equal ids
// share it.
type Object struct {
	fields []Field
	// text is the object's own JSON text, when it is clean (see
	// Field.Text): kept for the entities of an answer, whose fields the
	// executor may copy all at once.
	text string
}

// Field is a field of an Object: its name (the field's, never an alias),
// its value, and its text (see jsonvalue.Member). The executor copies a
// value's text rather than writing the value anew where the text is what
// it would write (dynamic.JSONObject).
type Field = jsonvalue.Member

// NewObject returns an Object of fields, which it keeps; of fields with
// the same name, the last is the Object's.
func NewObject(fields ...Field) *Object {
	return &Object{fields: dedupe(fields)}
}

// FieldValue returns the value of the field name of o, or nil if o has
// no such field (or o is nil).
func (o *Object) FieldValue(name string) any {
	if o == nil {
		return nil
	}
	for i := range o.fields {
		if o.fields[i].Name == name {
			return o.fields[i].Value
		}
	}
	return nil
}

// Fields returns the fields of o, in the order their names first
// appeared in the answer. The slice is o's: don't modify it.
func (o *Object) Fields() []Field {
	if o == nil {
		return nil
	}
	return o.fields
}

// ParseObject decodes text, a JSON object, as the objects of an
// upstream's answer are decoded.
func ParseObject(text []byte) (*Object, error) {
	if !json.Valid(text) {
		return nil, errors.New("upstream: the text is not JSON")
	}
	var l entityList
	if err := l.UnmarshalJSON(append(append([]byte("["), text...), ']')); err != nil {
		return nil, err
	}
	if len(l) != 1 || l[0] == nil {
		return nil, errors.New("upstream: the text is not one JSON object")
	}
	return l[0], nil
}

// Members returns the fields of o, as Fields does.
func (o *Object) Members() []Field {
	return o.Fields()
}

// Text returns the JSON text o was decoded from, if o is an entity of an
// answer and the text is clean (see Field.Text); otherwise "".
func (o *Object) Text() string {
	if o == nil {
		return ""
	}
	return o.text
}

// With returns a copy of o whose field name has the value v (and no
// text), added if o has no such field.
func (o *Object) With(name string, v any) *Object {
	fs := make([]Field, len(o.Fields()), len(o.Fields())+1)
	copy(fs, o.Fields())
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Value, fs[i].Text = v, ""
			return &Object{fields: fs}
		}
	}
	return &Object{fields: append(fs, Field{Name: name, Value: v})}
}

// dedupe keeps the first position and last value (and text) of each name
// in fs, as encoding/json's map keeps the last of equal keys, and returns
// what is left of fs.
func dedupe(fs []Field) []Field {
	if len(fs) < 2 {
		return fs
	}
	out := fs[:0]
	if len(fs) <= 16 {
	next:
		for _, f := range fs {
			for i := range out {
				if out[i].Name == f.Name {
					out[i].Value, out[i].Text = f.Value, f.Text
					continue next
				}
			}
			out = append(out, f)
		}
	} else {
		index := make(map[string]int, len(fs))
		for _, f := range fs {
			if i, ok := index[f.Name]; ok {
				out[i].Value, out[i].Text = f.Value, f.Text
				continue
			}
			index[f.Name] = len(out)
			out = append(out, f)
		}
	}
	clear(fs[len(out):])
	return out
}

// entityList is the _entities of a response. It decodes as encoding/json
// decodes into []map[string]any with UseNumber (arrays as []any, numbers
// as json.Number, strings, bools and nil), but with objects as *Object,
// at a fraction of the cost: encoding/json builds every map through
// reflection, grows it entry by entry and allocates every key, string
// and number, while entityList takes the objects and their fields from
// slabs made a few at a time, and keys, strings and numbers as
// substrings of one copy of the list's text (of the response's body
// itself, when decodeEntities decodes the list). A string with escapes or
// non-ASCII bytes is unquoted by encoding/json itself, so every value is
// exactly what it would give.
//
// Those substrings and slabs stay alive while any value taken from them
// is: the results of one call are read once, by the request that made
// it.
type entityList []*Object

// UnmarshalJSON decodes b, the text encoding/json hands an Unmarshaler,
// which it has checked is JSON; anything else is refused with an error,
// never a panic. (Its nesting is counted from b's start, not from the
// document's, which encoding/json has counted.)
func (l *entityList) UnmarshalJSON(b []byte) error {
	d := jsonDecoder{s: string(b)}
	d.sizeSlabs()
	list, err := d.entities()
	if err != nil {
		return err
	}
	*l = list
	return d.end()
}

// sizeSlabs sizes the first slabs for as many objects as d.s has '{'
// and fields as it has ':' (more if strings hold some), which is all of
// them in most answers.
func (d *jsonDecoder) sizeSlabs() {
	d.slabs = [2]int{min(strings.Count(d.s, "{"), maxSlab), min(strings.Count(d.s, ":"), maxSlab)}
}

// entities decodes the list of entities at d.i, as entityList's
// UnmarshalJSON does, and leaves d.i after it.
func (d *jsonDecoder) entities() (entityList, error) {
	d.space()
	if d.literal("null") {
		return nil, nil
	}
	if d.peek() != '[' {
		return nil, d.unexpected("a list of entities")
	}
	if err := d.open(); err != nil {
		return nil, err
	}
	d.space()
	if d.consume(']') {
		d.depth--
		return entityList{}, nil
	}
	base := len(d.elements)
	for {
		d.space()
		switch {
		case d.literal("null"):
			d.elements = append(d.elements, nil)
		case d.peek() == '{':
			start, unclean := d.i, d.unclean
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			if o, ok := v.(*Object); ok && d.unclean == unclean {
				o.text = d.s[start:d.i]
			}
			d.elements = append(d.elements, v)
		default:
			return nil, d.unexpected("an entity (an object or null)")
		}
		d.space()
		if d.consume(']') {
			break
		}
		if !d.consume(',') {
			return nil, d.unexpected("',' or ']'")
		}
	}
	d.depth--
	es := d.elements[base:]
	out := make(entityList, len(es))
	for i, e := range es {
		out[i], _ = e.(*Object)
	}
	clear(es)
	d.elements = d.elements[:base]
	return out, nil
}

// maxDepth is encoding/json's limit on nesting: it refuses text with
// more than maxDepth objects and arrays open at once.
const maxDepth = 10000

// member is an object's member being decoded.
type member struct {
	key   string
	value any
	text  string // see Field.Text
}

// jsonDecoder decodes JSON text s into the values encoding/json gives
// for any, with numbers as json.Number and objects as *Object. It checks
// the syntax of all it reads, the values it skips too, as json.Valid
// does, nesting included: text it reads to the end without an error is
// JSON. Its errors quote at most a byte of s. The members and elements
// of the objects and arrays being decoded wait on stacks shared by all
// levels, so that each slice is made once, at its size; objects and
// their fields are taken from slabs.
type jsonDecoder struct {
	s        string
	i        int
	depth    int // the objects and arrays open at d.i
	members  []member
	elements []any
	objects  []Object // the slab the next objects are taken from
	fields   []Field  // the slab the next objects' fields are taken from
	// slabs is the size of the next slab of objects, and of fields:
	// each slab is twice the last, up to maxSlab.
	slabs [2]int
	// unclean counts what keeps a value's text from being its Field.Text:
	// white space skipped, strings unquoted, names repeated. A value whose
	// decoding left it unchanged has clean text.
	unclean int
}

// maxSlab is the most objects or fields a slab is made for, unless one
// object has more fields.
const maxSlab = 1024

// slab returns the size of the next slab of objects (k = 0) or fields
// (k = 1), at least 16.
func (d *jsonDecoder) slab(k int) int {
	n := max(d.slabs[k], 16)
	d.slabs[k] = min(2*n, maxSlab)
	return n
}

// object returns an Object of ms, from the decoder's slabs.
func (d *jsonDecoder) object(ms []member) *Object {
	if len(d.objects) == 0 {
		d.objects = make([]Object, d.slab(0))
	}
	o := &d.objects[0]
	d.objects = d.objects[1:]
	n := len(ms)
	if n == 0 {
		return o
	}
	if len(d.fields) < n {
		d.fields = make([]Field, max(n, d.slab(1)))
	}
	fs := d.fields[:n:n]
	d.fields = d.fields[n:]
	for i, m := range ms {
		fs[i] = Field{Name: m.key, Value: m.value, Text: m.text}
	}
	if o.fields = dedupe(fs); len(o.fields) < n {
		d.unclean++
	}
	return o
}

// value decodes the value at d.i.
func (d *jsonDecoder) value() (any, error) {
	d.space()
	switch c := d.peek(); {
	case c == '{':
		if err := d.open(); err != nil {
			return nil, err
		}
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
				d.space()
				start, unclean := d.i, d.unclean
				v, err := d.value()
				if err != nil {
					return nil, err
				}
				var text string
				if d.unclean == unclean {
					text = d.s[start:d.i]
				}
				d.members = append(d.members, member{k, v, text})
				d.space()
				if d.consume('}') {
					break
				}
				if !d.consume(',') {
					return nil, d.unexpected("',' or '}'")
				}
			}
		}
		d.depth--
		ms := d.members[base:]
		o := d.object(ms)
		clear(ms)
		d.members = d.members[:base]
		return o, nil
	case c == '[':
		if err := d.open(); err != nil {
			return nil, err
		}
		base := len(d.elements)
		d.space()
		if !d.consume(']') {
			for {
				v, err := d.value()
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
		d.depth--
		es := d.elements[base:]
		a := make([]any, len(es))
		copy(a, es)
		clear(es)
		d.elements = d.elements[:base]
		return a, nil
	case c == '"':
		return d.string()
	case c == '-' || isDigit(c):
		n, err := d.number()
		if err != nil {
			return nil, err
		}
		return json.Number(n), nil
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.unexpected("a value")
}

// skip skips the value at d.i, checking its syntax as value does,
// without decoding it or allocating.
func (d *jsonDecoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		if err := d.open(); err != nil {
			return err
		}
		d.space()
		if !d.consume('}') {
			for {
				d.space()
				if _, _, err := d.scanString(); err != nil {
					return err
				}
				d.space()
				if !d.consume(':') {
					return d.unexpected("':'")
				}
				d.space()
				if err := d.skip(); err != nil {
					return err
				}
				d.space()
				if d.consume('}') {
					break
				}
				if !d.consume(',') {
					return d.unexpected("',' or '}'")
				}
			}
		}
		d.depth--
		return nil
	case c == '[':
		if err := d.open(); err != nil {
			return err
		}
		d.space()
		if !d.consume(']') {
			for {
				d.space()
				if err := d.skip(); err != nil {
					return err
				}
				d.space()
				if d.consume(']') {
					break
				}
				if !d.consume(',') {
					return d.unexpected("',' or ']'")
				}
			}
		}
		d.depth--
		return nil
	case c == '"':
		_, _, err := d.scanString()
		return err
	case c == '-' || isDigit(c):
		_, err := d.number()
		return err
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	}
	return d.unexpected("a value")
}

// open skips the '{' or '[' at d.i, which opens an object or array one
// level deeper, and fails if that is deeper than maxDepth. Whoever opens
// it decrements d.depth after the value's end.
func (d *jsonDecoder) open() error {
	if d.depth == maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels at offset %d", maxDepth, d.i)
	}
	d.depth++
	d.i++
	return nil
}

// string decodes the string at d.i. One of printable ASCII without
// escapes, or of valid UTF-8, is a substring of d.s; others are
// unquoted by encoding/json, which replaces invalid UTF-8 with U+FFFD.
func (d *jsonDecoder) string() (string, error) {
	start := d.i
	escaped, ascii, err := d.scanString()
	if err != nil {
		return "", err
	}
	if s := d.s[start+1 : d.i-1]; !escaped && (ascii || utf8.ValidString(s)) {
		return s, nil
	}
	d.unclean++
	return d.unquote(start)
}

// scanString skips the string at d.i, checking its syntax
// (jsonlex.String). It reports whether the string holds escapes, and
// whether it holds only ASCII.
func (d *jsonDecoder) scanString() (escaped, ascii bool, err error) {
	end, escaped, ascii, ok := jsonlex.String(d.s, d.i)
	if !ok {
		if d.peek() != '"' {
			return false, false, d.unexpected("a string")
		}
		d.i = end
		return false, false, d.unexpected("a string's character or its end")
	}
	d.i = end
	return escaped, ascii, nil
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

// number skips the number at d.i, checking that it is one of JSON's
// (jsonlex.Number), and returns its text.
func (d *jsonDecoder) number() (string, error) {
	start := d.i
	end, ok := jsonlex.Number(d.s, d.i)
	d.i = end
	if !ok {
		return "", d.unexpected("a digit")
	}
	return d.s[start:end], nil
}

// isDigit reports whether c is a decimal digit.
func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}

// space skips white space.
func (d *jsonDecoder) space() {
	if i := jsonlex.Space(d.s, d.i); i != d.i {
		d.i = i
		d.unclean++
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
