package auth

import (
	"errors"
	"fmt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// The reasons a request or token is refused. [Verifier.Verify] and
// [Verifier.Middleware] report each as an UNAUTHENTICATED *apperr.Error
// whose Message is the reason's text and whose chain holds the reason, so
// that errors.Is(err, ErrTokenExpired) reports why a token was refused.
var (
	// ErrNoToken means the request has no Authorization header, or its Bearer
	// credentials are empty.
	ErrNoToken = errors.New("bearer token missing")
	// ErrScheme means the Authorization header uses a scheme other than Bearer.
	ErrScheme = errors.New("authorization scheme must be Bearer")
	// ErrTokenMalformed means the token is not a signed JWT in compact form, is
	// too long, or its header or claims do not decode.
	ErrTokenMalformed = errors.New("token malformed")
	// ErrTokenAlgorithm means the token is signed with an algorithm other than
	// the configured one, or is unsigned (alg "none").
	ErrTokenAlgorithm = errors.New("token algorithm not accepted")
	// ErrTokenSignature means the token's signature does not verify with the
	// configured key.
	ErrTokenSignature = errors.New("token signature invalid")
	// ErrTokenNoExpiry means the token has no exp claim.
	ErrTokenNoExpiry = errors.New("token has no expiry")
	// ErrTokenExpired means the token's exp is past, beyond the allowed leeway.
	ErrTokenExpired = errors.New("token expired")
	// ErrTokenNotYetValid means the token's nbf is ahead, beyond the allowed
	// leeway.
	ErrTokenNotYetValid = errors.New("token not yet valid")
	// ErrTokenIssuedAt means the token's iat is ahead, beyond the allowed leeway.
	ErrTokenIssuedAt = errors.New("token issued in the future")
	// ErrTokenIssuer means an issuer is configured and the token's iss claim is
	// missing or different.
	ErrTokenIssuer = errors.New("token issuer not accepted")
	// ErrTokenAudience means an audience is configured and the token's aud claim
	// is missing or does not contain it.
	ErrTokenAudience = errors.New("token audience not accepted")
	// ErrTokenLifetime means a maximum lifetime is configured and the
	// token's exp is further from its iat (from now, without iat).
	ErrTokenLifetime = errors.New("token lifetime too long")
	// ErrTokenInvalid means the token's claims fail a check not listed above.
	ErrTokenInvalid = errors.New("token invalid")
	// ErrTenantClaim means the tenant claim is missing, is not a string, or is
	// not a well-formed tenant ID.
	ErrTenantClaim = errors.New("tenant claim missing or malformed")
	// ErrScopesClaim means a claim that scopes are read from (see
	// [Config.ScopesClaim]) is present but is not a string or an array of
	// strings, has more than 256 entries, or has an entry that is not a
	// scope token (see [CheckScope]). The token is refused rather than
	// read as granting fewer scopes, or more.
	ErrScopesClaim = errors.New("scopes claim malformed")
	// ErrRolesClaim means the claim that roles are read from (see
	// [VerifierOptions].RolesClaim) is present but is not a string or an
	// array of strings, has more than 256 entries, or has an entry that is
	// not a well-formed role name (see [CheckScope]).
	ErrRolesClaim = errors.New("roles claim malformed")
	// ErrTenantMismatch means the token comes from a tenant's own issuer (see
	// [TenantIssuer]) but its tenant claim names another tenant.
	ErrTenantMismatch = errors.New("tenant claim not accepted for this issuer")
	// ErrTokenKeyUnknown means the token comes from a tenant's issuer that
	// publishes its keys as a JWKS, and no usable key of that set matches the
	// token's kid, even after the bounded refresh that an unknown kid allows.
	ErrTokenKeyUnknown = errors.New("token signing key unknown")
	// ErrTokenKeyUnavailable means the key to verify the token with could not
	// be obtained: looking up the token's issuer failed, or its JWKS could not
	// be fetched in time and no earlier copy is at hand. The token may be
	// valid; the cause is logged, not shown.
	ErrTokenKeyUnavailable = errors.New("token signing key unavailable")
)

// unauthenticated returns the client error for reason. The cause, if any, is
// kept for logs; it must not contain the token or a key.
func unauthenticated(reason, cause error) *apperr.Error {
	err := reason
	if cause != nil {
		err = fmt.Errorf("%w: %w", reason, cause)
	}
	return &apperr.Error{
		Code:    apperr.Unauthenticated,
		Message: reason.Error(),
		Err:     err,
	}
}
