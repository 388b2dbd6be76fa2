package inventory

import (
	"hash/fnv"
	"sync"

	"github.com/tenantgraph/tenantgraph/examples/inventory/model"
)

// warehouses are the warehouses goods are derived to be kept in.
var warehouses = []model.Warehouse{
	{Code: "AMS1", City: ptr("Amsterdam")},
	{Code: "BER1", City: ptr("Berlin")},
	{Code: "LIS1", City: ptr("Lisbon")},
	{Code: "WAW1", City: nil}, // a warehouse whose city is unknown: null
}

func ptr[T any](v T) *T { return &v }

// Record is what the inventory knows of one goods.
type Record struct {
	// Stock is the units in stock; nil is unknown (null).
	Stock *int
	// Warehouse is where the goods are kept; nil is nowhere (null).
	Warehouse *model.Warehouse
	// Unknown makes the goods unknown to the inventory: resolving it as
	// an entity fails, an error at its index of _entities.
	Unknown bool
	// WarehouseError, when set, makes the goods' warehouse field fail
	// with this message, an error at its path.
	WarehouseError string
}

// Derive returns the record every id has unless overridden: a stock of
// 0 to 499 and one of four warehouses, both derived from a hash of id, so
// that any id works and always gives the same answer.
func Derive(id string) Record {
	h := fnv.New32a()
	h.Write([]byte(id))
	sum := h.Sum32()
	w := warehouses[int(sum/500)%len(warehouses)]
	return Record{Stock: ptr(int(sum % 500)), Warehouse: &w}
}

// Inventory is the service's data: the derived record of every id, and
// the records that Override put in their place. Its methods may be called
// concurrently. The zero Inventory is ready to use.
type Inventory struct {
	mu        sync.RWMutex
	overrides map[string]Record
}

// Override makes r the record of id, in place of its derived one.
func (inv *Inventory) Override(id string, r Record) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.overrides == nil {
		inv.overrides = make(map[string]Record)
	}
	inv.overrides[id] = r
}

// Lookup returns the record of id: its override, or else its derived
// record.
func (inv *Inventory) Lookup(id string) Record {
	inv.mu.RLock()
	r, ok := inv.overrides[id]
	inv.mu.RUnlock()
	if ok {
		return r
	}
	return Derive(id)
}
