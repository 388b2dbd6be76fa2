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
