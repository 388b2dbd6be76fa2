// Package tenantcfg resolves a tenant's configuration: its tenant.yaml
// with defaults applied and its secret references resolved.
//
// Resolution reads secrets from their sources (environment, files, a
// secret manager), so it is done once and shared: a Resolver keeps the
// result in a cache.Cache, in process and (sealed) in Redis, under the
// tenant's ID and the hash of its files, so that a changed file can never
// be served from a stale entry. What files don't show, a secret rotated at
// its source, is picked up by Refresh, which reaches every replica.
//
//	r := tenantcfg.New(registry, secretResolver, c, logger)
//	verifier, err := auth.NewVerifierWithOptions(cfg, auth.VerifierOptions{Issuers: r})
package tenantcfg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/secrets"
	"github.com/tenantgraph/tenantgraph/loader"
)

// ErrUnknownTenant is returned by Resolve for a tenant that is not
// registered.
var ErrUnknownTenant = errors.New("tenantcfg: unknown tenant")

// Resolved is a tenant's resolved configuration. It holds secrets and logs
// with them REDACTED.
type Resolved struct {
	TenantID string `json:"tenantID"`
	// ConfigHash is loader.Tenant.ConfigHash of the files resolved.
	ConfigHash string `json:"configHash"`
	// Secrets are the values of tenant.yaml's secrets, by name.
	Secrets map[string]secrets.Value `json:"secrets"`
}

// LogValue implements slog.LogValuer.
func (r *Resolved) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant", r.TenantID), slog.Int("secrets", len(r.Secrets)))
}

// Resolver resolves tenant configurations through a cache, and serves the
// tenants' token issuers to an auth.Verifier. Its methods may be called
// concurrently.
type Resolver struct {
	registry *loader.Registry
	secrets  *secrets.Resolver
	cache    *cache.Cache
	logger   *slog.Logger

	mu sync.Mutex
	// tenants memoizes, by tenant ID, what the per-request path needs of
	// a tenant: its cache key and load function, and the TenantIssuer
	// built from its resolved configuration, so that the key is parsed
	// once and the issuer's identity (which the Verifier's token cache
	// checks) stays the same while the configuration does.
	tenants map[string]*memo
}

// memo is what a Resolver keeps of one tenant. It is immutable: a change
// replaces it.
type memo struct {
	tenant loader.Entry   // the registry's entry of the tenant that key and load are of
	key    string         // cacheKey(tenant)
	load   cache.LoadFunc // resolves tenant's configuration from its sources

	resolved []byte // the resolved configuration issuer was built from; nil if none was
	issuer   *auth.TenantIssuer

	decodedFrom []byte    // the resolved configuration decoded is of; nil if none was
	decoded     *Resolved // shared by the callers of Resolver.shared: read-only
}

var _ auth.Issuers = (*Resolver)(nil)

// New returns a Resolver of the tenants of registry.
func New(registry *loader.Registry, sr *secrets.Resolver, c *cache.Cache, logger *slog.Logger) *Resolver {
	if logger == nil {
		logger = slog.Default()
	}
	return &Resolver{registry: registry, secrets: sr, cache: c, logger: logger, tenants: make(map[string]*memo)}
}

// cacheKey names a tenant's resolved configuration within its namespace
// (the tenant ID): versioned by the hash of the tenant's files.
func cacheKey(t loader.Entry) string { return "config:" + t.ConfigHash }

// Resolve returns the resolved configuration of the tenant.
func (r *Resolver) Resolve(ctx context.Context, tenantID string) (*Resolved, error) {
	t, ok := r.registry.Entry(tenantID)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenantID)
	}
	_, raw, _, err := r.cached(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	return decode(t.ID, raw)
}

// cached returns the memo of t and t's resolved configuration as the
// cache holds it, checked to be JSON, unless fresh reports that the memo
// holds what was built from these very bytes (hit).
func (r *Resolver) cached(ctx context.Context, t loader.Entry, fresh func(*memo, []byte) bool) (m *memo, raw []byte, hit bool, err error) {
	m = r.memo(t)
	raw, err = r.cache.Get(ctx, t.ID, m.key, m.load)
	if err == nil && fresh != nil && fresh(m, raw) {
		return m, raw, true, nil // the common case: nothing to check or decode
	}
	if err == nil {
		raw, err = r.checked(ctx, m, raw)
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("resolve configuration of tenant %q: %w", t.ID, err)
	}
	return m, raw, false, nil
}

// shared returns the resolved configuration of the tenant, as Resolve
// does, but decoded once per version of the cached configuration and
// shared by every caller, who must not modify it: the per-call path of
// Secret, which otherwise would check and decode the configuration's
// JSON at every upstream call.
func (r *Resolver) shared(ctx context.Context, tenantID string) (*Resolved, error) {
	t, ok := r.registry.Entry(tenantID)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenantID)
	}
	m, raw, hit, err := r.cached(ctx, t, func(m *memo, raw []byte) bool {
		return m.decoded != nil && bytes.Equal(m.decodedFrom, raw)
	})
	if err != nil {
		return nil, err
	}
	if hit {
		return m.decoded, nil
	}
	res, err := decode(t.ID, raw)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.tenants[t.ID]; cur.tenant.ConfigHash == t.ConfigHash {
		next := *cur
		next.decodedFrom, next.decoded = raw, res
		r.tenants[t.ID] = &next
	}
	return res, nil
}

