package model

import "time"

// Goods is one item of a tenant's catalog.
//
// Ext holds the values of the tenant's extension fields (declared in
// tenants/<id>/*.graphqls), keyed by field name. It is never nil on a value
// returned by a store; tenants without extensions have an empty map.
type Goods struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Price       float64        `json:"price"`
	Description *string        `json:"description,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
	Ext         map[string]any `json:"-"`
}
