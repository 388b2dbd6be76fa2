// Package config reads the gateway's settings from the environment.
//
// Settings start from their defaults and are overridden by environment
// variables; Validate reports every problem at once. The README has a table
// of every setting.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/logging"
	"github.com/tenantgraph/tenantgraph/loader"
)

// Config holds every setting of the gateway.
type Config struct {
	// Addr is the listen address. TENANTGRAPH_ADDR, default ":8080".
	Addr string
	// MetricsAddr is the listen address of the Prometheus metrics,
	// served at /metrics apart from the API, such as ":9090".
	// TENANTGRAPH_METRICS_ADDR, default empty: no metrics.
	MetricsAddr string
	// TenantsDir holds one directory per tenant.
	// TENANTGRAPH_TENANTS_DIR, default "./tenants".
	TenantsDir string
	// DatabaseURL is the Postgres connection string; empty means the
	// in-memory store. DATABASE_URL, default empty.
	DatabaseURL string
	// DatabaseMigrationURL is a connection string of the same database
	// that reaches Postgres itself, for the migrations the gateway applies
	// at start, when DatabaseURL goes through a connection pooler in
	// transaction mode (PgBouncer), which cannot hold their lock; empty
	// means DatabaseURL, which the gateway refuses behind a pooler.
	// DATABASE_MIGRATION_URL, default empty.
	DatabaseMigrationURL string
	// RedisURL is the Redis URL (redis://, rediss://); empty means an
	// in-process cache. REDIS_URL, default empty.
	RedisURL string

	// RedisPrefix begins every Redis key the gateway writes, so that
	// deployments can share a Redis. TENANTGRAPH_REDIS_PREFIX, default
	// "tenantgraph:cache:".
	RedisPrefix string
	// CacheLocalTTL is how long a resolved tenant configuration stays in
	// process before it is read again from Redis. TENANTGRAPH_CACHE_LOCAL_TTL,
	// default "5s".
	CacheLocalTTL time.Duration
	// MasterKey seals the secrets the gateway caches in Redis: base64 of
	// 32 random bytes. Required with RedisURL. TENANTGRAPH_MASTER_KEY.
	MasterKey string

	// JWTAlg is the only accepted signing algorithm: HS256, RS256 or
	// ES256. JWT_ALG, default "HS256".
	JWTAlg string
	// JWTSecret is the HS256 key. JWT_SECRET. Without it and without
	// JWTPublicKeyFile the gateway runs in dev mode.
	JWTSecret []byte
	// JWTPublicKeyFile is a PEM public key for RS256 or ES256.
	// JWT_PUBLIC_KEY_FILE.
	JWTPublicKeyFile string
	// JWTIssuer is the required "iss" claim, if set. JWT_ISSUER.
	JWTIssuer string
	// JWTAudience is a required "aud" value, if set. JWT_AUDIENCE.
	JWTAudience string
	// JWTTenantClaim names the claim holding the tenant ID.
	// JWT_TENANT_CLAIM, default "tenant_id".
	JWTTenantClaim string
	// JWTScopesClaim names the claim holding a token's scopes, of every
	// issuer: a space-separated string or an array of strings.
	// JWT_SCOPES_CLAIM, default empty: the standard claims, both read and
	// joined, scope (a space-separated string, RFC 8693) and scp (an array
	// of strings as Okta writes it, or a space-separated string as
	// Microsoft Entra ID does). A registered claim (iss, sub, aud, exp,
	// nbf, iat, jti) is refused at start.
	JWTScopesClaim string

	// Watch reloads tenants when files under TenantsDir change.
	// TENANTGRAPH_WATCH, default true.
	Watch bool
	// AdminToken is the bearer token of the operator endpoints
	// (/admin/...); unset, they are not served (in dev mode the gateway
	// makes one up). TENANTGRAPH_ADMIN_TOKEN.
	AdminToken string

	// CORSOrigins are the browser origins allowed to call /graphql from
	// other sites, such as https://app.example.com; "*" allows any. Empty
	// sends no CORS headers. TENANTGRAPH_CORS_ORIGINS, comma-separated.
	CORSOrigins []string
	// CORSHeaders are request headers that browsers on CORSOrigins may
	// send besides those always allowed (Authorization, Content-Type,
	// Accept, X-Request-Id, traceparent, tracestate and Apollo Client's
	// apollographql-client-name, apollographql-client-version and
	// apollo-require-preflight). TENANTGRAPH_CORS_HEADERS,
	// comma-separated; default none.
	CORSHeaders []string

	// MaxBodyBytes caps request bodies (413 beyond).
	// TENANTGRAPH_MAX_BODY_BYTES, default 1 MiB.
	MaxBodyBytes int64
	// Limits are every tenant's limits unless its tenant.yaml says
	// otherwise; limitEnv names the variable of each, and the README has
	// their defaults (limits.Defaults) and the reason for each. A zero
	// MaxConcurrent (the default) is derived from the store's connection
	// pool at start.
	Limits limits.Limits
	// MaxInFlight bounds the GraphQL requests the gateway serves at once,
	// of all tenants; beyond it requests wait up to QueueTimeout, then get
	// 503 OVERLOADED. TENANTGRAPH_MAX_IN_FLIGHT, default 512.
	MaxInFlight int
	// UpstreamAllowPrivate lets tenants' upstream URLs reach private
	// addresses (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10), for
	// services inside the gateway's own network. Link-local and metadata
	// addresses stay refused. TENANTGRAPH_UPSTREAM_ALLOW_PRIVATE, default
	// false.
	UpstreamAllowPrivate bool
	// MaxViews bounds the views of its schema a tenant keeps, one per
	// distinct grant of its callers' scopes and roles (loader.Tenant.View);
	// the least recently used goes first. TENANTGRAPH_MAX_VIEWS, default 32.
	MaxViews int
	// MaxResidentTenants bounds the tenants whose compiled schema a
	// replica holds in memory; the least recently used is dropped, and
	// compiled again on its next request. TENANTGRAPH_MAX_RESIDENT_TENANTS,
	// default loader.DefaultMaxResident (10000).
	MaxResidentTenants int
	// ResidentIdleTimeout is how long a tenant's compiled schema stays in
	// memory after its last request; then it is dropped, and compiled
	// again on its next request. Negative: never dropped for idleness.
	// TENANTGRAPH_RESIDENT_IDLE_TIMEOUT, a duration such as "15m", or
	// "off" for a negative value; default loader.DefaultIdleTimeout
	// ("15m").
	ResidentIdleTimeout time.Duration
	// QueueTimeout is how long a request over its tenant's share
	// (Limits.MaxConcurrent) or over MaxInFlight waits for a slot before
	// it gets 503 OVERLOADED. TENANTGRAPH_QUEUE_TIMEOUT, default "100ms".
	QueueTimeout time.Duration
	// ExposeCost puts each operation's cost in the response's
	// extensions.cost. TENANTGRAPH_EXPOSE_COST, default false.
	ExposeCost bool
	// Suggestions lets validation errors suggest names ("Did you mean
	// ...?") to tenants whose introspection is on. Nil means on in dev
	// mode and off otherwise. TENANTGRAPH_SUGGESTIONS.
	Suggestions *bool
	// JWTMaxTTL refuses tokens whose lifetime (exp minus iat, or minus
	// now without iat) is longer. JWT_MAX_TTL, default "24h".
	JWTMaxTTL time.Duration
	// ParserTokenLimit bounds the tokens of one GraphQL document.
	// TENANTGRAPH_PARSER_TOKEN_LIMIT, default 15000.
	ParserTokenLimit int
	// ShutdownTimeout bounds the graceful shutdown.
	// TENANTGRAPH_SHUTDOWN_TIMEOUT, default "15s".
	ShutdownTimeout time.Duration

	// LogLevel is debug, info, warn or error. TENANTGRAPH_LOG_LEVEL,
	// default "info".
	LogLevel slog.Level
	// LogFormat is auto, text or json. TENANTGRAPH_LOG_FORMAT, default
	// "auto": text on a terminal, JSON otherwise.
	LogFormat logging.Format
}

