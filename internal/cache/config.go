package cache

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Cache. The zero value of a field means its default.
type Config struct {
	// Redis is the shared level: a single server, Sentinel or Cluster,
	// as redis.NewUniversalClient reads it (ParseRedisURL makes one from
	// REDIS_URL). Nil means no Redis: the cache lives in process only.
	//
	// The cache overrides the options' timeouts and retries with its own
	// (see OpTimeout and DialTimeout) and sets ContextTimeoutEnabled, so
	// that a slow or dead Redis costs a bounded time. Default nil.
	Redis *redis.UniversalOptions

	// RedisHooks are added to the Redis client, such as the tracing hook
	// of telemetry.NewRedisHook. Default none.
	RedisHooks []redis.Hook

	// Sealer seals every value the Cache writes to Redis. Required with
	// Redis.
	Sealer *Sealer

	// KeyPrefix begins every Redis key and the invalidation channel, so
	// several deployments (or tests) can share a Redis. It must not
	// contain '{' or '}'. Default "tenantgraph:cache:".
	KeyPrefix string

	// LocalTTL is how long a value stays fresh in process before it is
	// read again from Redis. Without Redis, the in-process level keeps
	// values for RedisTTL instead. Default 5s.
	LocalTTL time.Duration

	// RedisTTL is how long a value lives in Redis, varied by TTLJitter.
	// Default 10m.
	RedisTTL time.Duration

	// TTLJitter varies each RedisTTL at random by up to this fraction
	// either way, so entries written together do not expire together.
	// Default 0.1 (10 min ± 10%); negative means none. At most 0.5.
	TTLJitter float64

	// NegativeTTL is how long the answer that a value does not exist
	// (ErrNotFound from a load) is kept, in Redis and in process (in
	// process for at most LocalTTL when there is Redis). Default 30s.
	NegativeTTL time.Duration

	// MaxStale is how long past its freshness an in-process copy may
	// still be served while Redis cannot be reached, before the value is
	// loaded from the source again. Negative means never. Default 5m.
	MaxStale time.Duration

	// MaxEntries bounds the number of values kept in process; when full,
	// an arbitrary entry is evicted. Default 100000.
	MaxEntries int

	// LoadTimeout bounds a resolution (Redis and the load function). A
	// resolution is shared by every caller asking for the value, so it
	// is not bound by any one caller's context. Default 10s.
	LoadTimeout time.Duration

	// OpTimeout bounds each Redis command, or pipeline of commands, of a
	// resolution or invalidation; it is also the read, write and pool
	// timeout of the Redis client. Default 75ms.
	OpTimeout time.Duration

	// DialTimeout bounds the connection to Redis. Default 100ms.
	DialTimeout time.Duration

	// FailureThreshold is the number of consecutive Redis failures after
	// which the cache stops sending commands to Redis (Status reports
	// degraded) until a probe succeeds. Default 3.
	FailureThreshold int

	// ProbeInterval is how often Redis is probed while degraded.
	// Default 1s.
	ProbeInterval time.Duration

	// WarnInterval is how often a warning is logged while degraded.
	// Default 30s.
	WarnInterval time.Duration

	// QueryTTL is how long an entry of a QueryCache lives, in Redis
	// (renewed on each read from Redis) and in process. Default 24h.
	QueryTTL time.Duration

	// QueryEntries bounds the entries each QueryCache keeps in process.
	// Default 1000.
	QueryEntries int

	// Logger receives the cache's warnings. Default: discard.
	Logger *slog.Logger
}

// Defaults, as documented in Config.
const (
	defaultKeyPrefix        = "tenantgraph:cache:"
	defaultLocalTTL         = 5 * time.Second
	defaultRedisTTL         = 10 * time.Minute
	defaultTTLJitter        = 0.1
	defaultNegativeTTL      = 30 * time.Second
	defaultMaxStale         = 5 * time.Minute
	defaultMaxEntries       = 100_000
	defaultLoadTimeout      = 10 * time.Second
	defaultOpTimeout        = 75 * time.Millisecond
	defaultDialTimeout      = 100 * time.Millisecond
	defaultFailureThreshold = 3
	defaultProbeInterval    = time.Second
	defaultWarnInterval     = 30 * time.Second
	defaultQueryTTL         = 24 * time.Hour
	defaultQueryEntries     = 1000
)

