// Package inventory is an example upstream of the gateway: a GraphQL
// service that speaks Apollo Federation v2 (made with gqlgen's federation
// plugin) and adds stock and warehouse to the gateway's Goods, as a
// tenant's own inventory system would.
//
// Every goods id has a record derived from the id, so any id works and
// always gives the same answer; Inventory.Override replaces the record of
// an id, or makes it fail, for tests and demonstrations:
//
//	inv := &inventory.Inventory{}
//	inv.Override("g-1", inventory.Record{Unknown: true})
//	http.ListenAndServe(":4001", inventory.NewHandler(inv, inventory.Options{Token: "s3cret"}))
//
// The gateway asks for goods as entities:
//
//	query($representations: [_Any!]!) {
//	  _entities(representations: $representations) {
//	    ... on Goods { stock warehouse { code city } }
//	  }
//	}
//
// with "representations": [{"__typename": "Goods", "id": "g-1"}, ...].
// The command in cmd/inventory serves it.
package inventory
