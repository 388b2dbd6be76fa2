package telemetry

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// RedisHook is a go-redis hook that makes a client span of each command
// and pipeline that runs within a recording span: background work
// (subscriptions, probes) makes none. A span is named by the command
// ("get", "evalsha") and never carries its keys or arguments, which hold
// tenants' configuration and secrets. Add it with AddHook. Its methods
// may be called concurrently.
type RedisHook struct {
	tracer trace.Tracer
}

var _ redis.Hook = (*RedisHook)(nil)

// NewRedisHook returns a RedisHook that starts its spans with tp, which
// must not be nil.
func NewRedisHook(tp trace.TracerProvider) *RedisHook {
	return &RedisHook{tracer: otelTracer(tp)}
}

// DialHook implements redis.Hook; dials make no span.
func (*RedisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h *RedisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !trace.SpanFromContext(ctx).IsRecording() {
			return next(ctx, cmd)
		}
		name := cmd.FullName()
		ctx, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNameRedis, semconv.DBOperationName(name)))
		defer span.End()
		err := next(ctx, cmd)
		setRedisError(span, err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook: one span per pipeline,
// named by its commands.
func (h *RedisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !trace.SpanFromContext(ctx).IsRecording() {
			return next(ctx, cmds)
		}
		names := make([]string, 0, len(cmds))
		for _, c := range cmds {
			names = append(names, c.FullName())
		}
		name := "pipeline " + strings.Join(names, " ")
		if len(name) > 64 {
			name = name[:64]
		}
		ctx, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNameRedis,
				semconv.DBOperationName("pipeline"),
				semconv.DBOperationBatchSize(len(cmds))))
		defer span.End()
		err := next(ctx, cmds)
		setRedisError(span, err)
		return err
	}
}

// setRedisError records err's class on span, without its message.
func setRedisError(span trace.Span, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	code := "error"
	var (
		rerr redis.Error
		nerr net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		code = "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		code = "context.DeadlineExceeded"
	case errors.As(err, &nerr) && nerr.Timeout():
		code = "timeout"
	case errors.As(err, &rerr):
		// Redis's errors start with their kind: "WRONGTYPE ...".
		code, _, _ = strings.Cut(rerr.Error(), " ")
		span.SetAttributes(attribute.String("db.response.status_code", code))
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(code))
	span.SetStatus(codes.Error, code)
}
