// Package dynamic executes GraphQL operations against a schema known only
// at run time: an implementation of gqlgen's graphql.ExecutableSchema over
// an *ast.Schema, served by gqlgen's handler.Server like generated code.
//
// gqlgen's generated executors can't serve fields they did not see at
// generation time (gqlgen issues 1691 and 1884), so every tenant's schema,
// base schema plus the tenant's extension fields, runs on this executor.
//
// Fields with a [FieldResolver] call it; every other field is read from its
// parent value ([Object.FieldValue], or the key of a map[string]any) in
// the goroutine that completes the parent. Only resolver-backed fields run
// concurrently, as in generated code. For example:
//
//	schema := gqlparser.MustLoadSchema(sources...)
//	es := dynamic.New(dynamic.Config{
//		Schema: schema,
//		Resolvers: map[string]dynamic.FieldResolver{
//			"Query.goods": func(ctx context.Context, _ any, args map[string]any) (any, error) {
//				return lookUp(ctx, args["id"].(string))
//			},
//		},
//	})
//	srv := handler.New(es)
//
// The executor's responses are those of gqlgen's generated code for the
// same schema and resolvers, byte for byte: the same data, the same errors
// in the same order, with the same paths and locations, through the
// server's error presenter and recover function. Where the two can't be
// compared (values that generated code's static types rule out, such as a
// string where an Int is due), a value that does not fit its type is a
// field error at its path, and its null propagates as the spec says; a
// boolean or a number where a String is due, or an integral number where
// an ID is, is coerced as graphql-js coerces it (see coercedString).
//
// Where generated code deviates from the GraphQL specification, the
// executor follows the spec, and the differential test holds it to a
// response of its own (testdata/corpus/NAME.spec.json) for those cases:
// introspection's fields, interfaces, possibleTypes, enumValues,
// inputFields and isOneOf are null for the kinds of types they are not
// about (generated code answers [] and false); the includeDeprecated
// arguments of inputFields and args are honoured (generated code ignores
// them); and a member deprecated without a reason has @deprecated's
// default reason, "No longer supported" (generated code answers null).
//
// Two more differences from generated code are deliberate. Field middleware
// (handler.Server's AroundFields) runs for resolver-backed fields and for
// __schema and __type, with the FieldContext generated code gives them,
// but not for fields read from their parent value: that would cost a
// FieldContext and a context per value, the main cost of generated code.
// Root field middleware runs for every root field but __typename, as in
// generated code. Neither runs for a repeated introspection-only operation
// answered from the schema's cache (see [ExecutableSchema.Exec]). And @defer is ignored: deferred fields are delivered in
// the initial response, which the incremental delivery proposal allows,
// where generated code answers them with null and "hasNext": true.
//
// Once the operation's context has ended (its deadline passed, or its
// client went away), no resolver starts: each field left is an error
// carrying the context's error, so a mutation stops before its next root
// field.
package dynamic
