package telemetry_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
)

// refusalCounts is a telemetry.Sources.Refusals with fixed counts.
type refusalCounts map[string]map[apperr.Code]uint64

func (r refusalCounts) Counts() map[string]map[apperr.Code]uint64 { return r }

// BenchmarkScrape scrapes the series of 1,000 tenants (queries and
// mutations that succeed, errors, refusals, a latency histogram each), in
// the text format and in protobuf (which carries native histograms). It
// must stay under 100 ms of CPU per scrape (reported as cpu-ms/scrape;
// ns/op, wall time, also counts the waits of a busy machine).
func BenchmarkScrape(b *testing.B) {
	const tenants = 1000
	m := telemetry.New()
	refusals := refusalCounts{}
	for i := range tenants {
		id := fmt.Sprintf("tenant-%04d", i)
		for j := range 20 {
			d := time.Duration(j+1) * time.Millisecond
			m.ObserveRequest(id, "query", "", d)
			m.ObserveRequest(id, "mutation", "", 3*d)
		}
		m.ObserveRequest(id, "", apperr.MaxDepthLimit, time.Millisecond)
		m.ObserveRequest(id, "query", apperr.NotFound, time.Millisecond)
		refusals[id] = map[apperr.Code]uint64{apperr.MaxDepthLimit: 1, apperr.RateLimited: 7}
	}
	if err := m.Register(telemetry.Sources{Refusals: refusals}); err != nil {
		b.Fatal(err)
	}
	h := m.Handler()
	for _, format := range []struct{ name, accept string }{
		{"text", "text/plain"},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		b.Run(format.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", format.accept)
			var size int
			cpu := cpuTime()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body.String())
				}
				size = rec.Body.Len()
				io.Copy(io.Discard, rec.Body)
			}
			per := (cpuTime() - cpu) / time.Duration(b.N)
			b.ReportMetric(float64(size), "bytes/scrape")
			b.ReportMetric(float64(per)/1e6, "cpu-ms/scrape")
			if per > 100*time.Millisecond {
				b.Errorf("a scrape took %v of CPU, over 100ms", per)
			}
		})
	}
}

// cpuTime is the CPU time the process has used, in user and system mode.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
