package dynamic

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// writer is where one goroutine writes a part of a response: the JSON
// text, the path of the value being written, and the errors to report
// only once the response is complete.
//
// A non-null violation is handled by truncating the text back to the
// start of the nearest nullable value and writing null there.
type writer struct {
	buf  []byte
	path []pathElem
	late []lateError
}

// pathElem is an element of a response path: a field or a list index.
type pathElem struct {
	field *planField // nil for an index
	index int
}

// lateError is an error that gqlgen reports while marshalling the
// response rather than while resolving it: after every other error, in
// the order of the response, and only if the value it belongs to is still
// part of the response then.
type lateError struct {
	at  int // offset in buf of the value
	err error
}

var writerPool = sync.Pool{New: func() any { return &writer{buf: make([]byte, 0, 2048)} }}

// getWriter returns an empty writer whose path is a copy of path.
func getWriter(path []pathElem) *writer {
	w := writerPool.Get().(*writer)
	w.buf = w.buf[:0]
	w.path = append(w.path[:0], path...)
	w.late = w.late[:0]
	return w
}

// putWriter returns w to the pool, unless it grew too large to keep.
func putWriter(w *writer) {
	if cap(w.buf) > 1<<20 {
		return
	}
	clear(w.path[:cap(w.path)]) // no references to plans from the pool
	w.late = w.late[:0]
	writerPool.Put(w)
}

// Write implements io.Writer, for graphql.Marshaler.
func (w *writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// The methods below append values to the text in place: the compiler
// makes w.buf = append(w.buf, ...) a store of the length alone unless the
// buffer grows, where w.buf = f(w.buf) stores the slice, with a write
// barrier each time while the GC runs. Values are formatted in a scratch
// array on the stack first.

// quoted appends s as a JSON string (appendQuoted).
func (w *writer) quoted(s string) { appendQuotedTo(&w.buf, s) }

// int appends i.
func (w *writer) int(i int64) {
	var t [20]byte
	w.buf = append(w.buf, strconv.AppendInt(t[:0], i, 10)...)
}

// quotedInt appends i as a JSON string.
func (w *writer) quotedInt(i int64) {
	w.buf = append(w.buf, '"')
	w.int(i)
	w.buf = append(w.buf, '"')
}

// float appends the finite f (appendFloat).
func (w *writer) float(f float64) {
	var t [32]byte
	w.buf = append(w.buf, appendFloat(t[:0], f)...)
}

// bool appends b.
func (w *writer) bool(b bool) {
	if b {
		w.buf = append(w.buf, "true"...)
	} else {
		w.buf = append(w.buf, "false"...)
	}
}

// time appends t in UTC, in RFC 3339 with nanoseconds, as a JSON string.
func (w *writer) time(t time.Time) {
	var s [40]byte
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, t.UTC().AppendFormat(s[:0], time.RFC3339Nano)...)
	w.buf = append(w.buf, '"')
}

func (w *writer) pushField(pf *planField) { w.path = append(w.path, pathElem{field: pf}) }
func (w *writer) pushIndex(i int)         { w.path = append(w.path, pathElem{index: i}) }
func (w *writer) pop()                    { w.path = w.path[:len(w.path)-1] }
func (w *writer) null()                   { w.buf = append(w.buf, "null"...) }

// truncate cuts the text back to n bytes, dropping the late errors of what
// is cut.
func (w *writer) truncate(n int) {
	w.buf = w.buf[:n]
	for len(w.late) > 0 && w.late[len(w.late)-1].at >= n {
		w.late = w.late[:len(w.late)-1]
	}
}

// astPath returns the current path.
func (w *writer) astPath() ast.Path {
	p := make(ast.Path, len(w.path))
	for i, e := range w.path {
		if e.field != nil {
			p[i] = ast.PathName(e.field.cf.Alias)
		} else {
			p[i] = ast.PathIndex(e.index)
		}
	}
	return p
}

// addLate records err as a late error of the value starting at the end
// of the text.
func (w *writer) addLate(err error) {
	w.late = append(w.late, lateError{at: len(w.buf), err: err})
}

// hole is where the value of a field resolved later goes in a writer's
// text: the index of the field in its plan and the offset of the value.
type hole struct {
	field int
	at    int
}

// splice inserts the text of kids[i] at holes[i].at, for holes in
// increasing order, moving what follows in place.
func (w *writer) splice(holes []hole, kids []*writer) {
	extra := 0
	late := false
	for _, k := range kids {
		extra += len(k.buf)
		late = late || len(k.late) > 0
	}
	old := len(w.buf)
	w.buf = slices.Grow(w.buf, extra)[:old+extra]
	end, src := old+extra, old
	for i := len(holes) - 1; i >= 0; i-- {
		at := holes[i].at
		end -= src - at
		copy(w.buf[end:], w.buf[at:src])
		end -= len(kids[i].buf)
		copy(w.buf[end:], kids[i].buf)
		src = at
	}
	if !late && len(w.late) == 0 {
		return
	}
	// Rebase every late error on the spliced text, in text order.
	shift := func(at int) int {
		n := 0
		for i, h := range holes {
			if at >= h.at {
				n += len(kids[i].buf)
			}
		}
		return at + n
	}
	for i := range w.late {
		w.late[i].at = shift(w.late[i].at)
	}
	for i, k := range kids {
		base := holes[i].at
		for j := 0; j < i; j++ {
			base += len(kids[j].buf)
		}
		for _, le := range k.late {
			w.late = append(w.late, lateError{at: base + le.at, err: le.err})
		}
	}
	slices.SortStableFunc(w.late, func(a, b lateError) int { return a.at - b.at })
}
