package loader

import (
	"cmp"
	"context"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// Tenant is one registered tenant, as last loaded successfully. A Tenant
// is immutable: a reload makes new ones.
type Tenant struct {
	// ID is the name of the tenant's directory and the value of the tenant
	// claim of its tokens.
	ID string
	// Config is the tenant's tenant.yaml.
	Config TenantConfig
	// Limits are the tenant's limits: the registry's default limits
	// (Options.Limits) with those of Config.Limits in their place.
	Limits limits.Limits
	// Runtime serves the tenant's schema.
	Runtime *Runtime
	// LoadedAt is when this version of the tenant was loaded.
	LoadedAt time.Time
	// ConfigHash identifies everything the tenant was loaded from (its
	// tenant.yaml and schema files): resolved configuration cached under
	// it can't outlive a change of the files.
	ConfigHash string
	// Policy is the tenant's authorization (Config.Authorization and the
	// @requiresScopes of its schema), or nil when nothing is restricted.
	// See View.
	Policy *authz.Policy
	// Upstreams are the clients of the tenant's upstreams, by name, that
	// its @upstream fields are resolved with.
	Upstreams map[string]*upstream.Client

	views *viewCache
}

// Runtime is a compiled schema and the GraphQL handler serving it. Tenants
// whose schema sources are identical share one Runtime.
type Runtime struct {
	// Hash identifies the schema sources (see SourcesHash).
	Hash string
	// Schema is the compiled schema.
	Schema *Schema
	// Handler serves GraphQL requests against Schema. It expects the
	// tenant ID in the request's context (tenant.WithID).
	Handler http.Handler
}

// State is what operators see of a tenant: what it serves and what went
// wrong when it was last loaded.
type State struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Status Status `json:"status,omitempty"`
	// Serving reports whether the tenant has a runtime. A tenant whose
	// first load failed has none.
	Serving bool `json:"serving"`
	// SchemaHash identifies the schema being served.
	SchemaHash string    `json:"schemaHash,omitempty"`
	LoadedAt   time.Time `json:"loadedAt,omitzero"`
	// Error is the error of the latest load, with file:line:col, or ""
	// if it succeeded. When set, the tenant keeps serving what it served
	// before, if anything.
	Error   string    `json:"error,omitempty"`
	ErrorAt time.Time `json:"errorAt,omitzero"`
}

// Options configure a Registry.
type Options struct {
	// Dir holds one directory per tenant.
	Dir string
	// NewExecutable returns the executable schema of a compiled schema.
	NewExecutable func(*Schema) graphql.ExecutableSchema
	// NewHandler wraps an executable schema in an HTTP handler: the
	// gateway's gqlgen handler.Server with its transports and error
	// presenter. Each Runtime gets a handler of its own, and so its own
	// query cache: cached documents point into the schema they were
	// validated against. schemaHash identifies the schema, for caches
	// shared between replicas (persisted queries).
	NewHandler func(schemaHash string, es graphql.ExecutableSchema) http.Handler
	// Logger receives load events. Default: slog.Default().
	Logger *slog.Logger
	// Debounce is how long Watch waits for changes to settle before it
	// reloads. Default: 250ms.
	Debounce time.Duration
	// Limits are the gateway's limits, which each tenant's tenant.yaml
	// may lower or raise (Tenant.Limits). The zero value limits nothing.
	Limits limits.Limits
	// MaxViews bounds the views of its schema that a tenant keeps, one
	// per distinct grant of its callers (see Tenant.View). Default 32.
	MaxViews int
	// NewUpstream returns the client of the upstream name of a tenant,
	// as its tenant.yaml declares it in spec; the client resolves the
	// secrets of the upstream's headers, whose references are
	// secretRefs (the tenant's secrets). Nil: a tenant with upstreams
	// fails to load.
	NewUpstream func(tenantID string, secretRefs map[string]string, name string, spec upstream.Spec) (*upstream.Client, error)
	// Guard judges the addresses of upstream URLs when a tenant loads, as
	// NewUpstream's clients do when they dial. Nil: the zero Guard, which
	// refuses private addresses.
	Guard *upstream.Guard
	// OnLoad, if set, is called after each load of a tenant whose files
	// are new or changed (tenants left as they were are not loaded
	// again), with the time it took to read and compile them and the
	// load's error, if any. It is called during Reload, which it must not
	// call.
	OnLoad func(tenantID string, d time.Duration, err error)
}

