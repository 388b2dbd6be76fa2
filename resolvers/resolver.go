// Package resolvers holds the business rules of the base schema's root
// fields. The same resolvers serve the gqlgen-generated executor of the
// base schema and the dynamic executor of every tenant's schema.
//
// Resolvers act for the tenant stored in the context by the gateway's
// authentication (tenant.WithID); without one they fail closed.
package resolvers

import (
	"context"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// DefaultMaxPageSize is the largest `first` of goodsList unless configured
// otherwise.
const DefaultMaxPageSize = 100

// Resolver is the root resolver. Its fields must be set before use and not
// changed after; its methods may be called concurrently.
type Resolver struct {
	// Store keeps the goods of all tenants.
	Store store.Store
	// MaxPageSize bounds goodsList's `first`; zero means DefaultMaxPageSize.
	MaxPageSize int
	// IntrospectionCache, if set, is shared by the executable schemas of
	// all tenants (see dynamic.Config.IntrospectionCache); nil: each has
	// its own.
	IntrospectionCache *dynamic.IntrospectionCache
	// PlanCache, if set, is the cache of execution plans shared by the
	// executable schemas of all tenants (see dynamic.Config.PlanCache);
	// nil: each has its own.
	PlanCache *dynamic.PlanCache
}

var _ graph.ResolverRoot = (*Resolver)(nil)

// maxPageSize is the tenant's own limit, if it has one, or the gateway's.
func (r *Resolver) maxPageSize(ctx context.Context) int {
	if l := limits.FromContext(ctx); l != nil && l.MaxPageSize > 0 {
		return l.MaxPageSize
	}
	if r.MaxPageSize > 0 {
		return r.MaxPageSize
	}
	return DefaultMaxPageSize
}
