// Package tenant holds the identity of the tenant a request acts for.
//
// The tenant of a request comes from its verified token and from nothing
// else. Middleware that verified the token stores the tenant ID with
// [WithID]; code below it reads it with [IDFrom]:
//
//	ctx = tenant.WithID(ctx, "acme")
//	id, ok := tenant.IDFrom(ctx)
package tenant

import (
	"context"
	"regexp"
)

// idPattern is the grammar of a tenant ID: a letter or digit, then up to 62
// letters, digits, underscores or hyphens. It is safe in a URL path, a file
// name, a Redis key and a Postgres setting.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// ValidID reports whether s is a well-formed tenant ID.
func ValidID(s string) bool {
	return idPattern.MatchString(s)
}

type contextKey struct{}

// WithID returns a copy of ctx that carries the tenant ID id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// IDFrom returns the tenant ID stored in ctx by [WithID], if any.
func IDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(contextKey{}).(string)
	return id, ok && id != ""
}
