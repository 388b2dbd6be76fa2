package dynamic

import (
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// inputPath is the path of an input value within a field's arguments, as
// a list from the innermost element up, made into an ast.Path only for an
// error.
type inputPath struct {
	parent *inputPath
	name   string
	index  int // -1 for a name
	// base is the field's path, on the root element.
	base ast.Path
}

func (p *inputPath) path() ast.Path {
	n := 0
	var base ast.Path
	for q := p; q != nil; q = q.parent {
		if q.parent == nil {
			base = q.base
		} else {
			n++
		}
	}
	path := make(ast.Path, len(base)+n)
	copy(path, base)
	i := len(path) - 1
	for q := p; q.parent != nil; q = q.parent {
		if q.index >= 0 {
			path[i] = ast.PathIndex(q.index)
		} else {
			path[i] = ast.PathName(q.name)
		}
		i--
	}
	return path
}

// coerceInput coerces the input value v (a literal's value or a
// variable's, as gqlparser and gqlgen give it) to type t, as generated
// code's unmarshal functions do, with the same errors at the same paths:
//
//   - null stays nil;
//   - a list is []any; a single value where a list is due becomes a list
//     of one (graphql.CoerceList);
//   - Int, Float, String, ID and Boolean go through gqlgen's Unmarshal
//     functions: int, float64, string, string, bool;
//   - an enum must be a string naming one of its values;
//   - DateTime is graph/model's UnmarshalDateTime: time.Time; other custom
//     scalars use Config.Scalars;
//   - an input object is a new map[string]any with the fields given and
//     the defaults of those not given, coerced in definition order.
func (ex *execution) coerceInput(v any, t *ast.Type, at *inputPath) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.Elem != nil {
		list := graphql.CoerceList(v)
		out := make([]any, len(list))
		for i, e := range list {
			c, err := ex.coerceInput(e, t.Elem, &inputPath{parent: at, index: i})
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	def := ex.es.schema.Types[t.NamedType]
	var (
		out any
		err error
	)
	switch def.Kind {
	case ast.Scalar:
		switch t.NamedType {
		case "Int":
			out, err = graphql.UnmarshalInt(v)
		case "Float":
			out, err = graphql.UnmarshalFloat(v)
		case "String":
			out, err = graphql.UnmarshalString(v)
		case "ID":
			out, err = graphql.UnmarshalID(v)
		case "Boolean":
			out, err = graphql.UnmarshalBoolean(v)
		default:
			if sc := ex.es.scalars[t.NamedType]; sc != nil {
				out, err = sc.Unmarshal(v)
			} else if t.NamedType == "DateTime" {
				out, err = model.UnmarshalDateTime(v)
			} else {
				out = v
			}
		}
	case ast.Enum:
		s, ok := v.(string)
		switch {
		case !ok:
			err = errors.New("enums must be strings")
		case def.EnumValues.ForName(s) == nil:
			err = fmt.Errorf("%s is not a valid %s", s, def.Name)
		default:
			out = s
		}
	case ast.InputObject:
		return ex.coerceObject(v, def, at)
	default:
		err = fmt.Errorf("dynamic: %s is not an input type", def.Name)
	}
	if err != nil {
		return nil, errorOnPath(at.path(), err)
	}
	return out, nil
}

// coerceObject coerces an input object, as generated unmarshalInput*
// functions do: defaults for the fields not given, then every field given
// in definition order; fields the type does not have are dropped.
func (ex *execution) coerceObject(v any, def *ast.Definition, at *inputPath) (any, error) {
	in, ok := v.(map[string]any)
	if !ok {
		return nil, errorOnPath(at.path(), fmt.Errorf("%T is not an input object %s", v, def.Name))
	}
	out := make(map[string]any, len(def.Fields))
	for _, fd := range def.Fields {
		fv, given := in[fd.Name]
		if !given {
			if fd.DefaultValue == nil {
				continue
			}
			var err error
			if fv, err = fd.DefaultValue.Value(nil); err != nil {
				return nil, errorOnPath(at.path(), err)
			}
		}
		c, err := ex.coerceInput(fv, fd.Type, &inputPath{parent: at, name: fd.Name, index: -1})
		if err != nil {
			return nil, err
		}
		out[fd.Name] = c
	}
	return out, nil
}
