package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// maxTokenLen bounds the length of a token that is parsed at all. Tokens of
// identity providers with many claims reach a few kilobytes.
const maxTokenLen = 16 << 10

// Claims are the claims of a verified token that tenantgraph uses.
type Claims struct {
	// TenantID is the value of the tenant claim, a well-formed tenant ID.
	TenantID string
	// Subject is the sub claim, or "" if the token has none.
	Subject string
	// Scopes are the scope tokens of the token's scopes claims (see
	// [Config.ScopesClaim]), sorted and without duplicates, or nil if it
	// has none. Treat it as read-only: it may be shared with other copies
	// of the Claims.
	Scopes []string
	// Roles are the roles of the token's roles claim (see
	// [VerifierOptions].RolesClaim), sorted and without duplicates, or nil
	// if it has none. Treat it as read-only, as Scopes.
	Roles []string
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time
	// TenantIssuer reports whether the token was verified against its
	// tenant's own issuer (see [TenantIssuer]); false means the global
	// [Config].
	TenantIssuer bool
}

// Verifier verifies tokens against a [Config] and, when built with
// [NewVerifierWithOptions], against the tenants' own issuers. It is built
// with [NewVerifier] or NewVerifierWithOptions; the zero Verifier is not
// usable. A Verifier is safe for concurrent use.
type Verifier struct {
	ja          *jwtauth.JWTAuth
	alg         string
	tenantClaim string
	scopesClaim string               // "": scope and scp
	rolesClaim  func(string) string  // nil: defaultRolesClaim
	validate    []jwt.ValidateOption // the global Config's claim checks

	// Set by NewVerifierWithOptions; see verify.
	issuers        Issuers // nil: the global Config only
	globalIssuer   string
	tenantValidate []jwt.ValidateOption // the checks common to tenant issuers
	jwks           *jwksCache
	cache          *tokenCache // nil: no verified-token cache
	now            func() time.Time
	hits, misses   atomic.Uint64
}

// NewVerifier returns a Verifier for cfg, or the errors of [Config.Validate]
// if cfg is not valid. It verifies every token against cfg, and has no
// verified-token cache: it is NewVerifierWithOptions(cfg, VerifierOptions{}).
func NewVerifier(cfg Config) (*Verifier, error) {
	return NewVerifierWithOptions(cfg, VerifierOptions{})
}

