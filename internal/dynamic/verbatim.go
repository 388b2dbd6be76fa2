package dynamic

import (
	"context"
	"encoding/json"
	"math"
)

// A JSONObject is an Object decoded from JSON text that keeps the text of
// its members' values, as an upstream's entities are: the executor
// writes a batch field's value by copying that text when the text is
// what completing the value would write, rather than completing it value
// by value (see writeVerbatim).
type JSONObject interface {
	Object
	// NumMembers returns the number of the object's members.
	NumMembers() int
	// Member returns the name, value (as FieldValue gives it) and JSON
	// text of the member i, in the order of the object's text. The text
	// is empty unless it is compact (no white space between tokens), its
	// strings hold no escapes and valid UTF-8 only, and its objects have
	// no repeated names.
	Member(i int) (name string, value any, text string)
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
// returns how many it wrote: none, if the first is not.
func (ex *execution) writeVerbatim(ctx context.Context, w *writer, p *plan, i int, st *objectState) int {
	pf := &p.fields[i]
	r := ex.batchResultFor(ctx, pf, st)
	o, ok := r.values.(JSONObject)
	if r.err != nil || !ok {
		return 0
	}
	m, members := 0, o.NumMembers()
	for m < members {
		if name, _, _ := o.Member(m); name == pf.info.name {
			break
		}
		m++
	}
	n := 0
	for n < int(pf.verbatimRun) && m+n < members {
		f := &p.fields[i+n]
		name, v, text := o.Member(m + n)
		if name != f.info.name || !verbatimValue(f.info.typ, f.child, v, text) {
			break
		}
		if n > 0 {
			w.buf = append(w.buf, ',')
			w.buf = append(w.buf, f.key...)
		}
		w.buf = append(w.buf, text...)
		n++
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
		if !ok || child == nil || o.NumMembers() != len(child.fields) {
			return false
		}
		for k := range child.fields {
			f := &child.fields[k]
			name, cv, ct := o.Member(k)
			if name != f.info.name || !verbatimValue(f.info.typ, f.child, cv, ct) {
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
