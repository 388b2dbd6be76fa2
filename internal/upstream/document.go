package upstream

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxNesting bounds the nesting of selection sets and fragments that a
// selection may have, so that a cyclic selection (one no validated
// document has) ends in an error rather than a stack overflow.
const maxNesting = 100

// outField is a field of the upstream document: fields of the caller's
// selection with the same name, merged.
type outField struct {
	name     string
	args     []outArg
	object   bool // has a selection set
	children fieldList
}

// outArg is an argument of an outField, with its value resolved from the
// caller's variables.
type outArg struct {
	name  string
	value any
	typ   *ast.Type
}

// fieldList is the fields of one selection set, in order of first
// appearance, with an index by name.
type fieldList struct {
	fields []*outField
	byName map[string]*outField
}

// collector flattens and merges a selection into fieldLists.
type collector struct {
	vars map[string]any
}

// collect adds the fields of sel, with its fragments flattened, to l.
func (c *collector) collect(l *fieldList, sel ast.SelectionSet, depth int) error {
	if depth > maxNesting {
		return selectionError("selection nested more than %d deep", maxNesting)
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			ok, err := c.included(s.Directives)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := c.field(l, s, depth); err != nil {
				return err
			}
		case *ast.InlineFragment:
			ok, err := c.included(s.Directives)
			if err != nil {
				return err
			}
			if ok {
				if err := c.collect(l, s.SelectionSet, depth+1); err != nil {
					return err
				}
			}
		case *ast.FragmentSpread:
			ok, err := c.included(s.Directives)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if s.Definition == nil {
				return selectionError("fragment %s is not defined (validate the document first)", clip(s.Name))
			}
			if err := c.collect(l, s.Definition.SelectionSet, depth+1); err != nil {
				return err
			}
		default:
			return selectionError("unknown selection %T", s)
		}
	}
	return nil
}

// field adds f to l, merging it with a field of the same name.
func (c *collector) field(l *fieldList, f *ast.Field, depth int) error {
	if !validName(f.Name) {
		return selectionError("%q is not a field name", clip(f.Name))
	}
	args, err := c.args(f)
	if err != nil {
		return err
	}
	of := l.byName[f.Name]
	if of == nil {
		of = &outField{name: f.Name, args: args}
		if l.byName == nil {
			l.byName = make(map[string]*outField)
		}
		l.byName[f.Name] = of
		l.fields = append(l.fields, of)
	} else if !sameArgs(of.args, args) {
		return selectionError("field %s is selected more than once with different arguments", f.Name)
	}
	if f.SelectionSet != nil {
		of.object = true
		return c.collect(&of.children, f.SelectionSet, depth+1)
	}
	return nil
}

// args resolves the arguments of f. An argument given as a variable that
// the caller's variables do not hold, and that has no default, is left
// out, as the spec's CoerceArgumentValues does.
func (c *collector) args(f *ast.Field) ([]outArg, error) {
	if len(f.Arguments) == 0 {
		return nil, nil
	}
	if f.Definition == nil {
		return nil, selectionError("field %s has arguments but no definition (validate the document first)", f.Name)
	}
	args := make([]outArg, 0, len(f.Arguments))
	for _, a := range f.Arguments {
		def := f.Definition.Arguments.ForName(a.Name)
		if def == nil || def.Type == nil {
			return nil, selectionError("field %s has no argument %q", f.Name, clip(a.Name))
		}
		if !validName(a.Name) || !validType(def.Type) {
			return nil, selectionError("argument %q of field %s can't be forwarded", clip(a.Name), f.Name)
		}
		if v := a.Value; v != nil && v.Kind == ast.Variable {
			if _, ok := c.vars[v.Raw]; !ok && (v.VariableDefinition == nil || v.VariableDefinition.DefaultValue == nil) {
				continue
			}
		}
		val, err := a.Value.Value(c.vars)
		if err != nil {
			return nil, selectionError("argument %s of field %s: %v", a.Name, f.Name, err)
		}
		args = append(args, outArg{name: a.Name, value: val, typ: def.Type})
	}
	return args, nil
}

