package model

import "context"

// GoodsConnection is a page of goods.
type GoodsConnection struct {
	Edges    []GoodsEdge `json:"edges"`
	Nodes    []*Goods    `json:"nodes"`
	PageInfo PageInfo    `json:"pageInfo"`
	// Count returns the number of goods that match the page's filter on
	// all pages. The totalCount resolver calls it, so the count is only
	// computed when selected.
	Count func(ctx context.Context) (int, error) `json:"-"`
}

// GoodsEdge is one goods of a page with its cursor.
type GoodsEdge struct {
	Cursor string `json:"cursor"`
	Node   *Goods `json:"node"`
}

// PageInfo tells where a page lies in the whole list.
type PageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor,omitempty"`
	EndCursor       *string `json:"endCursor,omitempty"`
}
