package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgraph/tenantgraph/internal/breaker"
	"github.com/tenantgraph/tenantgraph/internal/redisclient"
)

// ErrNotFound is returned by a load function passed to Get (possibly
// wrapped) to say that the value does not exist. Get remembers that answer
// for Config.NegativeTTL and returns ErrNotFound itself.
var ErrNotFound = errors.New("cache: not found")

// ErrInvalidationQueued is wrapped in the error returned by Invalidate and
// InvalidateNamespace when Redis could not be told. The in-process copies
// are dropped already, and the cache retries the Redis part (deletion and
// notification of the other replicas) by itself once Redis answers again,
// before it uses Redis for anything else. The caller need not retry.
var ErrInvalidationQueued = errors.New("cache: redis unavailable, invalidation queued")

// LoadFunc resolves a value from its source, for Get. It returns an error
// wrapping ErrNotFound when the value does not exist.
type LoadFunc func(ctx context.Context) ([]byte, error)

// A Cache keeps resolved values at two levels: a short-lived copy in
// process in front of Redis, shared by every replica. Values are named by
// a namespace (such as a tenant ID) and a key within it; a namespace can be
// invalidated as a whole in O(1). Values written to Redis are sealed (see
// Sealer) and bound to their Redis key, and every Redis key has a TTL.
//
// When Redis is slow or down, each command costs at most
// Config.OpTimeout, and after Config.FailureThreshold consecutive failures
// the cache stops asking Redis until a background probe succeeds: Get
// then serves in-process copies, stale ones too within Config.MaxStale,
// or loads from the source. See Status.
//
// A Cache's methods may be called concurrently. Close stops it.
type Cache struct {
	cfg     Config
	rdb     redis.UniversalClient // nil without Redis
	local   *local
	group   group
	breaker *breaker.Breaker
	id      string // identifies this instance in invalidation messages
	since   time.Time

	pending pendingInvalidations

	stats stats // see Stats

	openFailures limiter // rate-limits the log of undecryptable entries
	subWarnings  limiter // rate-limits the log of subscription failures

	closeOnce sync.Once
	closed    atomic.Bool
	done      chan struct{}
	wg        sync.WaitGroup
	subMu     sync.Mutex
	sub       *redis.PubSub
}

// New returns a Cache configured by cfg, and starts its background work:
// subscribing to invalidations from other replicas, probing Redis while
// it is unavailable, and removing expired in-process copies. New waits,
// within ctx and at most a second, for Redis to confirm the subscription,
// so that invalidations published after New returns reach this instance.
// A Redis that does not confirm in time is not an error: the cache starts
// degraded and recovers by itself. New fails only for an invalid cfg.
func New(ctx context.Context, cfg Config) (*Cache, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Redis == nil {
		// The in-process level is the only one: let it hold values as
		// long as Redis would, never stale.
		cfg.LocalTTL = cfg.RedisTTL
		cfg.MaxStale = 0
	}
	c := &Cache{
		cfg:   cfg,
		local: newLocal(cfg.MaxEntries),
		breaker: breaker.New(breaker.Config{
			Name:         "cache",
			Fallback:     "serving from process memory and the source",
			Threshold:    cfg.FailureThreshold,
			WarnInterval: cfg.WarnInterval,
			Logger:       cfg.Logger,
		}),
		id:           strconv.FormatUint(rand.Uint64(), 36),
		since:        time.Now(),
		openFailures: limiter{interval: cfg.WarnInterval},
		subWarnings:  limiter{interval: cfg.WarnInterval},
		done:         make(chan struct{}),
	}
	if cfg.Redis != nil {
		c.rdb = redis.NewUniversalClient(redisclient.Bounded(cfg.Redis, cfg.OpTimeout, cfg.DialTimeout))
		for _, h := range cfg.RedisHooks {
			c.rdb.AddHook(h)
		}
		if err := c.startSubscription(ctx); err != nil {
			c.breaker.Trip(err)
		}
	}
	c.wg.Add(1)
	go c.monitor()
	return c, nil
}

// Get returns the value of key in namespace ns. In order, it returns a
// fresh in-process copy; else the value in Redis; else, while Redis cannot
// be reached, a stale in-process copy within Config.MaxStale; else what
// load returns, which it then stores in Redis and in process. Concurrent
// calls for the same value share one resolution, so a value is loaded
// once however many ask for it at once.
//
// The resolution runs with a context that carries ctx's values but not its
// cancellation, bounded by Config.LoadTimeout; Get returns early with
// ctx's error if ctx ends first. If load returns an error wrapping
// ErrNotFound, Get returns ErrNotFound, now and, for Config.NegativeTTL,
// without calling load again. Other errors of load are returned as they
// are and not remembered.
//
// The returned slice is the caller's to keep and modify. ns must not be
// empty.
func (c *Cache) Get(ctx context.Context, ns, key string, load LoadFunc) ([]byte, error) {
	if ns == "" {
		return nil, errors.New("cache: empty namespace")
	}
	if e, fresh := c.local.get(ns, key, time.Now()); fresh {
		c.stats.local.Add(1)
		return e.result()
	}
	f := c.group.do(flightKey{ns, key}, func() (*entry, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.LoadTimeout)
		defer cancel()
		return c.resolve(ctx, ns, key, load)
	})
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.panic != nil {
		panic(f.panic)
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.e.result()
}

