package inventory

import (
	"fmt"

	"github.com/tenantgraph/tenantgraph/examples/inventory/model"
)

// Resolver resolves the service's schema from an Inventory.
type Resolver struct {
	Inventory *Inventory
}

// goods returns the goods id as the inventory knows it, or an error if it
// does not.
func (r *Resolver) goods(id string) (*model.Goods, error) {
	rec := r.Inventory.Lookup(id)
	if rec.Unknown {
		return nil, fmt.Errorf("goods %q is not in the inventory", id)
	}
	return &model.Goods{ID: id, Stock: rec.Stock, Warehouse: rec.Warehouse}, nil
}
