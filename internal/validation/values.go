package validation

import (
	"errors"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// ValuesOfCorrectType is gqlparser's rule of the same name, checked once
// per value: every literal fits the type expected where it is written.
//
// gqlparser's rule also builds each list and input object as a Go value,
// on every visit of each value it is nested in, and reports the value if
// that fails (a number out of range, inside or not); this one finds
// whether that would fail in one pass over the value. It differs in one
// way: gqlparser builds a variable from its default value, and so also
// reports a variable whose default is out of range wherever it is used,
// in each operation that defines it so. The default itself is reported in
// both, so a document is valid for both or for neither.
var ValuesOfCorrectType = core.Rule{
	Name: "ValuesOfCorrectType",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			c := valueChecker{addError: addError}
			(&visitor{value: func(v *ast.Value) { c.check(v) }}).document(w.Document)
		})
	},
}

type valueChecker struct {
	addError core.AddErrFunc
}

// check checks v and the values within it, and reports whether building
// v as a Go value (ast.Value.Value(nil)) fails.
func (c *valueChecker) check(v *ast.Value) (fails bool) {
	if v == nil {
		return false
	}
	switch v.Kind {
	case ast.IntValue:
		if v.Definition != nil && v.Definition.Name == "Float" {
			// Any integer literal is a Float, as the spec's input
			// coercion and graphql-js have it. The literal becomes the
			// FloatValue it stands for, so that whatever builds it later
			// (the executor's arguments, gqlparser's VariableValues for a
			// variable's default) makes a float64 of it: ast.Value.Value
			// makes an int64 of an IntValue, and fails beyond 64 bits.
			_, err := strconv.ParseFloat(v.Raw, 64)
			if fails = err != nil; !fails {
				v.Kind = ast.FloatValue
			}
			break
		}
		_, err := strconv.ParseInt(v.Raw, 10, 64)
		fails = err != nil
	case ast.FloatValue:
		_, err := strconv.ParseFloat(v.Raw, 64)
		fails = err != nil
	case ast.BooleanValue:
		_, err := strconv.ParseBool(v.Raw)
		fails = err != nil
	case ast.ListValue, ast.ObjectValue:
		for _, ch := range v.Children {
			f := c.check(ch.Value)
			if v.Kind == ast.ObjectValue && unsetVariable(ch.Value) {
				continue
			}
			fails = fails || f
		}
	}
	c.value(v, fails)
	return fails
}

// unsetVariable reports whether v is a variable that ast.Value.Value(nil)
// leaves out of an input object.
func unsetVariable(v *ast.Value) bool {
	return v != nil && v.Kind == ast.Variable && (v.VariableDefinition == nil || v.VariableDefinition.DefaultValue == nil)
}

// value checks v itself, as gqlparser's rule does on each visit.
func (c *valueChecker) value(v *ast.Value, fails bool) {
	if v.Definition == nil || v.ExpectedType == nil {
		return
	}
	def, want := v.Definition, v.ExpectedType
	if v.Kind == ast.NullValue && want.NonNull {
		c.addError(core.Message(`Expected value of type "%s", found %s.`, want.String(), v.String()), core.At(v.Position))
	}
	if def.Name == "DateTime" {
		// The base schema's own scalar: its literals are checked here,
		// as graphql-js checks a scalar's literals with its parseLiteral,
		// rather than failing during execution.
		c.dateTime(v)
		return
	}
	if def.Kind == ast.Scalar && !def.OneOf("Int", "Float", "String", "Boolean", "ID") {
		return // custom scalars check their values when they parse them
	}
	if fails {
		c.unexpected(v)
	}

	switch v.Kind {
	case ast.ListValue:
		if want.Elem == nil {
			c.unexpected(v)
		}
	case ast.IntValue:
		if !def.OneOf("Int", "Float", "ID") {
			c.unexpected(v)
		} else if _, err := strconv.ParseInt(v.Raw, 10, 32); def.Name == "Int" && err != nil && !fails {
			c.unexpected(v) // an Int is 32 bits, as the spec says
		}
	case ast.FloatValue:
		if !def.OneOf("Float") {
			c.unexpected(v)
		}
	case ast.StringValue, ast.BlockValue:
		if def.Kind == ast.Enum {
			c.addError(
				core.Message(`Enum "%s" cannot represent non-enum value: %s.`, want.String(), v.String()),
				core.SuggestListQuoted("Did you mean the enum value", v.Raw, enumNames(def)),
				core.At(v.Position),
			)
		} else if !def.OneOf("String", "ID") {
			c.unexpected(v)
		}
	case ast.EnumValue:
		if def.Kind != ast.Enum {
			c.addError(unexpectedMessage(v), core.SuggestListUnquoted("Did you mean the enum value", v.Raw, enumNames(def)), core.At(v.Position))
		} else if def.EnumValues.ForName(v.Raw) == nil {
			c.addError(
				core.Message(`Value "%s" does not exist in "%s" enum.`, v.String(), want.String()),
				core.SuggestListQuoted("Did you mean the enum value", v.Raw, enumNames(def)),
				core.At(v.Position),
			)
		}
	case ast.BooleanValue:
		if !def.OneOf("Boolean") {
			c.unexpected(v)
		}
	case ast.ObjectValue:
		if def.Kind != ast.InputObject {
			c.unexpected(v)
			return
		}
		c.object(v)
	}
}

