// Package store keeps the goods of every tenant.
//
// A [Store] is shared by all tenants; every method takes the tenant ID and
// sees only that tenant's rows. Two implementations pass the same
// conformance suite (package storetest): [Postgres], for production, and
// [Memory], the embedded default whose data is lost on exit.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/extension"
)

// ErrNotFound is returned when the goods asked for do not exist for the
// given tenant. Goods of another tenant do not exist, as far as a caller can
// tell; so do IDs that are not well-formed.
var ErrNotFound = errors.New("store: goods not found")

// ErrBadCursor is returned by List when ListParams.After is not a cursor
// that List returned for the same tenant-independent ordering.
var ErrBadCursor = errors.New("store: invalid cursor")

// Store is the goods storage of all tenants.
//
// All methods are safe for concurrent use.
type Store interface {
	// Get returns the goods with the given ID, or ErrNotFound.
	Get(ctx context.Context, tenantID, id string) (*model.Goods, error)
	// List returns one page of goods that match p.Filter, in p.OrderBy
	// order, starting after the cursor p.After.
	List(ctx context.Context, tenantID string, p ListParams) (*Page, error)
	// Count returns the number of goods that match f.
	Count(ctx context.Context, tenantID string, f Filter) (int, error)
	// Create stores new goods and returns them with their ID and
	// timestamps set.
	Create(ctx context.Context, tenantID string, in NewGoods) (*model.Goods, error)
	// Update applies p to the goods with the given ID and returns the
	// result, or ErrNotFound. UpdatedAt is set to the time of the update.
	Update(ctx context.Context, tenantID, id string, p GoodsPatch) (*model.Goods, error)
	// Delete removes the goods with the given ID, or returns ErrNotFound.
	Delete(ctx context.Context, tenantID, id string) error
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}

// NewGoods is the input of Store.Create. Validation of business rules is the
// caller's job.
type NewGoods struct {
	Name        string
	Price       float64
	Description *string
	// Ext holds extension values: JSON values (string, float64, int,
	// bool, nil, []any, map[string]any) and time.Time, which is stored as
	// a fixed-width UTC string ("2006-01-02T15:04:05.000000Z") so that
	// byte order is time order. Nil means none.
	Ext map[string]any
}

// GoodsPatch is the input of Store.Update. Nil fields are left unchanged.
type GoodsPatch struct {
	Name  *string
	Price *float64
	// SetDescription says whether Description is to be written; a nil
	// Description with SetDescription clears it.
	SetDescription bool
	Description    *string
	// Ext is merged into the stored extension values key by key; a key
	// with a nil value removes it.
	Ext map[string]any
	// Check, if set, is given the goods as the update will leave them
	// (the stored goods, as Get returns them, with the patch applied by
	// Apply) while no other write of them can happen, and refuses the
	// update by returning an error, which Update returns. It is how rules
	// across fields (a tenant's @validate) see the goods they judge as
	// they will be stored, even under concurrent updates.
	Check func(*model.Goods) error
}

// Apply applies p to g, as an update does, except that extension values
// are set as given, not as they are stored.
func (p *GoodsPatch) Apply(g *model.Goods) {
	if p.Name != nil {
		g.Name = *p.Name
	}
	if p.Price != nil {
		g.Price = *p.Price
	}
	if p.SetDescription {
		g.Description = p.Description
	}
	for k, v := range p.Ext {
		if v == nil {
			delete(g.Ext, k)
			continue
		}
		if g.Ext == nil {
			g.Ext = make(map[string]any, len(p.Ext))
		}
		g.Ext[k] = v
	}
}

// SortField names a column that goods can be sorted by.
type SortField string

// The sortable base fields.
const (
	SortName      SortField = "name"
	SortPrice     SortField = "price"
	SortCreatedAt SortField = "created_at"
	SortUpdatedAt SortField = "updated_at"
)

// Order is one sort key: a base field, or an extension field when Ext is
// set.
type Order struct {
	Field SortField
	Ext   *ExtKey
	Desc  bool
}

// ExtKey names an extension field the store compares or sorts by.
//
// Values are compared by Class: ClassString in byte order, ClassNumber
// numerically, ClassBool false before true, ClassTime in time order. A
// stored value of another JSON type than its class expects (left by an
// earlier version of the tenant's schema) compares as null. Goods without
// a value take Default; with no Default they have null, which sorts before
// every value (so first ascending, last descending) and matches no
// condition.
type ExtKey struct {
	Name    string
	Class   extension.Class
	Default any // nil: no default
}

// ExtCondition is a condition on an extension field. Conditions hold on
// the field's value as ExtKey describes it. Values are strings for
// ClassString, float64 for ClassNumber, bool for ClassBool and time.Time
// for ClassTime.
type ExtCondition struct {
	ExtKey
	// Eq, if not nil, must equal the value.
	Eq any
	// In, if not nil, must contain the value; an empty In matches nothing.
	In []any
	// Gt, Gte, Lt and Lte, when not nil, bound the value.
	Gt, Gte, Lt, Lte any
}

// FloatRange bounds a number; nil bounds are open.
type FloatRange struct {
	Gt, Gte, Lt, Lte *float64
}

// TimeRange bounds a time; nil bounds are open.
type TimeRange struct {
	Gt, Gte, Lt, Lte *time.Time
}

// Filter selects goods. The zero Filter matches all goods; every condition
// set must hold.
type Filter struct {
	// NameContains matches names that contain it, ignoring case.
	NameContains string
	Price        FloatRange
	CreatedAt    TimeRange
	// Ext holds conditions on extension fields.
	Ext []ExtCondition
}

// ListParams are the parameters of Store.List.
type ListParams struct {
	Filter Filter
	// OrderBy lists the sort keys, most significant first. The goods ID
	// (ascending) always follows as the last key, so the order is total.
	// Empty means ascending by creation time.
	OrderBy []Order
	// First is the page size; it must be >= 0. Limits are the caller's job.
	First int
	// After is an opaque cursor from a previous page (Edge.Cursor), or "".
	After string
	// NoCursors says the caller shows no cursor: the page's edges have
	// none (Edge.Cursor is ""), which saves encoding one per goods.
	NoCursors bool
}

// Edge is one goods on a page with its cursor.
type Edge struct {
	Cursor string
	Node   *model.Goods
}

// Page is one page of a List.
type Page struct {
	Edges []Edge
	// HasNextPage reports whether more goods follow the last edge.
	HasNextPage bool
}
