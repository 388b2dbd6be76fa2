package store

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/extension"
)

// How both stores compare extension values. Memory evaluates extKey and
// extCond in Go; Postgres turns them into SQL (query.extExpr) that gives
// the same answers: a value of the key's class, or SQL NULL where the Go
// side has nil.
//
// The value of a key is, by class:
//
//	ClassString  a JSON string, as a Go string, compared by bytes
//	ClassNumber  a JSON number, as a float64 (numeric in SQL: stored
//	             numbers are the shortest decimals of float64s, so both
//	             orders agree)
//	ClassBool    a JSON boolean, false before true
//	ClassTime    a JSON string of extTimeLayout (extTimePattern), compared
//	             by bytes, which is time order
//
// Any other stored value, JSON null included, is null; a missing key has
// the key's default, or null. Null sorts first, and satisfies no condition.

var extTimeRegexp = regexp.MustCompile(extTimePattern)

// classNames names the comparable classes, in cursors and errors.
var classNames = map[extension.Class]string{
	extension.ClassString: "string",
	extension.ClassNumber: "number",
	extension.ClassBool:   "bool",
	extension.ClassTime:   "time",
}

// Operands of time conditions that lie outside the times a value can hold
// (before year 0000 or after 9999) become strings that sort before or
// after every value; timeNever equals no value.
const (
	timeBeforeAll = ""
	timeAfterAll  = "~"
	timeNever     = ""
)

// extKey is a checked ExtKey.
type extKey struct {
	name  string
	class extension.Class
	// def is the value of goods that do not have the key: the key's
	// Default as a value of class, or nil.
	def any
}

// compileExtKey checks k. Its Default must be a value of its class in the
// stored representation (a time.Time is accepted for ClassTime and any
// number for ClassNumber, and converted).
func compileExtKey(k *ExtKey) (extKey, error) {
	name, ok := classNames[k.Class]
	if !ok {
		return extKey{}, fmt.Errorf("store: extension field %q: class %d cannot be compared", k.Name, k.Class)
	}
	if err := checkText("extension field name", k.Name); err != nil {
		return extKey{}, err
	}
	key := extKey{name: k.Name, class: k.Class}
	if k.Default != nil {
		d, err := normalizeExt(map[string]any{"": k.Default})
		if err != nil {
			return extKey{}, fmt.Errorf("store: default of extension field %q: %w", k.Name, err)
		}
		if key.def = classify(d[""], k.Class); key.def == nil {
			return extKey{}, fmt.Errorf("store: default %#v of extension field %q is not a %s value", k.Default, k.Name, name)
		}
	}
	return key, nil
}

// value returns the value of k in the extension values ext.
func (k *extKey) value(ext map[string]any) any {
	v, ok := ext[k.name]
	if !ok {
		return k.def
	}
	return classify(v, k.class)
}

// classify returns the stored JSON value v as a value of class c, or nil
// if it is not one.
func classify(v any, c extension.Class) any {
	switch c {
	case extension.ClassString:
		if s, ok := v.(string); ok {
			return s
		}
	case extension.ClassNumber:
		if f, ok := v.(float64); ok {
			return f
		}
	case extension.ClassBool:
		if b, ok := v.(bool); ok {
			return b
		}
	case extension.ClassTime:
		if s, ok := v.(string); ok && extTimeRegexp.MatchString(s) {
			return s
		}
	}
	return nil
}

// compareValues compares two values of one sort key: nil (null) first,
// then strings by bytes, numbers, false before true, and times. a and b
// are nil or of the same type.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case float64:
		return cmp.Compare(a, b.(float64))
	case bool:
		switch b := b.(bool); {
		case a == b:
			return 0
		case b:
			return -1
		default:
			return 1
		}
	case time.Time:
		return a.Compare(b.(time.Time))
	}
	panic(fmt.Sprintf("store: cannot compare %T", a))
}

