package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// decodeEntities decodes body, the response to an _entities query, as
// encoding/json's Unmarshal decodes it into a response[entitiesData],
// with numbers as json.Number (a Decoder's UseNumber): it fails where
// that fails, and otherwise gives the same response. The body must be
// one JSON value, with nothing but white space after it.
//
// It costs one pass of a jsonDecoder over body, which checks the syntax
// of all of it as json.Valid would and decodes the entities, where a
// Decoder scans the whole body, then scans the entities again to hand
// them to entityList, which copies and decodes them. The members of the
// envelope are matched by name as encoding/json matches them, exactly or
// else case-insensitively; errors are decoded by encoding/json itself,
// from their own text.
//
// The strings of the entities share body's memory, which must not
// change afterwards.
func decodeEntities(body []byte) (*response[entitiesData], error) {
	d := jsonDecoder{s: unsafe.String(unsafe.SliceData(body), len(body))}
	d.sizeSlabs()
	var out response[entitiesData]
	err := d.eachMember("a response", func(name string) error {
		switch {
		case foldedIs(name, "DATA"):
			return d.data(&out)
		case foldedIs(name, "ERRORS"):
			start := d.i
			if err := d.skip(); err != nil {
				return err
			}
			// Decoded into out.Errors as it is, as encoding/json decodes
			// a member that repeats into what the last one left.
			dec := json.NewDecoder(bytes.NewReader(body[start:d.i]))
			dec.UseNumber()
			return dec.Decode(&out.Errors)
		}
		return d.skip()
	})
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return &out, nil
}

// data decodes the value of a response's data member into out, as
// encoding/json decodes it into out.Data: null sets it nil, an object is
// decoded into the entitiesData out.Data points to (a new one if it is
// nil), and anything else is an error.
func (d *jsonDecoder) data(out *response[entitiesData]) error {
	if d.literal("null") {
		out.Data = nil
		return nil
	}
	if d.peek() != '{' {
		return d.unexpected("the data (an object or null)")
	}
	if out.Data == nil {
		out.Data = new(entitiesData)
	}
	data := out.Data
	return d.eachMember("the data", func(name string) error {
		if foldedIs(name, "_ENTITIES") {
			l, err := d.entities()
			data.Entities = l
			return err
		}
		return d.skip()
	})
}

// eachMember decodes the object, or null, at d.i, which is what, calling
// member with the name of each member in turn, d.i at its value; member
// must leave d.i after the value. Null has no members.
func (d *jsonDecoder) eachMember(what string, member func(name string) error) error {
	d.space()
	if d.literal("null") {
		return nil
	}
	if d.peek() != '{' {
		return d.unexpected(what + " (an object)")
	}
	if err := d.open(); err != nil {
		return err
	}
	d.space()
	if d.consume('}') {
		d.depth--
		return nil
	}
	for {
		d.space()
		name, err := d.string()
		if err != nil {
			return err
		}
		d.space()
		if !d.consume(':') {
			return d.unexpected("':'")
		}
		d.space()
		if err := member(name); err != nil {
			return err
		}
		d.space()
		if d.consume('}') {
			d.depth--
			return nil
		}
		if !d.consume(',') {
			return d.unexpected("',' or '}'")
		}
	}
}

// foldedIs reports whether encoding/json matches name with a struct
// field whose name folds to folded (its ASCII letters in upper case):
// whether name, folded as encoding/json folds names to match them
// case-insensitively, is folded.
func foldedIs(name, folded string) bool {
	j := 0
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			i++
		} else {
			// A rune folds to an ASCII letter if the letter is the least
			// of its fold set, as for 'ſ' (to 'S') and the Kelvin sign
			// (to 'K').
			r, n := utf8.DecodeRuneInString(name[i:])
			i += n
			r = foldRune(r)
			if r >= utf8.RuneSelf {
				return false
			}
			c = byte(r)
		}
		if j == len(folded) || folded[j] != c {
			return false
		}
		j++
	}
	return j == len(folded)
}

// foldRune returns the least rune of r's fold set, as encoding/json
// folds the runes of names.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// maxPooledBody is the largest buffer a Client keeps for reading the
// next body of unknown size.
const maxPooledBody = 1 << 20

// maxPreallocated bounds the slice made for a body of known size before
// its bytes arrive: a Content-Length is the upstream's claim, and one
// that claims much and sends little (or nothing, and hangs) must not
// hold much of the gateway's memory meanwhile. A longer body grows the
// slice as it arrives.
const maxPreallocated = 64 << 10

// readBody reads r, a body of size bytes (if size is not negative), to
// its end. A body of more than c.maxBytes bytes is an error wrapping
// errTooLarge, found on reading the first byte too many. A body of known
// size is read into a slice made for it (up to maxPreallocated); one of
// unknown size is read into a buffer of c's, which it grows as it
// needs, and copied out, so that it costs one slice of its size, not
// the slices of a growing buffer.
func (c *Client) readBody(r io.Reader, size int64) ([]byte, error) {
	lr := io.LimitReader(r, c.maxBytes+1)
	var body []byte
	var err error
	if size >= 0 {
		// One more, for the read that finds the end. Once the first
		// slice is full, the bytes have come: the slice grows to the
		// size claimed, at once.
		want := int(min(size, c.maxBytes)) + 1
		body, err = readAll(lr, make([]byte, 0, min(want, maxPreallocated+1)), want)
	} else {
		p, _ := c.bodies.Get().(*[]byte)
		if p == nil {
			p = new([]byte)
		}
		b, rerr := readAll(lr, (*p)[:0], 0)
		err = rerr
		if int64(len(b)) > c.maxBytes {
			body = b // its length alone is looked at below
		} else {
			body = bytes.Clone(b)
		}
		if cap(b) <= maxPooledBody {
			*p = b
			c.bodies.Put(p)
		}
	}
	if int64(len(body)) > c.maxBytes {
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, c.maxBytes)
	}
	return body, err
}

// readAll appends what is left of r to b, as io.ReadAll does. When b is
// full, it grows to hold want bytes, if that is more, and else doubles.
func readAll(r io.Reader, b []byte, want int) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(want-len(b), cap(b), 512))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
