package resolvers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// maxNameLength is the longest goods name, in characters.
const maxNameLength = 200

// defaultPageSize is goodsList's `first` when the argument is null.
const defaultPageSize = 20

// errNoTenant is returned when a resolver runs without a tenant in its
// context: a wiring bug, never a client's fault, so it is internal.
var errNoTenant = errors.New("resolvers: no tenant in context")

func tenantID(ctx context.Context) (string, error) {
	id, ok := tenant.IDFrom(ctx)
	if !ok {
		return "", errNoTenant
	}
	return id, nil
}

// goods implements Query.goods.
func (r *Resolver) goods(ctx context.Context, id string) (*model.Goods, error) {
	tid, err := tenantID(ctx)
	if err != nil {
		return nil, err
	}
	g, err := r.Store.Get(ctx, tid, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return g, err
}

// listArgs are the arguments of Query.goodsList.
type listArgs struct {
	Filter  *model.GoodsFilter
	OrderBy []model.GoodsOrder
	First   *int
	After   *string
	// ExtFilter holds the conditions on the tenant's extension fields
	// given in the filter.
	ExtFilter []store.ExtCondition
	// Ext resolves the GoodsSortField values of extension fields.
	Ext *extension.Set
}

// goodsList implements Query.goodsList.
func (r *Resolver) goodsList(ctx context.Context, a listArgs) (*model.GoodsConnection, error) {
	tid, err := tenantID(ctx)
	if err != nil {
		return nil, err
	}
	p := store.ListParams{First: defaultPageSize}
	if a.First != nil {
		p.First = *a.First
	}
	if limit := r.maxPageSize(ctx); p.First < 0 || p.First > limit {
		return nil, apperr.BadInput("first", "must be between 0 and %d", limit)
	}
	if a.After != nil {
		p.After = *a.After
	}
	p.NoCursors = !showsCursors(ctx)
	if p.Filter, err = storeFilter(a.Filter); err != nil {
		return nil, err
	}
	p.Filter.Ext = a.ExtFilter
	if p.OrderBy, err = storeOrder(a.OrderBy, a.Ext); err != nil {
		return nil, err
	}

	page, err := r.Store.List(ctx, tid, p)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, apperr.BadInput("after", "not a cursor of this list; cursors are valid only with the same orderBy")
	}
	if err != nil {
		return nil, err
	}

	conn := &model.GoodsConnection{
		Edges: make([]model.GoodsEdge, len(page.Edges)),
		Nodes: make([]*model.Goods, len(page.Edges)),
		PageInfo: model.PageInfo{
			HasNextPage:     page.HasNextPage,
			HasPreviousPage: p.After != "",
		},
		Count: func(ctx context.Context) (int, error) {
			return r.Store.Count(ctx, tid, p.Filter)
		},
	}
	for i, e := range page.Edges {
		conn.Edges[i] = model.GoodsEdge{Cursor: e.Cursor, Node: e.Node}
		conn.Nodes[i] = e.Node
	}
	if n := len(page.Edges); n > 0 {
		conn.PageInfo.StartCursor = &page.Edges[0].Cursor
		conn.PageInfo.EndCursor = &page.Edges[n-1].Cursor
	}
	return conn, nil
}

// showsCursors reports whether the connection being resolved in ctx
// selects what shows a cursor: edges, or pageInfo (its start and end
// cursors). A page of nodes alone needs none, which saves encoding one
// per goods. Without a field context (a call from Go) it does.
func showsCursors(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "edges" || f.Name == "pageInfo" {
			return true
		}
	}
	return false
}

// totalCount implements GoodsConnection.totalCount.
func (r *Resolver) totalCount(ctx context.Context, conn *model.GoodsConnection) (int, error) {
	if conn.Count == nil {
		return 0, errors.New("resolvers: connection without a count")
	}
	return conn.Count(ctx)
}

// createGoods implements Mutation.createGoods.
//
// check, when not nil, is given the goods as they will be stored, after the
// base rules pass; its error refuses the write.
func (r *Resolver) createGoods(ctx context.Context, in model.CreateGoodsInput, check func(*model.Goods) error) (*model.Goods, error) {
	tid, err := tenantID(ctx)
	if err != nil {
		return nil, err
	}
	name, err := checkName("input.name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkPrice("input.price", in.Price); err != nil {
		return nil, err
	}
	if check != nil {
		// A copy of Ext: the check fills in defaults, which are not stored.
		if err := check(&model.Goods{Name: name, Price: in.Price, Description: in.Description, Ext: maps.Clone(in.Ext)}); err != nil {
			return nil, err
		}
	}
	return r.Store.Create(ctx, tid, store.NewGoods{
		Name:        name,
		Price:       in.Price,
		Description: in.Description,
		Ext:         in.Ext,
	})
}

