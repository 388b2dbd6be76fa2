package gateway

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// traceID returns the trace ID of ctx's span, for the access log, or ""
// when ctx has no valid span context (tracing is off).
func traceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

// traceTenant records the tenant of ctx's request on its span, if it is
// recording, as tenant.id.
func traceTenant(ctx context.Context, id string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("tenant.id", id))
	}
}
