package config_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/config"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/logging"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, config.Default(), c)
	require.True(t, c.DevMode())
}

func TestFromEnvReadsEverySetting(t *testing.T) {
	yes := true
	c, err := config.FromEnv(env(map[string]string{
		"TENANTGRAPH_ADDR":                  "127.0.0.1:9000",
		"TENANTGRAPH_TENANTS_DIR":           "/etc/tenants",
		"TENANTGRAPH_WATCH":                 "false",
		"TENANTGRAPH_ADMIN_TOKEN":           "operator-token-0123456789",
		"TENANTGRAPH_CORS_ORIGINS":          "https://app.example.com, http://localhost:3000",
		"TENANTGRAPH_CORS_HEADERS":          "X-Client-Version, x-tenant-hint",
		"DATABASE_URL":                      "postgres://db/x",
		"DATABASE_MIGRATION_URL":            "postgres://db-direct/x",
		"REDIS_URL":                         "redis://cache:6379/1",
		"TENANTGRAPH_MASTER_KEY":            "bWFzdGVyLWtleS1vZi10aGlydHktdHdvLWJ5dGVzISE=",
		"TENANTGRAPH_REDIS_PREFIX":          "tg:",
		"TENANTGRAPH_CACHE_LOCAL_TTL":       "250ms",
		"JWT_ALG":                           "HS256",
		"JWT_SECRET":                        strings.Repeat("k", 32),
		"JWT_ISSUER":                        "https://idp.example",
		"JWT_AUDIENCE":                      "tenantgraph",
		"JWT_TENANT_CLAIM":                  "org",
		"JWT_SCOPES_CLAIM":                  "permissions",
		"TENANTGRAPH_MAX_BODY_BYTES":        "2048",
		"TENANTGRAPH_MAX_PAGE_SIZE":         "50",
		"TENANTGRAPH_PARSER_TOKEN_LIMIT":    "900",
		"TENANTGRAPH_SHUTDOWN_TIMEOUT":      "1.5s",
		"TENANTGRAPH_LOG_LEVEL":             "debug",
		"TENANTGRAPH_LOG_FORMAT":            "json",
		"TENANTGRAPH_MAX_DEPTH":             "12",
		"TENANTGRAPH_MAX_ALIASES":           "10",
		"TENANTGRAPH_MAX_ROOT_FIELDS":       "5",
		"TENANTGRAPH_MAX_FIELDS":            "500",
		"TENANTGRAPH_MAX_DIRECTIVES":        "3",
		"TENANTGRAPH_MAX_OPERATION_NAME":    "64",
		"TENANTGRAPH_MAX_COST":              "300",
		"TENANTGRAPH_MAX_STRING_LENGTH":     "4000",
		"TENANTGRAPH_MAX_FILTER_LENGTH":     "100",
		"TENANTGRAPH_MAX_LIST_LENGTH":       "50",
		"TENANTGRAPH_REQUEST_TIMEOUT":       "2.5s",
		"TENANTGRAPH_TENANT_MAX_CONCURRENT": "4",
		"TENANTGRAPH_RATE_LIMIT":            "100/s",
		"TENANTGRAPH_RATE_BURST":            "150",
		"TENANTGRAPH_COST_PER_MINUTE":       "60000",
		"TENANTGRAPH_MAX_IN_FLIGHT":         "64",
		"TENANTGRAPH_MAX_VIEWS":             "8",
		"TENANTGRAPH_MAX_RESIDENT_TENANTS":  "500",
		"TENANTGRAPH_RESIDENT_IDLE_TIMEOUT": "5m",
		"TENANTGRAPH_METRICS_ADDR":          ":9090",
		"TENANTGRAPH_QUEUE_TIMEOUT":         "50ms",
		"TENANTGRAPH_EXPOSE_COST":           "true",
		"TENANTGRAPH_SUGGESTIONS":           "true",
		"JWT_MAX_TTL":                       "1h",
	}))
	require.NoError(t, err)
	require.Equal(t, config.Config{
		Addr:                 "127.0.0.1:9000",
		MetricsAddr:          ":9090",
		TenantsDir:           "/etc/tenants",
		AdminToken:           "operator-token-0123456789",
		CORSOrigins:          []string{"https://app.example.com", "http://localhost:3000"},
		CORSHeaders:          []string{"X-Client-Version", "x-tenant-hint"},
		DatabaseURL:          "postgres://db/x",
		DatabaseMigrationURL: "postgres://db-direct/x",
		RedisURL:             "redis://cache:6379/1",
		MasterKey:            "bWFzdGVyLWtleS1vZi10aGlydHktdHdvLWJ5dGVzISE=",
		RedisPrefix:          "tg:",
		CacheLocalTTL:        250 * time.Millisecond,
		JWTAlg:               "HS256",
		JWTSecret:            []byte(strings.Repeat("k", 32)),
		JWTIssuer:            "https://idp.example",
		JWTAudience:          "tenantgraph",
		JWTTenantClaim:       "org",
		JWTScopesClaim:       "permissions",
		MaxBodyBytes:         2048,
		Limits: limits.Limits{
			MaxDepth: 12, MaxAliases: 10, MaxRootFields: 5, MaxFields: 500, MaxDirectives: 3, MaxOperationName: 64,
			MaxCost: 300, MaxStringLength: 4000, MaxFilterLength: 100, MaxListLength: 50, MaxPageSize: 50,
			Timeout: 2500 * time.Millisecond, MaxConcurrent: 4,
			Rate:          limits.Rate{Requests: 100, Per: time.Second, Burst: 150},
			CostPerMinute: 60000,
		},
		MaxInFlight:         64,
		MaxViews:            8,
		MaxResidentTenants:  500,
		ResidentIdleTimeout: 5 * time.Minute,
		QueueTimeout:        50 * time.Millisecond,
		ExposeCost:          true,
		Suggestions:         &yes,
		JWTMaxTTL:           time.Hour,
		ParserTokenLimit:    900,
		ShutdownTimeout:     1500 * time.Millisecond,
		LogLevel:            slog.LevelDebug,
		LogFormat:           logging.FormatJSON,
	}, c)
	require.False(t, c.DevMode())
	require.True(t, c.SuggestionsOn())
}