// Default returns the default settings.
func Default() Config {
	return Config{
		Addr:                ":8080",
		TenantsDir:          "./tenants",
		Watch:               true,
		RedisPrefix:         "tenantgraph:cache:",
		CacheLocalTTL:       5 * time.Second,
		JWTAlg:              "HS256",
		JWTTenantClaim:      "tenant_id",
		MaxBodyBytes:        1 << 20,
		Limits:              defaultLimits(),
		MaxInFlight:         512,
		MaxViews:            32,
		MaxResidentTenants:  loader.DefaultMaxResident,
		ResidentIdleTimeout: loader.DefaultIdleTimeout,
		QueueTimeout:        100 * time.Millisecond,
		JWTMaxTTL:           24 * time.Hour,
		ParserTokenLimit:    15000,
		ShutdownTimeout:     15 * time.Second,
		LogLevel:            slog.LevelInfo,
		LogFormat:           logging.FormatAuto,
	}
}

// SuggestionsOn reports whether validation errors may suggest names to
// tenants whose introspection is on (see Suggestions).
func (c Config) SuggestionsOn() bool {
	if c.Suggestions != nil {
		return *c.Suggestions
	}
	return c.DevMode()
}

// DevMode reports whether no verification key is configured, in which case
// the gateway makes up an ephemeral key and prints tokens for every tenant.
func (c Config) DevMode() bool {
	return len(c.JWTSecret) == 0 && c.JWTPublicKeyFile == ""
}

