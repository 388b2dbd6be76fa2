package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// VerifierOptions configure what a [Verifier] does beyond checking tokens
// against its global [Config]: tenants' own issuers, the fetching of their
// key sets, the claim each tenant's roles are read from, and the
// verified-token cache. The zero VerifierOptions adds nothing: no tenant
// issuers, roles from the "roles" claim, and no cache.
type VerifierOptions struct {
	// Issuers finds the tenant that owns a token's issuer. A token whose
	// iss a tenant owns is verified against that tenant's issuer only (see
	// [Verifier.VerifyContext]); any other token against the global
	// Config. Default nil: every token is verified against the Config.
	Issuers Issuers

	// RolesClaim returns the name of the claim that the roles of the
	// tenant tenantID are read from (a tenant's authorization.rolesClaim),
	// for tokens of its own issuer and of the global Config alike. It is
	// called for every token verified and every token answered from the
	// cache, possibly concurrently, and must be fast; a verified token's
	// roles are read again when its tenant's answer changes. Default nil,
	// and for an answer of "": "roles".
	RolesClaim func(tenantID string) string

	// JWKS configures the fetching and caching of the key sets of tenant
	// issuers that publish their keys at a JWKS URL.
	JWKS JWKSOptions

	// TokenCacheSize is the most verified tokens the Verifier remembers,
	// so that a token seen again skips signature verification. Zero (the
	// default) disables the cache. An entry takes a few hundred bytes.
	TokenCacheSize int

	// TokenCacheTTL is the longest a verified token is remembered; it is
	// never remembered past its exp. Default (and when zero) 5m.
	TokenCacheTTL time.Duration

	// Logger receives the failures of JWKS fetches. Default: discard.
	Logger *slog.Logger

	// Now returns the current time, for the checks of exp, nbf and iat,
	// the verified-token cache and the JWKS refresh schedule. Default
	// time.Now.
	Now func() time.Time
}

// validate reports every problem with o.
func (o VerifierOptions) validate() error {
	var errs []error
	if o.TokenCacheSize < 0 {
		errs = append(errs, fmt.Errorf("auth: token cache size %d must not be negative", o.TokenCacheSize))
	}
	if o.TokenCacheTTL < 0 {
		errs = append(errs, fmt.Errorf("auth: token cache TTL %s must not be negative", o.TokenCacheTTL))
	}
	j := o.JWKS
	if j.FetchTimeout < 0 || j.RefreshInterval < 0 || j.MaxAge < 0 || j.MaxBodySize < 0 {
		errs = append(errs, errors.New("auth: JWKS timeouts, intervals and sizes must not be negative"))
	}
	return errors.Join(errs...)
}

// NewVerifierWithOptions returns a Verifier for cfg and opts, or every
// problem with cfg (those of [Config.Validate]) and opts at once.
//
// cfg is the global configuration: the key, issuer and audience of the
// tokens that no tenant's own issuer claims, and for all tokens the tenant
// claim, the scopes claim and the clock skew allowed.
func NewVerifierWithOptions(cfg Config, opts VerifierOptions) (*Verifier, error) {
	v, cfg, err := newGlobalVerifier(cfg)
	if oerr := opts.validate(); oerr != nil {
		err = errors.Join(err, oerr)
	}
	if err != nil {
		return nil, err
	}
	v.rolesClaim = opts.RolesClaim
	if opts.Now != nil {
		v.now = opts.Now
		v.validate = append(slices.Clip(v.validate), jwt.WithClock(jwt.ClockFunc(opts.Now)))
	}
	if opts.TokenCacheSize > 0 {
		ttl := opts.TokenCacheTTL
		if ttl == 0 {
			ttl = defaultTokenCacheTTL
		}
		v.cache = newTokenCache(opts.TokenCacheSize, ttl)
	}
	if opts.Issuers != nil {
		logger := opts.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		v.issuers = opts.Issuers
		v.globalIssuer = cfg.Issuer
		v.tenantValidate = []jwt.ValidateOption{
			jwt.WithRequiredClaim(jwt.ExpirationKey),
			jwt.WithAcceptableSkew(cfg.Leeway),
			jwt.WithClock(jwt.ClockFunc(v.now)),
		}
		if cfg.MaxTTL > 0 {
			v.tenantValidate = append(v.tenantValidate, jwt.WithValidator(maxLifetime(cfg.MaxTTL)))
		}
		v.jwks = newJWKSCache(opts.JWKS, v.now, logger, v.purgeJWKS)
	}
	return v, nil
}
