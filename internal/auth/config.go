package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// The signature algorithms a [Config] may name.
const (
	HS256 = "HS256" // HMAC with SHA-256 and a shared secret
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 and an RSA public key
	ES256 = "ES256" // ECDSA with P-256 and SHA-256 and an EC public key
)

const (
	// Defaults for the zero fields of a Config.
	defaultAlgorithm   = HS256
	defaultTenantClaim = "tenant_id"
	defaultLeeway      = 30 * time.Second

	// minSecretLen is the shortest HS256 secret accepted: RFC 7518, section
	// 3.2, requires a key at least as long as the hash output.
	minSecretLen = 32
	// minRSABits is the smallest RSA modulus accepted.
	minRSABits = 2048
	// maxLeeway bounds the clock skew a Config may allow.
	maxLeeway = 5 * time.Minute
)

// Config configures a [Verifier] or a [Signer]. The zero value of each field
// means its default; the zero Config is not valid, as it has no key.
//
// Config holds a secret: it logs through [log/slog] and formats through
// [fmt] with the secret shown as REDACTED.
type Config struct {
	// Algorithm is the only signature algorithm accepted: HS256, RS256 or
	// ES256. Tokens signed with any other algorithm, including "none", are
	// refused. Default HS256.
	Algorithm string

	// Secret is the HS256 shared secret, at least 32 bytes. It is used
	// only with HS256.
	Secret []byte

	// PublicKeyPEM is the PEM-encoded public key that RS256 or ES256 tokens
	// are verified with: a PUBLIC KEY (PKIX), RSA PUBLIC KEY (PKCS #1) or
	// CERTIFICATE block. RSA keys must have at least 2048 bits; EC keys must
	// be on P-256. It is used only with RS256 and ES256.
	PublicKeyPEM []byte

	// Issuer, if not empty, is the required value of the iss claim.
	Issuer string

	// Audience, if not empty, must be one of the values of the aud claim.
	Audience string

	// TenantClaim names the claim that holds the tenant ID. Default
	// "tenant_id".
	TenantClaim string

	// ScopesClaim names the claim that holds the token's scopes, for the
	// tokens of every issuer: a string of scope tokens separated by
	// spaces, or an array of strings, each one scope token. Default (when
	// empty) the standard claims, both read and their scopes joined:
	// scope, a space-separated string (RFC 8693), and scp, an array of
	// strings (as Okta writes it) or a space-separated string (as
	// Microsoft Entra ID does). It cannot be a registered claim of RFC 7519
	// (iss, sub, aud, exp, nbf, iat, jti).
	ScopesClaim string

	// Leeway is the clock skew allowed when checking exp, nbf and iat, at
	// most 5 minutes. Default (and when zero) 30s.
	Leeway time.Duration

	// MaxTTL, if not zero, is the longest lifetime of a token accepted,
	// from any issuer: exp minus iat, or minus now for a token without
	// iat. A stolen long-lived token is refused even though it is valid.
	MaxTTL time.Duration
}

// NewDevConfig returns an HS256 Config with a random 32-byte secret, for
// development. Tokens signed under it are valid only for as long as the
// process that made it keeps the Config.
func NewDevConfig() Config {
	secret := make([]byte, minSecretLen)
	rand.Read(secret) // never returns an error
	return Config{Algorithm: HS256, Secret: secret}
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Algorithm == "" {
		c.Algorithm = defaultAlgorithm
	}
	if c.TenantClaim == "" {
		c.TenantClaim = defaultTenantClaim
	}
	if c.Leeway == 0 {
		c.Leeway = defaultLeeway
	}
	return c
}

// Validate reports every problem with c at once, joined with [errors.Join],
// or nil if c is valid. Messages never contain the secret or the key.
func (c Config) Validate() error {
	_, _, err := c.resolve()
	return err
}

