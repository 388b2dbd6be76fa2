// Package validation holds the GraphQL validation rules the gateway runs
// in place of gqlparser's defaults, for documents that passed the
// tenant's limits (package limits). Rules returns them, for gqlgen's
// executor.SetDefaultRulesFn:
//
//	srv.SetDefaultRulesFn(validation.Rules)
//
// Every rule accepts and refuses exactly what the GraphQL specification
// (September 2025) accepts and refuses, as gqlparser's rule of the same
// name means to, and each takes time near-linear in the size of the
// document with its fragments expanded, which the limits bound.
//
// OverlappingFieldsCanBeMerged replaces gqlparser's rule, a port of
// graphql-js's algorithm that compares all pairs of fields of a response
// name at every selection set: a document of 28 KB kept a core busy for
// 28 s. Its errors follow graphql-js 16, message and locations, except
// that:
//
//   - a pair of fields is reported once, where graphql-js may report it
//     again in another selection set or as a part of another error;
//   - in a few nestings of fragments the two fields of a pair are listed
//     in the other order than graphql-js's;
//   - __typename has the type String!, as the specification says, where
//     graphql-js's rule gives it no type (so it never conflicts by type)
//     and gqlparser's gives it String;
//   - at most as many conflicts as the document has fields are reported.
//
// The tests run graphql-js's own cases of the rule and 600 random
// documents checked by graphql-js 16 (testdata/graphqljs).
package validation
