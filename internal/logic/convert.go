package logic

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"github.com/vektah/gqlparser/v2/ast"
)

var errNoGoods = errors.New("self is not a goods")

// fromGo returns v, a value of the GraphQL type t as the executor and the
// store hold it (a pointer or not; numbers of extension fields as JSON
// decodes them; a DateTime as time.Time or RFC 3339 text), as the Go value
// CEL reads as t's CEL type (see celType): int64, float64, string, bool,
// time.Time, []any, map[string]any, or nil for null.
func fromGo(schema *ast.Schema, t *ast.Type, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *string:
		if x == nil {
			return nil
		}
		v = *x
	case *float64:
		if x == nil {
			return nil
		}
		v = *x
	case *int:
		if x == nil {
			return nil
		}
		v = *x
	case *bool:
		if x == nil {
			return nil
		}
		v = *x
	case *time.Time:
		if x == nil {
			return nil
		}
		v = *x
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = fromGo(schema, t.Elem, e)
		}
		return out
	}
	switch t.NamedType {
	case "Int":
		switch n := v.(type) {
		case float64:
			return int64(n)
		case int:
			return int64(n)
		case json.Number:
			i, _ := n.Int64()
			return i
		}
	case "Float":
		switch n := v.(type) {
		case int:
			return float64(n)
		case int64:
			return float64(n)
		case json.Number:
			f, _ := n.Float64()
			return f
		}
	case "DateTime":
		if s, ok := v.(string); ok {
			if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return tm
			}
		}
	default:
		def := schema.Types[t.NamedType]
		if m, ok := v.(map[string]any); ok && def != nil && def.Kind == ast.Object {
			out := make(map[string]any, len(m))
			for _, f := range def.Fields {
				if fv, ok := m[f.Name]; ok {
					out[f.Name] = fromGo(schema, f.Type, fv)
				}
			}
			return out
		}
	}
	return v
}

// toGo returns the result of a program, of CEL type, as a value of the
// GraphQL type t for the executor: int, float64, string, bool, time.Time,
// []any, map[string]any, or nil for null. A result that does not fit t
// (an Int out of 32 bits, a non-finite Float, a string that is no value
// of the enum, a null for a non-null type) is an error.
func toGo(schema *ast.Schema, t *ast.Type, v ref.Val) (any, error) {
	if v == nil || v.Type() == types.NullType {
		if t.NonNull {
			return nil, errors.New("the result is null, and the field is non-null")
		}
		return nil, nil
	}
	if t.Elem != nil {
		l, ok := v.(traits.Lister)
		if !ok {
			return nil, fmt.Errorf("the result is a %s, not a list", v.Type().TypeName())
		}
		n := int(l.Size().(types.Int))
		out := make([]any, n)
		for i := range n {
			e, err := toGo(schema, t.Elem, l.Get(types.Int(i)))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	switch t.NamedType {
	case "Int":
		switch n := v.(type) {
		case types.Int:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, fmt.Errorf("the result %d is out of the range of Int", int64(n))
			}
			return int(n), nil
		case types.Uint:
			if n > math.MaxInt32 {
				return nil, fmt.Errorf("the result %d is out of the range of Int", uint64(n))
			}
			return int(n), nil
		}
	case "Float":
		var f float64
		switch n := v.(type) {
		case types.Double:
			f = float64(n)
		case types.Int:
			f = float64(n)
		default:
			return nil, fmt.Errorf("the result is a %s, not a double", v.Type().TypeName())
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("the result is not a finite number")
		}
		return f, nil
	case "String", "ID":
		if s, ok := v.(types.String); ok {
			return string(s), nil
		}
	case "Boolean":
		if b, ok := v.(types.Bool); ok {
			return bool(b), nil
		}
	case "DateTime":
		if ts, ok := v.(types.Timestamp); ok {
			return ts.Time, nil
		}
	default:
		def := schema.Types[t.NamedType]
		switch {
		case def != nil && def.Kind == ast.Enum:
			s, ok := v.(types.String)
			if ok && def.EnumValues.ForName(string(s)) != nil {
				return string(s), nil
			}
			if ok {
				return nil, fmt.Errorf("the result is no value of %s", def.Name)
			}
		case def != nil && def.Kind == ast.Object:
			m, err := v.ConvertToNative(mapType)
			if err != nil {
				return nil, fmt.Errorf("the result is a %s, not a map", v.Type().TypeName())
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("the result is a %s, which does not fit %s", v.Type().TypeName(), t.String())
}