// resolve applies the defaults to c, checks it and, for RS256 and ES256,
// parses its public key. It returns the key to verify with: the secret for
// HS256, the parsed public key otherwise.
func (c Config) resolve() (Config, any, error) {
	c = c.withDefaults()
	var errs []error
	var key any
	switch c.Algorithm {
	case HS256:
		if len(c.Secret) < minSecretLen {
			errs = append(errs, fmt.Errorf("auth: HS256 secret must be at least %d bytes, got %d", minSecretLen, len(c.Secret)))
		}
		if len(c.PublicKeyPEM) > 0 {
			errs = append(errs, errors.New("auth: a public key is set but the algorithm is HS256; set the algorithm to RS256 or ES256 to use it"))
		}
		key = c.Secret
	case RS256, ES256:
		if len(c.Secret) > 0 {
			errs = append(errs, fmt.Errorf("auth: a secret is set but the algorithm is %s; secrets are used only with HS256", c.Algorithm))
		}
		if len(c.PublicKeyPEM) == 0 {
			errs = append(errs, fmt.Errorf("auth: %s needs a public key (PEM)", c.Algorithm))
		} else {
			k, err := parsePublicKey(c.Algorithm, c.PublicKeyPEM)
			if err != nil {
				errs = append(errs, err)
			}
			key = k
		}
	default:
		errs = append(errs, fmt.Errorf("auth: algorithm %q is not supported (use HS256, RS256 or ES256)", c.Algorithm))
	}
	if c.MaxTTL < 0 {
		errs = append(errs, fmt.Errorf("auth: maximum token lifetime %s must not be negative", c.MaxTTL))
	}
	switch c.TenantClaim {
	case "exp", "nbf", "iat", "aud":
		errs = append(errs, fmt.Errorf("auth: tenant claim %q is a registered claim that cannot hold a tenant ID", c.TenantClaim))
	}
	if slices.Contains(registeredClaims, c.ScopesClaim) {
		errs = append(errs, fmt.Errorf("auth: scopes claim %q is a registered claim that cannot hold scopes", c.ScopesClaim))
	}
	if c.Leeway < 0 || c.Leeway > maxLeeway {
		errs = append(errs, fmt.Errorf("auth: leeway %s must be positive and at most %s", c.Leeway, maxLeeway))
	}
	if err := errors.Join(errs...); err != nil {
		return c, nil, err
	}
	return c, key, nil
}

// parsePublicKey parses the first PEM block of data as a public key fit for
// alg.
func parsePublicKey(alg string, data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: public key: no PEM block found")
	}
	var key any
	var err error
	switch {
	case block.Type == "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case block.Type == "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case block.Type == "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, errors.New("auth: public key: the PEM holds a private key; give the public key only")
	default:
		return nil, fmt.Errorf("auth: public key: unsupported PEM block %q", block.Type)
	}
	if err == nil {
		err = checkPublicKey(alg, key)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: public key: %w", err)
	}
	return key, nil
}

// checkPublicKey returns why key cannot verify alg tokens, or nil if it
// can: RS256 needs an RSA key of at least 2048 bits, ES256 a P-256 key. The
// PEM keys of a Config or IssuerConfig and the keys of a JWKS are held to
// it alike.
func checkPublicKey(alg string, key any) error {
	switch alg {
	case RS256:
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("RS256 needs an RSA key, got %s", keyKind(key))
		}
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key has %d bits, want at least %d", k.N.BitLen(), minRSABits)
		}
	case ES256:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("ES256 needs an EC key, got %s", keyKind(key))
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ES256 needs a P-256 key, got %s", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("%s takes no public key", alg)
	}
	return nil
}

func keyKind(key any) string {
	switch key.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an EC key"
	default:
		return fmt.Sprintf("a %T", key)
	}
}

// redacted replaces a secret in logs and formatted output.
const redacted = "REDACTED"

// LogValue implements [slog.LogValuer]. The secret logs as REDACTED, and the
// public key only as whether it is set.
func (c Config) LogValue() slog.Value {
	secret := ""
	if len(c.Secret) > 0 {
		secret = redacted
	}
	return slog.GroupValue(
		slog.String("algorithm", c.Algorithm),
		slog.String("secret", secret),
		slog.Bool("public_key", len(c.PublicKeyPEM) > 0),
		slog.String("issuer", c.Issuer),
		slog.String("audience", c.Audience),
		slog.String("tenant_claim", c.TenantClaim),
		slog.String("scopes_claim", c.ScopesClaim),
		slog.Duration("leeway", c.Leeway),
	)
}

// String returns c in Go-like syntax with the secret shown as REDACTED, so
// that formatting a Config with %v does not print the secret.
func (c Config) String() string {
	secret := "nil"
	if len(c.Secret) > 0 {
		secret = redacted
	}
	return fmt.Sprintf("auth.Config{Algorithm:%q, Secret:%s, PublicKeyPEM:%d bytes, Issuer:%q, Audience:%q, TenantClaim:%q, ScopesClaim:%q, Leeway:%s}",
		c.Algorithm, secret, len(c.PublicKeyPEM), c.Issuer, c.Audience, c.TenantClaim, c.ScopesClaim, c.Leeway)
}

// GoString is like String, for the %#v verb.
func (c Config) GoString() string { return c.String() }

// Format implements fmt.Formatter, so that no verb (%d and %x included)
// prints the secret: every verb prints String.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }
