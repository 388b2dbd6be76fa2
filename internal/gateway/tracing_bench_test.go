package gateway_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
)

// discardExporter drops the spans a batch span processor hands it: the
// cost of making, recording and batching spans, without a collector.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// downExporter fails every export, as the OTLP exporter does when nothing
// listens at its endpoint.
type downExporter struct{ discardExporter }

func (downExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return syscall.ECONNREFUSED
}

// BenchmarkTelemetry measures W1 (goods by ID through the HTTP handler,
// on the in-memory store as BenchmarkLimits does, so that the gateway's
// own cost is what is compared) with telemetry off (as with no OTEL_* variable and no
// TENANTGRAPH_METRICS_ADDR), with tracing on (every request sampled, its
// spans batched and dropped: a collector that takes everything at no
// cost), with metrics on (TENANTGRAPH_METRICS_ADDR), with both, with
// metrics and tracing to an exporter endpoint where no collector listens
// (NewTracing's pipeline, whose exports all fail), and, as the floor of
// tracing's cost, with tracing off but a bare span around each request
// (see bareSpans). Besides ns/op it reports
// cpu-ns/op, the CPU time of the whole process per request, which counts
// the batch span processor's goroutine too. Compare with
//
//	go test -run '^$' -bench Telemetry -count 10 ./internal/gateway | tee telemetry.txt
//	benchstat -col /telemetry telemetry.txt
func BenchmarkTelemetry(b *testing.B) {
	for _, name := range []string{"off", "metrics", "tracing", "tracing+metrics", "tracing-down+metrics", "bare-spans"} {
		var setup testSetup
		switch name {
		case "tracing", "tracing+metrics":
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
			b.Cleanup(func() { tp.Shutdown(context.Background()) })
			setup.tracing = telemetry.NewTracingWithProvider(tp)
		case "tracing-down+metrics":
			setup.tracing = downTracing()
		}
		if strings.HasSuffix(name, "metrics") {
			m := telemetry.New()
			setup.handler = func(o *gateway.HandlerOptions) { o.Observer = m }
			setup.gateway = []func(*gateway.Options){func(o *gateway.Options) { o.Observer = m }}
		}
		g := newTestGatewayWith(b, store.NewMemory(slog.New(slog.DiscardHandler)), writeTenants(b, defaultTenants), setup)
		if name == "bare-spans" {
			g.handler = bareSpans(b, g.handler)
		}
		w1 := benchW1(b, g)
		b.Run("telemetry="+name, func(b *testing.B) {
			cpu := processCPU()
			w1(b)
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// downTracing is the pipeline of tracing-down+metrics, made once for
// every run of BenchmarkTelemetry (-count), as a gateway runs one for its
// life: its exporter's pauses grow as they would while a collector stays
// down, rather than starting again at a second with each run.
var downTracing = sync.OnceValue(func() *telemetry.Tracing {
	// The SDK reports each failed export to otel's error handler, by
	// default onto stderr, amid the benchmark's output.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	return telemetry.NewTracingWithExporter(downExporter{})
})

// bareSpans returns h with tracing off inside, wrapped in as many spans
// as tracing makes of a W1 request (the request's), without attributes,
// with the same processor: the floor of what the SDK costs per request.
func bareSpans(b *testing.B, h http.Handler) http.Handler {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("bare")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, request := tracer.Start(r.Context(), "request", trace.WithSpanKind(trace.SpanKindServer))
		h.ServeHTTP(w, r)
		request.End()
	})
}

// processCPU is the CPU time the process has used, in user and system
// mode: unlike ns/op, it counts the work of every goroutine (the batch
// span processor's, the garbage collector's) and not the time spent
// waiting for a CPU on a busy machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
