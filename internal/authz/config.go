package authz

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mode is what a tenant does with a field its caller may not use.
type Mode string

// The modes of Config.Unauthorized.
const (
	// Hide serves the caller a schema without the fields it may not use:
	// they do not exist for it, in validation, introspection and
	// /schema.graphql alike.
	Hide Mode = "hide"
	// Reject serves the whole schema, and answers a selected field the
	// caller may not use with a FORBIDDEN field error and null, before
	// any resolver of it runs.
	Reject Mode = "reject"
)

// DefaultRolesClaim is the claim a tenant's roles are read from when its
// Config names none.
const DefaultRolesClaim = "roles"

// Config is a tenant's authorization block in tenant.yaml. The zero Config
// grants every field to every caller, as a tenant without the block has.
type Config struct {
	// RolesClaim names the token claim that holds the caller's roles: a
	// string, or an array of strings. Default "roles".
	RolesClaim string `yaml:"rolesClaim"`
	// Roles maps a role to the scopes it grants. A caller holds the
	// scopes of its token and those of each of its roles; a role not
	// listed grants nothing.
	Roles map[string][]string `yaml:"roles"`
	// Operations maps root fields of the base schema (goods, goodsList,
	// createGoods, ...) to the scopes they require. A root field not
	// listed is open to every caller of the tenant.
	Operations map[string]Requirement `yaml:"operations"`
	// Unauthorized is hide (the default) or reject.
	Unauthorized Mode `yaml:"unauthorized"`
}

// ClaimName returns the claim the caller's roles are read from.
func (c *Config) ClaimName() string {
	if c == nil || c.RolesClaim == "" {
		return DefaultRolesClaim
	}
	return c.RolesClaim
}

// ModeOrDefault returns c.Unauthorized, or Hide when it is not set.
func (c *Config) ModeOrDefault() Mode {
	if c == nil || c.Unauthorized == "" {
		return Hide
	}
	return c.Unauthorized
}

// registeredClaims are the claims of RFC 7519 that cannot hold roles.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// Validate reports every problem of c at once. Each error starts with the
// key it is about, relative to the block ("roles.editor",
// "operations.goods"), followed by a colon, so that callers can point at
// the key. rootFields are the root fields Operations may name.
func (c *Config) Validate(rootFields []string) error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.RolesClaim != "" && slices.Contains(registeredClaims, c.RolesClaim) {
		add("rolesClaim", "%q is a registered claim and cannot hold roles", c.RolesClaim)
	}
	switch c.Unauthorized {
	case "", Hide, Reject:
	default:
		add("unauthorized", "%q is not hide or reject", c.Unauthorized)
	}
	for _, role := range slices.Sorted(maps.Keys(c.Roles)) {
		if err := CheckScope(role); err != nil {
			add("roles", "role %q: %v", role, err)
		}
		for _, s := range c.Roles[role] {
			if err := CheckScope(s); err != nil {
				add("roles."+role, "scope %q: %v", s, err)
			}
		}
	}
	for _, op := range slices.Sorted(maps.Keys(c.Operations)) {
		if !slices.Contains(rootFields, op) {
			add("operations", "%q is not a root field of the base schema (%s)", op, strings.Join(rootFields, ", "))
			continue
		}
		if err := c.Operations[op].Check(); err != nil {
			add("operations."+op, "%v", err)
		}
	}
	return errors.Join(errs...)
}
