package store

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// defaultOrder is the order of a List whose OrderBy is empty.
var defaultOrder = []Order{{Field: SortCreatedAt}}

// sortFields describes each SortField: how Memory compares it and which
// expression Postgres sorts by. Names compare in byte order on both sides
// (strings.Compare in Go, COLLATE "C" in Postgres).
var sortFields = map[SortField]sortField{
	SortName: {
		column:  `name COLLATE "C"`,
		value:   func(g *model.Goods) any { return g.Name },
		compare: func(a, b *model.Goods) int { return strings.Compare(a.Name, b.Name) },
	},
	SortPrice: {
		column:  "price",
		value:   func(g *model.Goods) any { return g.Price },
		compare: func(a, b *model.Goods) int { return cmp.Compare(a.Price, b.Price) },
	},
	SortCreatedAt: {
		column:  "created_at",
		value:   func(g *model.Goods) any { return g.CreatedAt },
		compare: func(a, b *model.Goods) int { return a.CreatedAt.Compare(b.CreatedAt) },
	},
	SortUpdatedAt: {
		column:  "updated_at",
		value:   func(g *model.Goods) any { return g.UpdatedAt },
		compare: func(a, b *model.Goods) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	},
}

type sortField struct {
	column  string                 // the SQL expression Postgres sorts by
	value   func(*model.Goods) any // the field's value, as a cursor holds it
	compare func(a, b *model.Goods) int
}

// normalizeOrder returns the order a List sorts by: order itself, or the
// default when it is empty. It rejects unknown fields.
func normalizeOrder(order []Order) ([]Order, error) {
	if len(order) == 0 {
		return defaultOrder, nil
	}
	for _, o := range order {
		if _, ok := sortFields[o.Field]; !ok {
			return nil, fmt.Errorf("store: unknown sort field %q", o.Field)
		}
	}
	return order, nil
}

// compareGoods compares a and b by order and then by ID, ascending. IDs
// are canonical UUID strings, whose byte order is the order of their
// bytes, as Postgres compares uuid values. The result is negative when a
// comes first.
func compareGoods(a, b *model.Goods, order []Order) int {
	for _, o := range order {
		c := sortFields[o.Field].compare(a, b)
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}
