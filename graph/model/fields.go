package model

// The FieldValue methods let the dynamic executor (internal/dynamic) read
// the fields of the base types without resolvers and without reflection.
// They return pointers into the value where they can (&g.Name, not
// g.Name): a pointer goes into an interface without an allocation, a
// string, float64 or time.Time does not. A nil pointer to a scalar is
// null as it is; a nil pointer to an object is returned as an untyped nil,
// which is null, where the executor would otherwise read its fields. Lists
// are returned as types with Len and At (the executor's List), again
// without copying.

// FieldValue returns the value of the GraphQL field name of g: a base
// field, or else the extension field of that name from g.Ext (nil if g
// has no value for it).
func (g *Goods) FieldValue(name string) any {
	switch name {
	case "id":
		return &g.ID
	case "name":
		return &g.Name
	case "price":
		return &g.Price
	case "description":
		return g.Description
	case "createdAt":
		return &g.CreatedAt
	case "updatedAt":
		return &g.UpdatedAt
	}
	return g.Ext[name]
}

// FieldValue returns the value of the GraphQL field name of c; nil for
// totalCount, which has a resolver, and for names c does not have.
func (c *GoodsConnection) FieldValue(name string) any {
	switch name {
	case "edges":
		return (*goodsEdges)(&c.Edges)
	case "nodes":
		return (*goodsNodes)(&c.Nodes)
	case "pageInfo":
		return &c.PageInfo
	}
	return nil
}

// FieldValue returns the value of the GraphQL field name of e.
func (e *GoodsEdge) FieldValue(name string) any {
	switch name {
	case "cursor":
		return &e.Cursor
	case "node":
		if e.Node == nil {
			return nil
		}
		return e.Node
	}
	return nil
}

// FieldValue returns the value of the GraphQL field name of p.
func (p *PageInfo) FieldValue(name string) any {
	switch name {
	case "hasNextPage":
		return p.HasNextPage
	case "hasPreviousPage":
		return p.HasPreviousPage
	case "startCursor":
		return p.StartCursor
	case "endCursor":
		return p.EndCursor
	}
	return nil
}

// goodsEdges is GoodsConnection.Edges as a list of *GoodsEdge. A nil
// slice is an empty list, as in generated code.
type goodsEdges []GoodsEdge

func (l *goodsEdges) Len() int     { return len(*l) }
func (l *goodsEdges) At(i int) any { return &(*l)[i] }

// goodsNodes is GoodsConnection.Nodes as a list of *Goods; a nil element
// is null.
type goodsNodes []*Goods

func (l *goodsNodes) Len() int { return len(*l) }

func (l *goodsNodes) At(i int) any {
	if g := (*l)[i]; g != nil {
		return g
	}
	return nil
}
