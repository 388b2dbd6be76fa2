package dynamic

import (
	"context"
	"encoding/json"
	"math"

	"github.com/tenantgraph/tenantgraph/internal/jsonvalue"
)

// A JSONObject is an Object decoded from JSON text that keeps the text of
// its members' values, as an upstream's entities are: the executor
// writes a batch field's value by copying that text when the text is
// what completing the value would write, rather than completing it value
// by value (see writeVerbatim).
type JSONObject interface {
	Object
	// Members returns the object's members in the order of its text,
	// each with its text (see jsonvalue.Member). The slice is the
	// object's: read it only.
	Members() []jsonvalue.Member
	// Text returns the object's own text, if it is clean as a member's
	// text is and kept; otherwise "".
	Text() string
}

// markVerbatim sets verbatimRun for the fields of p, and p.verbatim.
// It runs when p is built, after the plans below it.
func (p *plan) markVerbatim() {
	p.verbatim = len(p.fields) > 0
	for i := len(p.fields) - 1; i >= 0; i-- {
		pf := &p.fields[i]
		if pf.op != opValue || !verbatimField(pf) || pf.info.get != nil || pf.info.compute != nil {
			p.verbatim = false
		}
		if pf.op != opBatch || !verbatimField(pf) {
			continue
		}
		// A run is of one batch: the fields of another are members of
		// another object. (writeVerbatim checks each member's name too.)
		pf.verbatimRun = 1
		if i+1 < len(p.fields) {
			if next := &p.fields[i+1]; next.verbatimRun > 0 && next.batch == pf.batch {
				pf.verbatimRun += next.verbatimRun
			}
		}
	}
}

// verbatimField reports whether the value of pf may be written as the
// text of a member of its parent: the text has its own name for key
// (no alias), and a value of pf's type whose text is clean is written
// as that text (verbatimValue tells whether it is clean).
func verbatimField(pf *planField) bool {
	if pf.info == nil || pf.cf.Alias != pf.cf.Name || pf.varArgs || pf.argsErr {
		return false
	}
	switch t := pf.info.typ; t.kind {
	case kindScalar:
		// Not Float, whose text has many spellings of one number, nor
		// custom scalars and enums, whose values have to be checked.
		// (verbatimValue checks values of exactly these.)
		switch t.scalar {
		case scalarString, scalarID, scalarInt, scalarBoolean:
			return true
		}
	case kindObject:
		return pf.child != nil && pf.child.verbatim
	}
	return false
}

// writeVerbatim writes the values of the batch fields of p from the one
// at index i, which writeFields has written the key of, as the texts of
// the members of the object their batch resolved for st's object, as
// many of them as one after another are clean (see verbatimValue), and
// returns how many it wrote: none, if the first is not. When they are
// all of the object's members, in order, it copies the object's own
// text at once.
func (ex *execution) writeVerbatim(ctx context.Context, w *writer, p *plan, i int, st *objectState) int {
	pf := &p.fields[i]
	r := ex.batchResultFor(ctx, pf, st)
	o, ok := r.values.(JSONObject)
	if r.err != nil || !ok {
		return 0
	}
	ms := o.Members()
	m := 0
	for m < len(ms) && ms[m].Name != pf.info.name {
		m++
	}
	n, run := 0, min(int(pf.verbatimRun), len(ms)-m)
	for n < run {
		f, mb := &p.fields[i+n], &ms[m+n]
		if mb.Name != f.info.name || !verbatimValue(f.info.typ, f.child, mb.Value, mb.Text) {
			break
		}
		n++
	}
	if n == 0 {
		return 0
	}
	if text := o.Text(); m == 0 && n == len(ms) && len(text) > len(pf.key)+1 && text[1:1+len(pf.key)] == string(pf.key) {
		// The object's text is {key:value,...}: all but its braces and
		// the first key, which writeFields has written.
		w.buf = append(w.buf, text[1+len(pf.key):len(text)-1]...)
		return n
	}
	for k := range n {
		if k > 0 {
			w.buf = append(w.buf, ',')
			w.buf = append(w.buf, p.fields[i+k].key...)
		}
		w.buf = append(w.buf, ms[m+k].Text...)
	}
	return n
}

// verbatimValue reports whether text, the JSON text of the value v, is
// what completeValue writes for v as a value of t, with the plan child
// for an object, and so may be written in its place: text that is empty
// (not clean), null for a non-null type, a value not of t, an Int's
// other spellings (-0) and an object whose members are not child's
// fields in order are not.
func verbatimValue(t *typeRef, child *plan, v any, text string) bool {
	if text == "" {
		return false
	}
	if v == nil {
		return !t.nonNull
	}
	switch t.kind {
	case kindScalar:
		switch t.scalar {
		case scalarString, scalarID:
			_, ok := v.(string)
			return ok
		case scalarBoolean:
			_, ok := v.(bool)
			return ok
		case scalarInt:
			n, ok := v.(json.Number)
			return ok && canonicalInt32(string(n))
		}
	case kindObject:
		o, ok := v.(JSONObject)
		if !ok || child == nil {
			return false
		}
		ms := o.Members()
		if len(ms) != len(child.fields) {
			return false
		}
		for k := range child.fields {
			f, mb := &child.fields[k], &ms[k]
			if mb.Name != f.info.name || !verbatimValue(f.info.typ, f.child, mb.Value, mb.Text) {
				return false
			}
		}
		return true
	}
	return false
}

// canonicalInt32 reports whether s, a JSON number, is an integer in the
// range of Int spelled as strconv.AppendInt spells it: digits without
// leading zeros, after a minus sign for a negative one, and no exponent,
// fraction or -0. (strconv.ParseInt would do, at three times the cost.)
func canonicalInt32(s string) bool {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 10 || digits[0] == '0' && (len(digits) > 1 || neg) {
		return false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n >= math.MinInt32
	}
	return n <= math.MaxInt32
}
