package gateway_test

import (
	"context"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
)

// discardExporter drops the spans a batch span processor hands it: the
// cost of making, recording and batching spans, without a collector.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkTelemetry measures W1 (goods by ID through the HTTP handler,
// on the in-memory store as BenchmarkLimits does, so that the gateway's
// own cost is what is compared) with telemetry off (as with no OTEL_* variable and no
// TENANTGRAPH_METRICS_ADDR), with tracing on (every request sampled, its
// spans batched and dropped: no exporter endpoint), with metrics on
// (TENANTGRAPH_METRICS_ADDR), and with both. Compare with
//
//	go test -run '^$' -bench Telemetry -count 10 ./internal/gateway | tee telemetry.txt
//	benchstat -col /telemetry telemetry.txt
func BenchmarkTelemetry(b *testing.B) {
	for _, name := range []string{"off", "metrics", "tracing", "tracing+metrics"} {
		var setup testSetup
		if name == "tracing" || name == "tracing+metrics" {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
			b.Cleanup(func() { tp.Shutdown(context.Background()) })
			setup.tracing = telemetry.NewTracingWithProvider(tp)
		}
		if name == "metrics" || name == "tracing+metrics" {
			m := telemetry.New()
			setup.handler = func(o *gateway.HandlerOptions) { o.Observer = m }
			setup.gateway = []func(*gateway.Options){func(o *gateway.Options) { o.Observer = m }}
		}
		b.Run("telemetry="+name, benchW1(b, newTestGatewayWith(b, store.NewMemory(slog.New(slog.DiscardHandler)), writeTenants(b, defaultTenants), setup)))
	}
}
