package dynamic

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// FieldResolver resolves one field. parent is the value of the enclosing
// object (nil for root fields); args are the field's arguments, coerced to
// their types with defaults applied: input objects are map[string]any
// (with the defaults of their fields applied, and a key holding nil for a
// field given as null), lists []any, enums string, Int int, Float float64,
// ID and String string, Boolean bool, DateTime time.Time. An argument left
// out, with no default, has no key. args must not be modified: the map is
// shared by every call for the same field of the operation, and, when the
// arguments refer to no variable, by every execution of the operation
// (see the plan cache of [ExecutableSchema.Exec]).
//
// The result is completed like a value read from an object (see
// [Object]). Return an untyped nil for null, never a typed nil pointer.
//
// The context carries the field's graphql.FieldContext, as in generated
// code. A FieldResolver may be called concurrently with others.
type FieldResolver func(ctx context.Context, parent any, args map[string]any) (any, error)

// Object is a value of a GraphQL object type whose fields the executor
// reads itself, without a resolver.
type Object interface {
	// FieldValue returns the value of the field with the given name: a
	// string, bool, int, int64, float64, time.Time, a pointer to one of
	// those (a nil pointer is null), nil, an Object, a map[string]any (a
	// value object), or a list: a [List], []any, []string, []int,
	// []float64, []bool or []map[string]any.
	//
	// Pointers into the object (&g.Name) are the fast way: they cost no
	// allocation, where a string or float64 put into an interface does.
	// A DateTime may also be an RFC 3339 string, an enum a string.
	FieldValue(name string) any
}

// List is a list value whose elements the executor reads by index. Typed
// slices implement it without copying, as in:
//
//	type edgeList []Edge
//
//	func (l *edgeList) Len() int       { return len(*l) }
//	func (l *edgeList) At(i int) any   { return &(*l)[i] }
type List interface {
	// Len returns the number of elements.
	Len() int
	// At returns element i, 0 <= i < Len(), as FieldValue returns a value.
	At(i int) any
}

// TypeNamer is implemented by values of interface and union types: the
// executor completes them as the object type TypeName names. A value
// object (map[string]any) names its type under the key "__typename".
type TypeNamer interface {
	TypeName() string
}

// Scalar is the coercion of a custom scalar type.
type Scalar struct {
	// Unmarshal coerces an input value, the value of a literal or of a
	// variable as gqlgen decoded it, to what resolvers get. Its error is
	// reported at the input's path, as generated code does.
	Unmarshal func(v any) (any, error)
	// Marshal returns the output of a value of the scalar, or an error if
	// the value does not fit the scalar.
	Marshal func(v any) (graphql.Marshaler, error)
}

// Config configures New.
type Config struct {
	// Schema is the schema to serve. It must not change afterwards.
	Schema *ast.Schema
	// Resolvers maps "Type.field" to the resolver of that field. Fields
	// without one are read from their parent value: Object.FieldValue, or
	// the key of a map[string]any.
	Resolvers map[string]FieldResolver
	// Computed maps "Type.field" to the computation of a field from its
	// parent value, such as a tenant's @computed field: it runs inline,
	// like a field read from its parent (no FieldContext, no goroutine),
	// and its error is a field error at the field's path. A field with a
	// resolver is resolved, not computed.
	Computed map[string]func(parent any) (any, error)
	// Batches resolve fields of many values of a type in one call each
	// (see Batch). A field of a batch is resolved by it, not by a
	// resolver of Resolvers or a computation of Computed.
	Batches []*Batch
	// Scalars maps custom scalar names to their coercion. DateTime
	// defaults to graph/model's (RFC 3339, output in UTC), every other
	// custom scalar to gqlgen's Any (the model of DefaultValue), which
	// passes input values through unchanged and writes output values with
	// graphql.MarshalAny.
	Scalars map[string]Scalar
	// IntrospectionCacheBytes bounds the memory of the cache of responses
	// to introspection-only operations (see [ExecutableSchema.Exec]):
	// their documents, variables and response data. Zero means
	// DefaultIntrospectionCacheBytes; a negative value turns the cache
	// off. The cache is made on the first introspection-only operation.
	IntrospectionCacheBytes int
	// IntrospectionCache, if set, is the cache of responses to
	// introspection-only operations, shared with other executable
	// schemas; IntrospectionCacheBytes is then ignored.
	IntrospectionCache *IntrospectionCache
	// PlanCacheBytes bounds the estimated memory of the cache of
	// operations' execution plans (see [ExecutableSchema.Exec]). Zero
	// means DefaultPlanCacheBytes; a negative value turns the cache off.
	// The cache is made on the first operation executed.
	PlanCacheBytes int
	// PlanCache, if set, is the cache of execution plans, shared with
	// other executable schemas; PlanCacheBytes is then ignored.
	PlanCache *PlanCache
}

