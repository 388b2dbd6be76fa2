package telemetry

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Bounds of how long a pausingExporter drops spans after a failed
// export: the first failure pauses it for minExportPause, each further
// one for twice as long as the last, up to maxExportPause.
const (
	minExportPause = time.Second
	maxExportPause = 16 * time.Second
)

// pausingExporter is a span exporter that stops encoding spans it could
// not send. Once an export has failed (the collector is down, refuses
// connections or answers errors), it drops the batches it is handed,
// without encoding them, until its pause is over; then it tries again
// with the next batch. Spans are lost either way while the collector is
// down (the OTLP exporters retry a batch, then drop it), but encoding
// each batch to learn that again costs the gateway as much CPU as
// exporting it, and the error of every batch floods the log. Each failed
// export returns its error, which says how long the exporter pauses and
// how many spans it dropped during the last pause. Its methods may be
// called concurrently.
type pausingExporter struct {
	sdktrace.SpanExporter
	now func() time.Time

	// until is when the pause ends, in Unix nanoseconds; pausedSampler
	// reads it without the lock.
	until atomic.Int64

	mu      sync.Mutex
	pause   time.Duration // of the last failure, 0 after a success
	dropped int           // spans dropped during the pause
}

// pausedAt reports whether the exporter is in a pause at now.
func (e *pausingExporter) pausedAt(now time.Time) bool {
	return now.UnixNano() < e.until.Load()
}

// newPausingExporter returns exp, paused after its failures.
func newPausingExporter(exp sdktrace.SpanExporter) *pausingExporter {
	return &pausingExporter{SpanExporter: exp, now: time.Now}
}

// ExportSpans implements sdktrace.SpanExporter: it exports spans, or drops
// them during a pause.
func (e *pausingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	if e.pausedAt(e.now()) {
		e.dropped += len(spans)
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()

	err := e.SpanExporter.ExportSpans(ctx, spans)

	e.mu.Lock()
	defer e.mu.Unlock()
	dropped := e.dropped
	e.dropped = 0
	if err == nil {
		e.pause = 0
		return nil
	}
	e.pause = min(max(2*e.pause, minExportPause), maxExportPause)
	e.until.Store(e.now().Add(e.pause).UnixNano())
	return fmt.Errorf("telemetry: export %d spans: %w (dropping spans for %v; %d dropped during the last pause)",
		len(spans), err, e.pause, dropped)
}

// pausedSampler is the sampler of a pipeline whose exporters pause after
// a failure (pausingExporter). While every one of them is in a pause it
// records no span: each would be dropped unsent, and recording a span is
// most of what tracing costs a request. At other times it leaves the
// decision to its Sampler; when a pause ends, spans are recorded again,
// and the first batch tells whether the collector is back. The tracers
// instrumented code gets (pausingProvider) make no span at all during a
// pause; the sampler drops what reaches the SDK anyway, such as a span
// started as a pause begins.
type pausedSampler struct {
	sdktrace.Sampler
	exporters []*pausingExporter
	now       func() time.Time
}

func newPausedSampler(s sdktrace.Sampler, exporters []*pausingExporter) *pausedSampler {
	return &pausedSampler{Sampler: s, exporters: exporters, now: time.Now}
}

func (s *pausedSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if s.paused() {
		return sdktrace.SamplingResult{
			Decision:   sdktrace.Drop,
			Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
		}
	}
	return s.Sampler.ShouldSample(p)
}

func (s *pausedSampler) paused() bool {
	now := s.now()
	for _, e := range s.exporters {
		if !e.pausedAt(now) {
			return false
		}
	}
	return len(s.exporters) > 0
}

func (s *pausedSampler) Description() string {
	return "PausedSampler{" + s.Sampler.Description() + "}"
}

// pausingProvider is a TracerProvider whose tracers make no span at all
// while the sampler's exporters pause: Start returns the context it is
// given, unchanged, and a span that does nothing. The SDK would make a
// span that records nothing (pausedSampler drops it), but making it, its
// IDs and its context, and logging its trace ID still cost a request
// about 2 percent. A client's traceparent passes on unchanged, with its
// own sampling decision.
type pausingProvider struct {
	trace.TracerProvider
	sampler *pausedSampler
}

func (p *pausingProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &pausingTracer{Tracer: p.TracerProvider.Tracer(name, opts...), sampler: p.sampler}
}

type pausingTracer struct {
	trace.Tracer
	sampler *pausedSampler
}

// noSpan is the span pausingTracer.Start returns during a pause: not the
// context's span, which the caller would end.
var noSpan = trace.SpanFromContext(context.Background())

func (t *pausingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if t.sampler.paused() {
		return ctx, noSpan
	}
	return t.Tracer.Start(ctx, name, opts...)
}
