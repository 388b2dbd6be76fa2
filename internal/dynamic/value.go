package dynamic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/jsonlex"
)

// writeScalar writes v as a value of the scalar type t, as gqlgen's
// Marshal functions write the Go types generated code would use, and
// returns false if t is non-null and it wrote null. A value that does not
// fit t is an error at w's path.
func (ex *execution) writeScalar(ctx context.Context, w *writer, t *typeRef, v any) bool {
	switch t.scalar {
	case scalarString:
		switch s := v.(type) {
		case *string:
			if s == nil {
				return ex.writeNull(ctx, w, t)
			}
			w.quoted(*s)
			return true
		case string:
			w.quoted(s)
			return true
		}
		if isNilPointer(v) {
			return ex.writeNull(ctx, w, t)
		}
		if w.coercedString(v, false) {
			return true
		}
	case scalarID:
		switch s := v.(type) {
		case *string:
			if s == nil {
				return ex.writeNull(ctx, w, t)
			}
			w.quoted(*s)
			return true
		case string:
			w.quoted(s)
			return true
		}
		if isNilPointer(v) {
			return ex.writeNull(ctx, w, t)
		}
		if w.coercedString(v, true) {
			return true
		}
	case scalarInt:
		i, ok, isNil := intValue(v)
		if isNil {
			return ex.writeNull(ctx, w, t)
		}
		if ok {
			w.int(i)
			return true
		}
	case scalarFloat:
		f, ok, isNil := floatValue(v)
		if isNil {
			return ex.writeNull(ctx, w, t)
		}
		if ok {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				// As gqlgen: an error when the response is marshalled, and
				// null without propagation.
				w.addLate(gqlerror.WrapPath(w.astPath(), errors.New(msgNonFiniteFloat)))
				w.null()
				return true
			}
			w.float(f)
			return true
		}
	case scalarBoolean:
		switch b := v.(type) {
		case bool:
			w.bool(b)
			return true
		case *bool:
			if b == nil {
				return ex.writeNull(ctx, w, t)
			}
			w.bool(*b)
			return true
		}
	case scalarDateTime:
		var tm time.Time
		switch x := v.(type) {
		case *time.Time:
			if x == nil {
				return ex.writeNull(ctx, w, t)
			}
			tm = *x
		case time.Time:
			tm = x
		case string:
			// How the store keeps extension values.
			var err error
			if tm, err = time.Parse(time.RFC3339Nano, x); err != nil {
				return ex.unfit(ctx, w, t, v)
			}
		default:
			return ex.unfit(ctx, w, t, v)
		}
		// model.MarshalDateTime, without its strconv.Quote: the RFC 3339
		// text has nothing to escape.
		w.time(tm)
		return true
	case scalarCustom:
		// gqlgen's MarshalAny, the default, panics if v is not JSON: the
		// field's panic.
		m, err := t.custom.Marshal(v)
		if err != nil {
			ex.fieldError(ctx, w, fmt.Errorf("dynamic: %s: %w", t.name, err))
			w.null()
			return !t.nonNull
		}
		m.MarshalGQL(w)
		return true
	}
	return ex.unfit(ctx, w, t, v)
}

