package loader

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// Tenant is one registered tenant. A Tenant is immutable: a reload makes new
// ones.
type Tenant struct {
	// ID is the name of the tenant's directory and the value of the tenant
	// claim of its tokens.
	ID string
	// Config is the tenant's tenant.yaml.
	Config TenantConfig
	// Runtime serves the tenant's schema.
	Runtime *Runtime
	// LoadedAt is when this version of the tenant was loaded.
	LoadedAt time.Time
}

// Runtime is a compiled schema and the GraphQL handler serving it. Tenants
// whose schema sources are identical share one Runtime.
type Runtime struct {
	// Hash identifies the schema sources: the hex SHA-256 of their names
	// and contents.
	Hash string
	// Schema is the compiled schema.
	Schema *ast.Schema
	// Handler serves GraphQL requests against Schema. It expects the
	// tenant ID in the request's context (tenant.WithID).
	Handler http.Handler
}

// Options configure a Registry.
type Options struct {
	// Dir holds one directory per tenant.
	Dir string
	// Resolvers serve every tenant's root fields.
	Resolvers *resolvers.Resolver
	// NewHandler wraps an executable schema in an HTTP handler: the
	// gateway's gqlgen handler.Server with its transports and error
	// presenter. Each Runtime gets a handler of its own, and so its own
	// query cache.
	NewHandler func(graphql.ExecutableSchema) http.Handler
	// Logger receives load events. Default: slog.Default().
	Logger *slog.Logger
}

// Registry maps tenant IDs to tenants. Lookups are lock-free and may run
// concurrently with each other and with a reload: a reload builds a whole
// new map and swaps it in, so a request keeps the Tenant it looked up.
type Registry struct {
	opts    Options
	tenants atomic.Pointer[map[string]*Tenant]
}

// New loads every tenant under opts.Dir. It reports every problem found in
// one error, and fails if there is any.
func New(opts Options) (*Registry, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Registry{opts: opts}
	tenants, err := r.load()
	if err != nil {
		return nil, err
	}
	r.tenants.Store(&tenants)
	return r, nil
}

// Lookup returns the tenant with the given ID.
func (r *Registry) Lookup(id string) (*Tenant, bool) {
	t, ok := (*r.tenants.Load())[id]
	return t, ok
}

// Tenants returns every registered tenant, ordered by ID.
func (r *Registry) Tenants() []*Tenant {
	m := *r.tenants.Load()
	return slices.SortedFunc(maps.Values(m), func(a, b *Tenant) int { return cmp.Compare(a.ID, b.ID) })
}

// load reads every tenant directory and builds its runtime.
func (r *Registry) load() (map[string]*Tenant, error) {
	entries, err := os.ReadDir(r.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("read tenants directory: %w", err)
	}
	var errs []error
	tenants := make(map[string]*Tenant)
	runtimes := make(map[string]*Runtime) // by hash
	now := time.Now()
	for _, e := range entries {
		name := e.Name()
		// Skip hidden entries, such as the ..data links of a Kubernetes
		// ConfigMap volume.
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(r.opts.Dir, name)
		if !isDir(dir) {
			continue
		}
		if !tenant.ValidID(name) {
			errs = append(errs, fmt.Errorf("%s: directory name is not a valid tenant ID (letters, digits, '_' and '-', starting with a letter or digit, at most 63)", dir))
			continue
		}
		cfg, _, err := readConfig(filepath.Join(dir, ConfigFile))
		if errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: missing %s", dir, ConfigFile))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		srcs := graph.Sources()
		hash := hashSources(srcs)
		rt, ok := runtimes[hash]
		if !ok {
			rt = r.compile(hash, srcs)
			runtimes[hash] = rt
		}
		tenants[name] = &Tenant{ID: name, Config: cfg, Runtime: rt, LoadedAt: now}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.opts.Logger.Info("tenants loaded", "dir", r.opts.Dir, "tenants", len(tenants), "schemas", len(runtimes))
	return tenants, nil
}

// compile builds the runtime of a schema. Every tenant is served the base
// schema for now, by gqlgen's generated executor.
func (r *Registry) compile(hash string, _ []*ast.Source) *Runtime {
	es := graph.NewExecutableSchema(graph.Config{Resolvers: r.opts.Resolvers})
	return &Runtime{Hash: hash, Schema: es.Schema(), Handler: r.opts.NewHandler(es)}
}

func isDir(path string) bool {
	fi, err := os.Stat(path) // follows symbolic links
	return err == nil && fi.IsDir()
}

// hashSources returns the hex SHA-256 of the sources' names and contents.
func hashSources(srcs []*ast.Source) string {
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "%d:%s%d:%s", len(s.Name), s.Name, len(s.Input), s.Input)
	}
	return hex.EncodeToString(h.Sum(nil))
}