// Registry maps tenant IDs to tenants. Lookups are lock-free and may run
// concurrently with each other and with a reload: a reload builds a whole
// new snapshot and swaps it in, so a request keeps the Tenant it looked up
// and finishes on the runtime it started with.
type Registry struct {
	opts Options
	snap atomic.Pointer[snapshot]
	// reloadMu serializes reloads.
	reloadMu sync.Mutex
}

// snapshot is one immutable state of the registry.
type snapshot struct {
	tenants  map[string]*Tenant
	states   map[string]State
	runtimes map[string]*Runtime // by schema hash
	// issuers maps the auth.issuer of tenants being served to their ID.
	issuers map[string]string
}

// New loads every tenant under opts.Dir. It fails only if the directory
// can't be read: a tenant that fails to load is not served, and its error
// is logged, returned by Problems and shown in States. Use Check to refuse
// any problem, as `tenantgraph check` does.
func New(opts Options) (*Registry, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Debounce == 0 {
		opts.Debounce = 250 * time.Millisecond
	}
	r := &Registry{opts: opts}
	r.snap.Store(&snapshot{})
	if err := r.Reload(); err != nil && errors.Is(err, errReadDir) {
		return nil, err
	}
	return r, nil
}

// errReadDir marks the failure to read the tenants directory itself.
var errReadDir = errors.New("read tenants directory")

// Lookup returns the tenant with the given ID, if it is being served.
func (r *Registry) Lookup(id string) (*Tenant, bool) {
	t, ok := r.snap.Load().tenants[id]
	return t, ok
}

// IssuerTenant returns the tenant whose tenant.yaml names iss as its
// token issuer.
func (r *Registry) IssuerTenant(iss string) (*Tenant, bool) {
	snap := r.snap.Load()
	id, ok := snap.issuers[iss]
	if !ok {
		return nil, false
	}
	t, ok := snap.tenants[id]
	return t, ok
}

// Known reports whether a directory for the tenant exists, whether or not
// it could be loaded.
func (r *Registry) Known(id string) bool {
	_, ok := r.snap.Load().states[id]
	return ok
}

// Tenants returns every tenant being served, ordered by ID.
func (r *Registry) Tenants() []*Tenant {
	m := r.snap.Load().tenants
	return slices.SortedFunc(maps.Values(m), func(a, b *Tenant) int { return cmp.Compare(a.ID, b.ID) })
}

// States returns the state of every tenant directory, ordered by ID.
func (r *Registry) States() []State {
	m := r.snap.Load().states
	return slices.SortedFunc(maps.Values(m), func(a, b State) int { return cmp.Compare(a.ID, b.ID) })
}

// Problems returns the errors of the latest load, one per failing tenant.
func (r *Registry) Problems() error {
	var errs []error
	for _, s := range r.States() {
		if s.Error != "" {
			errs = append(errs, errors.New(s.Error))
		}
	}
	return errors.Join(errs...)
}

