package telemetry

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TenantIDKey is the span attribute of the tenant a request acts for.
const TenantIDKey = attribute.Key("tenant.id")

// HTTPMiddleware returns chi middleware that makes a server span of each
// request, a child of the client's W3C traceparent when it sends a valid
// one. The span is named by the method and chi's route pattern ("POST
// /graphql"), and carries the method, route, path (never the query
// string, which may hold GraphQL variables), scheme and response status.
// A nil tp returns middleware that does nothing.
func HTTPMiddleware(tp trace.TracerProvider) func(http.Handler) http.Handler {
	if tp == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	t := otelTracer(tp)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			ctx, span := t.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					semconv.HTTPRequestMethodKey.String(r.Method),
					semconv.URLPath(r.URL.Path),
					semconv.URLScheme(scheme),
				))
			defer span.End()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r.WithContext(ctx))
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if rc := chi.RouteContext(r.Context()); rc != nil {
				if route := rc.RoutePattern(); route != "" {
					span.SetName(r.Method + " " + route)
					span.SetAttributes(semconv.HTTPRoute(route))
				}
			}
			if status >= 500 {
				span.SetStatus(codes.Error, "")
				span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
			}
		})
	}
}