// dateTime checks v, a literal where a DateTime is expected: a string in
// RFC 3339 with a time zone offset, or null where null is allowed.
func (c *valueChecker) dateTime(v *ast.Value) {
	switch v.Kind {
	case ast.Variable, ast.NullValue:
		return // variables are coerced apart; null was checked above
	case ast.StringValue, ast.BlockValue:
		if _, err := time.Parse(time.RFC3339Nano, v.Raw); err == nil {
			return
		}
		c.addError(core.Message(`Expected value of type "%s", found %s; DateTime must be an RFC 3339 date and time with a time zone offset, such as "2026-11-22T09:30:00Z".`, v.ExpectedType.String(), v.String()), core.At(v.Position))
	case ast.ListValue:
		if v.ExpectedType.Elem == nil {
			c.unexpected(v)
		}
	default:
		c.unexpected(v)
	}
}

// enumNames returns the values of def if it is an enum, and nothing
// otherwise.
func enumNames(def *ast.Definition) []string {
	var names []string
	if def.Kind == ast.Enum {
		for _, e := range def.EnumValues {
			names = append(names, e.Name)
		}
	}
	return names
}

func (c *valueChecker) object(v *ast.Value) {
	def := v.Definition
	for _, f := range def.Fields {
		if f.Type.NonNull && v.Children.ForName(f.Name) == nil && f.DefaultValue == nil {
			c.addError(
				core.Message(`Field "%s.%s" of required type "%s" was not provided.`, def.Name, f.Name, f.Type.String()),
				core.At(v.Position),
			)
		}
	}
	for _, d := range def.Directives {
		if d.Name != "oneOf" {
			continue
		}
		if len(v.Children) != 1 {
			c.addError(core.Message(`OneOf Input Object "%s" must specify exactly one key.`, def.Name), core.At(v.Position))
			continue
		}
		if fv := v.Children[0].Value; fv != nil && fv.Kind == ast.NullValue {
			// gqlparser names the first field of the type, whichever was given.
			c.addError(core.Message(`Field "%s.%s" must be non-null.`, def.Name, def.Fields[0].Name), core.At(fv.Position))
		}
	}
	for _, ch := range v.Children {
		if def.Fields.ForName(ch.Name) != nil {
			continue
		}
		var names []string
		for _, f := range def.Fields {
			names = append(names, f.Name)
		}
		c.addError(
			core.Message(`Field "%s" is not defined by type "%s".`, ch.Name, def.Name),
			core.SuggestListQuoted("Did you mean", ch.Name, names),
			core.At(ch.Position),
		)
	}
}

func (c *valueChecker) unexpected(v *ast.Value) {
	c.addError(unexpectedMessage(v), core.At(v.Position))
}

// unexpectedMessage words the error of a value of the wrong type as
// graphql-js does for each type.
func unexpectedMessage(v *ast.Value) core.ErrorOption {
	switch v.ExpectedType.String() {
	case "Int", "Int!":
		if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil && errors.Is(err, strconv.ErrRange) {
			return core.Message(`Int cannot represent non 32-bit signed integer value: %s`, v.String())
		}
		return core.Message(`Int cannot represent non-integer value: %s`, v.String())
	case "String", "String!", "[String]":
		return core.Message(`String cannot represent a non string value: %s`, v.String())
	case "Boolean", "Boolean!":
		return core.Message(`Boolean cannot represent a non boolean value: %s`, v.String())
	case "Float", "Float!":
		return core.Message(`Float cannot represent non numeric value: %s`, v.String())
	case "ID", "ID!":
		return core.Message(`ID cannot represent a non-string and non-integer value: %s`, v.String())
	}
	if v.Definition.Kind == ast.Enum {
		return core.Message(`Enum "%s" cannot represent non-enum value: %s.`, v.ExpectedType.String(), v.String())
	}
	return core.Message(`Expected value of type "%s", found %s.`, v.ExpectedType.String(), v.String())
}

// UniqueInputFieldNames is gqlparser's rule of the same name, checked once
// per input object: no field is given twice. Each repetition is reported.
var UniqueInputFieldNames = core.Rule{
	Name: "UniqueInputFieldNames",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			var seen map[string]bool
			var check func(v *ast.Value)
			check = func(v *ast.Value) {
				if v == nil {
					return
				}
				for _, ch := range v.Children {
					check(ch.Value)
				}
				if v.Kind != ast.ObjectValue || len(v.Children) < 2 {
					return
				}
				if seen == nil {
					seen = make(map[string]bool)
				}
				for _, ch := range v.Children {
					if seen[ch.Name] {
						addError(core.Message(`There can be only one input field named "%s".`, ch.Name), core.At(ch.Position))
					}
					seen[ch.Name] = true
				}
				clear(seen)
			}
			(&visitor{value: check}).document(w.Document)
		})
	},
}
