package ratelimit

import (
	"context"

	"github.com/go-redis/redis_rate/v10"

	"github.com/tenantgraph/tenantgraph/internal/rediskey"
)

// probeTenant names the bucket the probe reads. It is not a tenant ID
// (those begin with a letter or digit), so it is no tenant's bucket.
const probeTenant = "_probe"

// key returns the name under which redis_rate keeps the bucket of tenant
// and bucket, without the "rate:" that redis_rate puts in front. The
// braces make the tenant a hash tag: with Redis Cluster, a tenant's
// buckets share a slot.
func (l *Limiter) key(tenant, bucket string) string {
	return l.opts.KeyPrefix + "{" + rediskey.Escape(tenant) + "}:" + rediskey.Escape(bucket)
}

// allowRedis runs redis_rate's GCRA script for n units of the bucket of
// tenant and bucket, bounded by OpTimeout and by ctx.
func (l *Limiter) allowRedis(ctx context.Context, tenant, bucket string, g gcraLimit, n int) (Result, error) {
	opCtx, cancel := context.WithTimeout(ctx, l.opts.OpTimeout)
	rr, err := l.rrl.AllowN(opCtx, l.key(tenant, bucket), g.redis, n)
	cancel()
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Allowed:    rr.Allowed > 0 || n == 0,
		Remaining:  rr.Remaining,
		ResetAfter: max(0, rr.ResetAfter),
	}
	if !res.Allowed {
		// The script answers 0 for a refusal; the bucket may hold fewer
		// than n units but more than none.
		res.Remaining = g.local.remaining(int64(res.ResetAfter))
		res.RetryAfter = max(0, rr.RetryAfter)
		if n > g.local.burst {
			res.RetryAfter = -1
		}
	}
	return res, nil
}

// probe asks Redis whether it runs the GCRA script again: it runs it for
// no units, which writes nothing, on a bucket of no tenant.
func (l *Limiter) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.OpTimeout)
	defer cancel()
	_, err := l.rrl.AllowN(ctx, l.key(probeTenant, "probe"), redis_rate.PerSecond(1), 0)
	return err
}

// gcraLimit is a limits.Rate as both levels take it.
type gcraLimit struct {
	redis redis_rate.Limit
	local gcra
}
