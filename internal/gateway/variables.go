package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// strictVariables holds the operation's variables to the coercion rules of
// the GraphQL specification, which gqlparser's VariableValues applies
// loosely: it accepts "1" for a Float and "5" for an Int, 5 for a String,
// 1.5 for an ID and 2147483648 for an Int, compares enum values ignoring
// case, and lets null through where a non-null input field or variable is
// due. Such a variable would otherwise pass and then fail inside execution,
// some as internal errors. It also refuses an explicit null for the if
// argument of @skip and @include (through a variable with a default), as
// graphql-js does, where gqlgen's field collection would panic.
//
// Its errors are request errors at the variable's path, coded as
// validation failures, as gqlparser's own are.
type strictVariables struct {
	schema *ast.Schema // set by Validate
}

var (
	_ graphql.HandlerExtension        = (*strictVariables)(nil)
	_ graphql.OperationContextMutator = (*strictVariables)(nil)
)

func (*strictVariables) ExtensionName() string { return "StrictVariables" }

// Validate is called once, when the extension is added to the handler.
func (e *strictVariables) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	return nil
}

func (e *strictVariables) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	for _, def := range opCtx.Operation.VariableDefinitions {
		v, given := opCtx.Variables[def.Variable]
		if !given {
			continue
		}
		c := coercion{schema: e.schema, variable: def.Variable}
		if err := c.check(def.Type, v, nil); err != nil {
			return err
		}
	}
	return e.checkDirectives(opCtx)
}

// checkDirectives refuses a null if of @skip or @include through a
// variable, in the operation and the fragments it uses.
func (e *strictVariables) checkDirectives(opCtx *graphql.OperationContext) *gqlerror.Error {
	anyNull := false
	for _, v := range opCtx.Variables {
		anyNull = anyNull || v == nil
	}
	if !anyNull {
		return nil // the common case: no walk of the document
	}
	seen := map[string]bool{}
	var walk func(sel ast.SelectionSet) *gqlerror.Error
	check := func(dirs ast.DirectiveList) *gqlerror.Error {
		for _, d := range dirs {
			if d.Name != "skip" && d.Name != "include" {
				continue
			}
			arg := d.Arguments.ForName("if")
			if arg == nil || arg.Value == nil || arg.Value.Kind != ast.Variable {
				continue
			}
			if v, ok := opCtx.Variables[arg.Value.Raw]; ok && v == nil {
				err := gqlerror.ErrorPosf(arg.Value.Position, `Argument "if" of non-null type "Boolean!" must not be null.`)
				errcode.Set(err, errcode.ValidationFailed)
				return err
			}
		}
		return nil
	}
	walk = func(sel ast.SelectionSet) *gqlerror.Error {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if err := check(s.Directives); err != nil {
					return err
				}
				if err := walk(s.SelectionSet); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := check(s.Directives); err != nil {
					return err
				}
				if err := walk(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if err := check(s.Directives); err != nil {
					return err
				}
				if seen[s.Name] || s.Definition == nil {
					continue
				}
				seen[s.Name] = true
				if err := walk(s.Definition.SelectionSet); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(opCtx.Operation.SelectionSet)
}

// coercion checks one variable's value.
type coercion struct {
	schema   *ast.Schema
	variable string
}

// valuePath is the path of a value within a variable, from the value up:
// a field's name, or an index when name is "". nil is the variable's
// value itself. It is made into an ast.Path only for an error, so that
// checking a valid value allocates nothing for paths.
type valuePath struct {
	parent *valuePath
	name   string
	index  int
}

// path returns the path of p in the variable, as the response reports it:
// ["variable", name, ...].
func (p *valuePath) path(variable string) ast.Path {
	var rev ast.Path
	for ; p != nil; p = p.parent {
		if p.name != "" {
			rev = append(rev, ast.PathName(p.name))
		} else {
			rev = append(rev, ast.PathIndex(p.index))
		}
	}
	path := ast.Path{ast.PathName("variable"), ast.PathName(variable)}
	for i := len(rev) - 1; i >= 0; i-- {
		path = append(path, rev[i])
	}
	return path
}

// fail returns the error of the variable's value at path.
func (c *coercion) fail(p *valuePath, format string, args ...any) *gqlerror.Error {
	path := p.path(c.variable)
	err := gqlerror.ErrorPathf(path, "Variable \"$%s\" got invalid value: %s", c.variable, fmt.Sprintf(format, args...))
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// check checks v, the value at path of type t, as gqlparser left it.
func (c *coercion) check(t *ast.Type, v any, path *valuePath) *gqlerror.Error {
	if v == nil {
		if t.NonNull {
			return c.fail(path, "expected a value of non-null type %q, found null", t.String())
		}
		return nil
	}
	if t.Elem != nil {
		// gqlparser leaves lists as slices of various element types, and
		// a single value where a list is due as it is.
		l := reflect.ValueOf(v)
		if l.Kind() != reflect.Slice {
			return c.check(t.Elem, v, path)
		}
		for i := range l.Len() {
			if err := c.check(t.Elem, l.Index(i).Interface(), &valuePath{parent: path, index: i}); err != nil {
				return err
			}
		}
		return nil
	}
	def := c.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Scalar:
		if msg := scalarProblem(def.Name, v); msg != "" {
			return c.fail(path, "%s", msg)
		}
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return c.fail(path, "Enum %q cannot represent %s", def.Name, describe(v))
		}
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return c.fail(path, "expected an object of type %q, found %s", def.Name, describe(v))
		}
		for _, f := range def.Fields {
			fv, given := m[f.Name]
			if !given {
				continue // absent: the default, or gqlparser's error when required
			}
			if err := c.check(f.Type, fv, &valuePath{parent: path, name: f.Name}); err != nil {
				return err
			}
		}
	}
	return nil
}

// scalarProblem returns why v is no value of the scalar name, or "".
func scalarProblem(name string, v any) string {
	switch name {
	case "Int":
		n, ok := number(v)
		if !ok || n != math.Trunc(n) {
			return "Int cannot represent non-integer value: " + describe(v)
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return "Int cannot represent non 32-bit signed integer value: " + describe(v)
		}
	case "Float":
		if n, ok := number(v); !ok || math.IsInf(n, 0) || math.IsNaN(n) {
			return "Float cannot represent non numeric value: " + describe(v)
		}
	case "String":
		if _, ok := v.(string); !ok {
			return "String cannot represent a non string value: " + describe(v)
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return "Boolean cannot represent a non boolean value: " + describe(v)
		}
	case "ID":
		if _, ok := v.(string); ok {
			return ""
		}
		if n, ok := number(v); !ok || n != math.Trunc(n) {
			return "ID cannot represent value: " + describe(v)
		}
	case "DateTime":
		s, ok := v.(string)
		if !ok {
			return "DateTime cannot represent a non string value: " + describe(v)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return "DateTime must be an RFC 3339 date and time with a time zone offset: " + describe(v)
		}
	}
	return ""
}

// number returns v as a float64 if it is a JSON number (as the request
// decoder and gqlparser leave numbers), and false for anything else:
// strings, even of digits, are not numbers.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// describe writes v as JSON, for error messages: the client's own value.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
