package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// maxIssuerLen bounds the length of an issuer. A token whose iss is longer is
// never routed to a tenant's issuer.
const maxIssuerLen = 1024

// IssuerConfig is what a tenant's auth block resolves to: the identity
// provider that issues the tenant's own tokens, and the key to verify them
// with. Exactly one of Secret, PublicKeyPEM and JWKSURL is set. Build a
// [TenantIssuer] from it with [NewTenantIssuer].
//
// The token checks that a [Config] does not name here (the tenant claim and
// the clock skew allowed) are those of the [Verifier]'s Config.
//
// IssuerConfig holds a secret: it logs through [log/slog] and formats through
// [fmt] with the secret shown as REDACTED.
type IssuerConfig struct {
	// TenantID is the tenant that owns the issuer. The tenant claim of
	// every token from the issuer must be this ID.
	TenantID string

	// Issuer is the value of the iss claim of the tenant's tokens, such as
	// "https://acme.eu.auth0.com/", compared byte for byte. Required, at
	// most 1024 bytes.
	Issuer string

	// Audiences, if not empty, are the accepted aud values: a token's aud
	// claim must contain at least one of them. If empty, aud is not checked.
	Audiences []string

	// Algorithm is the only signature algorithm accepted: HS256, RS256 or
	// ES256. Required: unlike Config.Algorithm it has no default. Tokens
	// signed with any other algorithm, including "none", are refused.
	Algorithm string

	// Secret is the HS256 shared secret, at least 32 bytes.
	Secret []byte

	// PublicKeyPEM is the PEM-encoded public key for RS256 or ES256, in the
	// forms Config.PublicKeyPEM accepts.
	PublicKeyPEM []byte

	// JWKSURL is the URL of the issuer's JSON Web Key Set, for RS256 or
	// ES256. Tokens are matched to its keys by their kid header. It must be
	// an https URL without credentials; a Verifier fetches an http URL only
	// if its JWKSOptions.AllowHTTP is set (for tests and local development).
	JWKSURL string
}

// Validate reports every problem with c at once, joined with [errors.Join],
// or nil if c is valid. Messages never contain the secret or the key.
func (c IssuerConfig) Validate() error {
	_, err := c.resolve()
	return err
}

// resolve checks c and returns the key it names: the secret for HS256, the
// parsed public key for a PEM, nil for a JWKS URL.
func (c IssuerConfig) resolve() (any, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("auth: issuer of tenant %q: "+format, append([]any{c.TenantID}, args...)...))
	}
	if !tenant.ValidID(c.TenantID) {
		fail("tenant ID is not well-formed")
	}
	switch {
	case c.Issuer == "":
		fail("issuer is required")
	case len(c.Issuer) > maxIssuerLen:
		fail("issuer is %d bytes long, at most %d allowed", len(c.Issuer), maxIssuerLen)
	}
	for i, aud := range c.Audiences {
		if aud == "" {
			fail("audience %d is empty", i)
		}
	}
	sources := 0
	for _, set := range []bool{len(c.Secret) > 0, len(c.PublicKeyPEM) > 0, c.JWKSURL != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		fail("set only one of a secret, a public key and a JWKS URL")
	}
	var key any
	switch c.Algorithm {
	case HS256:
		if len(c.PublicKeyPEM) > 0 || c.JWKSURL != "" {
			fail("HS256 takes a secret; a public key or a JWKS URL needs RS256 or ES256")
		}
		if len(c.Secret) < minSecretLen {
			fail("HS256 secret must be at least %d bytes, got %d", minSecretLen, len(c.Secret))
		}
		key = slices.Clone(c.Secret) // the caller may reuse c.Secret
	case RS256, ES256:
		if len(c.Secret) > 0 {
			fail("a secret is set but the algorithm is %s; secrets are used only with HS256", c.Algorithm)
		}
		switch {
		case len(c.PublicKeyPEM) > 0:
			k, err := parsePublicKey(c.Algorithm, c.PublicKeyPEM)
			if err != nil {
				fail("%s", strings.TrimPrefix(err.Error(), "auth: "))
			}
			key = k
		case c.JWKSURL != "":
			if err := checkJWKSURL(c.JWKSURL); err != nil {
				fail("%w", err)
			}
		default:
			fail("%s needs a public key (PEM) or a JWKS URL", c.Algorithm)
		}
	case "":
		fail("algorithm is required (HS256, RS256 or ES256)")
	default:
		fail("algorithm %q is not supported (use HS256, RS256 or ES256)", c.Algorithm)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return key, nil
}

