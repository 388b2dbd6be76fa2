// Package ratelimit limits the rate at which each tenant spends its
// budgets, such as requests and operation cost, across every replica of
// the gateway.
//
// A Limiter keeps one bucket per tenant and bucket name in Redis and runs
// the generic cell rate algorithm (GCRA) on it with redis_rate's Lua
// script, so every replica draws from one budget and the decision is one
// round trip. A limits.Rate{Requests, Per, Burst} is a bucket of Burst
// units (Requests when zero) that refills at Requests per Per:
//
//	redisOpts, err := cache.ParseRedisURL(os.Getenv("REDIS_URL"))
//	l, err := ratelimit.New(ratelimit.Options{Redis: redisOpts, Logger: logger})
//	defer l.Close()
//
//	// Per request, once the tenant is known:
//	res := l.AllowN(ctx, tenantID, "requests", lim.Rate, 1)
//	res.Headers(w.Header(), "requests", lim.Rate)
//	if !res.Allowed {
//		// 429 RATE_LIMITED (res.RetryAfter -1: the request can never pass)
//	}
//	// Per operation, once its cost is known:
//	costRate := limits.Rate{Requests: lim.CostPerMinute, Per: time.Minute}
//	res = l.AllowN(ctx, tenantID, "cost", costRate, cost)
//
// # Without Redis
//
// A Limiter never fails closed because Redis is away. Each Redis call is
// bounded by Options.OpTimeout (50ms by default) and by the caller's
// context; after Options.FailureThreshold consecutive failures a breaker
// opens, and the Limiter sends nothing to Redis until a background probe
// (every Options.ProbeInterval) runs the script again. Meanwhile, and for
// every call that fails, the decision is made in process by the same
// algorithm with the same rate (Result.Local), Status reports degraded,
// and the log says so once when it begins, once per Options.WarnInterval
// while it lasts, and once when it ends. Without Redis (Options.Redis
// nil) every decision is made in process.
//
// A decision in process holds for one replica only: while limiting in
// process, each replica allows the full rate, so N replicas allow up to N
// times the rate; a tenant's buckets start full on each replica when the
// outage begins, and what was taken in process is not carried back to
// Redis when it ends. The in-process level holds at most
// Options.MaxLocalBuckets buckets; full buckets hold nothing and are
// dropped.
//
// # Redis keys
//
// redis_rate puts "rate:" in front of every key it is given, so under
// Options.KeyPrefix (<prefix>), with a tenant ID and a bucket name written
// with every byte other than ASCII letters, digits, '_', '.' and '-' as
// %XX (tenant IDs have none), a bucket lives at
//
//	rate:<prefix>{<tenant>}:<bucket>    the bucket's theoretical arrival time; TTL: until the bucket is full again
//
// The braces make the tenant a hash tag: with Redis Cluster, a tenant's
// buckets share a slot. A bucket's key expires when the bucket is full
// again, so an idle tenant has no keys. A Redis user restricted by ACL
// key patterns needs ~rate:<prefix>* and permission to run EVALSHA and
// EVAL.
package ratelimit
