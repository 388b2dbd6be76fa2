// Package auth verifies the JSON Web Tokens that clients send and puts the
// tenant they name into the request's context.
//
// A [Verifier] accepts only tokens signed with the one algorithm and key of
// its [Config], that carry an exp claim, that are within their validity window
// (allowing [Config.Leeway] of clock skew), whose issuer and audience match
// when the Config names them, and whose tenant claim is a well-formed tenant
// ID (see [tenant.ValidID]). Anything else is an UNAUTHENTICATED
// [apperr.Error] with a short message that is safe to show the client.
//
// [Verifier.Middleware] reads the token from the Authorization: Bearer header
// only, never from the query string or a cookie, and answers a failed request
// with 401 and a GraphQL JSON error. Handlers below it read the tenant with
// [tenant.IDFrom] and the claims with [ClaimsFrom]:
//
//	v, err := auth.NewVerifier(auth.Config{
//		Secret: secret, // HS256, at least 32 bytes
//		Issuer: "https://id.example.com/",
//	})
//	if err != nil {
//		return err
//	}
//	http.Handle("/graphql", v.Middleware(graphqlHandler))
//
//	// In graphqlHandler:
//	id, _ := tenant.IDFrom(r.Context())
//	claims, _ := auth.ClaimsFrom(r.Context())
//
// # Tenants' own issuers
//
// Tenants may bring their own identity providers. [NewVerifierWithOptions]
// takes an [Issuers] that maps a token's iss claim to the [TenantIssuer] of
// the tenant that owns it (an [IssuerConfig] with its key checked and
// parsed: an HS256 secret, an RS256 or ES256 public key, or a JWKS URL).
// The Verifier reads iss from the unverified token only to choose the
// issuer; a token of a tenant's issuer is then verified with that issuer's
// key and algorithm alone, and must name that tenant in its tenant claim.
// Tokens of any other issuer are verified against the global Config, as
// before. Key sets at JWKS URLs are fetched on demand and cached, with
// refreshes bounded per URL (see [JWKSOptions]).
//
// # Scopes and roles
//
// A verified token's scopes and roles are in [Claims].Scopes and
// [Claims].Roles. Scopes come from the standard claims, scope (a
// space-separated string) and scp (an array of strings, or a
// space-separated string), or from the one claim [Config].ScopesClaim
// names; roles from the claim [VerifierOptions].RolesClaim names for the
// token's tenant (default "roles"), a string holding one role or an array
// of strings. Each entry must be a scope token of RFC 6749 (see
// [CheckScope]), and a claim may hold at most 256. A claim that is present
// but malformed refuses the whole token ([ErrScopesClaim], [ErrRolesClaim]):
// it is never read as granting fewer scopes, or more.
//
// A Verifier can also remember verified tokens (by their SHA-256) until
// their exp, so that a token sent again skips signature verification; see
// [VerifierOptions].TokenCacheSize and [Verifier.PurgeTokens].
//
// A [Signer] mints HS256 tokens for development and for the
// "tenantgraph token" command; [NewDevConfig] makes a Config with an
// ephemeral random secret for both.
package auth