// updateGoods implements Mutation.updateGoods.
//
// check, when not nil, is given the goods as they will be stored (the
// stored goods with the update applied), after the base rules pass; its
// error refuses the write. The store calls it while no other update of
// the goods can happen (store.GoodsPatch.Check).
func (r *Resolver) updateGoods(ctx context.Context, id string, in model.UpdateGoodsInput, check func(*model.Goods) error) (*model.Goods, error) {
	tid, err := tenantID(ctx)
	if err != nil {
		return nil, err
	}
	var p store.GoodsPatch
	if v, set := in.Name.ValueOK(); set {
		if v == nil {
			return nil, apperr.BadInput("input.name", "must not be null")
		}
		name, err := checkName("input.name", *v)
		if err != nil {
			return nil, err
		}
		p.Name = &name
	}
	if v, set := in.Price.ValueOK(); set {
		if v == nil {
			return nil, apperr.BadInput("input.price", "must not be null")
		}
		if err := checkPrice("input.price", *v); err != nil {
			return nil, err
		}
		p.Price = v
	}
	if v, set := in.Description.ValueOK(); set {
		p.SetDescription = true
		p.Description = v
	}
	p.Ext = in.Ext

	p.Check = check
	g, err := r.Store.Update(ctx, tid, id, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(id)
	}
	return g, err
}

// deleteGoods implements Mutation.deleteGoods.
func (r *Resolver) deleteGoods(ctx context.Context, id string) (string, error) {
	tid, err := tenantID(ctx)
	if err != nil {
		return "", err
	}
	err = r.Store.Delete(ctx, tid, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound(id)
	}
	if err != nil {
		return "", err
	}
	return id, nil
}

func notFound(id string) error {
	return apperr.NotFoundf("no goods with id %q", id)
}

// checkName returns the name trimmed of surrounding white space, or an
// error if what is left is empty or too long.
func checkName(arg, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", apperr.BadInput(arg, "must not be empty")
	case utf8.RuneCountInString(name) > maxNameLength:
		return "", apperr.BadInput(arg, "must be at most %d characters", maxNameLength)
	}
	return name, nil
}

func checkPrice(arg string, price float64) error {
	if math.IsNaN(price) || math.IsInf(price, 0) || price < 0 {
		return apperr.BadInput(arg, "must be a finite number >= 0")
	}
	return nil
}

func storeFilter(f *model.GoodsFilter) (store.Filter, error) {
	var sf store.Filter
	if f == nil {
		return sf, nil
	}
	if f.NameContains != nil {
		sf.NameContains = *f.NameContains
	}
	if f.Price != nil {
		sf.Price = store.FloatRange{Gt: f.Price.Gt, Gte: f.Price.Gte, Lt: f.Price.Lt, Lte: f.Price.Lte}
		for _, b := range []*float64{f.Price.Gt, f.Price.Gte, f.Price.Lt, f.Price.Lte} {
			if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
				return sf, apperr.BadInput("filter.price", "bounds must be finite numbers")
			}
		}
	}
	if f.CreatedAt != nil {
		sf.CreatedAt = store.TimeRange{Gt: f.CreatedAt.Gt, Gte: f.CreatedAt.Gte, Lt: f.CreatedAt.Lt, Lte: f.CreatedAt.Lte}
	}
	return sf, nil
}

var sortFields = map[model.GoodsSortField]store.SortField{
	model.GoodsSortFieldName:      store.SortName,
	model.GoodsSortFieldPrice:     store.SortPrice,
	model.GoodsSortFieldCreatedAt: store.SortCreatedAt,
	model.GoodsSortFieldUpdatedAt: store.SortUpdatedAt,
}

// storeOrder turns orderBy into store sort keys. Values of GoodsSortField
// that are not base fields name extension fields of ext.
func storeOrder(orderBy []model.GoodsOrder, ext *extension.Set) ([]store.Order, error) {
	out := make([]store.Order, 0, len(orderBy))
	seen := make(map[model.GoodsSortField]bool, len(orderBy))
	for i, o := range orderBy {
		var so store.Order
		if f, ok := sortFields[o.Field]; ok {
			so.Field = f
		} else if xf, ok := ext.BySortValue(string(o.Field)); ok {
			so.Ext = &store.ExtKey{Name: xf.Name, Class: xf.Class, Default: xf.Default}
		} else {
			// Unreachable through GraphQL, which validates enum values.
			return nil, apperr.BadInput(fmt.Sprintf("orderBy[%d].field", i), "unknown sort field %q", o.Field)
		}
		if seen[o.Field] {
			return nil, apperr.BadInput(fmt.Sprintf("orderBy[%d].field", i), "%s is already a sort key", o.Field)
		}
		seen[o.Field] = true
		so.Desc = o.Direction == model.SortDirectionDesc
		out = append(out, so)
	}
	return out, nil
}
