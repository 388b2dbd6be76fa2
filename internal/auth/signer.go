package auth

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// DevSubject is the sub claim of the tokens a [Signer] mints.
const DevSubject = "dev"

// Signer mints HS256 tokens that a [Verifier] with the same [Config]
// accepts, for development and the "tenantgraph token" command. It is built
// with [NewSigner]; the zero Signer is not usable. A Signer is safe for
// concurrent use.
type Signer struct {
	ja          *jwtauth.JWTAuth
	issuer      string
	audience    string
	tenantClaim string
	scopesClaim string
}

// NewSigner returns a Signer for cfg. Only HS256 is supported: the RS256
// and ES256 configurations hold a public key only, and tokens for them must
// come from the identity provider that holds the private key.
func NewSigner(cfg Config) (*Signer, error) {
	cfg = cfg.withDefaults()
	if cfg.Algorithm == RS256 || cfg.Algorithm == ES256 {
		return nil, fmt.Errorf("auth: cannot sign %s tokens: that needs the private key, which tenantgraph does not hold; get tokens from your identity provider, or use HS256 for development", cfg.Algorithm)
	}
	cfg, key, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	secret := append([]byte(nil), key.([]byte)...)
	return &Signer{
		ja:          jwtauth.New(cfg.Algorithm, secret, nil),
		issuer:      cfg.Issuer,
		audience:    cfg.Audience,
		tenantClaim: cfg.TenantClaim,
		scopesClaim: cmp.Or(cfg.ScopesClaim, scopeClaim),
	}, nil
}

// Grant is what a minted token grants beyond its tenant. Each scope and
// role must be a scope token (see [CheckScope]), and each list at most 256
// long, so that a [Verifier] with the same Config reads back what was
// granted.
type Grant struct {
	// Scopes are written space-separated in the Config's ScopesClaim, or
	// in the scope claim (RFC 8693) when it names none.
	Scopes []string
	// Roles are written as an array in the claim RolesClaim names.
	Roles []string
	// RolesClaim names the claim of Roles: the tenant's roles claim (see
	// [VerifierOptions].RolesClaim). Default "roles".
	RolesClaim string
}

// check reports every problem with g at once.
func (g Grant) check() error {
	var errs []error
	for _, list := range []struct {
		kind   string
		values []string
	}{{"scope", g.Scopes}, {"role", g.Roles}} {
		if len(list.values) > maxClaimEntries {
			errs = append(errs, fmt.Errorf("%d %ss, more than %d", len(list.values), list.kind, maxClaimEntries))
		}
		for _, v := range list.values {
			if err := CheckScope(v); err != nil {
				errs = append(errs, fmt.Errorf("%s %q %w", list.kind, v, err))
			}
		}
	}
	if slices.Contains(registeredClaims, g.RolesClaim) {
		errs = append(errs, fmt.Errorf("roles claim %q is a registered claim that cannot hold roles", g.RolesClaim))
	}
	return errors.Join(errs...)
}

// Sign returns a token for tenant tenantID that expires after ttl. It sets
// sub to [DevSubject], iat, exp, the tenant claim, and iss and aud when the
// Config names them.
func (s *Signer) Sign(tenantID string, ttl time.Duration) (string, error) {
	return s.SignGrant(tenantID, ttl, Grant{})
}

// SignGrant is Sign for a token that also carries the scopes and roles of
// g; those left empty are not written. It refuses a Grant whose scopes or
// roles a Verifier would refuse.
func (s *Signer) SignGrant(tenantID string, ttl time.Duration, g Grant) (string, error) {
	if !tenant.ValidID(tenantID) {
		return "", fmt.Errorf("auth: sign: %q is not a valid tenant ID", tenantID)
	}
	if ttl <= 0 {
		return "", errors.New("auth: sign: ttl must be positive")
	}
	if err := g.check(); err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	now := time.Now()
	claims := map[string]any{
		jwt.SubjectKey:    DevSubject,
		jwt.IssuedAtKey:   now,
		jwt.ExpirationKey: now.Add(ttl),
	}
	if s.issuer != "" {
		claims[jwt.IssuerKey] = s.issuer
	}
	if s.audience != "" {
		claims[jwt.AudienceKey] = []string{s.audience}
	}
	if len(g.Scopes) > 0 {
		claims[s.scopesClaim] = strings.Join(g.Scopes, " ")
	}
	if len(g.Roles) > 0 {
		claims[cmp.Or(g.RolesClaim, defaultRolesClaim)] = g.Roles
	}
	claims[s.tenantClaim] = tenantID // last: it may be sub or iss
	_, token, err := s.ja.Encode(claims)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return token, nil
}