// ExecutableSchema executes operations against a Config's schema. It is
// safe for concurrent use.
type ExecutableSchema struct {
	schema *ast.Schema
	// objects holds the object types by name while compiling (compile);
	// nil afterwards: execution reaches them from the root types.
	objects  map[string]*objectType
	query    *objectType
	mutation *objectType
	scalars  map[string]*Scalar // nil without Config.Scalars
	// enums are the names of the schema's own enums, which an Access may
	// restrict.
	enums []string

	// sizeHint is the size of a recent response, to allocate the next
	// one's buffer in one go.
	sizeHint atomic.Int64

	// cache holds the responses of introspection-only operations, made on
	// first use (see responses); cacheBytes is its budget, <= 0 for none.
	cache      atomic.Pointer[responseCache]
	cacheBytes int
	id         uint64 // tells its entries apart in a shared cache

	// planCache holds the plans of recent operations, made on first use
	// (see plans); planBytes is its budget, <= 0 for none.
	planCache atomic.Pointer[planCache]
	planBytes int
}

var _ graphql.ExecutableSchema = (*ExecutableSchema)(nil)

// New returns an executable schema for cfg. It panics if a key of
// cfg.Resolvers is not of the form "Type.field": a programming error.
// Resolvers of fields that cfg.Schema does not have are not used, so that
// one set of resolvers serves a schema and its views (schemas without
// the fields a caller may not use).
func New(cfg Config) *ExecutableSchema {
	return compile(cfg)
}

// Schema implements graphql.ExecutableSchema.
func (e *ExecutableSchema) Schema() *ast.Schema { return e.schema }

// Complexity implements graphql.ExecutableSchema. Like generated code
// without custom complexity functions, it leaves every field to the
// complexity extension's default.
func (e *ExecutableSchema) Complexity(ctx context.Context, typeName, fieldName string, childComplexity int, args map[string]any) (int, bool) {
	return 0, false
}

// Exec implements graphql.ExecutableSchema. Queries and mutations answer
// with one response; the handler returns nil after it. Subscriptions are
// not supported and answer with an error, as generated code does for a
// schema without them.
//
// The response of an introspection-only operation (a query selecting only
// __schema, __type and __typename, after @skip and @include) is cached
// by document, operation name and variables, up to
// Config.IntrospectionCacheBytes: when it is repeated, its response data
// is served from the cache, byte for byte what executing it answers, and
// no field or root field middleware runs for it. Operations with introspection disabled
// (OperationContext.DisableIntrospection) are never served from the
// cache, and responses with errors are not kept.
//
// The execution plans of operations (their fields collected, and
// arguments without variables coerced) are cached by operation, up to
// Config.PlanCacheBytes or in Config.PlanCache, so that an operation
// repeated through gqlgen's query cache, which hands out the same parsed
// document for the same query text, is not planned again. Plans depend on the values of
// variables that @skip and @include refer to, and are kept by them;
// arguments that refer to variables are coerced by each execution.
// Operations of a caller with an Access (see [WithAccess]) are planned
// for each execution.
func (e *ExecutableSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	var root *objectType
	switch oc.Operation.Operation {
	case ast.Query:
		root = e.query
	case ast.Mutation:
		root = e.mutation
	}
	if root == nil {
		return graphql.OneShot(graphql.ErrorResponse(ctx, msgUnsupportedOperation))
	}
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		if e.cacheBytes > 0 {
			if k, ok := e.introspectionKey(oc); ok {
				return &graphql.Response{Data: e.executeCached(ctx, oc, root, e.responses(), &k)}
			}
		}
		return &graphql.Response{Data: e.execute(ctx, oc, root)}
	}
}