// coercedString writes v, a boolean or a finite number, as a String as
// graphql-js's serializeString does (true is "true", 1.5 is "1.5", numbers
// spelled as JavaScript's String spells them), or as an ID if id is set,
// as serializeID does (integral numbers only), and reports whether it
// did. The spec asks for this "where reasonable without losing
// information"; gqlgen's generated code refuses such values. They reach
// the executor from JSON: a tenant's extension value stored before its
// field became a String, or an upstream's answer.
//
// Go's integers and integral json.Number texts are written exactly,
// where JavaScript would round those beyond 2^53: an ID of 2^63 stays
// itself. Pointers to booleans and numbers are followed (see
// isNilPointer for nil ones).
func (w *writer) coercedString(v any, id bool) bool {
	if n, ok := v.(json.Number); ok {
		if isJSONInteger(string(n)) {
			if n == "-0" {
				n = "0"
			}
			w.buf = append(w.buf, '"')
			w.buf = append(w.buf, n...)
			w.buf = append(w.buf, '"')
			return true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return false // not a number, or beyond float64
		}
		return w.coercedString(f, id)
	}
	// Off the hot path (strings are written before), so reflection
	// rather than a case for each of Go's number types.
	var t [32]byte
	b := t[:0]
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer:
		return !rv.IsNil() && boolOrNumber(rv.Elem().Kind()) && w.coercedString(rv.Elem().Interface(), id)
	case reflect.Bool:
		if id {
			return false
		}
		b = strconv.AppendBool(b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b = strconv.AppendInt(b, rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b = strconv.AppendUint(b, rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) || id && f != math.Trunc(f) {
			return false
		}
		b = appendJSNumber(b, f)
	default:
		return false
	}
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '"')
	return true
}

// boolOrNumber reports whether values of kind k are booleans or numbers.
func boolOrNumber(k reflect.Kind) bool {
	return k == reflect.Bool || reflect.Int <= k && k <= reflect.Float64
}

// isNilPointer reports whether v is a nil pointer to a boolean or a
// number: null, as a nil *string is.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil() && boolOrNumber(rv.Type().Elem().Kind())
}

// isJSONInteger reports whether s is a JSON number without fraction or
// exponent: an optional minus, then 0 or digits not starting with 0.
func isJSONInteger(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || s[0] == '0' && len(s) > 1 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendJSNumber appends the finite f as JavaScript's String(f) spells it
// (ECMA-262 Number::toString): as JSON spells it, but 0 for -0.
func appendJSNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	return jsonlex.AppendFloat(b, f)
}

// writeLeaf writes v as a value of the scalar type t, as writeScalar
// does, if v is one that cannot fail to be one (a string, a number that
// fits, a boolean, a time, not nil), and reports whether it did. It
// leaves anything else, custom scalars and null included, to
// writeScalar, which reports errors at w's path.
func (w *writer) writeLeaf(t *typeRef, v any) bool {
	switch t.scalar {
	case scalarString, scalarID:
		switch s := v.(type) {
		case string:
			w.quoted(s)
			return true
		case *string:
			if s != nil {
				w.quoted(*s)
				return true
			}
		}
	case scalarInt:
		if i, ok, _ := intValue(v); ok {
			w.int(i)
			return true
		}
	case scalarFloat:
		if f, ok, _ := floatValue(v); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			w.float(f)
			return true
		}
	case scalarBoolean:
		switch b := v.(type) {
		case bool:
			w.bool(b)
			return true
		case *bool:
			if b != nil {
				w.bool(*b)
				return true
			}
		}
	case scalarDateTime:
		switch x := v.(type) {
		case time.Time:
			w.time(x)
			return true
		case *time.Time:
			if x != nil {
				w.time(*x)
				return true
			}
		}
	}
	return false
}

// intValue returns v as an Int: a Go integer, or a float64 with no
// fraction, in the 32 bits the spec gives Int.
func intValue(v any) (i int64, ok, isNil bool) {
	switch n := v.(type) {
	case int:
		i = int64(n)
	case *int:
		if n == nil {
			return 0, false, true
		}
		i = int64(*n)
	case int64:
		i = n
	case *int64:
		if n == nil {
			return 0, false, true
		}
		i = *n
	case int32:
		return int64(n), true, false
	case int16:
		return int64(n), true, false
	case int8:
		return int64(n), true, false
	case uint8:
		return int64(n), true, false
	case uint16:
		return int64(n), true, false
	case uint32:
		i = int64(n)
	case float64:
		// How JSON (and so the store's extension values) gives numbers.
		if n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false, false
		}
		return int64(n), true, false
	case *float64:
		if n == nil {
			return 0, false, true
		}
		return intValue(*n)
	case json.Number:
		var err error
		if i, err = n.Int64(); err != nil {
			// 1.0 or 1e2, as JSON may spell an integer (an upstream's
			// answer): an Int if it is one, as for a float64.
			f, ferr := n.Float64()
			if ferr != nil {
				return 0, false, false
			}
			return intValue(f)
		}
	default:
		return 0, false, false
	}
	return i, i >= math.MinInt32 && i <= math.MaxInt32, false
}

