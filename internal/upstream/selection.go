package upstream

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Selection returns the selection set of fields, fields of one object
// type collected by gqlgen's CollectFields (or an executor's equivalent),
// for Entities. Each field keeps its name, arguments and definition, and
// takes its CollectedField's Selections (the subfields of every
// occurrence of the field under its response key) as its selection set;
// a field's own SelectionSet holds only its first occurrence's.
func Selection(fields []graphql.CollectedField) ast.SelectionSet {
	sel := make(ast.SelectionSet, len(fields))
	for i, f := range fields {
		ss := f.Selections
		if ss == nil && f.SelectionSet != nil {
			ss = f.SelectionSet
		}
		sel[i] = &ast.Field{
			Alias:            f.Alias,
			Name:             f.Name,
			Arguments:        f.Arguments,
			SelectionSet:     ss,
			Position:         f.Position,
			Definition:       f.Definition,
			ObjectDefinition: f.ObjectDefinition,
		}
	}
	return sel
}
