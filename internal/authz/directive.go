package authz

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// DirectiveName is the name of the directive that restricts a field,
// input field or enum value to callers holding scopes:
// @requiresScopes(scopes: [[String!]!]!), as in Apollo Federation.
const DirectiveName = "requiresScopes"

// ParseDirective returns the requirement of a @requiresScopes directive.
// The scopes argument must be written out as a list of lists of strings,
// such as [["goods:read", "goods:cost"], ["admin"]]: the list coercions
// GraphQL would allow ("a" for [["a"]]) make a requirement easy to misread,
// so they are refused. An error comes with the position of the value it
// is about.
func ParseDirective(dir *ast.Directive) (Requirement, *ast.Position, error) {
	var arg *ast.Argument
	for _, a := range dir.Arguments {
		if a.Name != "scopes" {
			return nil, a.Position, fmt.Errorf("@%s has no argument %s; write @%s(scopes: [[\"scope\"]])", DirectiveName, a.Name, DirectiveName)
		}
		if arg != nil {
			return nil, a.Position, fmt.Errorf("@%s: argument scopes is given twice", DirectiveName)
		}
		arg = a
	}
	if arg == nil || arg.Value == nil {
		return nil, dir.Position, fmt.Errorf("@%s needs scopes, as in @%s(scopes: [[\"goods:read\"]])", DirectiveName, DirectiveName)
	}
	v := arg.Value
	if v.Kind != ast.ListValue {
		return nil, v.Position, fmt.Errorf("@%s(scopes:) must be a list of lists of scopes, such as [[\"goods:read\"]]", DirectiveName)
	}
	req := make(Requirement, 0, len(v.Children))
	for _, alt := range v.Children {
		if alt.Value.Kind != ast.ListValue {
			return nil, alt.Value.Position, fmt.Errorf("@%s(scopes:): each alternative must be a list of scopes, such as [\"goods:read\"]", DirectiveName)
		}
		scopes := make([]string, 0, len(alt.Value.Children))
		for _, s := range alt.Value.Children {
			if s.Value.Kind != ast.StringValue && s.Value.Kind != ast.BlockValue {
				return nil, s.Value.Position, fmt.Errorf("@%s(scopes:): a scope must be a string", DirectiveName)
			}
			scopes = append(scopes, s.Value.Raw)
		}
		req = append(req, scopes)
	}
	if err := req.Check(); err != nil {
		return nil, v.Position, fmt.Errorf("@%s(scopes:): %s", DirectiveName, oneLine(err))
	}
	return req, nil, nil
}

// oneLine returns the text of err, the errors it joins separated by "; ".
func oneLine(err error) string {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err.Error()
	}
	parts := make([]string, 0, len(j.Unwrap()))
	for _, e := range j.Unwrap() {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}