// withDefaults returns cfg with defaults in place of zero values, and
// every problem found, joined.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	dur := func(name string, d *time.Duration, def time.Duration, negativeOK bool) {
		switch {
		case *d == 0:
			*d = def
		case *d < 0 && !negativeOK:
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
	if cfg.Redis != nil && cfg.Sealer == nil {
		errs = append(errs, errors.New("Sealer is required with Redis"))
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = defaultKeyPrefix
	}
	if strings.ContainsAny(cfg.KeyPrefix, "{}") {
		errs = append(errs, fmt.Errorf("KeyPrefix %q contains '{' or '}'", cfg.KeyPrefix))
	}
	dur("LocalTTL", &cfg.LocalTTL, defaultLocalTTL, false)
	dur("RedisTTL", &cfg.RedisTTL, defaultRedisTTL, false)
	switch {
	case cfg.TTLJitter == 0:
		cfg.TTLJitter = defaultTTLJitter
	case cfg.TTLJitter < 0:
		cfg.TTLJitter = 0
	case cfg.TTLJitter > 0.5:
		errs = append(errs, fmt.Errorf("TTLJitter is %v, want at most 0.5", cfg.TTLJitter))
	}
	dur("NegativeTTL", &cfg.NegativeTTL, defaultNegativeTTL, false)
	dur("MaxStale", &cfg.MaxStale, defaultMaxStale, true)
	if cfg.MaxStale < 0 {
		cfg.MaxStale = 0
	}
	num("MaxEntries", &cfg.MaxEntries, defaultMaxEntries)
	dur("LoadTimeout", &cfg.LoadTimeout, defaultLoadTimeout, false)
	dur("OpTimeout", &cfg.OpTimeout, defaultOpTimeout, false)
	dur("DialTimeout", &cfg.DialTimeout, defaultDialTimeout, false)
	num("FailureThreshold", &cfg.FailureThreshold, defaultFailureThreshold)
	dur("ProbeInterval", &cfg.ProbeInterval, defaultProbeInterval, false)
	dur("WarnInterval", &cfg.WarnInterval, defaultWarnInterval, false)
	dur("QueryTTL", &cfg.QueryTTL, defaultQueryTTL, false)
	num("QueryEntries", &cfg.QueryEntries, defaultQueryEntries)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("cache: invalid config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// LogValue implements slog.LogValuer: the settings, without credentials
// or keys.
func (cfg Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Bool("redis", cfg.Redis != nil),
		slog.String("prefix", cfg.KeyPrefix),
		slog.Duration("local_ttl", cfg.LocalTTL),
		slog.Duration("redis_ttl", cfg.RedisTTL),
		slog.Duration("negative_ttl", cfg.NegativeTTL),
		slog.Duration("max_stale", cfg.MaxStale),
		slog.Duration("op_timeout", cfg.OpTimeout),
	}
	if cfg.Redis != nil {
		attrs = append(attrs, slog.Any("redis_addrs", cfg.Redis.Addrs))
	}
	return slog.GroupValue(attrs...)
}

// ParseRedisURL returns the options of the Redis that rawURL names, for
// Config.Redis (and ratelimit.Options.Redis). It reads go-redis's three
// URL forms, by the parameters present:
//
//   - a single server: redis://user:password@host:6379/0, or rediss://
//     for TLS (see redis.ParseURL);
//   - a Redis Cluster, when an addr parameter names more nodes:
//     redis://user:password@host1:6379?addr=host2:6379&addr=host3:6379
//     (see redis.ParseClusterURL). Host and addr are seed nodes; the
//     client learns the others from the cluster. A cluster has database 0
//     only;
//   - Redis Sentinel, when a master_name parameter names the master:
//     redis://sentinel1:26379?master_name=mymaster&addr=sentinel2:26379&password=...
//     (see redis.ParseFailoverURL). Host and addr are Sentinels, the URL's
//     user information authenticates with them, and the username and
//     password parameters with the master and its replicas.
//
// Options that read from replicas (read_only, route_by_latency,
// route_randomly, replica_only) are refused: the cache and the rate
// limits read what they have just written. Errors do not quote the URL,
// and so no password.
func ParseRedisURL(rawURL string) (*redis.UniversalOptions, error) {
	o, err := parseRedisURL(rawURL)
	if err != nil {
		// A *url.Error quotes the URL, and with it any password.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cache: invalid Redis URL: %w", err)
	}
	o.ContextTimeoutEnabled = true
	return o, nil
}

// errReplicaReads is returned for URL options that send reads to replicas.
var errReplicaReads = errors.New("read_only, route_by_latency, route_randomly and replica_only are not supported: replicas lag behind the writes the cache and the rate limits read back")

// parseRedisURL is ParseRedisURL without the clean-up of its errors.
func parseRedisURL(rawURL string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, err
		}
		if o.RouteByLatency || o.RouteRandomly || o.ReplicaOnly {
			return nil, errReplicaReads
		}
		return &redis.UniversalOptions{
			MasterName:       o.MasterName,
			Addrs:            o.SentinelAddrs,
			SentinelUsername: o.SentinelUsername,
			SentinelPassword: o.SentinelPassword,
			ClientName:       o.ClientName,
			DB:               o.DB,
			Protocol:         o.Protocol,
			Username:         o.Username,
			Password:         o.Password,
			PoolSize:         o.PoolSize,
			MinIdleConns:     o.MinIdleConns,
			MaxIdleConns:     o.MaxIdleConns,
			MaxActiveConns:   o.MaxActiveConns,
			ConnMaxIdleTime:  o.ConnMaxIdleTime,
			ConnMaxLifetime:  o.ConnMaxLifetime,
			TLSConfig:        o.TLSConfig,
			DisableIdentity:  o.DisableIdentity,
			IdentitySuffix:   o.IdentitySuffix,
		}, nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, err
		}
		// ParseClusterURL ignores a path; a database other than 0 would
		// be lost without a word.
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, fmt.Errorf("database %q: a Redis Cluster has database 0 only", p)
		}
		if o.ReadOnly || o.RouteByLatency || o.RouteRandomly {
			return nil, errReplicaReads
		}
		return &redis.UniversalOptions{
			IsClusterMode:   true,
			Addrs:           o.Addrs,
			ClientName:      o.ClientName,
			Protocol:        o.Protocol,
			Username:        o.Username,
			Password:        o.Password,
			MaxRedirects:    o.MaxRedirects,
			PoolSize:        o.PoolSize,
			MinIdleConns:    o.MinIdleConns,
			MaxIdleConns:    o.MaxIdleConns,
			MaxActiveConns:  o.MaxActiveConns,
			ConnMaxIdleTime: o.ConnMaxIdleTime,
			ConnMaxLifetime: o.ConnMaxLifetime,
			TLSConfig:       o.TLSConfig,
		}, nil
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, err
		}
		return &redis.UniversalOptions{
			Addrs:           []string{o.Addr},
			ClientName:      o.ClientName,
			DB:              o.DB,
			Protocol:        o.Protocol,
			Username:        o.Username,
			Password:        o.Password,
			PoolSize:        o.PoolSize,
			MinIdleConns:    o.MinIdleConns,
			MaxIdleConns:    o.MaxIdleConns,
			MaxActiveConns:  o.MaxActiveConns,
			ConnMaxIdleTime: o.ConnMaxIdleTime,
			ConnMaxLifetime: o.ConnMaxLifetime,
			TLSConfig:       o.TLSConfig,
			DisableIdentity: o.DisableIdentity,
			IdentitySuffix:  o.IdentitySuffix,
		}, nil
	}
}
