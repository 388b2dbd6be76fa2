// Package gateway is tenantgraph's HTTP front: the chi router, its
// middleware, the GraphQL transports and error presenter, health checks and
// GraphiQL.
//
// A request to /graphql passes request ID, access log, panic recovery, the
// body cap and token verification, then the tenant registry picks the
// runtime of the token's tenant and its gqlgen handler serves the request:
//
//	h := gateway.New(gateway.Options{Registry: reg, Store: st, Auth: verifier.Middleware, Logger: logger})
//	http.ListenAndServe(":8080", h)
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/loader"
)

// Options configure the router. Registry, Store and Auth are required.
type Options struct {
	// Registry maps the token's tenant to its runtime.
	Registry *loader.Registry
	// Store is probed by /readyz: a store that does not answer within
	// 500ms makes the gateway not ready.
	Store Pinger
	// Auth verifies the request's token and puts its tenant in the
	// context (tenant.WithID), or answers 401 itself.
	Auth func(http.Handler) http.Handler
	// Logger receives the access log and errors. Default: slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies; zero means 1 MiB.
	MaxBodyBytes int64
	// GraphiQL serves the GraphiQL page at "/" and, under AssetsPath, its
	// assets. Nil disables GraphiQL.
	GraphiQL http.Handler
	// Assets serves GraphiQL's assets under AssetsPath.
	Assets http.Handler
	// AssetsPath is the URL prefix of GraphiQL's assets, such as
	// "/graphiql/".
	AssetsPath string
	// AdminToken guards the operator endpoints (/admin/...), which are
	// served only when it is set.
	AdminToken string
	// Refresh drops a tenant's cached configuration and secrets
	// everywhere, for POST /admin/tenants/{id}/refresh. Nil disables the
	// endpoint.
	Refresh func(ctx context.Context, tenantID string) error
	// Cache reports the health of the shared cache in /readyz. If it is
	// also a Pinger (as *cache.Cache is), /readyz probes Redis through it
	// and reports Redis degraded as soon as it does not answer. Nil
	// leaves it out.
	Cache interface{ Status() cache.Status }
	// CORSOrigins are the browser origins allowed to call /graphql and
	// /schema.graphql from other sites ("*" for any). Empty: no CORS.
	CORSOrigins []string
	// CORSHeaders are request headers that browsers on CORSOrigins may
	// send besides CORSDefaultHeaders, which are always allowed.
	CORSHeaders []string

	// Share admits GraphQL requests: at most Tenant.Limits.MaxConcurrent
	// of a tenant at once, within the limiter's total. Nil admits every
	// request.
	Share *fairshare.Limiter
	// QueueTimeout is how long a request over its tenant's share, or over
	// the total, waits for a slot before it is answered 503 OVERLOADED.
	// Zero: it does not wait.
	QueueTimeout time.Duration
	// Refusals counts refused requests by tenant and code, for
	// /admin/tenants and metrics. Nil: the gateway counts in one of its
	// own.
	Refusals *Refusals
	// RateLimiter limits each tenant's requests to Tenant.Limits.Rate,
	// across replicas; /readyz reports its state. Nil: no rate limits.
	RateLimiter *ratelimit.Limiter
	// Observer is told of every request's tenant, operation type,
	// outcome and duration, for metrics. Nil: no one is.
	Observer Observer
	// TracerProvider makes a server span of each request, a child of the
	// client's W3C traceparent when it sends a valid one, named after its
	// GraphQL operation (see endRequestSpan); the access log line carries
	// its trace ID. Nil: no spans.
	TracerProvider trace.TracerProvider
}

// CORSDefaultHeaders are the request headers that browsers on
// Options.CORSOrigins may always send: those of the GraphQL over HTTP
// transports, the request ID, W3C trace context, and those Apollo Client
// sends (its client awareness headers, and the header that lets its
// uploads pass CSRF prevention).
var CORSDefaultHeaders = []string{
	"Authorization", "Content-Type", "Accept", "X-Request-Id",
	"traceparent", "tracestate",
	"apollographql-client-name", "apollographql-client-version", "apollo-require-preflight",
}

