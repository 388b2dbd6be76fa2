package loader

import (
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// storedTimeFormat is how the store keeps DateTime values: fixed-width UTC
// strings, so that byte order is time order.
const storedTimeFormat = "2006-01-02T15:04:05.000000Z"

// coerce checks the literal v of @default(value:) against the type t of the
// field it is a default of, as GraphQL coerces an input literal, and
// returns it as a JSON value: string, float64, bool, []any, map[string]any
// or nil. It reports every mismatch; path names the field, such as
// Goods.dimensions or Goods.tags[1], and ok is false if there is a
// mismatch.
func (c *checker) coerce(path string, t *ast.Type, v *ast.Value) (value any, ok bool) {
	bad := func(format string, args ...any) (any, bool) {
		c.ps.addf(v.Position, "@default of %s: "+format, append([]any{path}, args...)...)
		return nil, false
	}
	if v.Kind == ast.NullValue {
		if t.NonNull {
			return bad("null for the non-null type %s", t)
		}
		return nil, true
	}

	if t.Elem != nil {
		if v.Kind != ast.ListValue {
			// A single value stands for a list of one.
			x, ok := c.coerce(path, t.Elem, v)
			if !ok {
				return nil, false
			}
			return []any{x}, true
		}
		list := make([]any, 0, len(v.Children))
		ok := true
		for i, elem := range v.Children {
			x, elemOK := c.coerce(path+"["+strconv.Itoa(i)+"]", t.Elem, elem.Value)
			ok = ok && elemOK
			list = append(list, x)
		}
		return list, ok
	}

	switch name := t.NamedType; name {
	case "String":
		if v.Kind == ast.StringValue || v.Kind == ast.BlockValue {
			return v.Raw, true
		}
		return bad("%s is not a String", literal(v))
	case "ID":
		if v.Kind == ast.StringValue || v.Kind == ast.BlockValue || v.Kind == ast.IntValue {
			return v.Raw, true
		}
		return bad("%s is not an ID", literal(v))
	case "Boolean":
		if v.Kind == ast.BooleanValue {
			return v.Raw == "true", true
		}
		return bad("%s is not a Boolean", literal(v))
	case "Int":
		if v.Kind != ast.IntValue {
			return bad("%s is not an Int", literal(v))
		}
		n, err := strconv.ParseInt(v.Raw, 10, 32)
		if err != nil {
			return bad("%s is out of the range of Int, a 32-bit integer", literal(v))
		}
		return float64(n), true
	case "Float":
		if v.Kind != ast.IntValue && v.Kind != ast.FloatValue {
			return bad("%s is not a Float", literal(v))
		}
		f, err := strconv.ParseFloat(v.Raw, 64)
		if err != nil {
			return bad("%s is out of the range of Float", literal(v))
		}
		return f, true
	case "DateTime":
		if v.Kind != ast.StringValue && v.Kind != ast.BlockValue {
			return bad("%s is not a DateTime, an RFC 3339 string such as \"2026-11-22T09:30:00Z\"", literal(v))
		}
		tm, err := time.Parse(time.RFC3339Nano, v.Raw)
		if err != nil {
			return bad("%s is not a DateTime, an RFC 3339 string such as \"2026-11-22T09:30:00Z\"", literal(v))
		}
		return tm.UTC().Format(storedTimeFormat), true
	}

	def := c.t.types[t.NamedType]
	if def == nil {
		// A field of a value object with a type that is not allowed,
		// reported by checkObject.
		return nil, false
	}
	switch def.Kind {
	case ast.Enum:
		if v.Kind == ast.EnumValue && def.EnumValues.ForName(v.Raw) != nil {
			return v.Raw, true
		}
		return bad("%s is not a value of enum %s", literal(v), def.Name)
	default: // ast.Object
		if v.Kind != ast.ObjectValue {
			return bad("%s is not an object of type %s", literal(v), def.Name)
		}
		obj := make(map[string]any, len(v.Children))
		ok := true
		given := make(map[string]bool, len(v.Children))
		for _, child := range v.Children {
			f := def.Fields.ForName(child.Name)
			switch {
			case given[child.Name]:
				c.ps.addf(child.Position, "@default of %s: field %s is given twice", path, child.Name)
				ok = false
				continue
			case f == nil:
				c.ps.addf(child.Position, "@default of %s: type %s has no field %s", path, def.Name, child.Name)
				ok = false
				continue
			}
			given[child.Name] = true
			x, fieldOK := c.coerce(path+"."+child.Name, f.Type, child.Value)
			ok = ok && fieldOK
			obj[child.Name] = x
		}
		for _, f := range def.Fields {
			if f.Type.NonNull && !given[f.Name] {
				c.ps.addf(v.Position, "@default of %s: field %s of type %s is missing", path, f.Name, f.Type)
				ok = false
			}
		}
		return obj, ok
	}
}
