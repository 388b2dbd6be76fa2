package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/logic"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/loader"
)

// FieldResolvers returns the resolvers of the base schema's resolver-backed
// fields for the dynamic executor, keyed "Type.field". Each turns the
// executor's coerced arguments (input objects as map[string]any, see
// dynamic.FieldResolver) into the very call the generated executor makes
// through schema.resolvers.go, so that business rules and their errors are
// the same on both.
//
// ext is the tenant's extension fields: their values travel in the
// inputs' and the model's Ext maps, their filters become store
// conditions, their sort values store sort keys, and their defaults fill
// in values that stored goods lack.
func (r *Resolver) FieldResolvers(ext *extension.Set) map[string]dynamic.FieldResolver {
	return r.fieldResolvers(ext, nil)
}

// NewExecutable returns the executable schema of a tenant's compiled
// schema s on the dynamic executor: the resolvers of FieldResolvers, the
// tenant's @computed fields (computed inline, see dynamic.Config.Computed),
// its @validate rules, which createGoods and updateGoods check before they
// write, and its @upstream fields, a batch per upstream.
func (r *Resolver) NewExecutable(s *loader.Schema) *dynamic.ExecutableSchema {
	return dynamic.New(dynamic.Config{
		Schema:    s.AST,
		Resolvers: r.fieldResolvers(s.Ext, s.Logic),
		Computed:  s.Logic.Computed(),
		Batches:   upstreamBatches(s),

		IntrospectionCache: r.IntrospectionCache,
		PlanCache:          r.PlanCache,
	})
}

func (r *Resolver) fieldResolvers(ext *extension.Set, rules *logic.Set) map[string]dynamic.FieldResolver {
	x := &extResolver{Resolver: r, ext: ext, rules: rules}
	return map[string]dynamic.FieldResolver{
		"Query.goods":                x.resolveGoods,
		"Query.goodsList":            x.resolveGoodsList,
		"Mutation.createGoods":       x.resolveCreateGoods,
		"Mutation.updateGoods":       x.resolveUpdateGoods,
		"Mutation.deleteGoods":       r.resolveDeleteGoods,
		"GoodsConnection.totalCount": r.resolveTotalCount,
	}
}

// extResolver resolves the fields whose arguments or results involve a
// tenant's extension fields.
type extResolver struct {
	*Resolver
	ext   *extension.Set
	rules *logic.Set // nil: no rules
}

// check returns the check of createGoods and updateGoods: the tenant's
// rules, on the goods with its defaults filled in; the rules of a field
// run when given reports it given. Nil when the tenant has no rules.
func (x *extResolver) check(ctx context.Context, given func(field string) bool) func(*model.Goods) error {
	if !x.rules.HasRules() {
		return nil
	}
	return func(g *model.Goods) error {
		x.applyDefaults(g)
		return x.rules.Check(ctx, g, given)
	}
}

// every reports every field given: a new goods has them all.
func every(string) bool { return true }

func (x *extResolver) resolveGoods(ctx context.Context, _ any, args map[string]any) (any, error) {
	return x.goodsResult(x.goods(ctx, args["id"].(string)))
}

func (x *extResolver) resolveGoodsList(ctx context.Context, _ any, args map[string]any) (any, error) {
	a := listArgs{
		Filter:  goodsFilter(args["filter"]),
		OrderBy: goodsOrder(args["orderBy"]),
		First:   optInt(args, "first"),
		After:   optString(args, "after"),
		Ext:     x.ext,
	}
	if f, ok := args["filter"].(map[string]any); ok {
		a.ExtFilter = x.extFilter(f)
	}
	conn, err := x.goodsList(ctx, a)
	if conn == nil || err != nil {
		return nil, err
	}
	for _, g := range conn.Nodes {
		x.applyDefaults(g)
	}
	return conn, nil
}

func (x *extResolver) resolveCreateGoods(ctx context.Context, _ any, args map[string]any) (any, error) {
	in := args["input"].(map[string]any)
	var input model.CreateGoodsInput
	if v, ok := in["name"].(string); ok {
		input.Name = v
	}
	if v, ok := in["price"].(float64); ok {
		input.Price = v
	}
	input.Description = optString(in, "description")
	for _, f := range x.fields() {
		if v, ok := in[f.Name]; ok {
			if input.Ext == nil {
				input.Ext = make(map[string]any)
			}
			input.Ext[f.Name] = v
		}
	}
	return x.goodsResult(x.createGoods(ctx, input, x.check(ctx, every)))
}

func (x *extResolver) resolveUpdateGoods(ctx context.Context, _ any, args map[string]any) (any, error) {
	in := args["input"].(map[string]any)
	var input model.UpdateGoodsInput
	// A field given, even as null, is set; a field left out is not.
	if _, ok := in["name"]; ok {
		input.Name = graphql.OmittableOf(optString(in, "name"))
	}
	if _, ok := in["price"]; ok {
		input.Price = graphql.OmittableOf(optFloat(in, "price"))
	}
	if _, ok := in["description"]; ok {
		input.Description = graphql.OmittableOf(optString(in, "description"))
	}
	for _, f := range x.fields() {
		v, ok := in[f.Name]
		if !ok {
			continue
		}
		// UpdateGoodsInput makes every field optional, so null must be
		// refused here for fields that may not be null. For a nullable
		// field, null removes the stored value, and its default (if any)
		// applies again.
		if v == nil && f.Type.NonNull {
			return nil, apperr.BadInput("input."+f.Name, "must not be null")
		}
		if input.Ext == nil {
			input.Ext = make(map[string]any)
		}
		input.Ext[f.Name] = v
	}
	return x.goodsResult(x.updateGoods(ctx, args["id"].(string), input, x.check(ctx, func(f string) bool { _, ok := in[f]; return ok })))
}

