package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/loader"
)

// IntrospectionDisabled is the code of a request for __schema or __type
// when the tenant's tenant.yaml says introspection: false. Apollo Router
// uses the same code.
const IntrospectionDisabled apperr.Code = "INTROSPECTION_DISABLED"

type requestKey struct{}

// request is what the handlers below the registry lookup learn of a
// GraphQL request: its tenant, and its operation's cost once the limits
// computed it. It is made once per request, in one context value.
type request struct {
	tenant *loader.Tenant
	// cost is the operation's static cost, when costed is set. Only the
	// request's own goroutine sets it, before execution.
	cost   int
	costed bool
}

// withTenant stores the request's tenant in ctx, for the handlers below
// the registry lookup.
func withTenant(ctx context.Context, t *loader.Tenant) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{tenant: t})
}

// requestFrom returns the request state stored by withTenant, or nil.
func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

func tenantFrom(ctx context.Context) (*loader.Tenant, bool) {
	if r := requestFrom(ctx); r != nil {
		return r.tenant, true
	}
	return nil, false
}

// introspectionPolicy enables introspection for tenants that allow it and
// refuses documents that select __schema or __type for the others. It
// takes the place of gqlgen's extension.Introspection, which can only
// switch introspection on for every request of a handler, while one
// handler serves every tenant with the same schema.
type introspectionPolicy struct{}

var (
	_ graphql.HandlerExtension        = introspectionPolicy{}
	_ graphql.OperationContextMutator = introspectionPolicy{}
)

func (introspectionPolicy) ExtensionName() string { return "TenantIntrospectionPolicy" }

func (introspectionPolicy) Validate(graphql.ExecutableSchema) error { return nil }

func (introspectionPolicy) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if t, ok := tenantFrom(ctx); ok && !t.Config.IntrospectionEnabled() {
		if selectsIntrospection(opCtx.Doc, opCtx.Operation.SelectionSet, map[string]bool{}) {
			return (&apperr.Error{Code: IntrospectionDisabled, Message: "introspection is disabled for this tenant"}).GraphQL()
		}
		return nil
	}
	opCtx.DisableIntrospection = false
	return nil
}

// selectsIntrospection reports whether a root selection set selects
// __schema or __type, directly or through fragments. Those fields exist
// only on the query root, so nested selections need no look.
func selectsIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if selectsIntrospection(doc, sel.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			seen[sel.Name] = true
			if f := doc.Fragments.ForName(sel.Name); f != nil && selectsIntrospection(doc, f.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}
