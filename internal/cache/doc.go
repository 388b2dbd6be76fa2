// Package cache keeps values that are expensive to resolve, such as a
// tenant's configuration and secrets, in process and in Redis, shared by
// every replica of the gateway.
//
// A Cache resolves a value through two levels: a short-lived in-process
// copy (Config.LocalTTL) in front of Redis (Config.RedisTTL), and loads it
// from its source, once however many callers ask at the same time, when
// neither has it. Values are named by a namespace, such as a tenant ID,
// and a key within it:
//
//	sealer, err := cache.NewSealer(masterKey) // cache.ParseMasterKey(os.Getenv(cache.MasterKeyEnv))
//	redisOpts, err := cache.ParseRedisURL(os.Getenv("REDIS_URL"))
//	c, err := cache.New(ctx, cache.Config{Redis: redisOpts, Sealer: sealer, Logger: logger})
//	defer c.Close()
//
//	cfg, err := c.Get(ctx, tenantID, "config", func(ctx context.Context) ([]byte, error) {
//		return resolveConfig(ctx, tenantID) // an error wrapping cache.ErrNotFound is cached too
//	})
//
//	// After the tenant changed, in any replica:
//	err = c.InvalidateNamespace(ctx, tenantID)
//
// Invalidations reach the in-process copies of every replica through a
// Redis channel. When Redis is slow or down, a Cache costs each request at
// most Config.OpTimeout, soon nothing (it stops asking Redis until a probe
// succeeds), serves from process memory and the source meanwhile, and says
// so in Status and, once per Config.WarnInterval, in the log. Without Redis
// (Config.Redis nil), a Cache keeps values in process only.
//
// # Redis keys
//
// Under Config.KeyPrefix (<prefix>), with a namespace written with every
// byte other than ASCII letters, digits, '_', '.' and '-' as %XX:
//
//	<prefix>v:{<ns>}:<key>     a value, sealed and bound to this key name; TTL RedisTTL ± TTLJitter, or NegativeTTL
//	<prefix>g:{<ns>}           the namespace's generation; values stored under an older one are ignored; TTL renewed by writes
//	<prefix>q:<scope>:<hash>   a persisted query of a QueryCache, in plain text; TTL QueryTTL
//	<prefix>invalidations      the channel of invalidation messages (JSON)
//
// The braces make the namespace a hash tag: with Redis Cluster, a
// namespace's keys share a slot.
//
// Keys are in plain text in Redis, values are not: do not use secrets (such
// as tokens) as keys; use a hash of them.
package cache
