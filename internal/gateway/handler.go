package gateway

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/validation"
)

// HandlerOptions configure the GraphQL handler of one schema.
type HandlerOptions struct {
	// Logger receives internal errors and panics. Default: slog.Default().
	Logger *slog.Logger
	// ParserTokenLimit bounds the tokens of a query document; zero means
	// 15000.
	ParserTokenLimit int
	// QueryCacheSize is the number of parsed and validated documents kept;
	// zero means 1000.
	QueryCacheSize int
	// PersistedQueries keeps the query texts of automatic persisted
	// queries (Apollo's APQ), by hash. Its keys must be scoped to the
	// schema. Nil means an in-process cache of QueryCacheSize entries.
	PersistedQueries graphql.Cache[string]
	// Suggestions lets errors of a request suggest names of the schema
	// ("Did you mean ...?") to tenants that allow introspection. False:
	// to no tenant.
	Suggestions bool
	// ExposeCost puts the static cost of every operation in its
	// response's extensions.cost.
	ExposeCost bool
	// RateLimiter charges each operation's cost to its tenant's budget of
	// Limits.CostPerMinute, across replicas. Nil: no cost budgets.
	RateLimiter *ratelimit.Limiter
	// Observer is told of every error shown to a client, for metrics.
	// Nil: no one is.
	Observer Observer
	// QueryCacheCounts counts the hits and misses of the query cache, and
	// PersistedQueryCounts those of PersistedQueries, for metrics; a
	// handler of each schema may share them. Nil: not counted.
	QueryCacheCounts, PersistedQueryCounts *CacheCounts
	// Tracing traces each operation: spans of its parsing and validation,
	// and its errors (telemetry.NewGraphQLTracer). If it has a method
	// TraceQueryCache (see queryCacheTracer), the handler's query cache
	// goes through it. Nil: no spans.
	Tracing graphql.HandlerExtension
}

// NewGraphQLHandler returns gqlgen's handler.Server for es, with the
// gateway's transports (POST and query-only GET), error presenter, panic
// recovery, parser token limit, automatic persisted queries, the tenant's
// limits (see operationLimits) and introspection policy, and a query cache
// of its own: a cached document points into the schema it was validated
// against, so a cache is never shared between schemas.
func NewGraphQLHandler(es graphql.ExecutableSchema, o HandlerOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ParserTokenLimit == 0 {
		o.ParserTokenLimit = 15000
	}
	if o.QueryCacheSize == 0 {
		o.QueryCacheSize = 1000
	}
	srv := handler.New(es)
	tc := &transportConfig{exposeCost: o.ExposeCost, rateLimiter: o.RateLimiter}
	srv.AddTransport(postTransport{tc})
	srv.AddTransport(getTransport{tc})
	queryCache := counted[*ast.QueryDocument](newLazyLRU[*ast.QueryDocument](o.QueryCacheSize), o.QueryCacheCounts)
	if t, ok := o.Tracing.(queryCacheTracer); ok {
		queryCache = t.TraceQueryCache(queryCache)
	}
	srv.SetQueryCache(queryCache)
	srv.SetParserTokenLimit(o.ParserTokenLimit)
	// gqlparser's rules, with those that grow faster than the document
	// replaced: with the limits checked first, validation stays cheap.
	srv.SetValidationRulesFn(validation.Rules)
	srv.SetErrorPresenter(observed(ErrorPresenter(o.Logger, o.Suggestions), o.Observer))
	srv.SetRecoverFunc(RecoverFunc(o.Logger))
	if o.PersistedQueries == nil {
		o.PersistedQueries = newLazyLRU[string](o.QueryCacheSize)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: counted(o.PersistedQueries, o.PersistedQueryCounts)})
	// After persisted queries, which fill in the query, and before
	// anything else looks at it.
	srv.Use(newOperationLimits(o.ParserTokenLimit, o.QueryCacheSize, o.ExposeCost))
	srv.Use(introspectionPolicy{})
	srv.Use(&strictVariables{})
	if o.Tracing != nil {
		srv.Use(o.Tracing)
	}
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			logOperation(ctx, op.Name, string(op.Operation))
		}
		return next(ctx)
	})
	return srv
}

// queryCacheTracer is a HandlerOptions.Tracing that needs to know which
// operations parsed and validated their document rather than found it in
// the query cache (telemetry.GraphQLTracer, which traces the parsing and
// validation of those only).
type queryCacheTracer interface {
	// TraceQueryCache returns the query cache c, wrapped.
	TraceQueryCache(c graphql.Cache[*ast.QueryDocument]) graphql.Cache[*ast.QueryDocument]
}

// observed returns present, which also records the code of each error it
// presents for the request's outcome, and tells observer, if not nil.
func observed(present graphql.ErrorPresenterFunc, observer Observer) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		var code string
		switch c := e.Extensions["code"].(type) {
		case string:
			code = c
		case apperr.Code:
			code = string(c)
		}
		logError(ctx, apperr.Code(code))
		if observer != nil {
			observer.ObserveError(code)
		}
		return e
	}
}