// newGlobalVerifier returns a Verifier for cfg alone, and cfg with its
// defaults applied.
func newGlobalVerifier(cfg Config) (*Verifier, Config, error) {
	cfg, key, err := cfg.resolve()
	if err != nil {
		return nil, cfg, err
	}
	opts := []jwt.ValidateOption{
		jwt.WithRequiredClaim(jwt.ExpirationKey), // jwtauth accepts tokens without exp otherwise
		jwt.WithAcceptableSkew(cfg.Leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	if cfg.MaxTTL > 0 {
		opts = append(opts, jwt.WithValidator(maxLifetime(cfg.MaxTTL)))
	}
	var ja *jwtauth.JWTAuth
	if cfg.Algorithm == HS256 {
		secret := append([]byte(nil), key.([]byte)...) // the caller may reuse cfg.Secret
		ja = jwtauth.New(cfg.Algorithm, secret, nil, opts...)
	} else {
		ja = jwtauth.New(cfg.Algorithm, nil, key, opts...)
	}
	return &Verifier{ja: ja, alg: cfg.Algorithm, tenantClaim: cfg.TenantClaim, scopesClaim: cfg.ScopesClaim, validate: ja.ValidateOptions(), now: time.Now}, cfg, nil
}

// Verify verifies the compact-serialized token raw and returns its claims.
// The token must be signed with the configured algorithm and key, carry an
// exp claim, be valid now give or take the configured leeway, match the
// configured issuer and audience, and carry a well-formed tenant ID in the
// tenant claim. A token from a tenant's own issuer is verified as
// [Verifier.VerifyContext] says.
//
// Any error is an *[apperr.Error] with code UNAUTHENTICATED whose Message
// says in general terms what was wrong; errors.Is reports which of the Err
// values of this package is the reason.
//
// Verify is VerifyContext with [context.Background].
func (v *Verifier) Verify(raw string) (Claims, error) {
	return v.VerifyContext(context.Background(), raw)
}

// verifyGlobal verifies raw, a token of the form compactJWS accepts, against
// the global Config, and returns the token for claimsOf.
func (v *Verifier) verifyGlobal(raw string) (jwt.Token, *apperr.Error) {
	// jwtauth's VerifyToken collapses every failure but expiry, nbf and iat
	// into one error; decoding and validating in two steps keeps the reason.
	tok, err := v.ja.Decode(raw)
	if err != nil {
		return nil, v.decodeError(raw, err)
	}
	if err := jwt.Validate(tok, v.validate...); err != nil {
		return nil, validateError(err)
	}
	return tok, nil
}

// claimsOf returns the claims of tok, a token verified against ti (nil for
// the global Config), and the name of the claim its roles were read from.
// It checks the tenant claim (ErrTenantClaim; ErrTenantMismatch if ti is
// another tenant's), then the scopes and roles claims (ErrScopesClaim,
// ErrRolesClaim).
func (v *Verifier) claimsOf(tok jwt.Token, ti *TenantIssuer) (Claims, string, *apperr.Error) {
	var tid any
	_ = tok.Get(v.tenantClaim, &tid) // a missing claim leaves tid nil
	id, ok := tid.(string)
	if !ok || !tenant.ValidID(id) {
		return Claims{}, "", unauthenticated(ErrTenantClaim, nil)
	}
	if ti != nil && id != ti.cfg.TenantID {
		return Claims{}, "", unauthenticated(ErrTenantMismatch, fmt.Errorf("issuer of tenant %q, token for tenant %q", ti.cfg.TenantID, id))
	}
	c := Claims{TenantID: id, TenantIssuer: ti != nil}
	c.Subject, _ = tok.Subject()
	c.ExpiresAt, _ = tok.Expiration()
	var aerr *apperr.Error
	if c.Scopes, aerr = scopesOf(tok, v.scopesClaim); aerr != nil {
		return Claims{}, "", aerr
	}
	rolesClaim := v.rolesClaimOf(id)
	if c.Roles, aerr = rolesOf(tok, rolesClaim); aerr != nil {
		return Claims{}, "", aerr
	}
	return c, rolesClaim, nil
}

// rolesClaimOf returns the name of the claim that the roles of tenant
// tenantID are read from.
func (v *Verifier) rolesClaimOf(tenantID string) string {
	if v.rolesClaim != nil {
		if name := v.rolesClaim(tenantID); name != "" {
			return name
		}
	}
	return defaultRolesClaim
}

// compactJWS reports whether raw has the shape of a JWS in compact
// serialization: three base64url segments separated by dots, the first two
// not empty, and no more than maxTokenLen bytes in all. The third segment,
// the signature, is empty in an unsigned token; such tokens pass here so that
// they are refused as having the wrong algorithm.
func compactJWS(raw string) bool {
	if len(raw) > maxTokenLen {
		return false
	}
	for i := range len(raw) {
		switch c := raw[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	header, rest, _ := strings.Cut(raw, ".")
	payload, signature, ok := strings.Cut(rest, ".")
	return ok && header != "" && payload != "" && !strings.Contains(signature, ".")
}

// decodeError classifies an error of jwtauth's Decode, which parses the token
// and verifies its signature. Only the error path reads the header.
func (v *Verifier) decodeError(raw string, err error) *apperr.Error {
	hdr, _, _ := strings.Cut(raw, ".")
	b, decErr := base64.RawURLEncoding.DecodeString(hdr)
	var h struct {
		Alg string `json:"alg"`
	}
	if decErr != nil || json.Unmarshal(b, &h) != nil {
		return unauthenticated(ErrTokenMalformed, err)
	}
	if h.Alg != v.alg {
		return unauthenticated(ErrTokenAlgorithm, fmt.Errorf("token alg %q, want %s", h.Alg, v.alg))
	}
	if errors.Is(err, jws.VerifyError()) {
		return unauthenticated(ErrTokenSignature, err)
	}
	return unauthenticated(ErrTokenMalformed, err)
}

// validateError classifies an error of jwt.Validate.
func validateError(err error) *apperr.Error {
	switch {
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		// exp is the only required claim.
		return unauthenticated(ErrTokenNoExpiry, nil)
	case errors.Is(err, jwt.TokenExpiredError()):
		return unauthenticated(ErrTokenExpired, nil)
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return unauthenticated(ErrTokenNotYetValid, nil)
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return unauthenticated(ErrTokenIssuedAt, nil)
	case errors.Is(err, jwt.InvalidIssuerError()):
		return unauthenticated(ErrTokenIssuer, nil)
	case errors.Is(err, jwt.InvalidAudienceError()):
		return unauthenticated(ErrTokenAudience, nil)
	case errors.Is(err, errLifetime):
		return unauthenticated(ErrTokenLifetime, nil)
	default:
		return unauthenticated(ErrTokenInvalid, err)
	}
}

// errLifetime is the error of maxLifetime's validator.
var errLifetime = errors.New("exp is too far from iat")

// maxLifetime returns a validator that refuses tokens living longer than
// max: exp minus iat, or minus the validation's clock for a token without
// iat (exp itself is required by another check).
func maxLifetime(max time.Duration) jwt.Validator {
	return jwt.ValidatorFunc(func(ctx context.Context, t jwt.Token) error {
		exp, ok := t.Expiration()
		if !ok {
			return nil
		}
		start, ok := t.IssuedAt()
		if !ok {
			start = jwt.ValidationCtxClock(ctx).Now()
		}
		if exp.Sub(start) > max {
			return errLifetime
		}
		return nil
	})
}