// checkJWKSURL checks the form of a JWKS URL: absolute, http or https, with
// a host and without credentials or a fragment. Whether http is allowed is
// for the Verifier to say.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("JWKS URL does not parse")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("JWKS URL must be an https URL, not %q", u.Scheme)
	case u.Host == "":
		return errors.New("JWKS URL has no host")
	case u.User != nil:
		return errors.New("JWKS URL must not contain credentials")
	case u.Fragment != "":
		return errors.New("JWKS URL must not have a fragment")
	}
	return nil
}

// LogValue implements [slog.LogValuer]. The secret logs as REDACTED, and the
// public key only as whether it is set.
func (c IssuerConfig) LogValue() slog.Value {
	secret := ""
	if len(c.Secret) > 0 {
		secret = redacted
	}
	return slog.GroupValue(
		slog.String("tenant", c.TenantID),
		slog.String("issuer", c.Issuer),
		slog.Any("audiences", c.Audiences),
		slog.String("algorithm", c.Algorithm),
		slog.String("secret", secret),
		slog.Bool("public_key", len(c.PublicKeyPEM) > 0),
		slog.String("jwks_url", c.JWKSURL),
	)
}

// String returns c in Go-like syntax with the secret shown as REDACTED.
func (c IssuerConfig) String() string {
	secret := "nil"
	if len(c.Secret) > 0 {
		secret = redacted
	}
	return fmt.Sprintf("auth.IssuerConfig{TenantID:%q, Issuer:%q, Audiences:%q, Algorithm:%q, Secret:%s, PublicKeyPEM:%d bytes, JWKSURL:%q}",
		c.TenantID, c.Issuer, c.Audiences, c.Algorithm, secret, len(c.PublicKeyPEM), c.JWKSURL)
}

// GoString is like String, for the %#v verb.
func (c IssuerConfig) GoString() string { return c.String() }

// Format implements fmt.Formatter, so that no verb prints the secret.
func (c IssuerConfig) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// TenantIssuer is a tenant's own token issuer: a checked [IssuerConfig] with
// its key parsed, ready for a [Verifier]. It is built with [NewTenantIssuer];
// the zero TenantIssuer is not usable. A TenantIssuer is immutable and safe
// for concurrent use.
//
// A Verifier's verified-token cache keeps a token of a tenant's issuer only
// while [Issuers] resolves the token's iss to the same *TenantIssuer, so
// build a new TenantIssuer when a tenant's auth block changes, and keep the
// old one while it does not.
type TenantIssuer struct {
	cfg       IssuerConfig       // Secret and PublicKeyPEM cleared
	keyOpt    jwt.ParseOption    // the static key; nil with a JWKS
	issuerOpt jwt.ValidateOption // iss must be cfg.Issuer
}

// NewTenantIssuer returns the TenantIssuer of cfg, or the errors of
// [IssuerConfig.Validate] if cfg is not valid. It copies what it keeps of
// cfg.
func NewTenantIssuer(cfg IssuerConfig) (*TenantIssuer, error) {
	key, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	ti := &TenantIssuer{issuerOpt: jwt.WithIssuer(cfg.Issuer)}
	if key != nil {
		ti.keyOpt = jwt.WithKey(signatureAlgorithm(cfg.Algorithm), key)
	}
	cfg.Secret, cfg.PublicKeyPEM = nil, nil
	cfg.Audiences = slices.Clone(cfg.Audiences)
	ti.cfg = cfg
	return ti, nil
}

// signatureAlgorithm returns the jwa algorithm of one of the supported
// algorithm names.
func signatureAlgorithm(alg string) jwa.SignatureAlgorithm {
	a, _ := jwa.LookupSignatureAlgorithm(alg)
	return a
}

// TenantID returns the ID of the tenant that owns the issuer.
func (ti *TenantIssuer) TenantID() string { return ti.cfg.TenantID }

// Issuer returns the iss value of the tenant's tokens.
func (ti *TenantIssuer) Issuer() string { return ti.cfg.Issuer }

