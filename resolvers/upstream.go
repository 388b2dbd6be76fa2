package resolvers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
	"github.com/tenantgraph/tenantgraph/loader"
)

// The executor reads the fields of an upstream's answer through
// dynamic.Object, and copies their text through dynamic.JSONObject.
var _ dynamic.JSONObject = (*upstream.Object)(nil)

// upstreamBatches returns a batch for each upstream that fields of s are
// resolved by: the goods of a request level are sent to the upstream in
// one _entities query, with the fields they select. The upstream's client
// is the request's tenant's (loader.FromContext): a schema is shared by
// tenants with the same files, its upstreams are not.
func upstreamBatches(s *loader.Schema) []*dynamic.Batch {
	ups := s.Upstreams()
	var out []*dynamic.Batch
	for _, name := range slices.Sorted(maps.Keys(ups)) {
		out = append(out, &dynamic.Batch{Type: "Goods", Fields: ups[name], Resolve: upstreamResolver(name)})
	}
	return out
}

// upstreamResolver resolves the fields of the upstream name for a batch
// of goods. A call that fails (every URL down, or the deadline passed)
// fails each goods' fields with UPSTREAM_UNAVAILABLE; an error the
// upstream reports for a goods or one of its fields fails that goods or
// that field alone. Clients learn the upstream's name, never its URL or
// what it said.
func upstreamResolver(name string) func(context.Context, []any, []graphql.CollectedField) ([]dynamic.Object, []error) {
	return func(ctx context.Context, parents []any, fields []graphql.CollectedField) ([]dynamic.Object, []error) {
		fail := func(err error) ([]dynamic.Object, []error) {
			errs := make([]error, len(parents))
			for i := range errs {
				errs[i] = err
			}
			return nil, errs
		}
		t, _ := loader.FromContext(ctx)
		var c *upstream.Client
		if t != nil {
			c = t.Upstreams[name]
		}
		if c == nil {
			return fail(fmt.Errorf("resolvers: the request's tenant has no upstream %q", name))
		}
		ids := make([]string, len(parents))
		for i, p := range parents {
			g, ok := p.(*model.Goods)
			if !ok {
				return fail(fmt.Errorf("resolvers: a %T is no goods", p))
			}
			ids[i] = g.ID
		}
		sel := upstream.Selection(fields)
		var vars map[string]any
		if graphql.HasOperationContext(ctx) {
			vars = graphql.GetOperationContext(ctx).Variables
		}
		results, err := c.Entities(ctx, "Goods", ids, sel, vars)
		switch {
		case errors.Is(err, upstream.ErrUnavailable) && ctx.Err() != nil:
			return fail(err) // the request's deadline, reported as such
		case errors.Is(err, upstream.ErrUnavailable):
			return fail(unavailable(name, err))
		case err != nil:
			return fail(err)
		}
		values := make([]dynamic.Object, len(parents))
		var errs []error // made at the first error
		for i, res := range results {
			v, err := entityValues(name, res)
			if err != nil {
				if errs == nil {
					errs = make([]error, len(parents))
				}
				errs[i] = err
				continue
			}
			values[i] = v
		}
		return values, errs
	}
}

// entityValues returns the values of an entity's fields, with the error of
// a field the upstream reported one for in its place (the executor makes
// it a field error), or the error of the whole entity.
func entityValues(name string, res upstream.Result) (*upstream.Object, error) {
	var whole bool
	for _, e := range res.Errors {
		if len(e.Path) == 0 {
			whole = true
		}
	}
	if res.Data == nil || whole {
		return nil, unavailable(name, nil)
	}
	if len(res.Errors) == 0 {
		return res.Data, nil
	}
	values := res.Data // shared by equal ids: With copies it
	for _, e := range res.Errors {
		if field, ok := e.Path[0].(string); ok {
			values = values.With(field, unavailable(name, e))
		}
	}
	return values, nil
}

// unavailable is the client's error for a field an upstream did not give.
func unavailable(name string, cause error) *apperr.Error {
	return &apperr.Error{
		Code:    apperr.UpstreamUnavailable,
		Message: "upstream " + strconv.Quote(name) + " did not give this field",
		Err:     cause,
	}
}