// LogValue implements slog.LogValuer; the JWT secret is never logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("tenants_dir", c.TenantsDir),
		slog.Bool("database", c.DatabaseURL != ""),
		slog.Bool("redis", c.RedisURL != ""),
		slog.String("jwt_alg", c.JWTAlg),
		slog.Bool("dev_mode", c.DevMode()),
		slog.Bool("watch", c.Watch),
		slog.Bool("admin", c.AdminToken != ""),
	)
}

// FromEnv returns the default settings overridden by the environment
// variables that getenv reports (os.Getenv in production). It reports every
// malformed value and every inconsistency at once.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	var errs []error
	str := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	integer := func(key string, dst *int) {
		if v := getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an integer", key, v))
				return
			}
			*dst = n
		}
	}
	duration := func(key string, dst *time.Duration) {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 1.5s", key, v))
				return
			}
			*dst = d
		}
	}
	boolean := func(key string, dst *bool) {
		if v := getenv(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, v))
				return
			}
			*dst = b
		}
	}
	str("TENANTGRAPH_ADDR", &c.Addr)
	str("TENANTGRAPH_METRICS_ADDR", &c.MetricsAddr)
	str("TENANTGRAPH_TENANTS_DIR", &c.TenantsDir)
	str("DATABASE_URL", &c.DatabaseURL)
	str("DATABASE_MIGRATION_URL", &c.DatabaseMigrationURL)
	str("REDIS_URL", &c.RedisURL)
	str("TENANTGRAPH_MASTER_KEY", &c.MasterKey)
	str("TENANTGRAPH_REDIS_PREFIX", &c.RedisPrefix)
	boolean("TENANTGRAPH_WATCH", &c.Watch)
	str("TENANTGRAPH_ADMIN_TOKEN", &c.AdminToken)
	if v := getenv("TENANTGRAPH_CORS_ORIGINS"); v != "" {
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
	}
	if v := getenv("TENANTGRAPH_CORS_HEADERS"); v != "" {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.CORSHeaders = append(c.CORSHeaders, h)
			}
		}
	}
	str("JWT_ALG", &c.JWTAlg)
	if v := getenv("JWT_SECRET"); v != "" {
		c.JWTSecret = []byte(v)
	}
	str("JWT_PUBLIC_KEY_FILE", &c.JWTPublicKeyFile)
	str("JWT_ISSUER", &c.JWTIssuer)
	str("JWT_AUDIENCE", &c.JWTAudience)
	str("JWT_TENANT_CLAIM", &c.JWTTenantClaim)
	str("JWT_SCOPES_CLAIM", &c.JWTScopesClaim)
	if v := getenv("TENANTGRAPH_MAX_BODY_BYTES"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_MAX_BODY_BYTES: %q is not an integer", v))
		} else {
			c.MaxBodyBytes = n
		}
	}
	for _, l := range limitEnv(&c.Limits) {
		if l.dur != nil {
			duration(l.env, l.dur)
		} else {
			integer(l.env, l.n)
		}
	}
	if v := getenv("TENANTGRAPH_RATE_LIMIT"); v != "" {
		if r, err := parseRate(v); err != nil {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_RATE_LIMIT: %w", err))
		} else {
			c.Limits.Rate.Requests, c.Limits.Rate.Per = r.Requests, r.Per
		}
	}
	integer("TENANTGRAPH_RATE_BURST", &c.Limits.Rate.Burst)
	integer("TENANTGRAPH_COST_PER_MINUTE", &c.Limits.CostPerMinute)
	integer("TENANTGRAPH_MAX_IN_FLIGHT", &c.MaxInFlight)
	integer("TENANTGRAPH_MAX_VIEWS", &c.MaxViews)
	integer("TENANTGRAPH_MAX_RESIDENT_TENANTS", &c.MaxResidentTenants)
	if v := getenv("TENANTGRAPH_RESIDENT_IDLE_TIMEOUT"); strings.EqualFold(v, "off") {
		c.ResidentIdleTimeout = -1
	} else if v != "" {
		// Zero would mean the default to loader.Options, and a negative
		// duration reads as a mistake: "off" says what it means.
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_RESIDENT_IDLE_TIMEOUT: %q is not a positive duration such as 15m, or off", v))
		} else {
			c.ResidentIdleTimeout = d
		}
	}
	boolean("TENANTGRAPH_UPSTREAM_ALLOW_PRIVATE", &c.UpstreamAllowPrivate)
	duration("TENANTGRAPH_QUEUE_TIMEOUT", &c.QueueTimeout)
	boolean("TENANTGRAPH_EXPOSE_COST", &c.ExposeCost)
	if v := getenv("TENANTGRAPH_SUGGESTIONS"); v != "" {
		var b bool
		boolean("TENANTGRAPH_SUGGESTIONS", &b)
		c.Suggestions = &b
	}
	duration("JWT_MAX_TTL", &c.JWTMaxTTL)
	integer("TENANTGRAPH_PARSER_TOKEN_LIMIT", &c.ParserTokenLimit)
	duration("TENANTGRAPH_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	if v := getenv("TENANTGRAPH_CACHE_LOCAL_TTL"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_CACHE_LOCAL_TTL: %q is not a positive duration such as 5s", v))
		} else {
			c.CacheLocalTTL = d
		}
	}
	if v := getenv("TENANTGRAPH_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_LOG_LEVEL: %q is not debug, info, warn or error", v))
		}
	}
	if v := getenv("TENANTGRAPH_LOG_FORMAT"); v != "" {
		if f, err := logging.ParseFormat(v); err != nil {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_LOG_FORMAT: %w", err))
		} else {
			c.LogFormat = f
		}
	}
	// Malformed values kept their defaults, so Validate reports only
	// problems of its own.
	return c, errors.Join(append(errs, c.Validate())...)
}

