package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the tracer of the upstream calls' spans.
const tracerName = "github.com/tenantgraph/tenantgraph/internal/upstream"

// startAttempt starts the client span of one attempt at t, if ctx's span
// is recording and c traces, and puts the span's context in req's
// traceparent header. The span carries the upstream's name, its URL
// without the query (which may hold a key) and the URL's index; never a
// header, which may hold a secret. The returned function ends it with
// the attempt's status (0 when no response came) and error. When c
// traces but ctx's span is not recording (not sampled, or no span made
// while the exporters pause), the trace ctx carries, if any, still goes
// to the upstream, with its own sampling decision, as W3C Trace Context
// asks.
func (c *Client) startAttempt(ctx context.Context, t *target, req *http.Request) func(status int, err error) {
	if c.tracer == nil {
		return func(int, error) {}
	}
	if !trace.SpanFromContext(ctx).IsRecording() {
		if trace.SpanContextFromContext(ctx).IsValid() {
			propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
		}
		return func(int, error) {}
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", http.MethodPost),
		attribute.String("url.full", t.logURL),
		attribute.String("tenantgraph.upstream.name", c.name),
		attribute.Int("tenantgraph.upstream.url_index", t.index),
	}
	if u, err := url.Parse(t.logURL); err == nil {
		attrs = append(attrs, attribute.String("server.address", u.Hostname()))
		if p, err := strconv.Atoi(u.Port()); err == nil {
			attrs = append(attrs, attribute.Int("server.port", p))
		}
	}
	_, span := c.tracer.Start(ctx, "POST "+c.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	propagation.TraceContext{}.Inject(trace.ContextWithSpan(ctx, span), propagation.HeaderCarrier(req.Header))
	return func(status int, err error) {
		if status != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
		}
		if err != nil {
			// The kind of failure only: the error's text may quote the
			// upstream's answer.
			kind := "error"
			switch {
			case status >= 400:
				kind = strconv.Itoa(status)
			case errors.Is(context.Cause(ctx), errLost):
				kind = "canceled" // a hedged call's other attempt won
			case ctx.Err() != nil || req.Context().Err() != nil:
				kind = "timeout"
			}
			span.SetAttributes(attribute.String("error.type", kind))
			span.SetStatus(codes.Error, kind)
		}
		span.End()
	}
}
