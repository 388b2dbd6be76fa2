package model

import "github.com/99designs/gqlgen/graphql"

// CreateGoodsInput is the input of Mutation.createGoods.
type CreateGoodsInput struct {
	Name        string  `json:"name"`
	Price       float64 `json:"price"`
	Description *string `json:"description,omitempty"`
	// Ext holds the values of the tenant's extension fields, with input
	// defaults applied. Nil for the base schema.
	Ext map[string]any `json:"-"`
}

// UpdateGoodsInput is the input of Mutation.updateGoods. A field that is
// not set was left out of the input; a set field holding nil was given as
// null.
type UpdateGoodsInput struct {
	Name        graphql.Omittable[*string]  `json:"name,omitempty"`
	Price       graphql.Omittable[*float64] `json:"price,omitempty"`
	Description graphql.Omittable[*string]  `json:"description,omitempty"`
	// Ext holds the tenant extension fields given in the input; a nil
	// value clears the field. Nil for the base schema.
	Ext map[string]any `json:"-"`
}