type gateway struct {
	opts  Options
	ready *readiness
}

// New returns the gateway's HTTP handler.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Refusals == nil {
		opts.Refusals = &Refusals{}
	}
	g := &gateway{opts: opts, ready: newReadiness(opts)}

	var tracer trace.Tracer
	if opts.TracerProvider != nil {
		tracer = opts.TracerProvider.Tracer(tracerName)
	}
	r := chi.NewRouter()
	r.Use(accessLog(opts.Logger, opts.Refusals, opts.Observer, opts.Registry.Known, tracer), recoverer(opts.Logger))
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		apperr.Write(w, http.StatusNotFound, &apperr.Error{Code: apperr.NotFound, Message: "no such endpoint; GraphQL is served at /graphql"})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		apperr.Write(w, http.StatusMethodNotAllowed, &apperr.Error{Code: apperr.MethodNotAllowed, Message: "method not allowed"})
	})

	r.Get("/healthz", healthz)
	r.Get("/readyz", g.readyz)
	if opts.GraphiQL != nil {
		r.Get("/", opts.GraphiQL.ServeHTTP)
		r.Head("/", opts.GraphiQL.ServeHTTP)
		r.Handle(opts.AssetsPath+"*", http.StripPrefix(opts.AssetsPath, opts.Assets))
	}

	r.Group(func(r chi.Router) {
		if len(opts.CORSOrigins) > 0 {
			// Tokens travel in the Authorization header, never in cookies,
			// so credentials need not be allowed.
			r.Use(cors.Handler(cors.Options{
				AllowedOrigins: opts.CORSOrigins,
				AllowedMethods: []string{http.MethodGet, http.MethodPost},
				AllowedHeaders: append(slices.Clone(CORSDefaultHeaders), opts.CORSHeaders...),
				ExposedHeaders: []string{"X-Request-Id"},
				MaxAge:         600,
			}))
			r.Options("/graphql", func(http.ResponseWriter, *http.Request) {})
			r.Options("/schema.graphql", func(http.ResponseWriter, *http.Request) {})
		}
		graphqlHandler := bodyLimit(opts.MaxBodyBytes)(opts.Auth(http.HandlerFunc(g.serveGraphQL)))
		r.Method(http.MethodGet, "/graphql", graphqlHandler)
		r.Method(http.MethodPost, "/graphql", graphqlHandler)
		r.Method(http.MethodGet, "/schema.graphql", opts.Auth(http.HandlerFunc(g.serveSchema)))
	})
	if opts.AdminToken != "" {
		r.With(adminOnly(opts.AdminToken)).Get("/admin/tenants", g.adminTenants)
		if opts.Refresh != nil {
			r.With(adminOnly(opts.AdminToken)).Post("/admin/tenants/{id}/refresh", g.adminRefresh)
		}
	}
	return r
}

