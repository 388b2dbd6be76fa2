// Command tenantgraph is a multi-tenant GraphQL gateway: every tenant is
// served its own schema, picked by the tenant claim of its verified JWT.
//
// Usage:
//
//	tenantgraph [serve]                      run the gateway (the default)
//	tenantgraph token --tenant ID [--ttl 1h] print a token signed with JWT_SECRET,
//	    [--scope "A B"]... [--role R]...     granting these scopes and roles
//	    [--roles-claim NAME]                 (one role per --role)
//	tenantgraph healthcheck                  exit 0 if the local gateway is alive
//	tenantgraph check [DIR]                  validate every tenant directory
//	tenantgraph schema --tenant ID           print a tenant's effective schema
//	tenantgraph refresh --tenant ID          re-resolve a tenant's secrets on every replica
//
// Settings come from the environment; see the README for the full table.
// Without JWT_SECRET or JWT_PUBLIC_KEY_FILE the gateway runs in dev mode:
// it makes up a signing key and prints a ready-to-use token per tenant.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/config"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/gctune"
	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/internal/logging"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/secrets"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
	"github.com/tenantgraph/tenantgraph/internal/tenantcfg"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// tokenCacheSize is the number of verified tokens kept, each until it
// expires (5 minutes at most).
const tokenCacheSize = 100_000

// devTokenTTL is the lifetime of the tokens printed in dev mode. Their key
// dies with the process anyway.
const devTokenTTL = 24 * time.Hour

