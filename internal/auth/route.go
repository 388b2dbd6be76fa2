package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// VerifyContext verifies the compact-serialized token raw and returns its
// claims. ctx bounds the lookup of the token's issuer and the wait for its
// key set, if it needs one fetched.
//
// If the Verifier has [VerifierOptions].Issuers, the token's iss claim is
// read before anything is verified, only to choose what to verify the token
// against; nothing else of the unverified token is used. If a tenant owns
// that issuer (and it is not the global Config.Issuer, which is never
// routed to a tenant), the token must be signed with that tenant issuer's
// key and pinned algorithm, carry an exp claim, be valid now give or take
// the Config's leeway, have exactly that iss, have an aud among the
// issuer's audiences when it names any, and carry the owning tenant's ID in
// the tenant claim ([ErrTenantMismatch] otherwise). If no tenant owns it,
// the token is verified against the global Config as [Verifier.Verify]
// says.
//
// The token's scopes and roles are read as [Claims] says; a scopes or roles
// claim that is present but malformed refuses the token ([ErrScopesClaim],
// [ErrRolesClaim]).
//
// With a verified-token cache (VerifierOptions.TokenCacheSize), a token
// verified before is answered from the cache until its exp, with the claims
// its verification produced, as long as its iss still leads to the same
// issuer and its tenant's roles are still read from the same claim
// (VerifierOptions.RolesClaim).
//
// Errors are as for Verify.
func (v *Verifier) VerifyContext(ctx context.Context, raw string) (Claims, error) {
	c, aerr := v.verify(ctx, raw)
	if aerr != nil {
		return Claims{}, aerr
	}
	return c, nil
}

// verify is VerifyContext with the concrete error type.
func (v *Verifier) verify(ctx context.Context, raw string) (Claims, *apperr.Error) {
	var key tokenKey
	var epoch uint64
	cached := v.cache != nil && raw != "" && len(raw) <= maxTokenLen
	if cached {
		key = hashToken(raw)
		if e, ok := v.cache.get(key, v.now()); ok {
			// The cache holds only tokens that verified; what could change
			// since is the tenant issuer the token's iss leads to, and the
			// claim its tenant's roles are read from.
			if ti, aerr := v.route(ctx, e.iss); aerr == nil && ti == e.issuer && v.rolesClaimOf(e.claims.TenantID) == e.rolesClaim {
				v.hits.Add(1)
				return e.claims, nil
			}
		}
		v.misses.Add(1)
		epoch = v.cache.begin()
	}

	if raw == "" {
		return Claims{}, unauthenticated(ErrNoToken, nil)
	}
	if !compactJWS(raw) {
		return Claims{}, unauthenticated(ErrTokenMalformed, nil)
	}
	var iss string
	var ti *TenantIssuer
	if v.issuers != nil {
		iss = unverifiedIssuer(raw)
		var aerr *apperr.Error
		if ti, aerr = v.route(ctx, iss); aerr != nil {
			return Claims{}, aerr
		}
	}
	var tok jwt.Token
	var aerr *apperr.Error
	if ti == nil {
		tok, aerr = v.verifyGlobal(raw)
	} else {
		tok, aerr = v.verifyTenant(ctx, ti, raw)
	}
	if aerr != nil {
		return Claims{}, aerr
	}
	c, rolesClaim, aerr := v.claimsOf(tok, ti)
	if aerr != nil {
		return Claims{}, aerr
	}
	if cached {
		v.cache.put(key, cachedToken{claims: c, iss: iss, issuer: ti, rolesClaim: rolesClaim}, epoch, v.now())
	}
	return c, nil
}

// route returns the tenant issuer that owns iss, or nil if the token is for
// the global Config: when there are no tenant issuers, when iss is empty,
// too long or the global Config's issuer, or when no tenant owns it.
func (v *Verifier) route(ctx context.Context, iss string) (*TenantIssuer, *apperr.Error) {
	if v.issuers == nil || iss == "" || iss == v.globalIssuer || len(iss) > maxIssuerLen {
		return nil, nil
	}
	ti, err := v.issuers.Issuer(ctx, iss)
	switch {
	case errors.Is(err, ErrIssuerNotFound):
		return nil, nil
	case err != nil:
		return nil, unauthenticated(ErrTokenKeyUnavailable, fmt.Errorf("look up issuer: %w", err))
	case ti == nil:
		return nil, nil
	case ti.cfg.Issuer != iss:
		return nil, unauthenticated(ErrTokenKeyUnavailable, fmt.Errorf("issuer lookup returned the issuer of tenant %q for another iss", ti.cfg.TenantID))
	}
	return ti, nil
}

// verifyTenant verifies raw, a token of the form compactJWS accepts, against
// the tenant issuer ti, and returns the token for claimsOf, which checks
// that its tenant claim names ti's tenant.
func (v *Verifier) verifyTenant(ctx context.Context, ti *TenantIssuer, raw string) (jwt.Token, *apperr.Error) {
	alg, kid, ok := unverifiedHeader(raw)
	if !ok {
		return nil, unauthenticated(ErrTokenMalformed, nil)
	}
	// Checked before any key is looked up, so that a token of another
	// algorithm never makes the Verifier fetch a JWKS.
	if alg != ti.cfg.Algorithm {
		return nil, unauthenticated(ErrTokenAlgorithm, fmt.Errorf("token alg %q, want %s", alg, ti.cfg.Algorithm))
	}
	keyOpt := ti.keyOpt
	if keyOpt == nil {
		k, aerr := v.jwks.key(ctx, ti.cfg.JWKSURL, kid, ti.cfg.Algorithm)
		if aerr != nil {
			return nil, aerr
		}
		keyOpt = k.opt
	}
	tok, err := jwt.Parse([]byte(raw), keyOpt, jwt.WithValidate(false))
	if err != nil {
		if errors.Is(err, jws.VerifyError()) {
			return nil, unauthenticated(ErrTokenSignature, err)
		}
		return nil, unauthenticated(ErrTokenMalformed, err)
	}
	opts := append(slices.Clip(v.tenantValidate), ti.issuerOpt)
	if err := jwt.Validate(tok, opts...); err != nil {
		return nil, validateError(err)
	}
	if want := ti.cfg.Audiences; len(want) > 0 {
		aud, _ := tok.Audience()
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(want, a) }) {
			return nil, unauthenticated(ErrTokenAudience, nil)
		}
	}
	return tok, nil
}

// unverifiedIssuer returns the iss claim of raw, a token of the form
// compactJWS accepts, without verifying anything, or "" if the payload does
// not decode or its iss is not a string. As jwx does, it matches the claim
// name exactly (after unescaping) and takes the last of repeated names.
func unverifiedIssuer(raw string) string {
	_, rest, _ := strings.Cut(raw, ".")
	payload, _, _ := strings.Cut(rest, ".")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var claims map[string]json.RawMessage
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	var iss *string
	if v, ok := claims[jwt.IssuerKey]; !ok || json.Unmarshal(v, &iss) != nil || iss == nil {
		return ""
	}
	return *iss
}

// unverifiedHeader returns the alg and kid of the protected header of raw, a
// token of the form compactJWS accepts, without verifying anything. jwx
// checks alg again when it verifies the signature.
func unverifiedHeader(raw string) (alg, kid string, ok bool) {
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", "", false
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return "", "", false
	}
	return h.Alg, h.Kid, true
}