// serveGraphQL hands an authenticated request to its tenant's runtime.
func (g *gateway) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && !(postTransport{}).Supports(r) {
		apperr.Write(w, http.StatusUnsupportedMediaType, &apperr.Error{Code: apperr.BadRequest, Message: "Content-Type must be application/json"})
		return
	}
	e, ok := g.entry(w, r)
	if !ok {
		return
	}
	// The tenant's time limit starts before its schema is looked up: a
	// request waiting for its tenant to compile is within it.
	if d := e.Limits.Timeout; d > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		// The response may be written until a little after the deadline,
		// whatever the server's WriteTimeout.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + writeGrace))
		r = r.WithContext(ctx)
	}
	t, ok := g.lookup(w, r, e.ID)
	if !ok {
		return
	}
	view, ok := g.view(w, r, t)
	if !ok {
		return
	}
	ctx := withTenant(r.Context(), t)
	ctx = loader.NewContext(ctx, t)
	if view.Access != nil {
		ctx = dynamic.WithAccess(ctx, view.Access)
	}
	if t.Limits != (limits.Limits{}) {
		ctx = limits.NewContext(ctx, &t.Limits)
	}
	r = r.WithContext(ctx)
	if rate := t.Limits.Rate; g.opts.RateLimiter != nil && !rate.IsZero() {
		res := g.opts.RateLimiter.AllowN(ctx, t.ID, rateBucket, rate, 1)
		res.Headers(w.Header(), rateBucket, rate)
		if !res.Allowed {
			refuse(ctx, apperr.RateLimited)
			writeTransportErrorCode(w, responseMediaType(r), http.StatusTooManyRequests, apperr.RateLimited,
				"too many requests of this tenant; retry after the time in Retry-After")
			return
		}
	}
	if g.opts.Share != nil {
		slot, err := g.opts.Share.Acquire(ctx, t.ID, t.Limits.MaxConcurrent, g.opts.QueueTimeout)
		if err != nil {
			g.refuseAdmission(w, r, err)
			return
		}
		defer slot.Release()
	}
	view.Runtime.Handler.ServeHTTP(w, r)
}

// The rate-limit buckets of a tenant: its requests, and the cost of its
// operations (Limits.CostPerMinute).
const (
	rateBucket = "requests"
	costBucket = "cost"
)

// writeGrace is how long after a request's deadline its response may still
// be written.
const writeGrace = 5 * time.Second

// retryAfterOverloaded is the Retry-After of a 503 OVERLOADED, in seconds:
// slots free up within milliseconds, so a client may come back soon.
const retryAfterOverloaded = "1"

// refuseAdmission answers a request that got no slot (err from
// fairshare.Limiter.Acquire).
func (g *gateway) refuseAdmission(w http.ResponseWriter, r *http.Request, err error) {
	msg := "the gateway is at capacity; retry after a moment"
	switch {
	case errors.Is(err, fairshare.ErrTenantOverloaded):
		msg = "too many requests of this tenant at once; retry after a moment"
	case !errors.Is(err, fairshare.ErrOverloaded):
		writeContextError(w, r.Context(), responseMediaType(r))
		return
	}
	refuse(r.Context(), apperr.Overloaded)
	w.Header().Set("Retry-After", retryAfterOverloaded)
	writeTransportErrorCode(w, responseMediaType(r), http.StatusServiceUnavailable, apperr.Overloaded, msg)
}

// tenant returns the tenant of an authenticated request, or answers the
// request with the reason it has none it may use.
func (g *gateway) tenant(w http.ResponseWriter, r *http.Request) (*loader.Tenant, bool) {
	e, ok := g.entry(w, r)
	if !ok {
		return nil, false
	}
	return g.lookup(w, r, e.ID)
}

// entry returns the registry's entry of the tenant of an authenticated
// request, without compiling its schema, or answers the request with the
// reason it may not be served: 403 TENANT_SUSPENDED or TENANT_UNKNOWN, or
// 503 TENANT_UNAVAILABLE.
func (g *gateway) entry(w http.ResponseWriter, r *http.Request) (loader.Entry, bool) {
	id, ok := tenant.IDFrom(r.Context())
	if !ok {
		// Auth let a request through without a tenant: a wiring bug.
		panic("gateway: authenticated request without a tenant")
	}
	logTenant(r.Context(), id)
	e, ok := g.opts.Registry.Entry(id)
	switch {
	case ok && e.Config.Status != loader.StatusActive:
		// Without compiling its schema, which it may not use.
		logError(r.Context(), apperr.TenantSuspended)
		apperr.Write(w, http.StatusForbidden, &apperr.Error{Code: apperr.TenantSuspended, Message: "tenant " + strconv.Quote(id) + " is suspended"})
		return loader.Entry{}, false
	case !ok && g.opts.Registry.Known(id):
		g.unavailable(w, r, id)
		return loader.Entry{}, false
	case !ok:
		logError(r.Context(), apperr.TenantUnknown)
		apperr.Write(w, http.StatusForbidden, &apperr.Error{Code: apperr.TenantUnknown, Message: "tenant " + strconv.Quote(id) + " is not registered"})
		return loader.Entry{}, false
	}
	return e, true
}

