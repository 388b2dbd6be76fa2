package ratelimit

import (
	"context"
	"strings"

	"github.com/go-redis/redis_rate/v10"
)

// probeTenant names the bucket the probe reads. It is not a tenant ID
// (those begin with a letter or digit), so it is no tenant's bucket.
const probeTenant = "_probe"

// key returns the name under which redis_rate keeps the bucket of tenant
// and bucket, without the "rate:" that redis_rate puts in front. The
// braces make the tenant a hash tag: with Redis Cluster, a tenant's
// buckets share a slot.
func (l *Limiter) key(tenant, bucket string) string {
	return l.opts.KeyPrefix + "{" + escape(tenant) + "}:" + escape(bucket)
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

// escape returns s with every byte other than ASCII letters, digits, '_',
// '.' and '-' written as %XX, as package cache writes a namespace in a
// key: a tenant ID (which has none of those bytes) stays as it is, and
// nothing can put a brace or a colon into a key.
func escape(s string) string {
	i := 0
	for i < len(s) && safe(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if ch := s[i]; safe(ch) {
			b.WriteByte(ch)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[ch>>4])
			b.WriteByte(hexDigits[ch&15])
		}
	}
	return b.String()
}

func safe(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_' || ch == '.' || ch == '-'
}

// gcraLimit is a limits.Rate as both levels take it.
type gcraLimit struct {
	redis redis_rate.Limit
	local gcra
}