func TestSuggestionsFollowDevMode(t *testing.T) {
	dev, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.True(t, dev.SuggestionsOn(), "on in dev mode")
	prod, err := config.FromEnv(env(map[string]string{"JWT_SECRET": strings.Repeat("k", 32)}))
	require.NoError(t, err)
	require.False(t, prod.SuggestionsOn(), "off in production")
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]limits.Rate{
		"100/s":   {Requests: 100, Per: time.Second},
		"100/1s":  {Requests: 100, Per: time.Second},
		"6000/1m": {Requests: 6000, Per: time.Minute},
		"5/250ms": {Requests: 5, Per: 250 * time.Millisecond},
	} {
		c, err := config.FromEnv(env(map[string]string{"TENANTGRAPH_RATE_LIMIT": in}))
		require.NoError(t, err, in)
		require.Equal(t, want, c.Limits.Rate, in)
	}
	for _, in := range []string{"100", "x/s", "0/s", "10/", "10/-1s", "10/soon"} {
		_, err := config.FromEnv(env(map[string]string{"TENANTGRAPH_RATE_LIMIT": in}))
		require.ErrorContains(t, err, "TENANTGRAPH_RATE_LIMIT", in)
	}
}

func TestResidentIdleTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":      15 * time.Minute,
		"90s":   90 * time.Second,
		"1h30m": 90 * time.Minute,
		"off":   -1,
		"Off":   -1,
	} {
		c, err := config.FromEnv(env(map[string]string{"TENANTGRAPH_RESIDENT_IDLE_TIMEOUT": in}))
		require.NoError(t, err, in)
		require.Equal(t, want, c.ResidentIdleTimeout, in)
	}
	for _, in := range []string{"0", "0s", "-1m", "15", "soon", "OFF "} {
		_, err := config.FromEnv(env(map[string]string{"TENANTGRAPH_RESIDENT_IDLE_TIMEOUT": in}))
		require.ErrorContains(t, err, "TENANTGRAPH_RESIDENT_IDLE_TIMEOUT", in)
	}
}

func TestFromEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"short HS256 secret", map[string]string{"JWT_SECRET": "short"}, []string{"at least 32"}},
		{"RS256 without key", map[string]string{"JWT_ALG": "RS256"}, []string{"needs JWT_PUBLIC_KEY_FILE"}},
		{"RS256 with secret", map[string]string{"JWT_ALG": "RS256", "JWT_PUBLIC_KEY_FILE": "k.pem", "JWT_SECRET": strings.Repeat("k", 32)}, []string{"JWT_SECRET is set"}},
		{"HS256 with key file", map[string]string{"JWT_PUBLIC_KEY_FILE": "k.pem"}, []string{"JWT_PUBLIC_KEY_FILE is set"}},
		{"migration URL without database", map[string]string{"DATABASE_MIGRATION_URL": "postgres://db-direct/x"}, []string{"DATABASE_MIGRATION_URL is set but DATABASE_URL is not"}},
		{"redis without master key", map[string]string{"REDIS_URL": "redis://x"}, []string{"TENANTGRAPH_MASTER_KEY is not"}},
		{"short admin token", map[string]string{"TENANTGRAPH_ADMIN_TOKEN": "admin"}, []string{"TENANTGRAPH_ADMIN_TOKEN is 5 bytes"}},
		{"bad CORS origin", map[string]string{"TENANTGRAPH_CORS_ORIGINS": "app.example.com"}, []string{"TENANTGRAPH_CORS_ORIGINS"}},
		{"bad CORS header", map[string]string{"TENANTGRAPH_CORS_ORIGINS": "*", "TENANTGRAPH_CORS_HEADERS": "X-Ok, bad header"}, []string{"TENANTGRAPH_CORS_HEADERS"}},
		{"CORS headers without origins", map[string]string{"TENANTGRAPH_CORS_HEADERS": "X-Client-Version"}, []string{"TENANTGRAPH_CORS_HEADERS"}},
		{"bad watch", map[string]string{"TENANTGRAPH_WATCH": "sometimes"}, []string{"TENANTGRAPH_WATCH"}},
		{"unknown algorithm", map[string]string{"JWT_ALG": "none"}, []string{`JWT_ALG "none"`}},
		{"limits out of range", map[string]string{
			"TENANTGRAPH_MAX_DEPTH": "0", "TENANTGRAPH_REQUEST_TIMEOUT": "2h", "TENANTGRAPH_MAX_COST": "many",
			"TENANTGRAPH_RATE_BURST": "5", "TENANTGRAPH_QUEUE_TIMEOUT": "-1s", "JWT_MAX_TTL": "0s",
		}, []string{"TENANTGRAPH_MAX_DEPTH must be positive", "TENANTGRAPH_REQUEST_TIMEOUT: 2h0m0s is not between",
			`TENANTGRAPH_MAX_COST: "many" is not an integer`, "TENANTGRAPH_RATE_BURST is set but TENANTGRAPH_RATE_LIMIT is not",
			"TENANTGRAPH_QUEUE_TIMEOUT must not be negative", "JWT_MAX_TTL must be positive"}},
		{"all at once", map[string]string{
			"TENANTGRAPH_MAX_BODY_BYTES": "1MB", "TENANTGRAPH_MAX_PAGE_SIZE": "0",
			"TENANTGRAPH_LOG_FORMAT": "xml", "JWT_ALG": "HS512",
		}, []string{"TENANTGRAPH_MAX_BODY_BYTES", "TENANTGRAPH_MAX_PAGE_SIZE must be positive", "TENANTGRAPH_LOG_FORMAT", "JWT_ALG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.FromEnv(env(tt.env))
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestSecretIsNotLogged(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{"JWT_SECRET": "marker-" + strings.Repeat("s", 32)}))
	require.NoError(t, err)
	var buf strings.Builder
	logging.New(&buf, logging.FormatJSON, slog.LevelInfo).Info("start", "config", c)
	require.NotContains(t, buf.String(), "marker-")
}