// Validate reports every inconsistent setting at once.
func (c Config) Validate() error {
	var errs []error
	switch strings.ToUpper(c.JWTAlg) {
	case "HS256":
		if c.JWTPublicKeyFile != "" {
			errs = append(errs, errors.New("JWT_PUBLIC_KEY_FILE is set but JWT_ALG is HS256, which needs JWT_SECRET"))
		}
		if n := len(c.JWTSecret); n > 0 && n < 32 {
			errs = append(errs, fmt.Errorf("JWT_SECRET is %d bytes; HS256 needs at least 32", n))
		}
	case "RS256", "ES256":
		if c.JWTPublicKeyFile == "" {
			errs = append(errs, fmt.Errorf("JWT_ALG %s needs JWT_PUBLIC_KEY_FILE", c.JWTAlg))
		}
		if len(c.JWTSecret) > 0 {
			errs = append(errs, fmt.Errorf("JWT_SECRET is set but JWT_ALG is %s, which verifies with JWT_PUBLIC_KEY_FILE", c.JWTAlg))
		}
	default:
		errs = append(errs, fmt.Errorf("JWT_ALG %q is not HS256, RS256 or ES256", c.JWTAlg))
	}
	if c.DatabaseMigrationURL != "" && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_MIGRATION_URL is set but DATABASE_URL is not: without a database the gateway keeps its data in memory"))
	}
	if c.RedisURL != "" && c.MasterKey == "" {
		errs = append(errs, errors.New("REDIS_URL is set but TENANTGRAPH_MASTER_KEY is not: secrets cached in Redis are sealed with it (make one with: openssl rand -base64 32)"))
	}
	if c.JWTTenantClaim == "" {
		errs = append(errs, errors.New("JWT_TENANT_CLAIM must not be empty"))
	}
	if n := len(c.AdminToken); n > 0 && n < 16 {
		errs = append(errs, fmt.Errorf("TENANTGRAPH_ADMIN_TOKEN is %d bytes; use at least 16 random bytes", n))
	}
	for _, o := range c.CORSOrigins {
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_CORS_ORIGINS: %q is not an origin such as https://app.example.com, or *", o))
		}
	}
	for _, h := range c.CORSHeaders {
		if !validHeaderName(h) {
			errs = append(errs, fmt.Errorf("TENANTGRAPH_CORS_HEADERS: %q is not a header name such as X-Client-Version", h))
		}
	}
	if len(c.CORSHeaders) > 0 && len(c.CORSOrigins) == 0 {
		errs = append(errs, errors.New("TENANTGRAPH_CORS_HEADERS is set but TENANTGRAPH_CORS_ORIGINS is not: without origins no browser on another site may call the gateway"))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_MAX_BODY_BYTES must be positive"))
	}
	for _, l := range limitEnv(&c.Limits) {
		if l.n == &c.Limits.MaxConcurrent && *l.n == 0 {
			continue // derived from the store's pool at start
		}
		if (l.n != nil && *l.n <= 0) || (l.dur != nil && *l.dur <= 0) {
			errs = append(errs, fmt.Errorf("%s must be positive", l.env))
		}
	}
	if err := c.Limits.Validate(limitEnvName); err != nil {
		errs = append(errs, err)
	}
	if c.Limits.Rate.IsZero() && c.Limits.Rate.Burst != 0 {
		errs = append(errs, errors.New("TENANTGRAPH_RATE_BURST is set but TENANTGRAPH_RATE_LIMIT is not"))
	}
	if c.MaxResidentTenants <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_MAX_RESIDENT_TENANTS must be positive"))
	}
	if c.MaxInFlight <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_MAX_IN_FLIGHT must be positive"))
	}
	if c.MaxViews <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_MAX_VIEWS must be positive"))
	}
	if c.QueueTimeout < 0 {
		errs = append(errs, errors.New("TENANTGRAPH_QUEUE_TIMEOUT must not be negative"))
	}
	if c.JWTMaxTTL <= 0 {
		errs = append(errs, errors.New("JWT_MAX_TTL must be positive"))
	}
	if c.ParserTokenLimit <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_PARSER_TOKEN_LIMIT must be positive"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("TENANTGRAPH_SHUTDOWN_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}

