// Package secrets resolves secret references such as "env:ERP_PASSWORD" or
// "file:/run/secrets/erp" to their values.
//
// A reference is a scheme, a colon and a scheme-specific name. Each scheme
// is served by a Provider, so that an external secret manager can be added
// with Register without touching the callers:
//
//	r := secrets.NewResolver(os.LookupEnv)
//	r.Register("vault", myVaultProvider)
//	key, err := r.Resolve(ctx, "env:CUSTOMER_A_JWT_SECRET")
package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNotFound is returned (wrapped) when a reference names a secret that
// does not exist: an unset variable or a missing file.
var ErrNotFound = errors.New("secret not found")

// Provider resolves the names of one scheme. Implementations must be safe
// for concurrent use.
type Provider interface {
	// Secret returns the value named name (the reference without its
	// scheme), or an error wrapping ErrNotFound.
	Secret(ctx context.Context, name string) (Value, error)
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context, name string) (Value, error)

// Secret implements Provider.
func (f ProviderFunc) Secret(ctx context.Context, name string) (Value, error) { return f(ctx, name) }

// Value is a secret. It prints, with any verb, and logs as REDACTED.
type Value []byte

func (Value) String() string { return "REDACTED" }

// GoString implements fmt.GoStringer, for %#v.
func (Value) GoString() string { return "REDACTED" }

// Format implements fmt.Formatter. Without it, verbs for which fmt does not
// call String, such as %d and %c, would print the secret's bytes.
func (v Value) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's', 'x', 'X', 'q': // as fmt would print v.String() or v.GoString()
		if verb == 'v' && f.Flag('#') {
			io.WriteString(f, v.GoString())
			return
		}
		fmt.Fprintf(f, fmt.FormatString(f, verb), v.String())
	default:
		io.WriteString(f, v.String())
	}
}

// LogValue implements slog.LogValuer.
func (Value) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Resolver resolves references through the provider of their scheme. Its
// methods may be called concurrently.
type Resolver struct {
	mu        sync.RWMutex
	providers map[string]Provider
}

// NewResolver returns a Resolver with the built-in schemes: "env", read
// through lookupEnv (os.LookupEnv in production), and "file", which reads
// a file by absolute path and trims one trailing newline.
func NewResolver(lookupEnv func(string) (string, bool)) *Resolver {
	r := &Resolver{providers: make(map[string]Provider)}
	r.Register("env", ProviderFunc(func(_ context.Context, name string) (Value, error) {
		v, ok := lookupEnv(name)
		if !ok {
			return nil, fmt.Errorf("environment variable %s is not set: %w", name, ErrNotFound)
		}
		return Value(v), nil
	}))
	r.Register("file", ProviderFunc(func(_ context.Context, name string) (Value, error) {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("file %s does not exist: %w", name, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		return Value(strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")), nil
	}))
	return r
}

// Register makes p serve the references of scheme, replacing any provider
// registered for it.
func (r *Resolver) Register(scheme string, p Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.providers[scheme] = p
}

// Resolve returns the value of ref.
func (r *Resolver) Resolve(ctx context.Context, ref string) (Value, error) {
	p, name, err := r.parse(ref)
	if err != nil {
		return nil, err
	}
	v, err := p.Secret(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", ref, err)
	}
	return v, nil
}

// Check reports whether ref is well-formed and its scheme is known,
// without resolving it.
func (r *Resolver) Check(ref string) error {
	_, _, err := r.parse(ref)
	return err
}

// parse splits ref and returns the provider of its scheme and the name.
func (r *Resolver) parse(ref string) (Provider, string, error) {
	scheme, name, ok := strings.Cut(ref, ":")
	if !ok || scheme == "" || name == "" {
		return nil, "", fmt.Errorf("secret reference %q is not scheme:name, such as env:VAR or file:/path", ref)
	}
	r.mu.RLock()
	p, known := r.providers[scheme]
	r.mu.RUnlock()
	if !known {
		return nil, "", fmt.Errorf("secret reference %q: unknown scheme %q", ref, scheme)
	}
	if scheme == "file" && !filepath.IsAbs(name) {
		return nil, "", fmt.Errorf("secret reference %q: a file path must be absolute", ref)
	}
	return p, name, nil
}
