package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// ConfigFile is the name of a tenant's configuration file in its directory.
const ConfigFile = "tenant.yaml"

// Status is whether a tenant may use the gateway.
type Status string

// The tenant statuses.
const (
	StatusActive    Status = "active"    // requests are served
	StatusSuspended Status = "suspended" // requests get 403 TENANT_SUSPENDED
)

// TenantConfig is the content of a tenant's tenant.yaml. Unknown keys are an
// error.
type TenantConfig struct {
	// Name is the tenant's display name. Required.
	Name string `yaml:"name"`
	// Status is active or suspended. Default: active.
	Status Status `yaml:"status"`
	// Introspection allows __schema and __type queries and
	// /schema.graphql. Default: true.
	Introspection *bool `yaml:"introspection"`
	// Secrets maps a secret's name to a reference to its value, such as
	// env:VAR or file:/path. Values are resolved at run time, never
	// written here.
	Secrets map[string]string `yaml:"secrets"`
	// Auth, when set, makes the tenant's own identity provider an issuer
	// of its tokens, next to the gateway's global JWT settings.
	Auth *AuthConfig `yaml:"auth"`
	// Limits override the gateway's limits for this tenant: a key left
	// out (or zero) keeps the gateway's default.
	Limits limits.Limits `yaml:"limits"`
	// Authorization, when set, maps the caller's roles to scopes and says
	// which scopes the root fields require, and what a caller sees of
	// fields it may not use. Nil: every field that no @requiresScopes
	// restricts is open to every caller.
	Authorization *authz.Config `yaml:"authorization"`
	// Upstreams are the tenant's own GraphQL services, by name, that
	// fields marked @upstream(name: ...) are resolved by.
	Upstreams map[string]upstream.Spec `yaml:"upstreams"`
}

// AuthConfig is the tenant's own token issuer.
type AuthConfig struct {
	// Issuer is the iss claim of the tenant's tokens. Required; no two
	// tenants may have the same issuer.
	Issuer string `yaml:"issuer"`
	// Audiences, when set, must contain one of a token's aud values.
	Audiences []string `yaml:"audiences"`
	// Algorithm is the only accepted signing algorithm: HS256, RS256 or
	// ES256. Default: RS256.
	Algorithm string `yaml:"algorithm"`
	// Key is "secret:NAME": an HS256 secret, or a PEM public key, held in
	// Secrets under NAME. Exactly one of Key and JWKSURL is set.
	Key string `yaml:"key"`
	// JWKSURL is where the issuer publishes its keys (https, or http on a
	// loopback address for development).
	JWKSURL string `yaml:"jwksURL"`
	// AcceptGlobalTokens, when false, refuses the tokens of the gateway's
	// own issuer (JWT_*) for this tenant: only the tenant's issuer speaks
	// for it. Default true.
	AcceptGlobalTokens *bool `yaml:"acceptGlobalTokens"`
}

// GlobalTokensAccepted reports whether tokens of the gateway's global
// issuer are accepted for a tenant with this auth block; true for a tenant
// without one.
func (a *AuthConfig) GlobalTokensAccepted() bool {
	return a == nil || a.AcceptGlobalTokens == nil || *a.AcceptGlobalTokens
}

// SecretName returns the NAME of a Key of the form "secret:NAME".
func (a *AuthConfig) SecretName() string {
	name, _ := strings.CutPrefix(a.Key, "secret:")
	return name
}

// IntrospectionEnabled reports whether the tenant's schema may be
// introspected.
func (c TenantConfig) IntrospectionEnabled() bool {
	return c.Introspection == nil || *c.Introspection
}

// ParseConfig decodes and validates a tenant.yaml. Errors name path and
// the line and column of the offending key.
func ParseConfig(path string, data []byte) (TenantConfig, error) {
	var c TenantConfig
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, yamlError(path, data, err)
	}
	if c.Status == "" {
		c.Status = StatusActive
	}
	if c.Auth != nil && c.Auth.Algorithm == "" {
		c.Auth.Algorithm = "RS256"
	}
	return c, c.validate(path, data)
}

