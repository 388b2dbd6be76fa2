package telemetry

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// namespace begins the name of every metric of the gateway.
const namespace = "tenantgraph"

// LatencyBuckets are the classic buckets of the request latency
// histogram, in seconds: few, because there is one histogram per tenant.
// Scrapers that read native histograms (Prometheus with
// scrape_native_histograms) get a native histogram instead, with a
// resolution of about 10% at any latency, in one series.
var LatencyBuckets = []float64{0.025, 0.1, 0.5, 2.5}

// Metrics are the gateway's instruments, in a prometheus.Registry of
// their own (never the global one), with the Go runtime's and the
// process's. Its methods may be called concurrently.
//
// Per tenant, it holds one requests_total series per operation type and
// outcome code the tenant has seen (typically 2 to 6), one latency
// histogram (a native histogram, or LatencyBuckets' 4 buckets, +Inf, _sum
// and _count: 7 classic series), and, read from Sources, one
// refusals_total series per code the tenant was refused with.
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	loads        *prometheus.CounterVec
	loadDuration prometheus.Histogram
}

// New returns the gateway's metrics, with the Go runtime and process
// collectors registered. Register adds the collectors of what the
// gateway counts already.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "requests_total",
			Help:      `HTTP requests served, by tenant ("" when unknown), GraphQL operation type ("none" when no operation ran) and outcome code ("ok", or the refusal or first error code).`,
		}, []string{"tenant", "operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace:                       namespace,
			Name:                            "request_duration_seconds",
			Help:                            "Time to serve a request, by tenant.",
			Buckets:                         LatencyBuckets,
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"tenant"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "graphql_errors_total",
			Help:      "GraphQL errors shown to clients by the error presenter, by extensions.code.",
		}, []string{"code"}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "tenant_loads_total",
			Help:      `Loads of tenants (compiles, and changed tenant.yaml files that do not load), by result ("ok" or "error").`,
		}, []string{"result"}),
		loadDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "tenant_load_duration_seconds",
			Help:      "Time to load a tenant (see tenant_loads_total).",
			Buckets:   []float64{0.001, 0.005, 0.025, 0.1, 0.5, 2.5},
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.errors, m.loads, m.loadDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry of m's metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves m's metrics in the format the scraper asks for (text,
// OpenMetrics, or protobuf, which carries native histograms).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg,
		EnableOpenMetrics: true,
		// A scrape that takes longer is answered 503 rather than piling
		// up.
		Timeout: 10 * time.Second,
	})
}

// ObserveRequest counts one request of tenant and records its latency; it
// implements gateway.Observer. opType "" counts as "none", code "" as
// "ok".
func (m *Metrics) ObserveRequest(tenant, opType string, code apperr.Code, d time.Duration) {
	if opType == "" {
		opType = "none"
	}
	c := string(code)
	if c == "" {
		c = "ok"
	}
	m.requests.WithLabelValues(tenant, opType, c).Inc()
	m.latency.WithLabelValues(tenant).Observe(d.Seconds())
}

// ObserveError counts one GraphQL error shown to a client; it implements
// gateway.Observer.
func (m *Metrics) ObserveError(code string) {
	if code == "" {
		code = "none"
	}
	m.errors.WithLabelValues(code).Inc()
}

// ObserveLoad counts one load of a tenant and records how long it took;
// it is a loader.Options.OnLoad. The tenant is not a label: a failing
// tenant is named by /admin/tenants and the log.
func (m *Metrics) ObserveLoad(_ string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.loads.WithLabelValues(result).Inc()
	m.loadDuration.Observe(d.Seconds())
}
