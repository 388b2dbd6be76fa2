package telemetry

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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

	mu      sync.Mutex
	pause   time.Duration // of the last failure, 0 after a success
	until   time.Time     // when the pause ends
	dropped int           // spans dropped during the pause
}

// newPausingExporter returns exp, paused after its failures.
func newPausingExporter(exp sdktrace.SpanExporter) *pausingExporter {
	return &pausingExporter{SpanExporter: exp, now: time.Now}
}

// ExportSpans implements sdktrace.SpanExporter: it exports spans, or drops
// them during a pause.
func (e *pausingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	if e.now().Before(e.until) {
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
	e.until = e.now().Add(e.pause)
	return fmt.Errorf("telemetry: export %d spans: %w (dropping spans for %v; %d dropped during the last pause)",
		len(spans), err, e.pause, dropped)
}