// included evaluates @skip and @include.
func (c *collector) included(dirs ast.DirectiveList) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			return false, selectionError("@%s without if", d.Name)
		}
		v, err := a.Value.Value(c.vars)
		if err != nil {
			return false, selectionError("@%s: %v", d.Name, err)
		}
		b, ok := v.(bool)
		if !ok {
			return false, selectionError("@%s(if:) is not a Boolean", d.Name)
		}
		if b == (d.Name == "skip") {
			return false, nil
		}
	}
	return true, nil
}

// sameArgs reports whether a and b are the same arguments with the same
// values, in any order.
func sameArgs(a, b []outArg) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x.name == y.name {
				found = reflect.DeepEqual(x.value, y.value)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// entitiesQuery returns the upstream document that fetches sel of the
// entities of typename, and the variables its arguments take (to which
// the caller adds "representations"). The document is "" if sel selects
// nothing (every field skipped).
//
// The document is printed from names checked against GraphQL's grammar
// and from argument types of the schema; values travel only as
// variables, never as text of the document.
func entitiesQuery(typename string, sel ast.SelectionSet, vars map[string]any) (string, map[string]any, error) {
	if !validName(typename) {
		return "", nil, selectionError("%q is not a type name", clip(typename))
	}
	c := collector{vars: vars}
	var root fieldList
	if err := c.collect(&root, sel, 0); err != nil {
		return "", nil, err
	}
	if len(root.fields) == 0 {
		return "", nil, nil
	}
	p := printer{vars: make(map[string]any, 1)}
	p.fields(root.fields)
	body := p.b.String()

	var b strings.Builder
	b.Grow(len(body) + 96 + 16*len(p.defs))
	b.WriteString("query($representations:[_Any!]!")
	for i, t := range p.defs {
		b.WriteString(",$a")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(':')
		b.WriteString(t.String())
	}
	b.WriteString("){_entities(representations:$representations){...on ")
	b.WriteString(typename)
	b.WriteByte('{')
	b.WriteString(body)
	b.WriteString("}}}")
	return b.String(), p.vars, nil
}

// printer prints merged fields and assigns their arguments to variables
// $a0, $a1, ...
type printer struct {
	b    strings.Builder
	defs []*ast.Type
	vars map[string]any
}

func (p *printer) fields(fs []*outField) {
	for i, f := range fs {
		if i > 0 {
			p.b.WriteByte(' ')
		}
		p.b.WriteString(f.name)
		if len(f.args) > 0 {
			p.b.WriteByte('(')
			for j, a := range f.args {
				if j > 0 {
					p.b.WriteByte(',')
				}
				name := "a" + strconv.Itoa(len(p.defs))
				p.defs = append(p.defs, a.typ)
				p.vars[name] = a.value
				p.b.WriteString(a.name)
				p.b.WriteString(":$")
				p.b.WriteString(name)
			}
			p.b.WriteByte(')')
		}
		if f.object {
			p.b.WriteByte('{')
			if len(f.children.fields) == 0 {
				// Every subfield was skipped; an empty selection set is
				// not GraphQL.
				p.b.WriteString("__typename")
			} else {
				p.fields(f.children.fields)
			}
			p.b.WriteByte('}')
		}
	}
}

// validName reports whether s is a GraphQL Name: /[_A-Za-z][_0-9A-Za-z]*/.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return true
}

// validType reports whether every name in t is a GraphQL Name, so that
// t.String() prints GraphQL.
func validType(t *ast.Type) bool {
	for d := 0; t != nil && d < maxNesting; d++ {
		if t.Elem == nil {
			return validName(t.NamedType)
		}
		t = t.Elem
	}
	return false
}
