package telemetry

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// PgxTracer makes a client span of each Postgres statement and batch that
// runs within a recording span: statements outside any request (pool
// upkeep, health probes, migrations) make none. A span carries the SQL
// text with its placeholders (db.query.text), never the arguments, and on
// failure the SQLSTATE code, never the server's message, which may quote
// an argument. Set it as pgx.ConnConfig.Tracer. Its methods may be called
// concurrently.
type PgxTracer struct {
	tracer trace.Tracer
}

var (
	_ pgx.QueryTracer = (*PgxTracer)(nil)
	_ pgx.BatchTracer = (*PgxTracer)(nil)
)

// NewPgxTracer returns a PgxTracer that starts its spans with tp, which
// must not be nil.
func NewPgxTracer(tp trace.TracerProvider) *PgxTracer {
	return &PgxTracer{tracer: otelTracer(tp)}
}

type pgxSpanKey struct{}

// start starts a span below ctx's, if ctx's is recording.
func (t *PgxTracer) start(ctx context.Context, conn *pgx.Conn, name string, attrs ...attribute.KeyValue) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	attrs = append(attrs, semconv.DBSystemNamePostgreSQL)
	if conn != nil {
		cfg := conn.Config()
		attrs = append(attrs,
			semconv.DBNamespace(cfg.Database),
			semconv.ServerAddress(cfg.Host),
			semconv.ServerPort(int(cfg.Port)))
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, pgxSpanKey{}, span)
}

// endPgxSpan ends the span start started in ctx, if it did.
func endPgxSpan(ctx context.Context, err error) {
	span, ok := ctx.Value(pgxSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	if err != nil {
		setDBError(span, err)
	}
	span.End()
}

// setDBError records err's class on span, without its message.
func setDBError(span trace.Span, err error) {
	code := "error"
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		code = pgErr.Code
		span.SetAttributes(semconv.DBResponseStatusCode(code))
	case errors.Is(err, context.Canceled):
		code = "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		code = "context.DeadlineExceeded"
	case errors.Is(err, pgx.ErrNoRows):
		// No rows is an answer, not a failure.
		return
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(code))
	span.SetStatus(codes.Error, code)
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *PgxTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return t.start(ctx, conn, spanName(data.SQL), semconv.DBQueryText(data.SQL))
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	endPgxSpan(ctx, data.Err)
}

// TraceBatchStart implements pgx.BatchTracer: one span for the batch,
// whose db.query.text holds its statements separated by ";\n".
func (t *PgxTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() || data.Batch == nil {
		return ctx
	}
	var text strings.Builder
	for i, q := range data.Batch.QueuedQueries {
		if i > 0 {
			text.WriteString(";\n")
		}
		text.WriteString(q.SQL)
	}
	n := len(data.Batch.QueuedQueries)
	return t.start(ctx, conn, "BATCH", semconv.DBQueryText(text.String()), semconv.DBOperationBatchSize(n))
}

// TraceBatchQuery implements pgx.BatchTracer. A statement's failure is
// recorded on the batch's span.
func (t *PgxTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	if data.Err == nil {
		return
	}
	if span, ok := ctx.Value(pgxSpanKey{}).(trace.Span); ok {
		setDBError(span, data.Err)
	}
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *PgxTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	endPgxSpan(ctx, data.Err)
}

// spanName is the name of a statement's span: its first keyword, such as
// "SELECT", which holds no value.
func spanName(sql string) string {
	sql = strings.TrimSpace(sql)
	if i := strings.IndexAny(sql, " \t\n("); i > 0 {
		sql = sql[:i]
	}
	if sql == "" || len(sql) > 16 || strings.HasPrefix(sql, "-") {
		return "SQL"
	}
	return strings.ToUpper(sql)
}
