package gateway

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// Observer is told what the gateway serves, for its metrics
// (telemetry.Metrics is one). Its methods are called on the path of
// requests, concurrently, and must be cheap.
type Observer interface {
	// ObserveRequest is called once per request, when its access log
	// line is written. tenant is the ID of a tenant of the registry, or
	// "" (no token, or a token of an unknown tenant); opType is "query",
	// "mutation" or "subscription", or "" when no operation ran (the
	// request was refused or failed before); code is the request's
	// refusal code, else the code of the first error its client was
	// shown, else "" for a success.
	ObserveRequest(tenant, opType string, code apperr.Code, d time.Duration)
	// ObserveError is called for each error the error presenter shows a
	// client, with its extensions.code.
	ObserveError(code string)
}

// observeRequest tells observer of the request of rl, which ended with
// the given status, refusal code and first error code.
func observeRequest(observer Observer, known func(string) bool, rl *requestLog, status int, refusal, errCode apperr.Code, d time.Duration) {
	tenant := rl.tenant
	if tenant != "" && (known == nil || !known(tenant)) {
		// Any token signed with the gateway's key may name a tenant: only
		// the registry's become label values.
		tenant = ""
	}
	code := refusal
	if code == "" {
		code = errCode
	}
	if code == "" && status >= http.StatusBadRequest {
		code = statusCode(status)
	}
	observer.ObserveRequest(tenant, rl.opType, code, d)
}

// statusCode is the code of an error answered with status before GraphQL
// execution, where the access log does not learn the code itself (token
// verification, the transports, the body cap, the router).
func statusCode(status int) apperr.Code {
	switch status {
	case http.StatusUnauthorized:
		return apperr.Unauthenticated
	case http.StatusForbidden:
		return apperr.Forbidden
	case http.StatusNotFound:
		return apperr.NotFound
	case http.StatusMethodNotAllowed:
		return apperr.MethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return apperr.PayloadTooLarge
	case http.StatusTooManyRequests:
		return apperr.RateLimited
	case http.StatusGatewayTimeout:
		return apperr.RequestTimeout
	case statusClientClosedRequest:
		return apperr.RequestCancelled
	}
	if status >= http.StatusInternalServerError {
		return apperr.Internal
	}
	return apperr.BadRequest
}

// CacheCounts counts the hits and misses of a cache, for metrics. The
// zero value is ready to use; its methods may be called concurrently.
type CacheCounts struct {
	hits, misses atomic.Uint64
}

// Hits returns the lookups that found their key so far.
func (c *CacheCounts) Hits() uint64 { return c.hits.Load() }

// Misses returns the lookups that did not find their key so far.
func (c *CacheCounts) Misses() uint64 { return c.misses.Load() }

// countingCache is a graphql.Cache that counts the hits and misses of the
// cache it wraps.
type countingCache[T any] struct {
	graphql.Cache[T]
	counts *CacheCounts
}

var _ graphql.Cache[string] = countingCache[string]{}

// counted returns c counted in counts, or c itself if counts is nil.
func counted[T any](c graphql.Cache[T], counts *CacheCounts) graphql.Cache[T] {
	if counts == nil {
		return c
	}
	return countingCache[T]{c, counts}
}

// Get implements graphql.Cache.
func (c countingCache[T]) Get(ctx context.Context, key string) (T, bool) {
	v, ok := c.Cache.Get(ctx, key)
	if ok {
		c.counts.hits.Add(1)
	} else {
		c.counts.misses.Add(1)
	}
	return v, ok
}
