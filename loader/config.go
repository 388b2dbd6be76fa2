package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
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
		return c, yamlError(path, err)
	}
	if c.Status == "" {
		c.Status = StatusActive
	}
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("%s: name is required", path))
	}
	if c.Status != StatusActive && c.Status != StatusSuspended {
		errs = append(errs, fmt.Errorf("%s: status %q is not active or suspended", path, c.Status))
	}
	return c, errors.Join(errs...)
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
func yamlError(path string, err error) error {
	var te interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &te) && te.GetToken() != nil {
		pos := te.GetToken().Position
		return fmt.Errorf("%s:%d:%d: %s", path, pos.Line, pos.Column, te.GetMessage())
	}
	return fmt.Errorf("%s: %w", path, err)
}