// extCond is a checked ExtCondition, with its operands as values of the
// key's class.
type extCond struct {
	key extKey
	eq  any   // nil: no condition
	in  []any // nil: no condition; empty: matches nothing
	// bounds hold for the value v when v op bound.v, op being an SQL
	// comparison operator.
	bounds []extBound
}

type extBound struct {
	op string // ">", ">=", "<" or "<="
	v  any
}

func compileExtCond(c *ExtCondition) (extCond, error) {
	key, err := compileExtKey(&c.ExtKey)
	if err != nil {
		return extCond{}, err
	}
	out := extCond{key: key}
	if c.Eq != nil {
		if out.eq, err = extOperand(&key, "=", c.Eq); err != nil {
			return extCond{}, err
		}
	}
	if c.In != nil {
		out.in = make([]any, len(c.In))
		for i, x := range c.In {
			if out.in[i], err = extOperand(&key, "=", x); err != nil {
				return extCond{}, err
			}
		}
	}
	for _, b := range []extBound{{">", c.Gt}, {">=", c.Gte}, {"<", c.Lt}, {"<=", c.Lte}} {
		if b.v == nil {
			continue
		}
		if b.v, err = extOperand(&key, b.op, b.v); err != nil {
			return extCond{}, err
		}
		out.bounds = append(out.bounds, b)
	}
	return out, nil
}

// extOperand returns x, the operand of a comparison op with the value of
// k, as a value of k's class that gives the same result.
func extOperand(k *extKey, op string, x any) (any, error) {
	bad := func(why string) error {
		return fmt.Errorf("store: condition on extension field %q: operand %#v %s", k.name, x, why)
	}
	switch k.class {
	case extension.ClassString:
		s, ok := x.(string)
		if !ok {
			return nil, bad("is not a string")
		}
		if err := checkText("extension condition", s); err != nil {
			return nil, err
		}
		return s, nil
	case extension.ClassNumber:
		var f float64
		switch rv := reflect.ValueOf(x); {
		case rv.CanFloat():
			f = rv.Float()
		case rv.CanInt():
			f = float64(rv.Int())
		case rv.CanUint():
			f = float64(rv.Uint())
		default:
			return nil, bad("is not a number")
		}
		if math.IsNaN(f) {
			return nil, bad("is NaN")
		}
		return f, nil
	case extension.ClassBool:
		b, ok := x.(bool)
		if !ok {
			return nil, bad("is not a bool")
		}
		return b, nil
	case extension.ClassTime:
		t, ok := x.(time.Time)
		if !ok {
			return nil, bad("is not a time.Time")
		}
		return timeOperand(t, op), nil
	}
	return nil, errors.New("store: unreachable: unknown class")
}

// timeOperand returns the string that the stored times (which have
// microsecond precision) compare with as they compare with t: t rounded
// in the direction that keeps the comparison exact, as the CreatedAt
// range is.
func timeOperand(t time.Time, op string) string {
	switch op {
	case "=":
		if !t.Equal(truncateTime(t)) {
			return timeNever
		}
		t = truncateTime(t)
	case ">", "<=":
		t = truncateTime(t)
	case ">=", "<":
		t = ceilTime(t)
	}
	switch y := t.Year(); {
	case y < 0:
		return timeBeforeAll
	case y > 9999:
		return timeAfterAll
	}
	return t.Format(extTimeLayout)
}

// match reports whether the goods with the extension values ext satisfy c.
func (c *extCond) match(ext map[string]any) bool {
	v := c.key.value(ext)
	equal := func(x any) bool { return v != nil && compareValues(v, x) == 0 }
	if c.eq != nil && !equal(c.eq) {
		return false
	}
	if c.in != nil && !slices.ContainsFunc(c.in, equal) {
		return false
	}
	for _, b := range c.bounds {
		if v == nil {
			return false
		}
		r := compareValues(v, b.v)
		if !(b.op == ">" && r > 0 || b.op == ">=" && r >= 0 || b.op == "<" && r < 0 || b.op == "<=" && r <= 0) {
			return false
		}
	}
	return true
}