// Reload reads every tenant directory again and swaps in the result.
// Tenants whose files did not change keep their Tenant and Runtime; a
// tenant whose new files fail to load keeps serving its last good version.
// Reload returns the problems found, like Problems.
func (r *Registry) Reload() error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()

	prev := r.snap.Load()
	dirs, err := tenantDirs(r.opts.Dir)
	if err != nil {
		return err
	}
	next := &snapshot{
		tenants:  make(map[string]*Tenant, len(dirs)),
		states:   make(map[string]State, len(dirs)),
		runtimes: make(map[string]*Runtime),
	}
	now := time.Now()
	var problems []error
	for _, d := range dirs {
		id := filepath.Base(d)
		old, hadOld := prev.tenants[id]
		start := time.Now()
		src, err := readTenant(d)
		if err == nil && hadOld && old.ConfigHash == src.inputHash {
			// Unchanged since the last successful load (perhaps after a
			// failed edit was undone): the state is the tenant's own.
			next.tenants[id] = old
			next.states[id] = stateOf(old)
			next.runtimes[old.Runtime.Hash] = old.Runtime
			continue
		}
		var rt *Runtime
		var clients map[string]*upstream.Client
		if err == nil {
			rt, err = r.runtime(src, prev, next)
		}
		if err == nil {
			clients, err = r.upstreams(src, rt)
		}
		if r.opts.OnLoad != nil {
			r.opts.OnLoad(id, time.Since(start), err)
		}
		if err != nil {
			problems = append(problems, err)
			st := State{ID: id}
			if hadOld {
				// Keep serving the last good version.
				next.tenants[id] = old
				next.runtimes[old.Runtime.Hash] = old.Runtime
				st = stateOf(old)
				r.opts.Logger.Error("tenant failed to reload; still serving its previous version",
					"tenant", id, "error", err)
			} else if prevErr := prev.states[id].Error; prevErr != "" && prevErr == err.Error() {
				// Failing as before: said already.
				r.opts.Logger.Debug("tenant still fails to load; it is not served", "tenant", id, "error", err)
			} else {
				r.opts.Logger.Error("tenant failed to load; it is not served", "tenant", id, "error", err)
			}
			st.Error, st.ErrorAt = err.Error(), now
			next.states[id] = st
			continue
		}
		t := &Tenant{
			ID: id, Config: src.config, Limits: r.opts.Limits.Override(src.config.Limits),
			Runtime: rt, LoadedAt: now, ConfigHash: src.inputHash,
			Policy:    authz.NewPolicy(rt.Schema.Authoring, src.config.Authorization),
			Upstreams: clients,
		}
		t.views = newViewCache(rt, r.opts.MaxViews, r.viewRuntime(rt))
		next.tenants[id] = t
		next.states[id] = stateOf(t)
		if hadOld {
			r.opts.Logger.Info("tenant reloaded", "tenant", id, "schema", shortHash(rt.Hash))
		}
	}
	for id := range prev.tenants {
		if _, ok := next.states[id]; !ok {
			r.opts.Logger.Info("tenant removed", "tenant", id)
		}
	}
	problems = append(problems, indexIssuers(next, now)...)
	r.snap.Store(next)
	for id, old := range prev.tenants {
		if next.tenants[id] != old {
			// Requests in flight keep using them; only idle connections
			// are closed.
			closeAll(old.Upstreams)
		}
	}
	// A reload that changed nothing (Watch's first, right after New; a
	// SIGHUP with no edit) says so at debug level only: the log tells
	// what the gateway serves once, and again when that changes.
	level := slog.LevelInfo
	if len(prev.states) > 0 && sameStates(prev.states, next.states) {
		level = slog.LevelDebug
	}
	r.opts.Logger.Log(context.Background(), level, "tenants loaded", "dir", r.opts.Dir,
		"serving", len(next.tenants), "failing", len(problems), "schemas", len(next.runtimes))
	return errors.Join(problems...)
}

// sameStates reports whether two loads left every tenant directory in the
// same state: the same tenants served, from the same load, and the same
// errors.
func sameStates(a, b map[string]State) bool {
	if len(a) != len(b) {
		return false
	}
	for id, sa := range a {
		sb, ok := b[id]
		if !ok || sa.Serving != sb.Serving || sa.SchemaHash != sb.SchemaHash ||
			!sa.LoadedAt.Equal(sb.LoadedAt) || sa.Error != sb.Error {
			return false
		}
	}
	return true
}

// stateOf is the state of a tenant being served without a problem.
func stateOf(t *Tenant) State {
	return State{
		ID: t.ID, Name: t.Config.Name, Status: t.Config.Status, Serving: true,
		SchemaHash: t.Runtime.Hash, LoadedAt: t.LoadedAt,
	}
}

// indexIssuers maps the token issuers of next's tenants to them. An issuer
// can belong to one tenant only: a second tenant naming it is a problem,
// and its issuer is left out (its tokens are then checked against the
// gateway's global settings, which will refuse them).
func indexIssuers(next *snapshot, now time.Time) []error {
	next.issuers = make(map[string]string)
	var problems []error
	for _, id := range slices.Sorted(maps.Keys(next.tenants)) {
		a := next.tenants[id].Config.Auth
		if a == nil {
			continue
		}
		if owner, taken := next.issuers[a.Issuer]; taken {
			err := fmt.Errorf("%s: auth.issuer %q is already the issuer of tenant %q; its tokens are not accepted for %q",
				filepath.Join(id, ConfigFile), a.Issuer, owner, id)
			problems = append(problems, err)
			st := next.states[id]
			st.Error, st.ErrorAt = err.Error(), now
			next.states[id] = st
			continue
		}
		next.issuers[a.Issuer] = id
	}
	return problems
}

// runtime returns the runtime of src's schema: one already built, by hash,
// or a new one.
func (r *Registry) runtime(src *tenantSource, prev, next *snapshot) (*Runtime, error) {
	if rt, ok := next.runtimes[src.schemaHash]; ok {
		return rt, nil
	}
	if rt, ok := prev.runtimes[src.schemaHash]; ok {
		next.runtimes[src.schemaHash] = rt
		return rt, nil
	}
	s, err := Compile(src.files)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Hash: src.schemaHash, Schema: s, Handler: r.opts.NewHandler(src.schemaHash, r.opts.NewExecutable(s))}
	next.runtimes[src.schemaHash] = rt
	return rt, nil
}