// floatValue returns v as a Float.
func floatValue(v any) (f float64, ok, isNil bool) {
	switch n := v.(type) {
	case float64:
		return n, true, false
	case *float64:
		if n == nil {
			return 0, false, true
		}
		return *n, true, false
	case float32:
		return float64(n), true, false
	case int:
		return float64(n), true, false
	case int64:
		return float64(n), true, false
	case int32:
		return float64(n), true, false
	case *int:
		if n == nil {
			return 0, false, true
		}
		return float64(*n), true, false
	case json.Number:
		f, err := n.Float64()
		return f, err == nil, false
	}
	return 0, false, false
}

// writeEnum writes v, which must be the name of a value of the enum t.
func (ex *execution) writeEnum(ctx context.Context, w *writer, t *typeRef, v any) bool {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case *string:
		if x == nil {
			return ex.writeNull(ctx, w, t)
		}
		s = *x
	case fmt.Stringer:
		s = x.String()
	default:
		return ex.unfit(ctx, w, t, v)
	}
	if ex.restricted[t.name] {
		if err := ex.access.EnumValue(t.name, s); err != nil {
			ex.fieldError(ctx, w, err)
			w.null()
			return !t.nonNull
		}
	}
	if _, ok := t.enum[s]; !ok {
		ex.fieldError(ctx, w, fmt.Errorf("dynamic: enum %s has no value %q", t.name, s))
		w.null()
		return !t.nonNull
	}
	w.quoted(s)
	return true
}

// unfitError is the error of a value v that does not fit type t.
func unfitError(t *typeRef, v any) error {
	name := t.name
	if t.kind == kindList {
		name = "a list"
	}
	switch x := v.(type) {
	case string:
		return fmt.Errorf("dynamic: %s cannot represent the string %q", name, x)
	case fmt.Stringer, error:
		return fmt.Errorf("dynamic: %s cannot represent a value of type %T", name, v)
	default:
		return fmt.Errorf("dynamic: %s cannot represent a value of type %T: %v", name, v, v)
	}
}

// asList returns v as a List; a nil slice is a nil List. ok is false if v
// is no list.
func asList(v any) (l List, ok bool) {
	switch x := v.(type) {
	case List:
		return x, true
	case []any:
		return sliceList(valueList[any](x))
	case []string:
		return sliceList(ptrList[string](x))
	case []int:
		return sliceList(ptrList[int](x))
	case []float64:
		return sliceList(ptrList[float64](x))
	case []bool:
		return sliceList(valueList[bool](x))
	case []map[string]any:
		return sliceList(mapList(x))
	}
	return nil, false
}

// sliceList returns s as a List, and a nil List, which is null, for a nil
// s.
func sliceList[L interface {
	~[]E
	List
}, E any](s L) (List, bool) {
	if s == nil {
		return nil, true
	}
	return s, true
}

// ptrList is a slice as a List of pointers to its elements, which go into
// an interface without an allocation (see Object).
type ptrList[E any] []E

func (l ptrList[E]) Len() int     { return len(l) }
func (l ptrList[E]) At(i int) any { return &l[i] }

// valueList is a slice as a List of its elements, for those that go into
// an interface without an allocation already.
type valueList[E any] []E

func (l valueList[E]) Len() int     { return len(l) }
func (l valueList[E]) At(i int) any { return l[i] }

// mapList is a []map[string]any as a List; a nil element is null.
type mapList []map[string]any

func (l mapList) Len() int { return len(l) }
func (l mapList) At(i int) any {
	if l[i] == nil {
		return nil
	}
	return l[i]
}
