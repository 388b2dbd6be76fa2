// Package dynamic executes GraphQL operations against a schema known only
// at run time: an implementation of gqlgen's graphql.ExecutableSchema over
// an *ast.Schema, served by gqlgen's handler.Server like generated code.
//
// gqlgen's generated executors can't serve fields they did not see at
// generation time (gqlgen issues 1691 and 1884), so every tenant's schema,
// base schema plus the tenant's extension fields, runs on this executor.
package dynamic

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// FieldResolver resolves one field. parent is the value of the enclosing
// object (nil for root fields); args are the field's arguments, coerced to
// their types with defaults applied: input objects are map[string]any,
// lists []any, enums string, Int int, Float float64, DateTime time.Time.
//
// A FieldResolver may be called concurrently with others.
type FieldResolver func(ctx context.Context, parent any, args map[string]any) (any, error)

// Object is a value of a GraphQL object type whose fields the executor
// reads itself, without a resolver.
type Object interface {
	// FieldValue returns the value of the field with the given name: a
	// string, bool, int, float64, time.Time, a pointer to one of those,
	// nil, an Object, a map[string]any (a value object), or a slice of
	// these.
	FieldValue(name string) any
}

// Config configures New.
type Config struct {
	// Schema is the schema to serve. It must not change afterwards.
	Schema *ast.Schema
	// Resolvers maps "Type.field" to the resolver of that field. Fields
	// without one are read from their parent value: Object.FieldValue, or
	// the key of a map[string]any.
	Resolvers map[string]FieldResolver
}

// ExecutableSchema executes operations against a Config's schema. It is
// safe for concurrent use.
type ExecutableSchema struct {
	cfg Config
}

var _ graphql.ExecutableSchema = (*ExecutableSchema)(nil)

// New returns an executable schema for cfg.
func New(cfg Config) *ExecutableSchema {
	return &ExecutableSchema{cfg: cfg}
}

// Schema implements graphql.ExecutableSchema.
func (e *ExecutableSchema) Schema() *ast.Schema { return e.cfg.Schema }

// Complexity implements graphql.ExecutableSchema.
func (e *ExecutableSchema) Complexity(ctx context.Context, typeName, fieldName string, childComplexity int, args map[string]any) (int, bool) {
	return 0, false
}

// Exec implements graphql.ExecutableSchema.
func (e *ExecutableSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	panic("dynamic: not implemented yet")
}
