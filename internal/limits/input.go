package limits

import (
	"strconv"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// filterArgument is the argument whose strings MaxFilterLength bounds:
// goodsList's filter, which Postgres compares with every row of the
// tenant.
const filterArgument = "filter"

// CheckInputs checks every argument of the fields of op, an operation of
// doc, against l's input limits, in literals and in the variables vars
// (as coerced for op): a string has at most MaxStringLength characters
// (MaxFilterLength inside a filter argument) and no control character
// other than tab, line feed and carriage return; a list has at most
// MaxListLength items. It returns nil or an *apperr.Error coded
// BAD_USER_INPUT whose argument names the value, as in
// "filter.nameContains" or "input.tags[3]".
//
// Each variable is checked once, however often it is used, and each
// fragment once, however often it is spread: the work is linear in the
// size of the request.
func (l Limits) CheckInputs(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) error {
	var few [4]variableUse
	c := inputChecker{l: l, doc: doc, vars: vars, checked: few[:0]}
	return c.selections(op.SelectionSet)
}

type inputChecker struct {
	l    Limits
	doc  *ast.QueryDocument
	vars map[string]any
	// fragments holds the fragments walked, checked the variables
	// checked, each in or out of a filter: few, so a slice until there
	// are many.
	fragments   map[string]bool
	checked     []variableUse
	checkedMany map[variableUse]bool
}

// firstCheck reports whether the variable use u is checked for the first
// time, and records it.
func (c *inputChecker) firstCheck(u variableUse) bool {
	if c.checkedMany != nil {
		return once(&c.checkedMany, u)
	}
	for _, v := range c.checked {
		if v == u {
			return false
		}
	}
	c.checked = append(c.checked, u)
	if len(c.checked) > 16 {
		for _, v := range c.checked {
			once(&c.checkedMany, v)
		}
	}
	return true
}

type variableUse struct {
	name   string
	filter bool
}

// once reports whether key is not yet in *seen, and adds it.
func once[K comparable](seen *map[K]bool, key K) bool {
	if (*seen)[key] {
		return false
	}
	if *seen == nil {
		*seen = make(map[K]bool)
	}
	(*seen)[key] = true
	return true
}

func (c *inputChecker) selections(set ast.SelectionSet) error {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			for _, arg := range sel.Arguments {
				if err := c.value(arg.Value, arg.Name, arg.Name == filterArgument); err != nil {
					return err
				}
			}
			if err := c.selections(sel.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := c.selections(sel.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if !once(&c.fragments, sel.Name) {
				continue
			}
			if f := c.doc.Fragments.ForName(sel.Name); f != nil {
				if err := c.selections(f.SelectionSet); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// value checks a literal, whose path is path.
func (c *inputChecker) value(v *ast.Value, path string, filter bool) error {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.Variable:
		if !c.firstCheck(variableUse{v.Raw, filter}) {
			return nil
		}
		return c.goValue(c.vars[v.Raw], path, filter)
	case ast.StringValue, ast.BlockValue:
		return c.str(v.Raw, path, filter)
	case ast.ListValue:
		if err := c.list(len(v.Children), path); err != nil {
			return err
		}
		for i, child := range v.Children {
			if err := c.value(child.Value, index(path, i), filter); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, child := range v.Children {
			if err := c.value(child.Value, path+"."+child.Name, filter); err != nil {
				return err
			}
		}
	}
	return nil
}

// goValue checks a variable's value, as gqlparser coerced it.
func (c *inputChecker) goValue(v any, path string, filter bool) error {
	switch v := v.(type) {
	case string:
		return c.str(v, path, filter)
	case []any:
		if err := c.list(len(v), path); err != nil {
			return err
		}
		for i, e := range v {
			if err := c.goValue(e, index(path, i), filter); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := c.goValue(e, path+"."+k, filter); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *inputChecker) str(s, path string, filter bool) error {
	limit, what := c.l.MaxStringLength, "characters"
	if filter && c.l.MaxFilterLength > 0 {
		limit, what = c.l.MaxFilterLength, "characters in a filter"
	}
	n := 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isControl(r) {
			return apperr.BadInput(path, "must not contain control characters (U+0000 to U+001F, other than tab, line feed and carriage return, and U+007F)")
		}
		i += size
		n++
		if limit > 0 && n > limit {
			return apperr.BadInput(path, "must be at most %d %s", limit, what)
		}
	}
	return nil
}

func (c *inputChecker) list(n int, path string) error {
	if c.l.MaxListLength > 0 && n > c.l.MaxListLength {
		return apperr.BadInput(path, "must have at most %d items", c.l.MaxListLength)
	}
	return nil
}

// isControl reports whether r is a control character that input may not
// hold: a C0 control other than tab, line feed and carriage return, or
// DEL. Postgres refuses NUL in text outright.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
