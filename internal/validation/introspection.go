package validation

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// maxListsDepth is how deep __Type's list fields may nest in an
// introspection query, as in graphql-js and gqlparser.
const maxListsDepth = 3

// MaxIntrospectionDepth is gqlparser's rule of the same name, checked once
// per __schema and __type field: __Type's list fields (fields, interfaces,
// possibleTypes, inputFields) nest less than three deep. Each fragment is
// walked once per depth it is entered at, as gqlparser does.
var MaxIntrospectionDepth = core.Rule{
	Name: "MaxIntrospectionDepth",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		atEnd(observers, func(w *core.Walker) {
			c := depthChecker{entered: map[string]int{}, memo: map[fragmentDepth]bool{}}
			(&visitor{field: func(f *ast.Field) {
				if (f.Name == "__schema" || f.Name == "__type") && c.field(f, 0) {
					addError(core.Message(`Maximum introspection depth exceeded`), core.At(f.Position))
				}
			}}).document(w.Document)
		})
	},
}

type fragmentDepth struct {
	name  string
	depth int
}

// depthChecker finds list fields of __Type nested too deep, through
// fragments. A fragment is walked once per depth it is entered at; one
// entered again while it is walked is a cycle, which exceeds any depth if
// a lap adds depth and adds nothing otherwise.
type depthChecker struct {
	entered map[string]int // the depth each fragment being walked was entered at
	memo    map[fragmentDepth]bool
}

func (c *depthChecker) selections(set ast.SelectionSet, depth int) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if c.field(sel, depth) {
				return true
			}
		case *ast.InlineFragment:
			if c.selections(sel.SelectionSet, depth) {
				return true
			}
		case *ast.FragmentSpread:
			if c.spread(sel, depth) {
				return true
			}
		}
	}
	return false
}

func (c *depthChecker) field(f *ast.Field, depth int) bool {
	switch f.Name {
	case "fields", "interfaces", "possibleTypes", "inputFields":
		if depth++; depth >= maxListsDepth {
			return true
		}
	}
	return c.selections(f.SelectionSet, depth)
}

func (c *depthChecker) spread(s *ast.FragmentSpread, depth int) bool {
	if at, ok := c.entered[s.Name]; ok {
		return depth > at
	}
	if s.Definition == nil {
		return false // KnownFragmentNames reports it
	}
	key := fragmentDepth{s.Name, depth}
	if exceeded, ok := c.memo[key]; ok {
		return exceeded
	}
	c.entered[s.Name] = depth
	exceeded := c.selections(s.Definition.SelectionSet, depth)
	delete(c.entered, s.Name)
	c.memo[key] = exceeded
	return exceeded
}