// memo returns the memo of t, making one if t is new or was reloaded.
func (r *Resolver) memo(t loader.Entry) *memo {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.tenants[t.ID]
	if m != nil && m.tenant.ConfigHash == t.ConfigHash {
		return m
	}
	next := &memo{tenant: t, key: cacheKey(t), load: func(ctx context.Context) ([]byte, error) { return r.load(ctx, t) }}
	if m != nil {
		// The issuer stays valid as long as the resolved configuration,
		// which names the files' hash, is the same.
		next.resolved, next.issuer = m.resolved, m.issuer
		next.decodedFrom, next.decoded = m.decodedFrom, m.decoded
	}
	r.tenants[t.ID] = next
	return next
}

// checked returns raw, the tenant's resolved configuration as cached, if
// it is JSON. If it is not, it drops it from the cache and resolves it
// again.
func (r *Resolver) checked(ctx context.Context, m *memo, raw []byte) ([]byte, error) {
	if json.Valid(raw) {
		return raw, nil
	}
	// Opened but not ours to decode (written by another version?): drop it
	// and resolve again, never serve it.
	t := m.tenant
	r.logger.Warn("cached tenant configuration does not decode; resolving it again", "tenant", t.ID)
	err := r.cache.Invalidate(ctx, t.ID, m.key)
	if err != nil && !errors.Is(err, cache.ErrInvalidationQueued) {
		return nil, err
	}
	return r.cache.Get(ctx, t.ID, m.key, m.load)
}

func decode(tenantID string, raw []byte) (*Resolved, error) {
	var res Resolved
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode configuration of tenant %q: %w", tenantID, err)
	}
	return &res, nil
}

// load resolves a tenant's configuration from its sources.
func (r *Resolver) load(ctx context.Context, t loader.Entry) ([]byte, error) {
	res := Resolved{TenantID: t.ID, ConfigHash: t.ConfigHash, Secrets: make(map[string]secrets.Value, len(t.Config.Secrets))}
	var errs []error
	for name, ref := range t.Config.Secrets {
		v, err := r.secrets.Resolve(ctx, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("secret %s: %w", name, err))
			continue
		}
		res.Secrets[name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// Issuer implements auth.Issuers: it returns the token issuer of the
// tenant whose tenant.yaml names iss, with the tenant's resolved key.
func (r *Resolver) Issuer(ctx context.Context, iss string) (*auth.TenantIssuer, error) {
	// The registry is in memory: unknown issuers and tenants cost a map
	// lookup, so they need no negative caching here.
	t, ok := r.registry.Issuer(iss)
	if !ok {
		return nil, auth.ErrIssuerNotFound
	}
	m, raw, hit, err := r.cached(ctx, t, func(m *memo, raw []byte) bool {
		return m.issuer != nil && bytes.Equal(m.resolved, raw)
	})
	if err != nil {
		return nil, err
	}
	if hit {
		return m.issuer, nil // nothing to check, decode or parse
	}
	res, err := decode(t.ID, raw)
	if err != nil {
		return nil, err
	}
	a := t.Config.Auth
	cfg := auth.IssuerConfig{
		TenantID:  t.ID,
		Issuer:    a.Issuer,
		Audiences: a.Audiences,
		Algorithm: a.Algorithm,
		JWKSURL:   a.JWKSURL,
	}
	if name := a.SecretName(); name != "" {
		key, ok := res.Secrets[name]
		if !ok {
			return nil, fmt.Errorf("tenant %q: auth.key names secret %q, which did not resolve", t.ID, name)
		}
		if a.Algorithm == auth.HS256 {
			cfg.Secret = key
		} else {
			cfg.PublicKeyPEM = key
		}
	}
	ti, err := auth.NewTenantIssuer(cfg)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.tenants[t.ID]
	if cur.issuer != nil && bytes.Equal(cur.resolved, raw) {
		return cur.issuer, nil // built by a concurrent request meanwhile
	}
	if cur.tenant.ConfigHash == t.ConfigHash {
		next := *cur
		next.resolved, next.issuer = raw, ti
		r.tenants[t.ID] = &next
	}
	return ti, nil
}

// Refresh drops the tenant's cached configuration and secrets in Redis and
// in the process of every replica, so that the next request resolves them
// from their sources again: for a secret rotated at its source.
func (r *Resolver) Refresh(ctx context.Context, tenantID string) error {
	if err := r.cache.InvalidateNamespace(ctx, tenantID); err != nil && !errors.Is(err, cache.ErrInvalidationQueued) {
		return fmt.Errorf("refresh tenant %q: %w", tenantID, err)
	}
	r.logger.Info("tenant configuration refreshed", "tenant", tenantID)
	return nil
}

// Secret returns the value of the secret name of tenant tenantID, whose
// reference in its tenant.yaml is ref: from the tenant's resolved
// configuration through configs (cached, sealed in Redis, refreshed by
// tenantgraph refresh) once the registry serves the tenant, and from the
// secret's source through sources while the tenant loads, or while configs
// is nil (the registry's first load, before configs exists). It is what a
// tenant's upstream clients resolve the secrets of their headers with.
func Secret(ctx context.Context, configs *Resolver, sources *secrets.Resolver, tenantID, name, ref string) (string, error) {
	if configs != nil {
		res, err := configs.shared(ctx, tenantID)
		if err == nil {
			v, ok := res.Secrets[name]
			if !ok {
				return "", fmt.Errorf("tenant %q has no secret %q", tenantID, name)
			}
			return string(v), nil
		}
		if !errors.Is(err, ErrUnknownTenant) {
			return "", err
		}
	}
	v, err := sources.Resolve(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("secret %q of tenant %q: %w", name, tenantID, err)
	}
	return string(v), nil
}