// defaultLimits are limits.Defaults, but with no MaxConcurrent: it is
// derived from the size of the store's connection pool at start.
func defaultLimits() limits.Limits {
	l := limits.Defaults()
	l.MaxConcurrent = 0
	return l
}

// limitSetting is the environment variable of one of Config.Limits.
type limitSetting struct {
	env   string
	field string // the limit's key in tenant.yaml
	n     *int
	dur   *time.Duration
}

// limitEnv returns the environment variables of l's limits, with pointers
// to them. Every limit but the rate (TENANTGRAPH_RATE_LIMIT and
// TENANTGRAPH_RATE_BURST) and CostPerMinute, which are off by default, must
// be positive.
func limitEnv(l *limits.Limits) []limitSetting {
	return []limitSetting{
		{env: "TENANTGRAPH_MAX_DEPTH", field: "maxDepth", n: &l.MaxDepth},
		{env: "TENANTGRAPH_MAX_ALIASES", field: "maxAliases", n: &l.MaxAliases},
		{env: "TENANTGRAPH_MAX_ROOT_FIELDS", field: "maxRootFields", n: &l.MaxRootFields},
		{env: "TENANTGRAPH_MAX_FIELDS", field: "maxFields", n: &l.MaxFields},
		{env: "TENANTGRAPH_MAX_DIRECTIVES", field: "maxDirectives", n: &l.MaxDirectives},
		{env: "TENANTGRAPH_MAX_OPERATION_NAME", field: "maxOperationName", n: &l.MaxOperationName},
		{env: "TENANTGRAPH_MAX_COST", field: "maxCost", n: &l.MaxCost},
		{env: "TENANTGRAPH_MAX_STRING_LENGTH", field: "maxStringLength", n: &l.MaxStringLength},
		{env: "TENANTGRAPH_MAX_FILTER_LENGTH", field: "maxFilterLength", n: &l.MaxFilterLength},
		{env: "TENANTGRAPH_MAX_LIST_LENGTH", field: "maxListLength", n: &l.MaxListLength},
		{env: "TENANTGRAPH_MAX_PAGE_SIZE", field: "maxPageSize", n: &l.MaxPageSize},
		{env: "TENANTGRAPH_REQUEST_TIMEOUT", field: "timeout", dur: &l.Timeout},
		{env: "TENANTGRAPH_TENANT_MAX_CONCURRENT", field: "maxConcurrent", n: &l.MaxConcurrent},
	}
}

// limitEnvName returns the environment variable of the limit with the
// tenant.yaml key field, for limits.Limits.Validate.
func limitEnvName(field string) string {
	switch field {
	case "rate":
		return "TENANTGRAPH_RATE_LIMIT"
	case "costPerMinute":
		return "TENANTGRAPH_COST_PER_MINUTE"
	}
	for _, l := range limitEnv(&limits.Limits{}) {
		if l.field == field {
			return l.env
		}
	}
	return field
}

// parseRate parses a rate such as "100/s", "100/1s" or "6000/1m".
func parseRate(s string) (limits.Rate, error) {
	n, per, ok := strings.Cut(s, "/")
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || requests <= 0 {
		return limits.Rate{}, fmt.Errorf("%q is not a rate such as 100/1s", s)
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return limits.Rate{}, fmt.Errorf("%q is not a rate such as 100/1s", s)
	}
	return limits.Rate{Requests: requests, Per: d}, nil
}

// validHeaderName reports whether h is an HTTP header name: a token of
// RFC 9110, section 5.6.2.
func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