// resolve finds the value of key in ns past the fresh in-process copy: in
// Redis, in a stale copy while Redis is unavailable, or from load.
func (c *Cache) resolve(ctx context.Context, ns, key string, load LoadFunc) (*entry, error) {
	// A resolution that overlaps an invalidation stores nothing: what it
	// read may predate the change.
	seq := c.local.seq()
	now := time.Now()
	stale, fresh := c.local.get(ns, key, now)
	if fresh {
		// Stored by a resolution that ended after this caller looked.
		return stale, nil
	}

	var gen string // the namespace's generation; "" when Redis is unavailable
	if c.rdb != nil {
		e, g, err := c.fetch(ctx, ns, key)
		switch {
		case err == nil && e != nil:
			c.stats.redis.Add(1)
			c.local.putIf(ns, key, e, seq)
			return e, nil
		case err == nil:
			gen = g
		case stale != nil && now.Before(stale.staleUntil):
			c.stats.stale.Add(1)
			return stale, nil
		}
	}

	c.stats.loads.Add(1)
	value, err := load(ctx)
	var e *entry
	switch {
	case err == nil:
		e = &entry{value: bytes.Clone(value)}
	case errors.Is(err, ErrNotFound):
		e = &entry{notFound: true}
	default:
		return nil, err
	}
	if c.local.seq() != seq {
		return e, nil
	}
	if gen != "" {
		c.store(ctx, ns, key, gen, e)
	}
	c.setLocalTimes(e, time.Now())
	c.local.putIf(ns, key, e, seq)
	return e, nil
}

// setLocalTimes sets how long e stays fresh, and servable, in process.
func (c *Cache) setLocalTimes(e *entry, now time.Time) {
	ttl := c.cfg.LocalTTL
	if c.rdb == nil {
		ttl = c.jitter(c.cfg.RedisTTL)
	}
	if e.notFound {
		ttl = min(ttl, c.cfg.NegativeTTL)
	}
	e.expires = now.Add(ttl)
	e.staleUntil = e.expires.Add(c.cfg.MaxStale)
}

// jitter returns d varied at random by up to Config.TTLJitter either way.
func (c *Cache) jitter(d time.Duration) time.Duration {
	if c.cfg.TTLJitter == 0 {
		return d
	}
	f := 1 + c.cfg.TTLJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// Invalidate drops keys of namespace ns, in this process, in Redis, and in
// every replica's process (through a message on the invalidation channel).
// Call it after changing the source of the values.
//
// If Redis cannot be reached, Invalidate returns an error wrapping
// ErrInvalidationQueued: see there. A resolution that is loading one of the
// keys in another replica while Invalidate runs may still store the old
// value in Redis; InvalidateNamespace has no such race.
func (c *Cache) Invalidate(ctx context.Context, ns string, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	c.local.delete(ns, keys)
	if c.rdb == nil || c.closed.Load() {
		return nil
	}
	inv := invalidation{ns: ns, keys: keys}
	if err := c.publish(ctx, []invalidation{inv}); err != nil {
		c.pending.add(inv)
		return fmt.Errorf("cache: invalidate keys of namespace %q: %w: %w", ns, ErrInvalidationQueued, err)
	}
	return nil
}

// InvalidateNamespace drops every value of namespace ns, in this process,
// in Redis and in every replica's process, in constant time: it gives the
// namespace a new generation in Redis, which makes the values stored under
// the old one unreachable (they expire by their TTL). Call it after
// changing the source of the values, for example when a tenant's
// configuration changed.
//
// If Redis cannot be reached, InvalidateNamespace returns an error
// wrapping ErrInvalidationQueued: see there.
func (c *Cache) InvalidateNamespace(ctx context.Context, ns string) error {
	c.local.deleteSpace(ns)
	if c.rdb == nil || c.closed.Load() {
		return nil
	}
	inv := invalidation{ns: ns, all: true}
	if err := c.publish(ctx, []invalidation{inv}); err != nil {
		c.pending.add(inv)
		return fmt.Errorf("cache: invalidate namespace %q: %w: %w", ns, ErrInvalidationQueued, err)
	}
	return nil
}

// Status reports the health of the cache's Redis level, for /readyz.
func (c *Cache) Status() Status {
	if c.rdb == nil {
		return Status{State: StateLocal, Since: c.since}
	}
	s := c.breaker.Status()
	if s.State == breaker.Open {
		return Status{State: StateDegraded, Since: s.Since, Err: s.Err}
	}
	return Status{State: StateOK, Since: s.Since}
}

// Close stops the background work and closes the connections to Redis.
// Get keeps working afterwards from process memory and the source, and
// the invalidations only in process.
func (c *Cache) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		c.subMu.Lock()
		if c.sub != nil {
			c.sub.Close()
		}
		c.subMu.Unlock()
		c.wg.Wait()
		if c.rdb != nil {
			err = c.rdb.Close()
		}
	})
	return err
}

// monitor runs until Close: it probes Redis while the cache is degraded,
// retries queued invalidations, warns at intervals and sweeps the
// in-process level.
func (c *Cache) monitor() {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.ProbeInterval)
	defer tick.Stop()
	sweepEvery := max(c.cfg.LocalTTL, time.Second)
	lastSweep := time.Now()
	for {
		select {
		case <-c.done:
			return
		case now := <-tick.C:
			if now.Sub(lastSweep) >= sweepEvery {
				c.local.sweep(now)
				lastSweep = now
			}
			if c.rdb == nil {
				continue
			}
			if !c.breaker.Allow() {
				c.probe()
				c.breaker.WarnIfDue(time.Now())
			} else if c.pending.len() > 0 {
				c.flushPending(context.Background())
			}
		}
	}
}

// probe asks Redis whether it answers again. If it does, the cache sends
// the invalidations it queued, and only then uses Redis again; in-process
// copies become stale, as invalidations may have been missed meanwhile.
func (c *Cache) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.OpTimeout)
	err := c.rdb.Ping(ctx).Err()
	cancel()
	if err == nil {
		err = c.flushPending(context.Background())
	}
	if err != nil {
		c.breaker.ProbeFailed(err)
		return
	}
	c.local.expireAll()
	c.breaker.Recover()
}
