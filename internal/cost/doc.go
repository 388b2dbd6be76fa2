// Package cost computes the static cost of a GraphQL operation from its
// schema, before any resolver runs, so that the gateway can refuse an
// operation that would make it do too much work (COST_ESTIMATED_TOO_EXPENSIVE)
// and charge the tenant's cost budget per minute with what it admits.
//
// Weights come from the schema, written with the directives of IBM's
// GraphQL Cost Directives (https://ibm.github.io/graphql-specs/cost-spec.html):
//
//	directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
//	directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
//
// and they combine as Apollo Router reads that specification, the reading
// most deployed: see [Model.Operation]. Two points depart from Apollo
// Router or go beyond it: introspection (__schema, __type) costs 1 per
// field selected in it, without list multiplication, since it reads only
// the schema; and @skip and @include exclude fragments as well as fields.
// A slicing argument given as null, or as a variable without a value,
// counts with its default, as a resolver reads it.
// requireOneSlicingArgument is not enforced: an operation that gives none
// or several slicing arguments is costed with the largest one given (or
// the defaults), not refused.
//
// A Model is built once per schema, when the schema is compiled, and
// costs any number of operations concurrently:
//
//	model, err := cost.New(schema) // *ast.Schema, once per schema
//	if err != nil {
//		return err // a @cost or @listSize the model cannot read
//	}
//	// per request, after validation and variable coercion:
//	if c := model.Operation(doc, op, vars); c > limits.MaxCost {
//		return refuse(apperr.CostTooExpensive, c)
//	}
package cost
