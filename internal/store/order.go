package store

import (
	"fmt"
	"strings"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// defaultOrder is the order of a List whose OrderBy is empty.
var defaultOrder = []Order{{Field: SortCreatedAt}}

// sortFields describes each SortField: its value, which Memory compares
// with compareValues, and the expression Postgres sorts by. Names compare
// in byte order on both sides (strings.Compare in Go, COLLATE "C" in
// Postgres).
var sortFields = map[SortField]sortField{
	SortName:      {column: `name COLLATE "C"`, value: func(g *model.Goods) any { return g.Name }},
	SortPrice:     {column: "price", value: func(g *model.Goods) any { return g.Price }},
	SortCreatedAt: {column: "created_at", value: func(g *model.Goods) any { return g.CreatedAt }},
	SortUpdatedAt: {column: "updated_at", value: func(g *model.Goods) any { return g.UpdatedAt }},
}

type sortField struct {
	column string                 // the SQL expression Postgres sorts by
	value  func(*model.Goods) any // the field's value: string, float64 or time.Time
}

// sortKey is a checked Order: a base field, or an extension field when
// ext is set.
type sortKey struct {
	field SortField
	ext   *extKey
	desc  bool
}

// value returns the value of k for g: never nil for a base field; nil
// (null) or a value of the key's class for an extension field.
func (k *sortKey) value(g *model.Goods) any {
	if k.ext != nil {
		return k.ext.value(g.Ext)
	}
	return sortFields[k.field].value(g)
}

// name returns what a cursor calls k: the field name, or for an extension
// field "ext:<class>:<name>" (base field names have no colon), each with a
// leading "-" when descending. A cursor belongs to one sequence of names.
// An extension field's default is not part of its name: a cursor stays
// valid when the default changes, and positions the next page by value.
func (k *sortKey) name() string {
	s := string(k.field)
	if k.ext != nil {
		s = "ext:" + classNames[k.ext.class] + ":" + k.ext.name
	}
	if k.desc {
		s = "-" + s
	}
	return s
}

// compileOrder returns the keys a List sorts by: those of order, or of
// the default order when it is empty. It rejects unknown fields.
func compileOrder(order []Order) ([]sortKey, error) {
	if len(order) == 0 {
		order = defaultOrder
	}
	keys := make([]sortKey, len(order))
	for i, o := range order {
		keys[i] = sortKey{field: o.Field, desc: o.Desc}
		if o.Ext != nil {
			if o.Field != "" {
				return nil, fmt.Errorf("store: sort key %d names both field %q and extension field %q", i, o.Field, o.Ext.Name)
			}
			k, err := compileExtKey(o.Ext)
			if err != nil {
				return nil, err
			}
			keys[i].ext = &k
			continue
		}
		if _, ok := sortFields[o.Field]; !ok {
			return nil, fmt.Errorf("store: unknown sort field %q", o.Field)
		}
	}
	return keys, nil
}

// position is the place of one goods in an order: its values of the sort
// keys and its ID, the last key.
type position struct {
	values []any
	id     string
}

// positionOf returns the position of g in the order of keys.
func positionOf(g *model.Goods, keys []sortKey) *position {
	p := &position{values: make([]any, len(keys)), id: g.ID}
	p.fill(g, keys)
	return p
}

// fill sets p's values to those of g for keys; p.values must have room
// for them.
func (p *position) fill(g *model.Goods, keys []sortKey) {
	for i := range keys {
		p.values[i] = keys[i].value(g)
	}
}

// comparePositions compares a and b in the order of keys and then by ID,
// ascending. IDs are canonical UUID strings, whose byte order is the order
// of their bytes, as Postgres compares uuid values. The result is
// negative when a comes first.
func comparePositions(a, b *position, keys []sortKey) int {
	for i := range keys {
		c := compareValues(a.values[i], b.values[i])
		if keys[i].desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.id, b.id)
}