// lookup returns the compiled tenant id, or answers the request: with
// 503 TENANT_UNAVAILABLE if it cannot be compiled, or with the end of the
// request's context if that came first.
func (g *gateway) lookup(w http.ResponseWriter, r *http.Request, id string) (*loader.Tenant, bool) {
	t, ok := g.opts.Registry.LookupContext(r.Context(), id)
	switch {
	case ok:
		return t, true
	case r.Context().Err() != nil:
		writeContextError(w, r.Context(), responseMediaType(r))
	default:
		// Removed by a reload since its entry was read, or failing.
		g.unavailable(w, r, id)
	}
	return nil, false
}

// unavailable answers a request for a known tenant that has no schema to
// serve.
func (g *gateway) unavailable(w http.ResponseWriter, r *http.Request, id string) {
	logError(r.Context(), apperr.TenantUnavailable)
	apperr.Write(w, http.StatusServiceUnavailable, &apperr.Error{Code: apperr.TenantUnavailable, Message: "tenant " + strconv.Quote(id) + " has no schema loaded: its configuration failed to load"})
}

// view returns what the caller of an authenticated request is served of
// its tenant t (see loader.Tenant.View), or answers the request itself:
// 401 UNAUTHENTICATED when t accepts only tokens of its own issuer and
// this is a token of the gateway's, 403 FORBIDDEN when the caller may use
// no field of Query, or with the end of the request's context if that
// came before its view was built (as lookup does).
func (g *gateway) view(w http.ResponseWriter, r *http.Request, t *loader.Tenant) (loader.View, bool) {
	ctx := r.Context()
	claims, _ := auth.ClaimsFrom(ctx)
	if !t.Config.Auth.GlobalTokensAccepted() && !claims.TenantIssuer {
		refuse(ctx, apperr.Unauthenticated)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		apperr.Write(w, http.StatusUnauthorized, &apperr.Error{Code: apperr.Unauthenticated,
			Message: "tenant " + strconv.Quote(t.ID) + " accepts only tokens of its own issuer"})
		return loader.View{}, false
	}
	if t.Policy == nil {
		return loader.View{Runtime: t.Runtime}, true
	}
	grant := t.Policy.Grant(t.Policy.Scopes(claims.Scopes, claims.Roles))
	v, err := t.ViewContext(ctx, grant)
	switch {
	case errors.Is(err, loader.ErrNoAccess):
		refuse(ctx, apperr.Forbidden)
		apperr.Write(w, http.StatusForbidden, &apperr.Error{Code: apperr.Forbidden,
			Message: "the token's scopes and roles grant no access to tenant " + strconv.Quote(t.ID)})
		return loader.View{}, false
	case err != nil && ctx.Err() != nil:
		writeContextError(w, ctx, responseMediaType(r))
		return loader.View{}, false
	case err != nil:
		g.opts.Logger.ErrorContext(ctx, "building a view of a tenant's schema", "tenant", t.ID, "error", err)
		apperr.Write(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: internalMessage})
		return loader.View{}, false
	}
	return v, true
}

// serveSchema answers GET /schema.graphql with the caller's effective
// schema as SDL: what the caller may see of its tenant's schema.
func (g *gateway) serveSchema(w http.ResponseWriter, r *http.Request) {
	t, ok := g.tenant(w, r)
	if !ok {
		return
	}
	view, ok := g.view(w, r, t)
	if !ok {
		return
	}
	if !t.Config.IntrospectionEnabled() {
		apperr.Write(w, http.StatusForbidden, &apperr.Error{Code: IntrospectionDisabled, Message: "introspection is disabled for this tenant"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("ETag", strconv.Quote(view.Runtime.Hash))
	io.WriteString(w, view.Runtime.Schema.SDL())
}
