package gateway

import (
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// strictEnums refuses variables whose enum values differ from the schema's
// in letter case. gqlparser's VariableValues compares enum values ignoring
// case (against the spec, which makes them case-sensitive), so "asc" would
// pass validation and then fail inside execution as an internal error.
type strictEnums struct {
	schema *ast.Schema // set by Validate
}

var (
	_ graphql.HandlerExtension        = (*strictEnums)(nil)
	_ graphql.OperationContextMutator = (*strictEnums)(nil)
)

func (*strictEnums) ExtensionName() string { return "StrictEnumVariables" }

// Validate is called once, when the extension is added to the handler.
func (e *strictEnums) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	return nil
}

func (e *strictEnums) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	for _, def := range opCtx.Operation.VariableDefinitions {
		v, ok := opCtx.Variables[def.Variable]
		if !ok {
			continue
		}
		path := ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)}
		if err := checkEnums(e.schema, def.Type, v, path); err != nil {
			return err
		}
	}
	return nil
}

// checkEnums checks every enum value in v, a coerced value of type t.
func checkEnums(s *ast.Schema, t *ast.Type, v any, path ast.Path) *gqlerror.Error {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok {
			return checkEnums(s, t.Elem, v, path) // a single value coerced to a list
		}
		for i, e := range l {
			if err := checkEnums(s, t.Elem, e, append(slices.Clone(path), ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	def := s.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		str := fmt.Sprint(v)
		if def.EnumValues.ForName(str) == nil {
			err := gqlerror.ErrorPathf(path, "%s is not a valid %s", str, def.Name)
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, f := range def.Fields {
			if err := checkEnums(s, f.Type, m[f.Name], append(slices.Clone(path), ast.PathName(f.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}
