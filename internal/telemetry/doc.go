// Package telemetry holds the gateway's instruments: its Prometheus
// metrics, in a registry of their own, and the handler that serves them.
// It measures; it decides nothing.
//
// Metrics are recorded two ways. What only the request path knows (a
// request's tenant, operation type, outcome and latency; the errors shown
// to clients; tenant loads) is observed as it happens, through the
// methods of Metrics, which gateway.Observer and loader.Options.OnLoad
// call. Everything the gateway counts already (refusals, cache hits and
// misses, the Redis breakers, the tenants' states, the Postgres pool) is
// read from its source at scrape time, through Sources, and costs the
// request path nothing more.
//
//	m := telemetry.New()
//	reg, _ := loader.New(loader.Options{..., OnLoad: m.ObserveLoad})
//	h := gateway.New(gateway.Options{..., Observer: m, Refusals: refusals})
//	m.Register(telemetry.Sources{Refusals: refusals, Tenants: reg})
//	http.ListenAndServe(":9090", m.Handler())
//
// Series per tenant are bounded: the tenant label takes only IDs of the
// registry, codes are the gateway's, and latency is one histogram per
// tenant (see Metrics).
package telemetry
