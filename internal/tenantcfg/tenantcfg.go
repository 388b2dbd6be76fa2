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
	// issuers memoizes the TenantIssuer built from each tenant's resolved
	// configuration, so that its key is parsed once and its identity
	// (which the Verifier's token cache checks) stays the same while the
	// configuration does.
	issuers map[string]issuerMemo
}

type issuerMemo struct {
	resolved []byte // the resolved configuration the issuer was built from
	issuer   *auth.TenantIssuer
}

var _ auth.Issuers = (*Resolver)(nil)

// New returns a Resolver of the tenants of registry.
func New(registry *loader.Registry, sr *secrets.Resolver, c *cache.Cache, logger *slog.Logger) *Resolver {
	if logger == nil {
		logger = slog.Default()
	}
	return &Resolver{registry: registry, secrets: sr, cache: c, logger: logger, issuers: make(map[string]issuerMemo)}
}

// cacheKey names a tenant's resolved configuration within its namespace
// (the tenant ID): versioned by the hash of the tenant's files.
func cacheKey(t *loader.Tenant) string { return "config:" + t.ConfigHash }

// Resolve returns the resolved configuration of the tenant.
func (r *Resolver) Resolve(ctx context.Context, tenantID string) (*Resolved, error) {
	_, res, err := r.resolve(ctx, tenantID)
	return res, err
}

func (r *Resolver) resolve(ctx context.Context, tenantID string) ([]byte, *Resolved, error) {
	t, ok := r.registry.Lookup(tenantID)
	if !ok {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenantID)
	}
	raw, err := r.raw(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	res, err := decode(t.ID, raw)
	return raw, res, err
}

// raw returns the tenant's resolved configuration as cached.
func (r *Resolver) raw(ctx context.Context, t *loader.Tenant) ([]byte, error) {
	// The registry is in memory: unknown tenants cost a map lookup, so
	// they need no negative caching here.
	load := func(ctx context.Context) ([]byte, error) { return r.load(ctx, t) }
	raw, err := r.cache.Get(ctx, t.ID, cacheKey(t), load)
	if err == nil && !json.Valid(raw) {
		// Opened but not ours to decode (written by another version?):
		// drop it and resolve again, never serve it.
		r.logger.Warn("cached tenant configuration does not decode; resolving it again", "tenant", t.ID)
		if err = r.cache.Invalidate(ctx, t.ID, cacheKey(t)); err == nil || errors.Is(err, cache.ErrInvalidationQueued) {
			raw, err = r.cache.Get(ctx, t.ID, cacheKey(t), load)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("resolve configuration of tenant %q: %w", t.ID, err)
	}
	return raw, nil
}

func decode(tenantID string, raw []byte) (*Resolved, error) {
	var res Resolved
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode configuration of tenant %q: %w", tenantID, err)
	}
	return &res, nil
}

// load resolves a tenant's configuration from its sources.
func (r *Resolver) load(ctx context.Context, t *loader.Tenant) ([]byte, error) {
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
	t, ok := r.registry.IssuerTenant(iss)
	if !ok {
		return nil, auth.ErrIssuerNotFound
	}
	raw, err := r.raw(ctx, t)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	m, ok := r.issuers[t.ID]
	r.mu.Unlock()
	if ok && bytes.Equal(m.resolved, raw) {
		return m.issuer, nil // the common case: nothing to decode or parse
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
	r.issuers[t.ID] = issuerMemo{resolved: raw, issuer: ti}
	r.mu.Unlock()
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
