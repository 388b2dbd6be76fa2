package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracers of tenantgraph's instrumentation.
const instrumentationName = "github.com/tenantgraph/tenantgraph/internal/telemetry"

// defaultServiceName is service.name when OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES do not name the service.
const defaultServiceName = "tenantgraph"

// Tracing is the gateway's OpenTelemetry trace pipeline, set up from the
// standard OTEL_* environment variables by NewTracing. Its methods may be
// called concurrently.
type Tracing struct {
	provider *sdktrace.TracerProvider // nil when tracing is off
	// tracers is what instrumented code gets: provider, or provider
	// wrapped in a pausingProvider.
	tracers trace.TracerProvider
}

// NewTracing sets up tracing from the standard OpenTelemetry environment
// variables, read through getenv:
//
//   - OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none: tracing is off.
//   - OTEL_TRACES_EXPORTER=otlp, or else OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set: spans are exported by OTLP,
//     over the protocol of OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or
//     OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" (the default) or "grpc".
//     The exporter reads its other OTEL_EXPORTER_OTLP_* settings (headers,
//     timeout, TLS, compression) from the process environment itself.
//   - none of these set: tracing is off, and costs nothing: Provider is
//     nil, so no span is made.
//
// OTEL_SERVICE_NAME (default "tenantgraph") and OTEL_RESOURCE_ATTRIBUTES
// describe the service; OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG
// choose the sampler (default: parentbased_always_on); OTEL_BSP_* tune the
// batch span processor. Once an export has failed, spans are dropped
// without being encoded for a second, then for twice as long after each
// further failure, up to 16 seconds, rather than encoded only to fail
// again (see pausingExporter); during such a pause no span is made at
// all (see pausingProvider). Every problem of the settings is reported
// in one error. Shutdown flushes and stops the pipeline.
func NewTracing(ctx context.Context, getenv func(string) string) (*Tracing, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return &Tracing{}, nil
	}
	exporters := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if exporters == "" && (getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "") {
		exporters = "otlp"
	}
	var (
		exps []*pausingExporter
		errs []error
	)
	for name := range strings.SplitSeq(exporters, ",") {
		switch name = strings.TrimSpace(name); name {
		case "", "none":
		case "otlp":
			exp, err := newOTLPExporter(ctx, getenv)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			exps = append(exps, newPausingExporter(exp))
		default:
			errs = append(errs, fmt.Errorf("OTEL_TRACES_EXPORTER: unsupported exporter %q (want otlp or none)", name))
		}
	}
	if len(errs) > 0 || len(exps) == 0 {
		for _, exp := range exps {
			exp.Shutdown(ctx)
		}
		return &Tracing{}, errors.Join(errs...)
	}
	sampler, err := samplerFromEnv(getenv)
	if err != nil {
		errs = append(errs, err)
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	paused := newPausedSampler(sampler, exps)
	opts := pipeline(paused, exps)
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(defaultServiceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, over the default
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		// A partial resource is still usable; the error says which
		// attribute was malformed.
		errs = append(errs, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err))
	}
	opts = append(opts, sdktrace.WithResource(res))
	tp := sdktrace.NewTracerProvider(opts...)
	if len(errs) > 0 {
		tp.Shutdown(ctx)
		return &Tracing{}, errors.Join(errs...)
	}
	return newTracing(tp, paused), nil
}

// newTracing returns the Tracing of tp, whose spans are sampled by
// paused, if not nil.
func newTracing(tp *sdktrace.TracerProvider, paused *pausedSampler) *Tracing {
	t := &Tracing{provider: tp, tracers: tp}
	if paused != nil {
		t.tracers = &pausingProvider{TracerProvider: tp, sampler: paused}
	}
	return t
}

// samplerFromEnv returns the sampler OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG name, as the SDK would choose it itself
// (parentbased_always_on when unset); NewTracing wraps it in a
// pausedSampler, and so must make it.
func samplerFromEnv(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.AlwaysSample(), nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(r >= 0 && r <= 1) { // NaN too
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio between 0 and 1", arg)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return ratio()
	case "parentbased_traceidratio":
		s, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(s), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: unsupported sampler %q (want always_on, always_off, traceidratio or their parentbased_ forms)", name)
}

// newOTLPExporter returns the OTLP span exporter of the protocol getenv
// names.
func newOTLPExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "", "http/protobuf":
		return otlptracehttp.New(ctx)
	case "grpc":
		return otlptracegrpc.New(ctx)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol %q (want http/protobuf or grpc)", protocol)
}

// pipeline returns the options of a tracer provider that batches spans to
// exps, sampled by sampler (a pausedSampler of exps).
func pipeline(sampler *pausedSampler, exps []*pausingExporter) []sdktrace.TracerProviderOption {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)}
	for _, exp := range exps {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return opts
}

// NewTracingWithExporter returns the Tracing NewTracing sets up for one
// OTLP exporter, with the default sampler, exporting to exp instead: for
// benchmarks of the whole pipeline with an exporter of their own.
func NewTracingWithExporter(exp sdktrace.SpanExporter) *Tracing {
	exps := []*pausingExporter{newPausingExporter(exp)}
	paused := newPausedSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()), exps)
	return newTracing(sdktrace.NewTracerProvider(pipeline(paused, exps)...), paused)
}

// NewTracingWithProvider returns a Tracing that sends spans to tp, as
// tests do with the SDK's in-memory exporter.
func NewTracingWithProvider(tp *sdktrace.TracerProvider) *Tracing {
	return newTracing(tp, nil)
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Provider returns the tracer provider that instrumented code starts its
// spans with, or nil when tracing is off. The options of the gateway's
// packages read nil as: make no spans.
func (t *Tracing) Provider() trace.TracerProvider {
	if !t.Enabled() {
		return nil
	}
	return t.tracers
}

// Shutdown exports the spans still buffered and stops the pipeline,
// within ctx. It does nothing when tracing is off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shut down tracing: %w", err)
	}
	return nil
}

// otelTracer returns tp's tracer of tenantgraph's instrumentation.
func otelTracer(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(instrumentationName)
}

// GraphQLExtension returns the gqlgen extension that makes spans of the
// phases of each operation (see GraphQLTracer), or nil when tracing is
// off.
func (t *Tracing) GraphQLExtension() graphql.HandlerExtension {
	if !t.Enabled() {
		return nil
	}
	return NewGraphQLTracer(t.tracers)
}

// PgxTracer returns the tracer of Postgres statements (see PgxTracer), or
// nil when tracing is off.
func (t *Tracing) PgxTracer() pgx.QueryTracer {
	if !t.Enabled() {
		return nil
	}
	return NewPgxTracer(t.tracers)
}

// RedisHooks returns the hooks that trace Redis commands (see RedisHook),
// or nil when tracing is off.
func (t *Tracing) RedisHooks() []redis.Hook {
	if !t.Enabled() {
		return nil
	}
	return []redis.Hook{NewRedisHook(t.tracers)}
}
