package telemetry

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// Span names of a GraphQL operation's phases.
const (
	SpanParse    = "graphql.parse"
	SpanValidate = "graphql.validate"
	SpanExecute  = "graphql.execute"
)

// GraphQLErrorsKey is the number of errors in an operation's response.
const GraphQLErrorsKey = attribute.Key("graphql.errors.count")

// GraphQLTracer is a gqlgen handler extension that makes a span of each
// GraphQL operation, named "query Name" (the operation type, then its
// name if it has one), with children for its parsing, validation and
// execution. It follows the OpenTelemetry GraphQL conventions:
// graphql.operation.type and graphql.operation.name, plus tenant.id. It
// never records the document, variables or error messages, which may
// hold values from the client. Its methods may be called concurrently.
type GraphQLTracer struct {
	tracer trace.Tracer
}

var (
	_ graphql.HandlerExtension     = (*GraphQLTracer)(nil)
	_ graphql.OperationInterceptor = (*GraphQLTracer)(nil)
	_ graphql.ResponseInterceptor  = (*GraphQLTracer)(nil)
)

// NewGraphQLTracer returns the extension that starts its spans with tp,
// which must not be nil.
func NewGraphQLTracer(tp trace.TracerProvider) *GraphQLTracer {
	return &GraphQLTracer{tracer: otelTracer(tp)}
}

// ExtensionName implements graphql.HandlerExtension.
func (*GraphQLTracer) ExtensionName() string { return "OpenTelemetryTracing" }

// Validate implements graphql.HandlerExtension.
func (*GraphQLTracer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation's span and records parsing and
// validation, which gqlgen has finished by now, as its children, from the
// timings of the operation's stats. The span ends with the operation's
// last response.
func (g *GraphQLTracer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !trace.SpanFromContext(ctx).IsRecording() {
		// Not sampled: make no spans below the request's.
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	opType := "query"
	if oc.Operation != nil {
		opType = string(oc.Operation.Operation)
	}
	attrs := make([]attribute.KeyValue, 0, 3)
	attrs = append(attrs, semconv.GraphQLOperationTypeKey.String(opType))
	name := opType
	if oc.Operation != nil && oc.Operation.Name != "" {
		attrs = append(attrs, semconv.GraphQLOperationName(oc.Operation.Name))
		name += " " + oc.Operation.Name
	}
	if id, ok := tenant.IDFrom(ctx); ok {
		attrs = append(attrs, TenantIDKey.String(id))
	}
	start := oc.Stats.OperationStart
	if start.IsZero() {
		start = oc.Stats.Parsing.Start
	}
	ctx, span := g.tracer.Start(ctx, name, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	g.phase(ctx, SpanParse, oc.Stats.Parsing)
	g.phase(ctx, SpanValidate, oc.Stats.Validation)

	h := next(ctx)
	subscription := oc.Operation != nil && oc.Operation.Operation == ast.Subscription
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil || !subscription {
			span.End()
		}
		return resp
	}
}

// phase records a finished phase of an operation as a child span of ctx's.
func (g *GraphQLTracer) phase(ctx context.Context, name string, t graphql.TraceTiming) {
	if t.Start.IsZero() || t.End.IsZero() {
		return
	}
	_, span := g.tracer.Start(ctx, name, trace.WithTimestamp(t.Start))
	span.End(trace.WithTimestamp(t.End))
}

// InterceptResponse makes a span of the execution of each response. A
// response with errors sets the span's status to Error, with their number
// only.
func (g *GraphQLTracer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return next(ctx)
	}
	ctx, span := g.tracer.Start(ctx, SpanExecute)
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetAttributes(GraphQLErrorsKey.Int(len(resp.Errors)))
		span.SetStatus(codes.Error, strconv.Itoa(len(resp.Errors))+" GraphQL errors")
	}
	return resp
}
