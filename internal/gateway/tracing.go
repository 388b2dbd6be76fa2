package gateway

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the tracer of the requests' spans.
const tracerName = "github.com/tenantgraph/tenantgraph/internal/gateway"

// tenantIDKey is the span attribute of the tenant a request acts for.
const tenantIDKey = attribute.Key("tenant.id")

// propagator is how trace context comes in HTTP headers: W3C Trace
// Context (traceparent, tracestate). Baggage from clients is not taken.
var propagator propagation.TextMapPropagator = propagation.TraceContext{}

// traceparentHeader is the canonical name of the W3C Trace Context
// header that carries a client's span.
const traceparentHeader = "Traceparent"

// graphqlStart are the options of the span of a POST to /graphql over
// plain HTTP, the bulk of requests, built once rather than for each.
var graphqlStart = requestStartOptions(http.MethodPost, "/graphql", "http")

// requestStartOptions returns the options of the server span of a request
// with method, path and scheme.
func requestStartOptions(method, path, scheme string) []trace.SpanStartOption {
	return []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			semconv.HTTPRequestMethodKey.String(method),
			semconv.URLPath(path),
			semconv.URLScheme(scheme),
		),
	}
}

// startRequestSpan starts the server span of r with tracer, a child of
// the client's W3C traceparent when it sends a valid one, and returns the
// context that carries it. It carries the method, path (never the query
// string, which may hold GraphQL variables) and scheme from the start, for
// samplers; endRequestSpan records the rest.
func startRequestSpan(tracer trace.Tracer, r *http.Request) (context.Context, trace.Span) {
	ctx := r.Context()
	if _, ok := r.Header[traceparentHeader]; ok {
		ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	opts := graphqlStart
	if r.Method != http.MethodPost || r.URL.Path != "/graphql" || scheme != "http" {
		opts = requestStartOptions(r.Method, r.URL.Path, scheme)
	}
	return tracer.Start(ctx, r.Method, opts...)
}

// endRequestSpan records on span, if it is recording, what r came to,
// and ends it. A GraphQL operation is its request: the span is named
// after the operation ("query Name": its type, then its name if it has
// one), as the OpenTelemetry GraphQL conventions name the server span of
// an operation, and carries graphql.operation.type and
// graphql.operation.name; a request without an operation is named by its
// method and chi's route pattern ("GET /readyz"). It carries the status,
// the route and the tenant, all set in one call, since each call may grow
// the span's attributes. A status of 500 or more is an error.
func endRequestSpan(span trace.Span, r *http.Request, status int, rl *requestLog) {
	defer span.End()
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 1, 6)
	attrs[0] = semconv.HTTPResponseStatusCode(status)
	var route string
	if rc := chi.RouteContext(r.Context()); rc != nil {
		route = rc.RoutePattern()
	}
	if route != "" {
		attrs = append(attrs, semconv.HTTPRoute(route))
	}
	if rl.tenant != "" {
		attrs = append(attrs, tenantIDKey.String(rl.tenant))
	}
	switch {
	case rl.opType != "" && rl.operation != "":
		attrs = append(attrs, semconv.GraphQLOperationTypeKey.String(rl.opType), semconv.GraphQLOperationName(rl.operation))
		span.SetName(rl.opType + " " + rl.operation)
	case rl.opType != "":
		attrs = append(attrs, semconv.GraphQLOperationTypeKey.String(rl.opType))
		span.SetName(rl.opType)
	case route != "":
		span.SetName(r.Method + " " + route)
	}
	if status >= 500 {
		span.SetStatus(codes.Error, "")
		attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(status)))
	}
	span.SetAttributes(attrs...)
}

// traceID returns the trace ID of ctx's span, for the access log, or ""
// when ctx has no valid span context (tracing is off).
func traceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