// viewRuntime returns how to build the runtime of a view of base's schema:
// an executable schema and a handler of its own (the handler's query cache
// must not be shared: a document valid for one view may not be for
// another). Persisted queries, which hold only query texts, stay keyed by
// the schema's hash.
func (r *Registry) viewRuntime(base *Runtime) func(hash string, s *Schema) *Runtime {
	return func(hash string, s *Schema) *Runtime {
		return &Runtime{Hash: hash, Schema: s, Handler: r.opts.NewHandler(base.Hash, r.opts.NewExecutable(s))}
	}
}

// tenantDirs returns the tenant directories under dir, skipping hidden
// entries (such as the ..data link of a Kubernetes ConfigMap volume) and
// plain files.
func tenantDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errReadDir, err)
	}
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if fi, err := os.Stat(path); err == nil && fi.IsDir() { // follows links
			dirs = append(dirs, path)
		}
	}
	return dirs, nil
}

// WatchEvents, when not nil, is called after every reload that Watch
// triggers, with the reload's problems; tests wait on it.
type WatchEvents func(err error)

// Watch reloads the registry whenever something under Dir changes, until
// ctx is done. It watches the tenants directory and every tenant
// directory, not files, because editors and Kubernetes ConfigMaps replace
// files by renaming; bursts of events within Debounce make one reload.
// Watch reloads once as soon as it watches, to catch changes made since
// the registry was loaded. onReload, if not nil, is called after each
// reload, that first one included.
func (r *Registry) Watch(ctx context.Context, onReload WatchEvents) error {
	w, err := newDirWatcher(r.opts.Dir)
	if err != nil {
		return err
	}
	defer w.Close()
	// Changes made between the last load and the start of the watch
	// raised no event: reload once now that they would.
	err = r.Reload()
	if onReload != nil {
		onReload(err)
	}
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors():
			r.opts.Logger.Warn("watching tenants", "error", err)
		case <-w.Events():
			timer.Reset(r.opts.Debounce)
		case <-timer.C:
			if err := w.Sync(); err != nil {
				r.opts.Logger.Warn("watching tenants", "error", err)
			}
			err := r.Reload()
			if onReload != nil {
				onReload(err)
			}
		}
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Check loads every tenant under dir and returns every problem found, for
// `tenantgraph check` and the tenants' own CI. It needs no database.
func Check(dir string) error {
	dirs, err := tenantDirs(dir)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("%s: no tenant directories", dir)
	}
	var errs []error
	for _, d := range dirs {
		src, err := readTenant(d)
		var s *Schema
		if err == nil {
			s, err = Compile(src.files)
		}
		if err == nil {
			err = undeclaredUpstreams(src.config, upstreamFields(s.Authoring))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LoadSchema reads and compiles one tenant directory, for `tenantgraph
// schema`.
func LoadSchema(dir string) (*Schema, error) {
	src, err := readTenant(dir)
	if err != nil {
		return nil, err
	}
	return Compile(src.files)
}

// tenantSource is what a tenant directory holds.
type tenantSource struct {
	id     string
	dir    string
	config TenantConfig
	// rawConfig is the tenant.yaml as read, for positions.
	rawConfig []byte
	files     []*ast.Source
	// schemaHash identifies the schema: the hash of the base SDL and the
	// tenant's extension files (names and contents), so tenants with the
	// same files share a runtime.
	schemaHash string
	// inputHash identifies everything loaded from the directory.
	inputHash string
}

// readTenant reads a tenant directory: its tenant.yaml and its .graphqls
// files, in name order.
func readTenant(dir string) (*tenantSource, error) {
	id := filepath.Base(dir)
	if !tenant.ValidID(id) {
		return nil, fmt.Errorf("%s: directory name is not a valid tenant ID (letters, digits, '_' and '-', starting with a letter or digit, at most 63)", dir)
	}
	cfg, raw, err := readConfig(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: missing %s", dir, ConfigFile)
	}
	if err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	src := &tenantSource{id: id, dir: dir, config: cfg, rawConfig: raw}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		src.files = append(src.files, &ast.Source{Name: name, Input: string(b)})
	}
	src.schemaHash = SourcesHash(src.files)
	src.inputHash = hashParts(src.schemaHash, string(raw))
	return src, nil
}
