// Package validation holds the GraphQL validation rules the gateway runs,
// after a document passed the tenant's limits (package limits). Rules
// returns them, for gqlgen's executor.SetDefaultRulesFn:
//
//	srv.SetDefaultRulesFn(validation.Rules)
//
// They are gqlparser's default rules, with some replaced by rules of the
// same names here, for time: every rule takes time near-linear in the size
// of the document with its fragments expanded, which the limits bound.
// Together, the rules accept and refuse exactly the documents that
// gqlparser's rules accept and refuse, and that the GraphQL specification
// (September 2025) does; each rule reports the same errors as gqlparser's
// but for the differences listed below. The replacements:
//
//   - OverlappingFieldsCanBeMerged (see its documentation) replaces a port
//     of graphql-js's pairwise algorithm, which spent 28 s on a 28 KB
//     document of nested inline fragments.
//
//   - NoFragmentCycles looked each spread's fragment up in a list.
//
//   - The rules that check each node on its own (FieldsOnCorrectType,
//     ScalarLeafs, KnownArgumentNames, ProvidedRequiredArguments,
//     UniqueArgumentNames, KnownDirectives, UniqueDirectivesPerLocation,
//     ValuesOfCorrectType, UniqueInputFieldNames, PossibleFragmentSpreads,
//     KnownFragmentNames, FragmentsOnCompositeTypes, KnownTypeNames and
//     MaxIntrospectionDepth) check each node once. gqlparser's walker
//     visits a fragment once per operation and fragment that spreads it,
//     and gqlparser's rules checked and reported it on every visit: 2.2
//     million errors, 2.5 s and 1.2 GB for a document of 40 KB.
//
//   - The rules that depend on the operation a fragment is spread in
//     (NoUndefinedVariables, VariablesInAllowedPosition, NoUnusedFragments)
//     collect the variables and spreads of each fragment once, and check
//     them for each operation that reaches it, as graphql-js does.
//
// The rules that check operations and fragment definitions themselves
// are gqlparser's. So is the walker, which still visits a fragment once
// per operation and fragment definition that reaches it before any rule
// runs: its time grows with their product (56 ms, and 44 MB, for 1,000
// fragments that spread one another), which no rule can change.
//
// Errors are gqlparser's, word for word, except that:
//
//   - an error in a fragment is reported once, as graphql-js does, not
//     once per operation that spreads the fragment;
//   - ValuesOfCorrectType does not report a variable whose default value
//     is out of range where it is used, only the default value itself;
//     and it accepts any integer literal where a Float is expected, as
//     the spec and graphql-js do, where gqlparser refuses one beyond 64
//     bits (it makes such a literal the FloatValue it stands for, so that
//     the executor and gqlparser's VariableValues build it as a float64);
//   - NoUnusedFragments reports every fragment that no operation reaches,
//     as graphql-js does, where gqlparser counts those that the first
//     fragment definition reaches as used;
//   - OverlappingFieldsCanBeMerged words its errors and lists their
//     locations as graphql-js 16 does, where gqlparser gives only one
//     location, and reports every pair of fields that conflict.
//
// OverlappingFieldsCanBeMerged differs from graphql-js 16 in that:
//
//   - a pair of fields is reported once, where graphql-js may report it
//     again in another selection set or as a part of another error;
//   - in a few nestings of fragments the two fields of a pair are listed
//     in the other order than graphql-js's;
//   - __typename has the type String!, as the specification says, where
//     graphql-js's rule gives it no type (so that it never conflicts by
//     type) and gqlparser's gives it String;
//   - it reports about as many conflicts as the document has fields at
//     most, where graphql-js reports every one: quadratically many in a
//     document that conflicts everywhere.
//
// The tests run graphql-js's cases of every rule as gqlparser exports
// them, compare OverlappingFieldsCanBeMerged with graphql-js 16 itself on
// random documents (testdata/graphqljs), and fuzz every rule against
// gqlparser's.
//
// gqlgen keeps this package's FieldsOnCorrectType and ScalarLeafs unless
// the server is told SetDisableSuggestion(true), which puts gqlparser's
// back.
package validation