const usage = `Usage:
  tenantgraph [serve]                       run the gateway (default)
  tenantgraph token --tenant ID [--ttl 1h]  print a token signed with JWT_SECRET, granting
      [--scope "A B"]... [--role R]...      the scopes and roles given (one role per --role;
      [--roles-claim NAME]                  default claim: the tenant's authorization.rolesClaim)
  tenantgraph healthcheck                   exit 0 if the local gateway is alive
  tenantgraph check [DIR]                   validate every tenant directory (default: TENANTGRAPH_TENANTS_DIR)
  tenantgraph schema --tenant ID            print a tenant's effective schema as SDL
  tenantgraph refresh --tenant ID [--url U] drop a tenant's cached configuration and secrets on every replica

Settings are read from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tenantgraph:", err)
		os.Exit(1)
	}
}

// run executes the command named by args until ctx is done.
// introspectionCacheBytes bounds the memory of the introspection responses
// a replica keeps: about 400 full introspection responses of a shipped
// tenant (30 to 40 KB each).
const introspectionCacheBytes = 16 << 20

// planCacheBytes bounds the memory of the execution plans a replica keeps
// (estimated), for all tenants: some 5,000 plans of a page of goods (about
// 3 KB each), where a budget per tenant's schema would grow with the
// tenants resident.
const planCacheBytes = 16 << 20

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if len(args) > 0 {
			if isHelp(args[0]) {
				fmt.Fprint(stdout, usage)
				return nil
			}
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("serve takes no arguments (settings come from the environment): %q", args[0])
		}
		return serve(ctx, getenv, stdout, stderr)
	case "token":
		return token(args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "check":
		return check(args, getenv, stdout)
	case "schema":
		return schema(args, getenv, stdout, stderr)
	case "refresh":
		return refresh(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// isHelp reports whether arg asks for the usage.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// serve runs the gateway until ctx is done, then shuts it down gracefully.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	var level slog.LevelVar
	level.Set(cfg.LogLevel)
	// Lines are written from a goroutine of their own, so that requests
	// do not take turns at a system call for their access log lines.
	logs := logging.NewAsyncWriter(stderr)
	defer logs.Close()
	logger := logging.New(logs, cfg.LogFormat, &level)

	// Unless the operator chose GOGC, the heap gets room to grow before
	// each collection (see gctune): with few tenants, it is otherwise
	// collected about a hundred times a second under load.
	if _, set := os.LookupEnv("GOGC"); !set {
		defer gctune.Start(gctune.DefaultHeadroom)()
	}

	// Traces, when the OTEL_* variables ask for them; off, they cost
	// nothing. Flushed last, after everything that makes spans stopped.
	// The SDK reports failed exports and dropped spans through otel's
	// error handler, by default the standard log package: into the
	// gateway's log instead, in its format.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing", "error", err)
	}))
	tracing, err := telemetry.NewTracing(ctx, getenv)
	if err != nil {
		return fmt.Errorf("tracing:\n%w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			logger.Warn("spans may have been lost", "error", err)
		}
	}()
	if tracing.Enabled() {
		logger.Info("tracing on: spans are exported by OTLP")
	}

	authCfg, err := authConfig(cfg)
	if err != nil {
		return err
	}
	if cfg.DevMode() {
		authCfg = auth.NewDevConfig()
		authCfg.MaxTTL = cfg.JWTMaxTTL
		authCfg.ScopesClaim = cfg.JWTScopesClaim
		logger.Warn("dev mode: no JWT_SECRET or JWT_PUBLIC_KEY_FILE, so tokens are signed with a key made up at start; never use dev mode in production")
	}
	st, err := openStore(ctx, cfg, logger, tracing)
	if err != nil {
		return err
	}
	defer st.Close()

	c, err := openCache(ctx, cfg, logger, tracing)
	if err != nil {
		return err
	}
	defer c.Close()

	rl, err := openRateLimiter(cfg, logger, tracing)
	if err != nil {
		return err
	}
	defer rl.Close()

	if cfg.Limits.MaxConcurrent == 0 {
		cfg.Limits.MaxConcurrent = defaultShare(st)
	}
	// Metrics, when served: what the request path observes, and the
	// counters read at each scrape.
	var (
		metrics   *telemetry.Metrics
		observer  gateway.Observer
		onLoad    func(tenantID string, d time.Duration, err error)
		refusals  gateway.Refusals
		documents gateway.CacheCounts
		apq       gateway.CacheCounts
	)
	if cfg.MetricsAddr != "" {
		metrics = telemetry.New()
		observer, onLoad = metrics, metrics.ObserveLoad
	}
	// Resolvers reach the store through the tenants' shares of its
	// connections.
	res := &resolvers.Resolver{
		Store: fairshare.Store(st, fairshare.New(0)), MaxPageSize: cfg.Limits.MaxPageSize,
		// One budget for the introspection responses of all tenants'
		// schemas and views, however many there are.
		IntrospectionCache: dynamic.NewIntrospectionCache(introspectionCacheBytes),
		// And one for the execution plans.
		PlanCache: dynamic.NewPlanCache(planCacheBytes),
	}
	// env: secrets are read through getenv, which is os.Getenv in
	// production: an empty variable counts as unset.
	lookupEnv := func(k string) (string, bool) { v := getenv(k); return v, v != "" }
	// Tenants' upstreams resolve the secrets of their headers through the
	// cached tenant configuration once the registry serves the tenant, and
	// from their sources while it loads (to fetch the upstream's SDL).
	secretResolver := secrets.NewResolver(lookupEnv)
	var tenantConfigs *tenantcfg.Resolver
	guard := &upstream.Guard{AllowPrivate: cfg.UpstreamAllowPrivate}
	reg, err := loader.New(loader.Options{
		Dir: cfg.TenantsDir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return res.NewExecutable(s)
		},
		NewHandler: func(schemaHash string, es graphql.ExecutableSchema) http.Handler {
			opts := gateway.HandlerOptions{
				Logger:           logger,
				ParserTokenLimit: cfg.ParserTokenLimit,
				Suggestions:      cfg.SuggestionsOn(),
				ExposeCost:       cfg.ExposeCost,
				Tracing:          tracing.GraphQLExtension(),
				RateLimiter:      rl,
				Observer:         observer,
				QueryCacheCounts: &documents,
			}
			if cfg.RedisURL != "" {
				// Persisted queries are shared by the replicas, per schema.
				opts.PersistedQueries = c.QueryCache("apq:" + schemaHash)
			}
			opts.PersistedQueryCounts = &apq
			return gateway.NewGraphQLHandler(es, opts)
		},
		Logger:      logger,
		Limits:      cfg.Limits,
		MaxViews:    cfg.MaxViews,
		MaxResident: cfg.MaxResidentTenants,
		IdleTimeout: cfg.ResidentIdleTimeout,
		Guard:       guard,
		OnLoad:      onLoad,
		NewUpstream: func(tenantID string, secretRefs map[string]string, name string, spec upstream.Spec) (*upstream.Client, error) {
			return upstream.New(name, spec, upstream.Options{
				Guard:     guard,
				Logger:    logger.With("tenant", tenantID),
				RequestID: gateway.RequestIDFrom,
				Secret: func(ctx context.Context, secret string) (string, error) {
					return tenantcfg.Secret(ctx, tenantConfigs, secretResolver, tenantID, secret, secretRefs[secret])
				},
				TracerProvider: tracing.Provider(),
			})
		},
	})
	if err != nil {
		return fmt.Errorf("load tenants: %w", err)
	}
	defer reg.Close() // stops evicting idle tenants

	tenantConfigs = tenantcfg.New(reg, secretResolver, c, logger)
	verifier, err := auth.NewVerifierWithOptions(authCfg, auth.VerifierOptions{
		Issuers: tenantConfigs,
		RolesClaim: func(tenantID string) string {
			e, ok := reg.Entry(tenantID)
			if !ok {
				return authz.DefaultRolesClaim
			}
			return e.Config.Authorization.ClaimName()
		},
		TokenCacheSize: tokenCacheSize,
		Logger:         logger,
	})
	if err != nil {
		return fmt.Errorf("token verification: %w", err)
	}
	if metrics != nil {
		sources := telemetry.Sources{
			Refusals: &refusals, Cache: c, RateLimiter: rl, Tokens: verifier,
			Documents: &documents, PersistedQueries: &apq, Tenants: reg,
		}
		if pg, ok := st.(*store.Postgres); ok {
			sources.Pool = pg
		}
		if err := metrics.Register(sources); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if cfg.Watch {
		go func() {
			if err := reg.Watch(ctx, nil); err != nil {
				logger.Error("tenants will not be reloaded on change", "error", err)
			}
		}()
	}
	go reloadOnHangup(ctx, reg)
	// Tenants compile on their first request; compile them ahead of it,
	// up to TENANTGRAPH_MAX_RESIDENT_TENANTS, to report broken tenants
	// early. In dev mode, before the banner, which lists only tenants that
	// compile; otherwise in the background, so that start-up reads the
	// tenants directory only, however many tenants it holds.
	if cfg.DevMode() {
		reg.Preload(ctx)
	} else {
		go reg.Preload(ctx)
	}

	var devTokens []graphiql.DevToken
	adminToken := cfg.AdminToken
	if cfg.DevMode() {
		if devTokens, err = signDevTokens(authCfg, reg); err != nil {
			return err
		}
		if adminToken == "" {
			adminToken = rand.Text()
			cfg.AdminToken = adminToken // so that the start-up log says the endpoint is served
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if metrics != nil {
		msrv, err := serveMetrics(ctx, cfg.MetricsAddr, metrics, logger)
		if err != nil {
			return err
		}
		// After the API's shutdown below, so that a last scrape sees its
		// last requests.
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
			defer cancel()
			msrv.Shutdown(sctx)
		}()
	}
	const assetsPath = "/graphiql/"
	srv := &http.Server{
		Handler: gateway.New(gateway.Options{
			Registry:     reg,
			Store:        st,
			Auth:         verifier.Middleware,
			Logger:       logger,
			MaxBodyBytes: cfg.MaxBodyBytes,
			GraphiQL: graphiql.Handler(graphiql.Options{
				Title:      "tenantgraph",
				Endpoint:   "/graphql",
				AssetsPath: assetsPath,
				DevTokens:  devTokens,
			}),
			Assets:     graphiql.Assets(),
			AssetsPath: assetsPath,
			AdminToken: adminToken,
			Refresh: func(ctx context.Context, tenantID string) error {
				verifier.PurgeTenantTokens(tenantID)
				return tenantConfigs.Refresh(ctx, tenantID)
			},
			Cache:          c,
			CORSOrigins:    cfg.CORSOrigins,
			CORSHeaders:    cfg.CORSHeaders,
			Share:          fairshare.New(cfg.MaxInFlight),
			QueueTimeout:   cfg.QueueTimeout,
			TracerProvider: tracing.Provider(),
			RateLimiter:    rl,
			Refusals:       &refusals,
			Observer:       observer,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	url := baseURL(ln.Addr())
	if cfg.DevMode() {
		logs.Flush() // the lines logged so far come before the banner
		printDevBanner(stdout, url, devTokens, adminToken)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "graphiql", url, "config", cfg)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// serveMetrics serves m at /metrics on addr, apart from the API, until it
// is shut down.
func serveMetrics(ctx context.Context, addr string, m *telemetry.Metrics, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TENANTGRAPH_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics are no longer served", "error", err)
		}
	}()
	logger.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	return srv, nil
}

// defaultShare is a tenant's share of concurrent requests and store
// connections when TENANTGRAPH_TENANT_MAX_CONCURRENT is not set: half of
// the CPUs, and no more than half of Postgres's connection pool
// (pool_max_conns), at least one. A tenant that floods the gateway then
// leaves the other half of both to the others.
func defaultShare(st store.Store) int {
	n := runtime.GOMAXPROCS(0) / 2
	if pg, ok := st.(*store.Postgres); ok {
		n = min(n, pg.PoolSize()/2)
	}
	return max(1, n)
}

// authConfig is the token verification part of cfg.
func authConfig(cfg config.Config) (auth.Config, error) {
	ac := auth.Config{
		Algorithm:   cfg.JWTAlg,
		Secret:      cfg.JWTSecret,
		Issuer:      cfg.JWTIssuer,
		Audience:    cfg.JWTAudience,
		TenantClaim: cfg.JWTTenantClaim,
		ScopesClaim: cfg.JWTScopesClaim,
		MaxTTL:      cfg.JWTMaxTTL,
	}
	if cfg.JWTPublicKeyFile != "" {
		pem, err := os.ReadFile(cfg.JWTPublicKeyFile)
		if err != nil {
			return ac, fmt.Errorf("JWT_PUBLIC_KEY_FILE: %w", err)
		}
		ac.PublicKeyPEM = pem
	}
	return ac, nil
}

// openStore opens Postgres when DATABASE_URL is set (migrating it through
// DATABASE_MIGRATION_URL, if set), the in-memory store otherwise.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger, tracing *telemetry.Tracing) (store.Store, error) {
	if cfg.DatabaseURL == "" {
		return store.NewMemory(logger), nil
	}
	pg, err := store.OpenPostgresWithOptions(ctx, cfg.DatabaseURL, store.PostgresOptions{
		Logger: logger, Tracer: tracing.PgxTracer(), MigrationURL: cfg.DatabaseMigrationURL,
	})
	if errors.Is(err, store.ErrMigrationURLRequired) {
		return nil, fmt.Errorf("open database: %w; set DATABASE_MIGRATION_URL to a connection string that reaches Postgres directly, as the owner of the table goods", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return pg, nil
}

// openCache opens the cache of resolved tenant configuration and secrets:
// in process, and in Redis when REDIS_URL is set.
func openCache(ctx context.Context, cfg config.Config, logger *slog.Logger, tracing *telemetry.Tracing) (*cache.Cache, error) {
	cc := cache.Config{Logger: logger, KeyPrefix: cfg.RedisPrefix, LocalTTL: cfg.CacheLocalTTL, RedisHooks: tracing.RedisHooks()}
	if cfg.RedisURL != "" {
		opts, err := cache.ParseRedisURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		key, err := cache.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("TENANTGRAPH_MASTER_KEY: %w", err)
		}
		sealer, err := cache.NewSealer(key)
		if err != nil {
			return nil, fmt.Errorf("TENANTGRAPH_MASTER_KEY: %w", err)
		}
		cc.Redis, cc.Sealer = opts, sealer
		// go-redis logs failed dials to stderr on its own; route them
		// through slog, at debug: the cache reports outages itself.
		redis.SetLogger(cache.RedisLogger{Logger: logger, Level: slog.LevelDebug})
	}
	c, err := cache.New(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	return c, nil
}

// openRateLimiter opens the tenants' rate limits: shared by the replicas
// through Redis when REDIS_URL is set, in process otherwise.
func openRateLimiter(cfg config.Config, logger *slog.Logger, tracing *telemetry.Tracing) (*ratelimit.Limiter, error) {
	opts := ratelimit.Options{KeyPrefix: cfg.RedisPrefix + "ratelimit:", Logger: logger, RedisHooks: tracing.RedisHooks()}
	if cfg.RedisURL != "" {
		ro, err := cache.ParseRedisURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		opts.Redis = ro
	}
	l, err := ratelimit.New(opts)
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	return l, nil
}

// baseURL is the URL a local browser reaches addr at.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// reloadOnHangup reloads the tenants on SIGHUP, until ctx is done.
func reloadOnHangup(ctx context.Context, reg *loader.Registry) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reg.Reload() // logs what it does
		}
	}
}