// LogValue implements [slog.LogValuer]; it never logs the secret or the key.
func (ti *TenantIssuer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tenant", ti.cfg.TenantID),
		slog.String("issuer", ti.cfg.Issuer),
		slog.Any("audiences", ti.cfg.Audiences),
		slog.String("algorithm", ti.cfg.Algorithm),
		slog.String("key", ti.keySource()),
		slog.String("jwks_url", ti.cfg.JWKSURL),
	)
}

// String describes ti without its secret or key.
func (ti *TenantIssuer) String() string {
	return fmt.Sprintf("auth.TenantIssuer{TenantID:%q, Issuer:%q, Audiences:%q, Algorithm:%q, Key:%s, JWKSURL:%q}",
		ti.cfg.TenantID, ti.cfg.Issuer, ti.cfg.Audiences, ti.cfg.Algorithm, ti.keySource(), ti.cfg.JWKSURL)
}

func (ti *TenantIssuer) keySource() string {
	// The key's kind follows from what resolve accepts for the algorithm.
	switch {
	case ti.keyOpt == nil:
		return "jwks"
	case ti.cfg.Algorithm == HS256:
		return "secret"
	default:
		return "public key"
	}
}

// ErrIssuerNotFound is returned, possibly wrapped, by [Issuers.Issuer] when
// no tenant owns the issuer asked for. A Verifier then verifies the token
// against its global [Config].
var ErrIssuerNotFound = errors.New("auth: no tenant owns this issuer")

// Issuers finds the tenant that owns an issuer. A [Verifier] calls Issuer
// with the iss claim of every token it is given that is not its global
// Config.Issuer, read before the token is verified: iss is untrusted input
// of up to 1024 bytes, to be looked up, not fetched, and not logged at
// request rate.
//
// Issuer returns the TenantIssuer whose Issuer() is iss, or an error
// satisfying errors.Is(err, ErrIssuerNotFound) if no tenant owns iss. Any
// other error refuses the token (with [ErrTokenKeyUnavailable]); it never
// falls back to the global Config. A nil TenantIssuer with a nil error
// counts as ErrIssuerNotFound.
//
// Issuer is called for every token with such an iss, including those
// answered from the verified-token cache, so it should be an in-memory
// lookup. It may be called concurrently.
type Issuers interface {
	Issuer(ctx context.Context, iss string) (*TenantIssuer, error)
}

// IssuerMap is an in-memory [Issuers] over a set of TenantIssuers, for tests
// and for setups whose tenants are known up front. The zero IssuerMap owns no
// issuer. An IssuerMap is safe for concurrent use; [IssuerMap.Replace] swaps
// its issuers atomically.
type IssuerMap struct {
	m atomic.Pointer[map[string]*TenantIssuer]
}

var _ Issuers = (*IssuerMap)(nil)

// NewIssuerMap returns an IssuerMap of issuers, or the error of
// [IssuerMap.Replace].
func NewIssuerMap(issuers ...*TenantIssuer) (*IssuerMap, error) {
	m := new(IssuerMap)
	if err := m.Replace(issuers...); err != nil {
		return nil, err
	}
	return m, nil
}

// Replace makes issuers the issuers of m, in one step. It fails, leaving m
// as it was, if an issuer is nil or two of them have the same Issuer(): an
// issuer belongs to one tenant. A tenant may own several issuers.
func (m *IssuerMap) Replace(issuers ...*TenantIssuer) error {
	next := make(map[string]*TenantIssuer, len(issuers))
	var errs []error
	for i, ti := range issuers {
		if ti == nil {
			errs = append(errs, fmt.Errorf("auth: issuer %d is nil", i))
			continue
		}
		if prev, dup := next[ti.Issuer()]; dup {
			errs = append(errs, fmt.Errorf("auth: issuer %q is claimed by tenants %q and %q", ti.Issuer(), prev.TenantID(), ti.TenantID()))
			continue
		}
		next[ti.Issuer()] = ti
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.m.Store(&next)
	return nil
}

// Issuer implements [Issuers].
func (m *IssuerMap) Issuer(_ context.Context, iss string) (*TenantIssuer, error) {
	if p := m.m.Load(); p != nil {
		if ti, ok := (*p)[iss]; ok {
			return ti, nil
		}
	}
	return nil, ErrIssuerNotFound
}
