package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// failingExporter counts the batches it is asked to export and fails
// while err is set.
type failingExporter struct {
	tracetest.InMemoryExporter
	calls int
	err   error
}

func (f *failingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	f.calls++
	if f.err != nil {
		return f.err
	}
	return f.InMemoryExporter.ExportSpans(ctx, spans)
}

// TestPausingExporter checks that after a failed export the exporter
// drops batches without handing them on until its pause is over, that
// the pause doubles with each failure up to its bound, and that a success
// ends it.
func TestPausingExporter(t *testing.T) {
	inner := &failingExporter{err: errors.New("connection refused")}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := newPausingExporter(inner)
	exp.now = func() time.Time { return clock }
	batch := make([]sdktrace.ReadOnlySpan, 3)
	ctx := context.Background()

	err := exp.ExportSpans(ctx, batch)
	require.ErrorIs(t, err, inner.err)
	require.ErrorContains(t, err, "dropping spans for 1s; 0 dropped")
	require.Equal(t, 1, inner.calls)

	// Paused: dropped without the inner exporter.
	require.NoError(t, exp.ExportSpans(ctx, batch))
	clock = clock.Add(999 * time.Millisecond)
	require.NoError(t, exp.ExportSpans(ctx, batch))
	require.Equal(t, 1, inner.calls)

	// The pause over, the next batch is tried; it fails again, and the
	// pause doubles.
	clock = clock.Add(time.Millisecond)
	err = exp.ExportSpans(ctx, batch)
	require.ErrorContains(t, err, "dropping spans for 2s; 6 dropped")
	require.Equal(t, 2, inner.calls)
	for _, want := range []time.Duration{4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second} {
		clock = clock.Add(time.Minute)
		require.ErrorContains(t, exp.ExportSpans(ctx, batch), "dropping spans for "+want.String()+";")
	}

	// Once the collector is back, every batch is exported.
	inner.err = nil
	clock = clock.Add(time.Minute)
	for range 3 {
		require.NoError(t, exp.ExportSpans(ctx, batch[:1]))
	}
	require.Len(t, inner.GetSpans(), 3)
	calls := inner.calls

	// And the next failure pauses for a second again.
	inner.err = errors.New("503")
	require.ErrorContains(t, exp.ExportSpans(ctx, batch), "dropping spans for 1s;")
	require.NoError(t, exp.ExportSpans(ctx, batch))
	require.Equal(t, calls+1, inner.calls)
}

// TestPausedSampler checks that spans are not recorded while every
// exporter is in a pause, that they still carry their trace on, and that
// recording resumes when a pause ends.
func TestPausedSampler(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	down := &failingExporter{err: errors.New("connection refused")}
	up := &failingExporter{}
	downExp, upExp := newPausingExporter(down), newPausingExporter(up)
	downExp.now, upExp.now = now, now
	sampler := newPausedSampler(sdktrace.AlwaysSample(), []*pausingExporter{downExp})
	sampler.now = now
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSyncer(downExp))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")
	ctx := context.Background()

	_, span := tracer.Start(ctx, "first")
	require.True(t, span.IsRecording(), "before any export failed")
	span.End() // exported, and failing: the exporter pauses for 1s

	parent, span := tracer.Start(ctx, "paused")
	require.False(t, span.IsRecording(), "a span during the pause is recorded")
	require.True(t, span.SpanContext().IsValid(), "a dropped span carries no trace context")
	_, child := tracer.Start(parent, "child")
	require.False(t, child.IsRecording())
	require.Equal(t, span.SpanContext().TraceID(), child.SpanContext().TraceID())
	child.End()
	span.End()
	require.Equal(t, 1, down.calls, "a dropped span reached the exporter")

	clock = clock.Add(time.Second)
	_, span = tracer.Start(ctx, "after the pause")
	require.True(t, span.IsRecording(), "spans are not recorded again after the pause")
	span.End()
	require.Equal(t, 2, down.calls)

	// With a second exporter that is not paused, spans are recorded.
	both := newPausedSampler(sdktrace.AlwaysSample(), []*pausingExporter{downExp, upExp})
	both.now = now
	require.True(t, downExp.pausedAt(clock))
	require.Equal(t, sdktrace.RecordAndSample, both.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx}).Decision)
	// And the sampler it wraps still decides outside pauses.
	never := newPausedSampler(sdktrace.NeverSample(), []*pausingExporter{upExp})
	require.Equal(t, sdktrace.Drop, never.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx}).Decision)
}

func TestSamplerFromEnv(t *testing.T) {
	for _, c := range []struct {
		sampler, arg, want, err string
	}{
		{want: "ParentBased{root:AlwaysOnSampler"},
		{sampler: "always_on", want: "AlwaysOnSampler"},
		{sampler: " Always_Off ", want: "AlwaysOffSampler"},
		{sampler: "traceidratio", arg: "0.25", want: "TraceIDRatioBased{0.25}"},
		{sampler: "traceidratio", want: "AlwaysOnSampler"},
		{sampler: "parentbased_traceidratio", arg: "0.01", want: "ParentBased{root:TraceIDRatioBased{0.01}"},
		{sampler: "parentbased_always_off", want: "ParentBased{root:AlwaysOffSampler"},
		{sampler: "traceidratio", arg: "1.5", err: "OTEL_TRACES_SAMPLER_ARG"},
		{sampler: "traceidratio", arg: "NaN", err: "OTEL_TRACES_SAMPLER_ARG"},
		{sampler: "parentbased_traceidratio", arg: "half", err: "OTEL_TRACES_SAMPLER_ARG"},
		{sampler: "jaeger_remote", err: `unsupported sampler "jaeger_remote"`},
	} {
		env := map[string]string{"OTEL_TRACES_SAMPLER": c.sampler, "OTEL_TRACES_SAMPLER_ARG": c.arg}
		s, err := samplerFromEnv(func(k string) string { return env[k] })
		if c.err != "" {
			require.ErrorContains(t, err, c.err, "%+v", c)
			continue
		}
		require.NoError(t, err, "%+v", c)
		require.Contains(t, s.Description(), c.want, "%+v", c)
	}
}

// TestPausingProvider checks that during a pause the tracers make no
// span at all, leave the context as it was, and that ending what they
// return ends nothing else.
func TestPausingProvider(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	down := &failingExporter{err: errors.New("connection refused")}
	exp := newPausingExporter(down)
	exp.now = now
	sampler := newPausedSampler(sdktrace.AlwaysSample(), []*pausingExporter{exp})
	sampler.now = now
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	tracer := newTracing(tp, sampler).Provider().Tracer("test")

	parent, request := tracer.Start(context.Background(), "request")
	require.True(t, request.IsRecording())
	_, first := tracer.Start(parent, "first")
	first.End() // exported, and failing: a pause begins

	ctx, span := tracer.Start(parent, "paused")
	require.False(t, span.IsRecording())
	require.False(t, span.SpanContext().IsValid(), "a span was made during the pause")
	require.Equal(t, parent, ctx, "the context changed")
	span.End()
	require.True(t, request.IsRecording(), "ending the pause's span ended its parent")
	request.End() // dropped by the exporter, still paused
	require.Equal(t, 1, down.calls)

	clock = clock.Add(time.Second)
	_, span = tracer.Start(context.Background(), "after the pause")
	require.True(t, span.IsRecording())
	span.End()
}
