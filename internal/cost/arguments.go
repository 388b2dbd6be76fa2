package cost

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// arguments returns the cost of the arguments given to a field, as Apollo
// Router's score_argument has it.
func (w *walker) arguments(fi *fieldInfo, args ast.ArgumentList) amount {
	var total amount
	for _, arg := range args {
		for _, ai := range fi.args {
			if ai.name == arg.Name {
				total = add(total, w.value(arg.Value, ai))
				break
			}
		}
	}
	return total
}

// value returns the cost of the literal v given to a.
func (w *walker) value(v *ast.Value, a *argInfo) amount {
	if v == nil {
		return 0
	}
	switch v.Kind {
	case ast.Variable:
		x, ok := w.vars[v.Raw]
		if !ok {
			return 0
		}
		return variable(x, a)
	case ast.NullValue:
		return 0
	case ast.ObjectValue:
		if a.input == nil {
			return a.weight
		}
		c := a.objectWeight()
		for _, child := range v.Children {
			if f := a.input[child.Name]; f != nil {
				c = add(c, w.value(child.Value, f))
			}
		}
		return c
	case ast.ListValue:
		c := a.weight
		for _, child := range v.Children {
			c = add(c, w.value(child.Value, a))
		}
		return c
	}
	return a.weight
}

// objectWeight returns what an input object given to a costs, besides its
// fields: a's weight, or 1.
func (a *argInfo) objectWeight() amount {
	if a.hasWeight {
		return a.weight
	}
	return unit
}

// variable returns the cost of the variable value x given to a: as value,
// for the values of VariableValues (map[string]any, slices, scalars).
func variable(x any, a *argInfo) amount {
	switch x := x.(type) {
	case nil:
		return 0
	case map[string]any:
		if a.input == nil {
			return a.weight
		}
		c := a.objectWeight()
		for name, fx := range x {
			if f := a.input[name]; f != nil {
				c = add(c, variable(fx, f))
			}
		}
		return c
	case []any:
		c := a.weight
		for _, item := range x {
			c = add(c, variable(item, a))
		}
		return c
	case string, bool, int, int32, int64, float64, json.Number:
		return a.weight
	}
	// Other slices and maps, such as the []string that VariableValues
	// makes of a single value for a list.
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		c := a.weight
		for i := range rv.Len() {
			c = add(c, variable(rv.Index(i).Interface(), a))
		}
		return c
	case reflect.Map:
		if a.input == nil || rv.Type().Key().Kind() != reflect.String {
			return a.weight
		}
		c := a.objectWeight()
		iter := rv.MapRange()
		for iter.Next() {
			if f := a.input[iter.Key().String()]; f != nil {
				c = add(c, variable(iter.Value().Interface(), f))
			}
		}
		return c
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return 0
		}
		return variable(rv.Elem().Interface(), a)
	}
	return a.weight
}

// valueSize returns the size a variable's value stands for as a slicing
// argument: a number's value (0 if negative), a list's length; -1 for
// null or anything else.
func valueSize(x any) int64 {
	switch x := x.(type) {
	case nil:
		return -1
	case int:
		return max(int64(x), 0)
	case int32:
		return max(int64(x), 0)
	case int64:
		return max(x, 0)
	case float64:
		return floatSize(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return max(n, 0)
		}
		f, err := x.Float64()
		if err != nil {
			return -1
		}
		return floatSize(f)
	case string: // VariableValues lets "3" through as an Int
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return max(n, 0)
		}
		return -1
	case []any:
		return int64(len(x))
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return int64(rv.Len())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return max(rv.Int(), 0)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u)
		}
		return math.MaxInt64
	case reflect.Float32, reflect.Float64:
		return floatSize(rv.Float())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return -1
		}
		return valueSize(rv.Elem().Interface())
	}
	return -1
}

// floatSize returns the size a float stands for: rounded up, 0 if
// negative, saturating; -1 for NaN.
func floatSize(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return -1
	case f <= 0:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(math.Ceil(f))
}
