// Package upstream calls the GraphQL services that tenants declare in
// tenant.yaml to resolve fields of their Goods: Apollo Federation's entity
// protocol, with batching, failover, circuit breakers, secret headers and
// a guard against server-side request forgery.
//
// A tenant declares an upstream (a Spec) and marks fields it resolves:
//
//	upstreams:
//	  inventory:
//	    urls: [https://inventory-a.example/graphql, https://inventory-b.example/graphql]
//	    timeout: 300ms
//	    hedge: 50ms
//	    headers:
//	      Authorization: "Bearer ${secret:inventoryToken}"
//
//	extend type Goods {
//	  stock: Int @upstream(name: "inventory")
//	  warehouse: Warehouse @upstream(name: "inventory")
//	}
//
// The loader validates the Spec (Spec.Validate, with the gateway's Guard
// and the tenant's secret names) and makes a Client, which it may ask for
// the upstream's SDL to check the fields' types:
//
//	c, err := upstream.New("inventory", spec, upstream.Options{
//		Guard:  guard,
//		Secret: func(ctx context.Context, name string) (string, error) { ... },
//		Logger: logger,
//	})
//	sdl, err := c.SDL(ctx)
//
// The executor then sends, per upstream and per level of a response, one
// request for the goods that select its fields (fields are the collected
// fields of Goods that the upstream resolves, variables the operation's):
//
//	results, err := c.Entities(ctx, "Goods", ids, upstream.Selection(fields), variables)
//
// which becomes
//
//	query($representations: [_Any!]!) {
//	  _entities(representations: $representations) { ... on Goods { stock warehouse { code } } }
//	}
//
// with {"representations": [{"__typename": "Goods", "id": "..."}, ...]}.
//
// # Failures
//
// The URLs of a Spec are replicas, tried in order. Each has a circuit
// breaker (BreakerConfig): consecutive failures open it and the URL is
// skipped; after a cooldown one request probes it. A call fails over to
// the next URL after any failure, while the caller's context lasts: an
// attempt may take the Spec's Timeout or what is left of the caller's
// deadline, whichever is shorter, and no attempt starts after the
// deadline. A failure is a connection error, a timeout, a status other
// than 2xx, a body that is not a GraphQL response or is larger than
// Options.MaxResponseBytes, or a response with errors and no data. The
// breaker counts them all but 3xx and 4xx answers other than 408 and 429,
// which say that the server works and refuses the request (its document
// or its credentials), and failures after the caller's context ended.
//
// With Spec.Hedge set, a request for entities is hedged, as Envoy and
// Finagle hedge requests: when its attempt has neither answered nor
// failed within the hedge, a second attempt starts on the next URL whose
// breaker allows one (never more than two in flight). The first answer
// wins and the other attempt is cancelled; a cancelled attempt counts
// neither for nor against its URL's breaker, so a half-open breaker
// whose probe was overtaken lets the next call probe again. When one of
// the two fails the call waits for the other, and when both fail it
// fails over to the remaining URLs, hedging again. Hedges start only
// within the caller's deadline, and every attempt has ended when the
// call returns. Entity requests are queries, so a duplicate does no
// harm; the SDL request is not hedged.
//
// When no URL answers, the call's error matches ErrUnavailable; an error
// an upstream reports for one entity is an *EntityError in that entity's
// Result. Neither holds a URL, an address or the upstream's message:
// those are logged, with the request's ID, so that the executor may show
// the errors to clients (as UPSTREAM_UNAVAILABLE with the upstream's
// name).
//
// # Safety
//
// Upstream URLs must be https, or http on a loopback host. A Guard
// refuses link-local, metadata, multicast and unspecified addresses, and
// private ones unless allowed, when the Spec is validated (literal IP
// hosts) and again at every connection (every address a hostname
// resolves to), so DNS rebinding can't reach them. Redirects are not
// followed, no proxy is used, response bodies are capped, and secrets
// are resolved at each call and never logged.
//
// The upstream document is printed from the caller's validated selection:
// names checked against GraphQL's grammar, argument values sent only as
// variables, ids only in the representations variable.
package upstream
