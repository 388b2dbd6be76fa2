package telemetry

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/loader"
)

// Sources are what the gateway counts already, read at each scrape. Each
// field may be nil, leaving its metrics out.
type Sources struct {
	// Refusals are the refused requests by tenant and code
	// (*gateway.Refusals).
	Refusals interface {
		Counts() map[string]map[apperr.Code]uint64
	}
	// Cache is the cache of resolved tenant configuration: its lookups
	// and the state of its Redis breaker.
	Cache interface {
		Stats() cache.Stats
		Status() cache.Status
	}
	// RateLimiter reports the state of the rate limits' Redis breaker.
	RateLimiter interface{ Status() ratelimit.Status }
	// Tokens is the token verifier, with its cache of verified tokens.
	Tokens interface {
		TokenCacheStats() auth.TokenCacheStats
	}
	// Documents counts the lookups of the parsed-document caches, and
	// PersistedQueries those of the APQ caches (*gateway.CacheCounts).
	Documents, PersistedQueries HitCounter
	// Tenants is the registry: how many tenants are served, and how many
	// failed their latest load.
	Tenants interface{ States() []loader.State }
	// Pool is the Postgres connection pool (*store.Postgres).
	Pool interface{ Stat() *pgxpool.Stat }
}

// HitCounter counts the hits and misses of a cache.
type HitCounter interface {
	Hits() uint64
	Misses() uint64
}

// Register adds the collectors that read s at each scrape to m's
// registry. It fails if a collector of the same metrics was registered
// before.
func (m *Metrics) Register(s Sources) error {
	return m.reg.Register(&sourceCollector{s: s})
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

var (
	refusalsDesc = desc("refusals_total",
		"Requests refused to protect tenants from each other (limits, cost, timeouts, overload, rate limits), by tenant and code.",
		"tenant", "code")
	cacheLookupsDesc = desc("cache_lookups_total",
		`Cache lookups, by cache (tenant_config, token, document, apq) and result (hit, miss). A tenant_config hit is served from process memory or Redis; a miss loads from the source.`,
		"cache", "result")
	tokenEntriesDesc = desc("token_cache_entries", "Verified tokens in the cache, expired ones not yet evicted included.")
	redisStateDesc   = desc("redis_state",
		`State of a component's Redis breaker: 1 for its current state (ok, degraded, local), 0 for the others.`,
		"component", "state")
	tenantsServingDesc  = desc("tenants_serving", "Tenants being served.")
	tenantsFailingDesc  = desc("tenants_failing", "Tenants whose latest load failed (they keep serving their previous version, if any).")
	tenantsResidentDesc = desc("tenants_resident", "Tenants whose compiled schema is held in memory (at most TENANTGRAPH_MAX_RESIDENT_TENANTS; those idle for TENANTGRAPH_RESIDENT_IDLE_TIMEOUT are dropped).")

	poolConnsDesc = desc("postgres_pool_connections",
		"Connections of the Postgres pool, by state (acquired, idle, constructing).", "state")
	poolMaxDesc          = desc("postgres_pool_max_connections", "Most connections the Postgres pool opens.")
	poolAcquiresDesc     = desc("postgres_pool_acquires_total", "Connections acquired from the Postgres pool.")
	poolAcquireTimeDesc  = desc("postgres_pool_acquire_seconds_total", "Time spent acquiring connections from the Postgres pool.")
	poolEmptyDesc        = desc("postgres_pool_empty_acquires_total", "Acquires that waited because the Postgres pool had no idle connection.")
	poolEmptyWaitDesc    = desc("postgres_pool_empty_acquire_wait_seconds_total", "Time acquires waited for a connection when the Postgres pool had none idle.")
	poolCanceledDesc     = desc("postgres_pool_canceled_acquires_total", "Acquires cancelled by their context.")
	poolNewConnsDesc     = desc("postgres_pool_new_connections_total", "Connections the Postgres pool opened.")
	redisStates          = []string{"ok", "degraded", "local"}
	sourceCollectorDescs = []*prometheus.Desc{
		refusalsDesc, cacheLookupsDesc, tokenEntriesDesc, redisStateDesc,
		tenantsServingDesc, tenantsFailingDesc, tenantsResidentDesc,
		poolConnsDesc, poolMaxDesc, poolAcquiresDesc, poolAcquireTimeDesc,
		poolEmptyDesc, poolEmptyWaitDesc, poolCanceledDesc, poolNewConnsDesc,
	}
)

// sourceCollector reads Sources at scrape time.
type sourceCollector struct {
	s Sources
}

var _ prometheus.Collector = (*sourceCollector)(nil)

// Describe implements prometheus.Collector.
func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range sourceCollectorDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	lookups := func(name string, hits, misses uint64) {
		counter(cacheLookupsDesc, float64(hits), name, "hit")
		counter(cacheLookupsDesc, float64(misses), name, "miss")
	}
	redisState := func(component, state string) {
		for _, st := range redisStates {
			v := 0.0
			if st == state {
				v = 1
			}
			gauge(redisStateDesc, v, component, st)
		}
	}

	if s.Refusals != nil {
		for tenant, codes := range s.Refusals.Counts() {
			for code, n := range codes {
				counter(refusalsDesc, float64(n), tenant, string(code))
			}
		}
	}
	if s.Cache != nil {
		st := s.Cache.Stats()
		lookups("tenant_config", st.LocalHits+st.RedisHits+st.StaleHits, st.Loads)
		redisState("cache", string(s.Cache.Status().State))
	}
	if s.RateLimiter != nil {
		state := string(s.RateLimiter.Status().State)
		if state == string(ratelimit.StateRedis) {
			state = "ok"
		}
		redisState("ratelimit", state)
	}
	if s.Tokens != nil {
		st := s.Tokens.TokenCacheStats()
		lookups("token", st.Hits, st.Misses)
		gauge(tokenEntriesDesc, float64(st.Entries))
	}
	if s.Documents != nil {
		lookups("document", s.Documents.Hits(), s.Documents.Misses())
	}
	if s.PersistedQueries != nil {
		lookups("apq", s.PersistedQueries.Hits(), s.PersistedQueries.Misses())
	}
	if s.Tenants != nil {
		var serving, failing, resident int
		for _, st := range s.Tenants.States() {
			if st.Serving {
				serving++
			}
			if st.Resident {
				resident++
			}
			if st.Error != "" {
				failing++
			}
		}
		gauge(tenantsServingDesc, float64(serving))
		gauge(tenantsFailingDesc, float64(failing))
		gauge(tenantsResidentDesc, float64(resident))
	}
	if s.Pool != nil {
		st := s.Pool.Stat()
		gauge(poolConnsDesc, float64(st.AcquiredConns()), "acquired")
		gauge(poolConnsDesc, float64(st.IdleConns()), "idle")
		gauge(poolConnsDesc, float64(st.ConstructingConns()), "constructing")
		gauge(poolMaxDesc, float64(st.MaxConns()))
		counter(poolAcquiresDesc, float64(st.AcquireCount()))
		counter(poolAcquireTimeDesc, st.AcquireDuration().Seconds())
		counter(poolEmptyDesc, float64(st.EmptyAcquireCount()))
		counter(poolEmptyWaitDesc, st.EmptyAcquireWaitTime().Seconds())
		counter(poolCanceledDesc, float64(st.CanceledAcquireCount()))
		counter(poolNewConnsDesc, float64(st.NewConnsCount()))
	}
}
