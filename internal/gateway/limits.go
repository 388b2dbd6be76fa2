package gateway

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/limits"
)

// operationLimits holds every operation to the limits of its tenant
// (limits.FromContext) before any of it runs. It is a gqlgen handler
// extension, one per schema:
//
//   - before the document is validated (MutateOperationParameters, which
//     runs after automatic persisted queries found the query): the
//     operation name's length, and the shape of the document measured in
//     one linear pass (depth, aliases, root fields, selections,
//     directives), so that a document built to make validation slow is
//     refused before validation starts;
//   - after validation and the coercion of variables
//     (MutateOperationContext): the input limits on every argument, and
//     the operation's static cost (package cost) against MaxCost; the
//     cost is kept with the request (request.cost) for the cost budget
//     and for extensions.cost.
//
// Requests without limits in their context, or whose limits bound nothing
// of an operation (Limits.ChecksOperations), pass unchecked.
type operationLimits struct {
	tokenLimit int
	exposeCost bool
	// measures caches the measures of documents by their text, as the
	// query cache does their validation: a document is parsed and
	// measured once while it stays in the cache.
	measures graphql.Cache[limits.Measures]
}

var (
	_ graphql.HandlerExtension          = (*operationLimits)(nil)
	_ graphql.OperationParameterMutator = (*operationLimits)(nil)
	_ graphql.OperationContextMutator   = (*operationLimits)(nil)
)

func newOperationLimits(tokenLimit, cacheSize int, exposeCost bool) *operationLimits {
	return &operationLimits{tokenLimit: tokenLimit, exposeCost: exposeCost, measures: newLazyLRU[limits.Measures](cacheSize)}
}

func (*operationLimits) ExtensionName() string { return "TenantLimits" }

func (*operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (e *operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := limits.FromContext(ctx)
	if l == nil || !l.ChecksOperations() {
		return nil
	}
	if n := len(p.OperationName); l.MaxOperationName > 0 && n > l.MaxOperationName {
		return refusal(ctx, &apperr.Error{
			Code:    apperr.MaxOperationNameLimit,
			Message: "the operation name has " + strconv.Itoa(n) + " bytes, more than the tenant's limit of " + strconv.Itoa(l.MaxOperationName),
		})
	}
	m, ok := e.measures.Get(ctx, p.Query)
	if !ok {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.tokenLimit)
		if err != nil {
			return nil // gqlgen parses it again and reports the error
		}
		m = limits.Measure(doc)
		e.measures.Add(ctx, p.Query, m)
	}
	if err := l.Check(m); err != nil {
		ae, _ := apperr.As(err)
		return refusal(ctx, ae)
	}
	return nil
}

func (e *operationLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	l := limits.FromContext(ctx)
	if l == nil || (!l.ChecksOperations() && !e.exposeCost) {
		return nil
	}
	if err := l.CheckInputs(oc.Doc, oc.Operation, oc.Variables); err != nil {
		ae, _ := apperr.As(err)
		return refusal(ctx, ae)
	}
	req := requestFrom(ctx)
	if req == nil || req.tenant.Runtime.Schema.Cost == nil || (l.MaxCost == 0 && l.CostPerMinute == 0 && !e.exposeCost) {
		return nil
	}
	c := req.tenant.Runtime.Schema.Cost.Operation(oc.Doc, oc.Operation, oc.Variables)
	req.cost, req.costed = c, true
	if l.MaxCost > 0 && c > l.MaxCost {
		err := refusal(ctx, &apperr.Error{
			Code:    apperr.CostTooExpensive,
			Message: "the operation costs " + strconv.Itoa(c) + ", more than the tenant's limit of " + strconv.Itoa(l.MaxCost),
		})
		err.Extensions["cost"] = costExtension{Estimated: c, Max: l.MaxCost}
		return err
	}
	return nil
}

// costExtension is extensions.cost: of a response when the gateway
// exposes costs, and of a COST_ESTIMATED_TOO_EXPENSIVE error always.
type costExtension struct {
	// Estimated is the operation's static cost.
	Estimated int `json:"estimated"`
	// Max is the tenant's limit, omitted when it has none.
	Max int `json:"max,omitempty"`
}

// refusal records the refusal of ctx's request with e's code, and returns
// e as the request's error.
func refusal(ctx context.Context, e *apperr.Error) *gqlerror.Error {
	refuse(ctx, e.Code)
	return e.GraphQL()
}
