package ratelimit

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures a Limiter. The zero value of a field means its
// default; the zero Options limits in process only.
type Options struct {
	// Redis is the Redis shared by every replica: a single server,
	// Sentinel or Cluster, as redis.NewUniversalClient reads it
	// (cache.ParseRedisURL makes one from REDIS_URL). Nil means no Redis:
	// each replica limits in process, at the full rate. Default nil.
	//
	// The Limiter makes a client of its own from a copy of these options,
	// with its own timeouts and retries (see OpTimeout) and
	// ContextTimeoutEnabled set, so that a slow or dead Redis costs a
	// request a bounded time.
	Redis *redis.UniversalOptions

	// RedisHooks are added to the Redis client, such as the tracing hook
	// of telemetry.NewRedisHook. Default none.
	RedisHooks []redis.Hook

	// KeyPrefix begins every key the Limiter names, after the "rate:"
	// that redis_rate puts in front of every key (see the package
	// documentation). It must not contain '{' or '}'.
	// Default "tenantgraph:ratelimit:".
	KeyPrefix string

	// OpTimeout bounds one Redis call of AllowN (the GCRA script), and of
	// the probe; it is also the dial, read, write and pool timeout of the
	// client. A frozen Redis costs a request at most this, and after
	// FailureThreshold such requests nothing. Default 50ms.
	OpTimeout time.Duration

	// FailureThreshold is the number of consecutive Redis failures after
	// which the Limiter stops asking Redis (Status reports degraded) and
	// decides in process until a probe succeeds. Failures of calls whose
	// own context ended are not counted. Default 3.
	FailureThreshold int

	// ProbeInterval is how often Redis is probed while degraded.
	// Default 500ms.
	ProbeInterval time.Duration

	// WarnInterval is how often a warning is logged while degraded.
	// Default 30s.
	WarnInterval time.Duration

	// MaxLocalBuckets bounds the buckets (tenant × bucket name) kept in
	// process. Buckets that have refilled completely are dropped as they
	// hold nothing; beyond the bound, the bucket nearest to full is
	// dropped, which lets its tenant start again from a full bucket.
	// Default 100000.
	MaxLocalBuckets int

	// Logger receives the Limiter's warnings. Default: discard.
	Logger *slog.Logger
}

// Defaults, as documented in Options.
const (
	defaultKeyPrefix        = "tenantgraph:ratelimit:"
	defaultOpTimeout        = 50 * time.Millisecond
	defaultFailureThreshold = 3
	defaultProbeInterval    = 500 * time.Millisecond
	defaultWarnInterval     = 30 * time.Second
	defaultMaxLocalBuckets  = 100_000
)

// withDefaults returns o with defaults in place of zero values, and every
// problem found, joined.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	dur := func(name string, d *time.Duration, def time.Duration) {
		switch {
		case *d == 0:
			*d = def
		case *d < 0:
			errs = append(errs, fmt.Errorf("%s is %v, want > 0", name, *d))
		}
	}
	num := func(name string, n *int, def int) {
		switch {
		case *n == 0:
			*n = def
		case *n < 0:
			errs = append(errs, fmt.Errorf("%s is %d, want > 0", name, *n))
		}
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = defaultKeyPrefix
	}
	if strings.ContainsAny(o.KeyPrefix, "{}") {
		errs = append(errs, fmt.Errorf("KeyPrefix %q contains '{' or '}'", o.KeyPrefix))
	}
	dur("OpTimeout", &o.OpTimeout, defaultOpTimeout)
	num("FailureThreshold", &o.FailureThreshold, defaultFailureThreshold)
	dur("ProbeInterval", &o.ProbeInterval, defaultProbeInterval)
	dur("WarnInterval", &o.WarnInterval, defaultWarnInterval)
	num("MaxLocalBuckets", &o.MaxLocalBuckets, defaultMaxLocalBuckets)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("ratelimit: invalid options: %w", errors.Join(errs...))
	}
	return o, nil
}

// LogValue implements slog.LogValuer: the settings, without credentials.
func (o Options) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Bool("redis", o.Redis != nil),
		slog.String("prefix", o.KeyPrefix),
		slog.Duration("op_timeout", o.OpTimeout),
		slog.Int("failure_threshold", o.FailureThreshold),
		slog.Int("max_local_buckets", o.MaxLocalBuckets),
	}
	if o.Redis != nil {
		attrs = append(attrs, slog.Any("redis_addrs", o.Redis.Addrs))
	}
	return slog.GroupValue(attrs...)
}
