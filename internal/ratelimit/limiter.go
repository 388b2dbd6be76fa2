package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgraph/tenantgraph/internal/breaker"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/redisclient"
)

// sweepInterval is how often the in-process level drops the buckets that
// are full again.
const sweepInterval = 10 * time.Second

// A Limiter decides whether a tenant may spend units of a budget, such as
// requests or operation cost, under a limits.Rate. With Redis the budget
// is shared by every replica (redis_rate's GCRA script); without Redis, or
// while Redis is unavailable, each replica decides in process with the
// same algorithm and the same rate.
//
// A Limiter's methods may be called concurrently. Close stops it.
type Limiter struct {
	opts    Options
	rdb     redis.UniversalClient // nil without Redis
	rrl     *redis_rate.Limiter   // nil without Redis
	local   *local
	breaker *breaker.Breaker
	since   time.Time

	closeOnce sync.Once
	closed    atomic.Bool
	done      chan struct{}
	wg        sync.WaitGroup
}

// New returns a Limiter configured by opts, and starts its background
// work: probing Redis while it is unavailable (and once at start), and
// dropping in-process buckets that are full again. New does not wait for
// Redis: a Redis that does not answer is not an error; the Limiter starts
// degraded and recovers by itself. New fails only for invalid opts.
func New(opts Options) (*Limiter, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Limiter{
		opts:  opts,
		local: newLocal(opts.MaxLocalBuckets),
		breaker: breaker.New(breaker.Config{
			Name:         "ratelimit",
			Fallback:     "limiting in process, each replica at the full rate",
			Restored:     "limits are shared again",
			Threshold:    opts.FailureThreshold,
			WarnInterval: opts.WarnInterval,
			Logger:       opts.Logger,
		}),
		since: time.Now(),
		done:  make(chan struct{}),
	}
	if opts.Redis != nil {
		l.rdb = redis.NewUniversalClient(redisclient.Bounded(opts.Redis, opts.OpTimeout, opts.OpTimeout))
		for _, h := range opts.RedisHooks {
			l.rdb.AddHook(h)
		}
		l.rrl = redis_rate.NewLimiter(l.rdb)
	}
	l.wg.Add(1)
	go l.monitor()
	return l, nil
}

// Result is the outcome of AllowN.
type Result struct {
	// Allowed reports whether the n units were granted (and taken).
	Allowed bool
	// Remaining is the number of units the bucket holds now, after the
	// units taken if Allowed.
	Remaining int
	// RetryAfter is, when Allowed is false, how long until n units will be
	// available; -1 when n exceeds the burst, so that they never will. It
	// is 0 when Allowed is true.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again, if nothing
	// more is taken from it.
	ResetAfter time.Duration
	// Local reports that the decision was made in process: no Redis is
	// configured, or Redis is unavailable. Such a decision holds for this
	// replica only.
	Local bool
}

// AllowN takes n units from the bucket named bucket (such as "requests"
// or "cost") of tenant under the limit r, if it holds them, and reports
// whether it did. A bucket holds up to r.BurstOrRequests() units and
// refills at r.Requests units per r.Per; a Limiter keeps no other state,
// so a tenant whose limit changes keeps its bucket.
//
// n larger than the burst is refused without taking anything, with
// RetryAfter -1: no wait will make it pass. n of 0 takes nothing and
// reports the bucket's state. A negative n counts as 0. The zero Rate (no
// limit), or one with a non-positive Requests or Per, allows everything
// and returns Result{Allowed: true} without asking Redis.
//
// AllowN never fails for a Redis problem: the Redis call is bounded by
// Options.OpTimeout and by ctx, and when it fails, or while the breaker
// is open, the decision is made in process (Result.Local). That cannot
// fail closed for every tenant, but while it lasts each replica allows the
// full rate, so N replicas allow up to N times the rate. Failures of a
// call whose ctx ended are not held against Redis.
func (l *Limiter) AllowN(ctx context.Context, tenant, bucket string, r limits.Rate, n int) Result {
	if r.Requests <= 0 || r.Per <= 0 {
		return Result{Allowed: true}
	}
	g := limitOf(r)
	n = max(n, 0)
	if l.rdb != nil && l.breaker.Allow() && !l.closed.Load() {
		res, err := l.allowRedis(ctx, tenant, bucket, g, n)
		if err == nil {
			l.breaker.Record(ctx, nil)
			return res
		}
		if !l.closed.Load() {
			l.breaker.Record(ctx, err)
		}
	}
	return l.local.allowN(tenant, bucket, g.local, n)
}

// limitOf returns r in the terms of both levels. r.Requests and r.Per are
// positive.
func limitOf(r limits.Rate) gcraLimit {
	burst := r.Burst
	if burst <= 0 {
		burst = r.Requests
	}
	return gcraLimit{
		redis: redis_rate.Limit{Rate: r.Requests, Period: r.Per, Burst: burst},
		local: gcra{emission: float64(r.Per) / float64(r.Requests), burst: burst},
	}
}

// Status reports the health of the Limiter's shared level, for /readyz.
func (l *Limiter) Status() Status {
	if l.rdb == nil {
		return Status{State: StateLocal, Since: l.since}
	}
	s := l.breaker.Status()
	if s.State == breaker.Open {
		return Status{State: StateDegraded, Since: s.Since, Err: s.Err}
	}
	return Status{State: StateRedis, Since: s.Since}
}

// Close stops the background work and closes the connections to Redis.
// AllowN keeps working afterwards, in process.
func (l *Limiter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		close(l.done)
		l.wg.Wait()
		if l.rdb != nil {
			err = l.rdb.Close()
		}
	})
	return err
}

// monitor runs until Close: it probes Redis at start and while the
// breaker is open, warns at intervals while it is, and sweeps the
// in-process level.
func (l *Limiter) monitor() {
	defer l.wg.Done()
	if l.rdb != nil {
		if err := l.probe(); err != nil {
			l.breaker.Trip(err)
		}
	}
	tick := time.NewTicker(l.opts.ProbeInterval)
	defer tick.Stop()
	lastSweep := time.Now()
	for {
		select {
		case <-l.done:
			return
		case now := <-tick.C:
			if now.Sub(lastSweep) >= sweepInterval {
				l.local.sweep()
				lastSweep = now
			}
			if l.rdb == nil || l.breaker.Allow() {
				continue
			}
			if err := l.probe(); err != nil {
				l.breaker.ProbeFailed(err)
				l.breaker.WarnIfDue(time.Now())
				continue
			}
			l.breaker.Recover()
		}
	}
}
