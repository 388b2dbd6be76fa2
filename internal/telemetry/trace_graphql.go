package telemetry

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span names of the phases of a GraphQL operation that parsed its
// document.
const (
	SpanParse    = "graphql.parse"
	SpanValidate = "graphql.validate"
)

// GraphQLErrorsKey is the number of errors in an operation's response.
const GraphQLErrorsKey = attribute.Key("graphql.errors.count")

// GraphQLTracer is a gqlgen handler extension that traces GraphQL
// operations in the span of the operation's context, the request's (which
// the gateway names after the operation, with the operation's
// attributes): spans of parsing and validation, as its children, when
// the operation did parse and validate its document, and the errors of
// its response. A document found in the query cache was parsed and
// validated by an earlier request, so its request has no such spans (see
// TraceQueryCache). Execution has no span of its own: it is most of the
// request's span, and the spans of what it calls (statements, commands,
// upstream attempts) are children of the request's; a span more on every
// request would cost as much as the request's own. Nothing is traced
// below a span that is not recording. It never records the document,
// variables or error messages, which may hold values from the client.
// Its methods may be called concurrently.
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

// documentParsed is the key of the operation statistic that says the
// operation parsed and validated its document (see TraceQueryCache).
const documentParsed = "OpenTelemetryTracing.documentParsed"

// TraceQueryCache returns c, wrapped so that g knows which operations
// parsed and validated their document: gqlgen adds a document to its
// query cache once it has parsed and validated it, and only then. Set it
// as the query cache of the handler g traces; without it, g makes no
// parse and validate spans.
func (*GraphQLTracer) TraceQueryCache(c graphql.Cache[*ast.QueryDocument]) graphql.Cache[*ast.QueryDocument] {
	return parsedDocuments{c}
}

// parsedDocuments is a query cache that marks the operation that adds a
// document to it, if it is traced, as having parsed it.
type parsedDocuments struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add implements graphql.Cache.
func (c parsedDocuments) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	if graphql.HasOperationContext(ctx) && trace.SpanFromContext(ctx).IsRecording() {
		graphql.GetOperationContext(ctx).Stats.SetExtension(documentParsed, true)
	}
	c.Cache.Add(ctx, key, doc)
}

// InterceptOperation records the parsing and validation of the
// operation's document, if it parsed and validated it, as children of
// ctx's span, from the timings of the operation's stats: gqlgen has
// finished both by now.
func (g *GraphQLTracer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !trace.SpanFromContext(ctx).IsRecording() {
		// Not sampled: make no spans below the request's.
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if parsed, _ := oc.Stats.GetExtension(documentParsed).(bool); parsed {
		g.phase(ctx, SpanParse, oc.Stats.Parsing)
		g.phase(ctx, SpanValidate, oc.Stats.Validation)
	}
	return next(ctx)
}

// phase records a finished phase of an operation as a child span of ctx's.
func (g *GraphQLTracer) phase(ctx context.Context, name string, t graphql.TraceTiming) {
	if t.Start.IsZero() || t.End.IsZero() {
		return
	}
	_, span := g.tracer.Start(ctx, name, trace.WithTimestamp(t.Start))
	span.End(trace.WithTimestamp(t.End))
}

// InterceptResponse records on ctx's span, the operation's, that a
// response has errors: it sets the span's status to Error and
// graphql.errors.count, with their number only.
func (*GraphQLTracer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(GraphQLErrorsKey.Int(len(resp.Errors)))
			span.SetStatus(codes.Error, strconv.Itoa(len(resp.Errors))+" GraphQL errors")
		}
	}
	return resp
}