// secretRef is the grammar of a secret reference: a scheme and a name.
var secretRef = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:.+$`)

// secretName is the grammar of a secret's name in tenant.yaml.
var secretName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// validate reports every problem of c at once, each at the position of its
// key in data when it can be found.
func (c *TenantConfig) validate(path string, data []byte) error {
	var errs []error
	at := func(yamlPath, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", position(path, data, yamlPath), fmt.Sprintf(format, args...)))
	}
	if c.Name == "" {
		at("$", "name is required")
	}
	if c.Status != StatusActive && c.Status != StatusSuspended {
		at("$.status", "status %q is not active or suspended", c.Status)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Secrets)) {
		if !secretName.MatchString(name) {
			at("$.secrets", "secret name %q must be a letter then up to 63 letters, digits, '_' or '-'", name)
		}
		if ref := c.Secrets[name]; !secretRef.MatchString(ref) {
			at("$.secrets."+name, "secrets.%s: %q is not a reference such as env:VAR or file:/path", name, ref)
		}
	}
	if a := c.Auth; a != nil {
		if a.Issuer == "" {
			at("$.auth", "auth.issuer is required")
		}
		switch a.Algorithm {
		case "HS256", "RS256", "ES256":
		default:
			at("$.auth.algorithm", "auth.algorithm %q is not HS256, RS256 or ES256", a.Algorithm)
		}
		switch {
		case a.Key == "" && a.JWKSURL == "":
			at("$.auth", "auth needs key (secret:NAME) or jwksURL")
		case a.Key != "" && a.JWKSURL != "":
			at("$.auth", "auth has both key and jwksURL; give one")
		case a.Key != "":
			if !strings.HasPrefix(a.Key, "secret:") {
				at("$.auth.key", "auth.key %q must be secret:NAME, naming an entry of secrets", a.Key)
			} else if _, ok := c.Secrets[a.SecretName()]; !ok {
				at("$.auth.key", "auth.key names secret %q, which is not under secrets", a.SecretName())
			}
		case a.JWKSURL != "":
			if a.Algorithm == "HS256" {
				at("$.auth.jwksURL", "auth.jwksURL: HS256 keys are shared secrets and are not published; use key")
			}
			if err := checkJWKSURL(a.JWKSURL); err != nil {
				at("$.auth.jwksURL", "auth.jwksURL: %v", err)
			}
		}
	}
	if c.Authorization != nil {
		if err := c.Authorization.Validate(baseRootFields()); err != nil {
			for _, e := range unjoin(err) {
				key, _, _ := strings.Cut(e.Error(), ":")
				at("$.authorization."+key, "authorization.%v", e)
			}
		}
	}
	// The gateway's guard judges private addresses when the tenant loads
	// (Options.Guard); here, everything else.
	lenient := &upstream.Guard{AllowPrivate: true}
	for _, name := range slices.Sorted(maps.Keys(c.Upstreams)) {
		if !upstreamName.MatchString(name) {
			at("$.upstreams", "upstream name %q must be a letter then up to 63 letters, digits, '_' or '-'", name)
			continue
		}
		err := c.Upstreams[name].Validate(lenient, slices.Collect(maps.Keys(c.Secrets)))
		if err == nil {
			continue
		}
		for _, e := range unjoin(err) {
			key, _, _ := strings.Cut(e.Error(), ":")
			at("$.upstreams."+name+"."+key, "upstreams.%s.%v", name, e)
		}
	}
	if err := c.Limits.Validate(func(field string) string { return "limits." + field }); err != nil {
		for _, e := range unjoin(err) {
			key, _, _ := strings.Cut(e.Error(), ":")
			at("$."+key, "%v", e)
		}
	}
	return errors.Join(errs...)
}

// checkJWKSURL accepts https URLs, and http URLs of loopback hosts for
// development.
func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%q must be https (http only on a loopback address)", s)
}

// position returns "path:line:col" of the node at yamlPath in data, or
// just path when it can't be found.
func position(path string, data []byte, yamlPath string) string {
	if yamlPath == "$" {
		return path
	}
	p, err := yaml.PathString(yamlPath)
	if err != nil {
		return path
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return path
	}
	node, err := p.FilterFile(file)
	if err != nil || node == nil || node.GetToken() == nil {
		return path
	}
	pos := node.GetToken().Position
	return fmt.Sprintf("%s:%d:%d", path, pos.Line, pos.Column)
}

// readConfig reads and parses the tenant.yaml at path.
func readConfig(path string) (TenantConfig, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return TenantConfig{}, nil, err
	}
	c, err := ParseConfig(path, data)
	return c, data, err
}

// yamlError rewrites a go-yaml error as "path:line:col: message", the form
// editors and CI logs link to.
func yamlError(path string, data []byte, err error) error {
	var te interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &te) && te.GetToken() != nil {
		pos := te.GetToken().Position
		return fmt.Errorf("%s:%d:%d: %s", path, pos.Line, pos.Column, te.GetMessage())
	}
	// go-yaml reports a malformed duration without its position: find
	// the value in the file.
	if _, v, ok := strings.Cut(err.Error(), "time: invalid duration "); ok {
		v, _ = strconv.Unquote(v)
		for _, tk := range lexer.Tokenize(string(data)) {
			if tk.Value == v {
				return fmt.Errorf("%s:%d:%d: %q is not a duration such as 1.5s", path, tk.Position.Line, tk.Position.Column, v)
			}
		}
		return fmt.Errorf("%s: %q is not a duration such as 1.5s", path, v)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// unjoin returns the errors joined in err by errors.Join, or err itself.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// baseRootFields returns the names of the root fields of the base schema,
// which an authorization block's operations may name.
var baseRootFields = sync.OnceValue(func() []string {
	base, err := parseBase()
	if err != nil {
		return nil // Compile reports it
	}
	var names []string
	for _, root := range []string{"Query", "Mutation"} {
		if def := base.Definitions.ForName(root); def != nil {
			for _, f := range def.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					names = append(names, f.Name)
				}
			}
		}
	}
	return names
})
