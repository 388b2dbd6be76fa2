package loader

import "context"

type tenantKey struct{}

// NewContext returns a copy of ctx that carries t, the tenant a request
// is served for: resolvers find the tenant's upstream clients through it.
func NewContext(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// FromContext returns the tenant stored in ctx by [NewContext], if any.
func FromContext(ctx context.Context) (*Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(*Tenant)
	return t, ok && t != nil
}