func (x *extResolver) fields() []extension.Field {
	if x.ext == nil {
		return nil
	}
	return x.ext.Fields
}

// goodsResult is a resolver's result for a field of type Goods, with the
// tenant's defaults filled in.
func (x *extResolver) goodsResult(g *model.Goods, err error) (any, error) {
	if g == nil || err != nil {
		return nil, err
	}
	x.applyDefaults(g)
	return g, nil
}

// applyDefaults gives g the default of every extension field it has no
// value for: goods stored before the field existed read as its default.
func (x *extResolver) applyDefaults(g *model.Goods) {
	for _, f := range x.fields() {
		if !f.HasDefault {
			continue
		}
		if _, ok := g.Ext[f.Name]; !ok {
			if g.Ext == nil {
				g.Ext = make(map[string]any)
			}
			g.Ext[f.Name] = f.Default
		}
	}
}

// extFilter returns the store conditions of the extension fields in a
// coerced GoodsFilter. The filter's shape per class is the loader's
// derivation: {eq, in} for strings, IDs and enums; {gt, gte, lt, lte}
// for numbers and DateTime; a plain value for Boolean.
func (x *extResolver) extFilter(f map[string]any) []store.ExtCondition {
	var conds []store.ExtCondition
	for _, xf := range x.fields() {
		v, ok := f[xf.Name]
		if !ok || v == nil || !xf.Filterable {
			continue
		}
		c := store.ExtCondition{ExtKey: store.ExtKey{Name: xf.Name, Class: xf.Class, Default: xf.Default}}
		switch xf.Class {
		case extension.ClassBool:
			c.Eq = v
		case extension.ClassString:
			m, _ := v.(map[string]any)
			c.Eq = m["eq"]
			if in, ok := m["in"].([]any); ok {
				c.In = in
			}
		case extension.ClassNumber, extension.ClassTime:
			m, _ := v.(map[string]any)
			c.Gt, c.Gte, c.Lt, c.Lte = bound(m["gt"]), bound(m["gte"]), bound(m["lt"]), bound(m["lte"])
		default:
			continue
		}
		conds = append(conds, c)
	}
	return conds
}

// bound is a range bound as the store takes it: float64 for numbers,
// time.Time for DateTime, nil for none.
func bound(v any) any {
	if i, ok := v.(int); ok {
		return float64(i)
	}
	return v
}

func (r *Resolver) resolveDeleteGoods(ctx context.Context, _ any, args map[string]any) (any, error) {
	id, err := r.deleteGoods(ctx, args["id"].(string))
	if err != nil {
		return nil, err
	}
	return id, nil
}

func (r *Resolver) resolveTotalCount(ctx context.Context, parent any, _ map[string]any) (any, error) {
	n, err := r.totalCount(ctx, parent.(*model.GoodsConnection))
	if err != nil {
		return nil, err
	}
	return n, nil
}

// goodsFilter is the GoodsFilter of a coerced filter argument, as the
// generated executor's unmarshalInputGoodsFilter makes it.
func goodsFilter(v any) *model.GoodsFilter {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	f := &model.GoodsFilter{NameContains: optString(m, "nameContains")}
	if p, ok := m["price"].(map[string]any); ok {
		f.Price = &model.FloatRange{Gt: optFloat(p, "gt"), Gte: optFloat(p, "gte"), Lt: optFloat(p, "lt"), Lte: optFloat(p, "lte")}
	}
	if c, ok := m["createdAt"].(map[string]any); ok {
		f.CreatedAt = &model.DateTimeRange{Gt: optTime(c, "gt"), Gte: optTime(c, "gte"), Lt: optTime(c, "lt"), Lte: optTime(c, "lte")}
	}
	return f
}

// goodsOrder is the []GoodsOrder of a coerced orderBy argument: nil if
// it was left out or null, empty if it was [].
func goodsOrder(v any) []model.GoodsOrder {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]model.GoodsOrder, len(l))
	for i, e := range l {
		m, _ := e.(map[string]any)
		field, _ := m["field"].(string)
		direction, _ := m["direction"].(string)
		out[i] = model.GoodsOrder{Field: model.GoodsSortField(field), Direction: model.SortDirection(direction)}
	}
	return out
}

// The opt functions return a pointer to the value of m[key], or nil if it
// is null or left out.

func optString(m map[string]any, key string) *string {
	if v, ok := m[key].(string); ok {
		return &v
	}
	return nil
}

func optInt(m map[string]any, key string) *int {
	if v, ok := m[key].(int); ok {
		return &v
	}
	return nil
}

func optFloat(m map[string]any, key string) *float64 {
	if v, ok := m[key].(float64); ok {
		return &v
	}
	return nil
}

func optTime(m map[string]any, key string) *time.Time {
	if v, ok := m[key].(time.Time); ok {
		return &v
	}
	return nil
}
