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
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
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
	// Serving reports whether the tenant's requests are served: by its
	// compiled schema, by a version of its files not compiled yet (it
	// compiles on its first request), or by an earlier version while the
	// latest fails to load. A tenant whose first load failed is not
	// served.
	Serving bool `json:"serving"`
	// Resident reports whether the tenant's schema is compiled and held
	// in memory (see Options.MaxResident and Options.IdleTimeout).
	Resident bool `json:"resident"`
	// SchemaHash identifies the schema being served, or to be served.
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
	// MaxResident bounds the tenants whose compiled schema the registry
	// holds in memory. When a tenant not held is looked up, it is
	// compiled, and the least recently used tenant makes room. Default
	// DefaultMaxResident.
	MaxResident int
	// IdleTimeout is how long a resident tenant stays compiled in memory
	// after its last lookup. A tenant that no lookup has used for longer
	// is evicted as the least recently used one is when MaxResident is
	// reached (requests holding it finish on it), and compiled again on
	// its next lookup, so that an idle tenant costs only its directory
	// entry. A background goroutine looks for idle tenants every
	// IdleTimeout/4, or every second if that is longer, so a tenant goes
	// between IdleTimeout and a quarter of it later (up to a second
	// early: see touch). Close stops the goroutine. Zero means
	// DefaultIdleTimeout; a negative value never evicts for idleness.
	IdleTimeout time.Duration
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
	// OnLoad, if set, is called after each load of a tenant, with the
	// time it took and its error, if any: each compilation (on the
	// tenant's first lookup, after it was evicted, or when a reload finds
	// the files of a resident tenant changed), and each reload that
	// finds its files changed and unreadable or its tenant.yaml invalid.
	// It must not call the Registry.
	OnLoad func(tenantID string, d time.Duration, err error)
}

// DefaultMaxResident is the default of Options.MaxResident.
const DefaultMaxResident = 10000

// DefaultIdleTimeout is the default of Options.IdleTimeout. Fifteen
// minutes is far longer than a compile costs (about a millisecond): a
// tenant whose clients poll, or work through a session, now and then
// stays resident, and one evicted pays one compile on its return, while
// tenants unused for a quarter of an hour stop costing the collector the
// marking of their schemas (about 19 KB of pointer-dense AST each) on
// every cycle.
const DefaultIdleTimeout = 15 * time.Minute

// Registry maps tenant IDs to tenants. A reload reads and hashes every
// tenant directory and swaps in the result; it compiles only tenants held
// in memory whose files changed. Every other tenant is compiled when it
// is first looked up, once however many requests ask for it at the same
// time, and held until it is among the least recently used of more than
// Options.MaxResident. Lookups of held tenants are lock-free but for the
// recency list, and may run concurrently with each other and with a
// reload: a request keeps the Tenant it looked up and finishes on the
// runtime it started with. A tenant unused for Options.IdleTimeout is
// evicted too; call Close to stop the goroutine that looks for them.
type Registry struct {
	opts Options
	snap atomic.Pointer[snapshot]
	// reloadMu serializes reloads.
	reloadMu sync.Mutex
	// resident orders the versions holding a compiled tenant by use.
	resident *lru.Cache[*version, struct{}]
	// runtimes shares runtimes between tenants with the same schema. It
	// is an object of its own: the cleanup of each runtime refers to it
	// (see runtimeSet.add), and a cleanup that reached the Registry would
	// reach the runtime, which could then never be collected, nor the
	// Registry with it.
	runtimes *runtimeSet
	// compiling bounds the schemas compiled and the views built at once
	// (see compileSlots).
	compiling compileSlots

	// now is the clock of idle expiry, time.Now but in tests; times are
	// kept as nanoseconds since epoch (see clock).
	now   func() time.Time
	epoch time.Time
	// touchEvery is how stale a version's lastUse may be before a lookup
	// stores it again (see touch); sweepInterval how often the sweeper
	// wakes. Tests set both.
	touchEvery    time.Duration
	sweepInterval time.Duration
	// sweeper evicts idle tenants (see Options.IdleTimeout).
	sweeper sweeper
}

// snapshot is one state of the tenants directory.
type snapshot struct {
	versions map[string]*version
	// issuers maps the auth.issuer of tenants being served to their ID;
	// conflicts holds the problem of each tenant whose issuer another
	// tenant took.
	issuers   map[string]string
	conflicts map[string]error
}

// version is one version of a tenant's directory, as a reload read it,
// and what was compiled of it.
type version struct {
	id string
	// src is what the directory holds, or nil if it could not be read or
	// its tenant.yaml is invalid.
	src *tenantSource
	// good holds the sources of the last version of the tenant that
	// compiled, or nil: the tenant is served from them while src fails
	// to load.
	good *tenantSource
	// tenant is the tenant compiled from src or good while it is
	// resident.
	tenant atomic.Pointer[Tenant]
	// replaced is set when a reload replaces or removes the version.
	replaced atomic.Bool
	// lastUse is when a lookup last used the version, give or take
	// Registry.touchEvery, in nanoseconds of Registry.clock.
	lastUse atomic.Int64

	// compiling is held (a buffered channel of one, so that a waiter can
	// give up) while the version compiles.
	compiling chan struct{}

	mu sync.Mutex
	// srcFailed and goodFailed record that src and good failed to
	// compile, so that lookups do not try again.
	srcFailed, goodFailed bool
	// served is the source last compiled, src or good.
	served     *tenantSource
	err        error
	errAt      time.Time
	errorShown bool
	shownErr   error // the error logged, when errorShown
}

// New reads every tenant directory under opts.Dir, without compiling any
// schema (see Preload). It fails only if the directory can't be read: a
// tenant that fails to load is not served, and its error is logged,
// returned by Problems and shown in States. Use Check to refuse any
// problem, as `tenantgraph check` does.
func New(opts Options) (*Registry, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Debounce == 0 {
		opts.Debounce = 250 * time.Millisecond
	}
	if opts.MaxResident <= 0 {
		opts.MaxResident = DefaultMaxResident
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	r := &Registry{opts: opts, runtimes: &runtimeSet{}, compiling: make(compileSlots, runtime.GOMAXPROCS(0)), now: time.Now}
	r.epoch = r.now()
	r.touchEvery = min(opts.IdleTimeout/16, time.Second)
	r.sweepInterval = max(opts.IdleTimeout/4, time.Second)
	r.resident, _ = lru.NewWithEvict(opts.MaxResident, func(v *version, _ struct{}) {
		if t := v.tenant.Swap(nil); t != nil {
			closeAll(t.Upstreams) // requests in flight keep using them
		}
	})
	r.snap.Store(&snapshot{})
	if err := r.Reload(); err != nil && errors.Is(err, errReadDir) {
		return nil, err
	}
	return r, nil
}

// errReadDir marks the failure to read the tenants directory itself.
var errReadDir = errors.New("read tenants directory")

// Lookup returns the tenant with the given ID, compiling it if it is not
// resident. It reports false if there is no such tenant or if it cannot
// be served (Known tells these apart).
func (r *Registry) Lookup(id string) (*Tenant, bool) {
	return r.LookupContext(context.Background(), id)
}

// LookupContext is Lookup, giving up when ctx is done before the tenant
// is compiled: while it waits for a compile of the same tenant or for a
// compile slot (at most GOMAXPROCS tenants compile, or views of tenants'
// schemas are built, at once; see Tenant.View). It then
// reports false, and ctx.Err() says why. A compile under way is not
// stopped: its tenant becomes resident for the next lookup.
func (r *Registry) LookupContext(ctx context.Context, id string) (*Tenant, bool) {
	v := r.snap.Load().versions[id]
	if v == nil {
		return nil, false
	}
	t := r.load(ctx, v)
	return t, t != nil
}

// Issuer returns the entry of the tenant whose tenant.yaml names iss as
// its token issuer.
func (r *Registry) Issuer(iss string) (Entry, bool) {
	snap := r.snap.Load()
	id, ok := snap.issuers[iss]
	if !ok {
		return Entry{}, false
	}
	return snap.versions[id].entry()
}

// Known reports whether a directory for the tenant exists, whether or not
// it could be loaded.
func (r *Registry) Known(id string) bool {
	_, ok := r.snap.Load().versions[id]
	return ok
}

// Entry is a tenant as its directory was read: what is known of it
// without compiling its schema.
type Entry struct {
	// ID, Config, ConfigHash and Limits are those of the Tenant compiled
	// from the files (see Tenant).
	ID         string
	Config     TenantConfig
	ConfigHash string
	Limits     limits.Limits
}

// Entry returns the entry of the tenant with the given ID, for the files
// it is served from (see State.Serving), without compiling its schema.
func (r *Registry) Entry(id string) (Entry, bool) {
	v := r.snap.Load().versions[id]
	if v == nil {
		return Entry{}, false
	}
	e, ok := v.entry()
	if ok {
		e.Limits = r.opts.Limits.Override(e.Config.Limits)
	}
	return e, ok
}

// Tenants returns the resident tenants (see Options.MaxResident and
// Options.IdleTimeout), ordered by ID.
func (r *Registry) Tenants() []*Tenant {
	var ts []*Tenant
	for _, v := range r.snap.Load().versions {
		if t := v.tenant.Load(); t != nil {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *Tenant) int { return cmp.Compare(a.ID, b.ID) })
	return ts
}

// States returns the state of every tenant directory, ordered by ID.
func (r *Registry) States() []State {
	snap := r.snap.Load()
	states := make([]State, 0, len(snap.versions))
	for id, v := range snap.versions {
		st := v.state()
		if err := snap.conflicts[id]; err != nil && st.Error == "" {
			st.Error, st.ErrorAt = err.Error(), st.LoadedAt
		}
		states = append(states, st)
	}
	slices.SortFunc(states, func(a, b State) int { return cmp.Compare(a.ID, b.ID) })
	return states
}

// Problems returns the problems known of the tenants, one per failing
// tenant: those of reading every tenant directory, and those of compiling
// the tenants compiled so far. Use Preload to compile them all.
func (r *Registry) Problems() error {
	var errs []error
	for _, s := range r.States() {
		if s.Error != "" {
			errs = append(errs, errors.New(s.Error))
		}
	}
	return errors.Join(errs...)
}

// Preload compiles tenants that are not resident, in ID order, until all
// are or the registry holds Options.MaxResident, or ctx is done. It logs
// the problems it finds, as lookups do. A gateway runs it once at
// start-up in the background, to have its first requests find their
// tenants compiled and to report broken tenants early.
func (r *Registry) Preload(ctx context.Context) {
	snap := r.snap.Load()
	for _, id := range slices.Sorted(maps.Keys(snap.versions)) {
		if ctx.Err() != nil || r.resident.Len() >= r.opts.MaxResident {
			return
		}
		r.load(ctx, snap.versions[id])
	}
}

// load returns the tenant of v, compiling it if it is not resident, or nil
// if it cannot be served or ctx is done before it is compiled.
func (r *Registry) load(ctx context.Context, v *version) *Tenant {
	r.touch(v)
	if t := v.tenant.Load(); t != nil {
		r.resident.Get(v) // mark it used
		return t
	}
	if v.replaced.Load() {
		// A reload replaced v since the caller found it.
		if cur := r.snap.Load().versions[v.id]; cur != nil && cur != v {
			return r.load(ctx, cur)
		}
		return nil
	}
	select {
	case v.compiling <- struct{}{}:
		defer func() { <-v.compiling }()
	case <-ctx.Done():
		return nil
	}
	if t := v.tenant.Load(); t != nil {
		return t
	}
	t := r.compileVersion(ctx, v)
	if t != nil {
		r.keep(v, t)
		if v.replaced.Load() {
			// A reload replaced v while it compiled: v is no longer
			// reachable, so it must not hold a resident slot. Reload sets
			// replaced before it removes v, so one of the two does.
			r.resident.Remove(v)
		}
	}
	return t
}

// compileVersion compiles v's sources, or if they fail, its last good
// sources. It records and logs what fails. It returns nil, recording
// nothing, if ctx is done before a compile slot is free.
func (r *Registry) compileVersion(ctx context.Context, v *version) *Tenant {
	v.mu.Lock()
	src, good := v.src, v.good
	if v.srcFailed {
		src = nil
	}
	if v.goodFailed {
		good = nil
	}
	v.mu.Unlock()
	if src != nil {
		t, err := r.compile(ctx, src)
		if err == nil {
			v.compiled(src)
			return t
		}
		if errors.Is(err, errGaveUp) {
			return nil
		}
		v.failed(&v.srcFailed, err)
		r.logFailure(v, err, good != nil)
	}
	if good != nil {
		t, err := r.compile(ctx, good)
		if err == nil {
			v.compiled(good)
			return t
		}
		if errors.Is(err, errGaveUp) {
			return nil
		}
		// The sources that compiled before fail now (an upstream client,
		// say): nothing is left to serve.
		v.failed(&v.goodFailed, err)
		r.logFailure(v, err, false)
	}
	return nil
}

// keep makes t the resident tenant of v.
func (r *Registry) keep(v *version, t *Tenant) {
	v.tenant.Store(t)
	r.resident.Add(v, struct{}{})
	r.startSweeper()
}

// logFailure logs a tenant's failure to load, once per version.
func (r *Registry) logFailure(v *version, err error, stillServing bool) {
	v.mu.Lock()
	shown := v.errorShown && sameError(v.shownErr, err)
	v.errorShown, v.shownErr = true, err
	v.mu.Unlock()
	switch {
	case shown:
		r.opts.Logger.Debug("tenant still fails to load", "tenant", v.id, "error", err)
	case stillServing:
		r.opts.Logger.Error("tenant failed to reload; still serving its previous version", "tenant", v.id, "error", err)
	default:
		r.opts.Logger.Error("tenant failed to load; it is not served", "tenant", v.id, "error", err)
	}
}

func (v *version) compiled(src *tenantSource) {
	v.mu.Lock()
	v.served = src
	if src == v.src {
		v.err = nil // an earlier version's, shown until this one compiled
	}
	v.mu.Unlock()
}

func (v *version) failed(flag *bool, err error) {
	v.mu.Lock()
	*flag = true
	v.err, v.errAt = err, time.Now()
	v.mu.Unlock()
}

// compileFailed reports whether v's sources or its last good ones failed
// to compile.
func (v *version) compileFailed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.srcFailed || v.goodFailed
}

// lastGood returns the sources of the latest version of the tenant known
// to compile, or nil.
func (v *version) lastGood() *tenantSource {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.served != nil {
		return v.served
	}
	return v.good
}

// entry returns the entry of the files v serves.
func (v *version) entry() (Entry, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	src := v.servable()
	if src == nil {
		return Entry{}, false
	}
	return Entry{ID: v.id, Config: src.config, ConfigHash: src.inputHash}, true
}

// problem returns v's latest problem, or nil.
func (v *version) problem() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

func (v *version) state() State {
	st := State{ID: v.id}
	if e, ok := v.entry(); ok {
		st.Name, st.Status = e.Config.Name, e.Config.Status
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if t := v.tenant.Load(); t != nil {
		st.Serving, st.Resident, st.SchemaHash, st.LoadedAt = true, true, t.Runtime.Hash, t.LoadedAt
	} else if src := v.servable(); src != nil {
		st.Serving, st.SchemaHash, st.LoadedAt = true, src.schemaHash, src.readAt
	}
	if v.err != nil {
		st.Error, st.ErrorAt = v.err.Error(), v.errAt
	}
	return st
}

// servable returns the sources v would compile on its next lookup, or
// nil. v.mu must be held.
func (v *version) servable() *tenantSource {
	switch {
	case v.src != nil && !v.srcFailed:
		return v.src
	case v.good != nil && !v.goodFailed:
		return v.good
	}
	return nil
}

// Reload reads every tenant directory again and swaps in the result.
// Tenants whose files did not change are left as they are. A resident
// tenant whose files changed is compiled again now; if its new files fail
// to load, it keeps serving its last good version. Any other tenant is
// compiled on its next lookup (and served from its last good files if the
// new ones fail). Reload returns the problems known, like Problems.
func (r *Registry) Reload() error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()

	prev := r.snap.Load()
	dirs, err := tenantDirs(r.opts.Dir)
	if err != nil {
		return err
	}
	// A resident tenant recompiled below is resident twice, as its old
	// and its new version, until the swap removes the old: the bound
	// grows meanwhile, so that recompiling does not evict other tenants.
	r.resident.Resize(r.opts.MaxResident + len(prev.versions))
	defer r.resident.Resize(r.opts.MaxResident)
	next := &snapshot{versions: make(map[string]*version, len(dirs))}
	now := time.Now()
	// replaced are the versions this reload replaces or removes; carried
	// those whose tenant a new version keeps serving.
	var replaced, carried []*version
	for _, d := range dirs {
		id := filepath.Base(d)
		old := prev.versions[id]
		start := time.Now()
		src, err := r.readTenantRecovered(d)
		if err == nil && old != nil && old.src != nil && old.src.inputHash == src.inputHash && !old.compileFailed() ||
			err != nil && old != nil && old.src == nil && sameError(old.problem(), err) {
			next.versions[id] = old // unchanged, or failing to read as before
			continue
		}
		if err == nil {
			src.readAt = now
		}
		v := &version{id: id, src: src, compiling: make(chan struct{}, 1)}
		if err != nil {
			v.src, v.err, v.errAt = nil, err, now
		}
		if old != nil && err == nil && old.src != nil && old.src.inputHash == src.inputHash {
			// The same files, which failed to compile: a new version
			// tries again on its next lookup (an upstream may have been
			// down), and until then shows the error, said already.
			v.err, v.errAt = old.problem(), now
			v.errorShown, v.shownErr = true, v.err
		}
		if old != nil {
			replaced = append(replaced, old)
			v.good = old.lastGood()
			// A recompile is no use: a tenant idle for long is not kept
			// resident by edits of its files.
			v.lastUse.Store(old.lastUse.Load())
			// Requests keep being served by old's tenant until the swap.
			if t := old.tenant.Load(); t != nil && r.reloadResident(v, t) {
				carried = append(carried, old)
			}
		}
		if err != nil {
			if r.opts.OnLoad != nil {
				r.opts.OnLoad(id, time.Since(start), err)
			}
			r.logFailure(v, err, v.servable() != nil)
		}
		next.versions[id] = v
	}
	for id, old := range prev.versions {
		if _, ok := next.versions[id]; !ok {
			r.opts.Logger.Info("tenant removed", "tenant", id)
			replaced = append(replaced, old)
		}
	}
	indexIssuers(next)
	r.snap.Store(next)
	for _, old := range carried {
		old.tenant.Store(nil) // the new version's now: not to be closed
	}
	for _, old := range replaced {
		old.replaced.Store(true)
		r.resident.Remove(old) // closes the idle connections of its tenant's upstreams
	}

	var problems []error
	serving := 0
	for _, st := range r.States() {
		if st.Error != "" {
			problems = append(problems, errors.New(st.Error))
		}
		if st.Serving {
			serving++
		}
	}
	// A reload that changed nothing (Watch's first, right after New; a
	// SIGHUP with no edit) says so at debug level only: the log tells
	// what the gateway serves once, and again when that changes.
	level := slog.LevelInfo
	if len(prev.versions) > 0 && len(replaced) == 0 && len(next.versions) == len(prev.versions) {
		level = slog.LevelDebug
	}
	r.opts.Logger.Log(context.Background(), level, "tenants loaded", "dir", r.opts.Dir,
		"tenants", len(next.versions), "serving", serving, "failing", len(problems),
		"resident", r.resident.Len(), "schemas", r.runtimes.len())
	return errors.Join(problems...)
}

// sameError reports whether a and b say the same.
func sameError(a, b error) bool {
	return a != nil && b != nil && a.Error() == b.Error()
}

// reloadResident gives v, the new version of a tenant whose previous
// version was resident with t, a resident tenant: t itself if v's files
// are t's (an edit undone), else one compiled from them, or, if they
// fail, t, which keeps serving. It reports whether v keeps t.
func (r *Registry) reloadResident(v *version, t *Tenant) (kept bool) {
	if v.src != nil && v.src.inputHash == t.ConfigHash {
		v.compiled(v.src)
		r.keep(v, t)
		return true
	}
	if v.src != nil {
		nt, err := r.compile(context.Background(), v.src)
		if err == nil {
			v.compiled(v.src)
			r.keep(v, nt)
			r.opts.Logger.Info("tenant reloaded", "tenant", v.id, "schema", shortHash(nt.Runtime.Hash))
			return false
		}
		v.failed(&v.srcFailed, err)
		r.logFailure(v, err, true)
	}
	r.keep(v, t)
	return true
}

// compile compiles the tenant of src. It fails with errGaveUp if ctx is
// done before a compile slot is free.
func (r *Registry) compile(ctx context.Context, src *tenantSource) (t *Tenant, err error) {
	var clients map[string]*upstream.Client
	defer func() {
		if p := recover(); p != nil {
			closeAll(clients)
			t, err = nil, r.panicked(src.id, "compiling the tenant", p)
		}
	}()
	start := time.Now()
	rt, err := r.runtime(ctx, src)
	if errors.Is(err, errGaveUp) {
		return nil, err
	}
	if err == nil {
		clients, err = r.upstreams(src, rt)
	}
	if r.opts.OnLoad != nil {
		r.opts.OnLoad(src.id, time.Since(start), err)
	}
	if err != nil {
		return nil, err
	}
	src.typesChecked.Store(true)
	t = &Tenant{
		ID: src.id, Config: src.config, Limits: r.opts.Limits.Override(src.config.Limits),
		Runtime: rt, LoadedAt: src.readAt, ConfigHash: src.inputHash,
		Policy:    authz.NewPolicy(rt.Schema.Authoring, src.config.Authorization),
		Upstreams: clients,
	}
	t.views = newViewCache(rt, r.opts.MaxViews, r.compiling, r.viewRuntime(rt))
	return t, nil
}

// indexIssuers maps the token issuers of next's tenants to them. An issuer
// can belong to one tenant only: a second tenant naming it is a problem,
// and its issuer is left out (its tokens are then checked against the
// gateway's global settings, which will refuse them).
func indexIssuers(next *snapshot) {
	next.issuers = make(map[string]string)
	next.conflicts = make(map[string]error)
	for _, id := range slices.Sorted(maps.Keys(next.versions)) {
		e, ok := next.versions[id].entry()
		if !ok || e.Config.Auth == nil {
			continue
		}
		a := e.Config.Auth
		if owner, taken := next.issuers[a.Issuer]; taken {
			next.conflicts[id] = fmt.Errorf("%s: auth.issuer %q is already the issuer of tenant %q; its tokens are not accepted for %q",
				filepath.Join(id, ConfigFile), a.Issuer, owner, id)
			continue
		}
		next.issuers[a.Issuer] = id
	}
}

// runtime returns the runtime of src's schema: that of a resident tenant
// with the same schema sources, or a new one.
func (r *Registry) runtime(ctx context.Context, src *tenantSource) (*Runtime, error) {
	if rt := r.runtimes.get(src.schemaHash); rt != nil {
		return rt, nil
	}
	s, err := r.compileSchema(ctx, src.files)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Hash: src.schemaHash, Schema: s, Handler: r.opts.NewHandler(src.schemaHash, r.opts.NewExecutable(s))}
	return r.runtimes.add(rt), nil
}

// panicked logs p, a panic recovered while doing what for tenant id, with
// its stack, and returns the tenant's load error. Compiling runs on
// goroutines of the registry's own too (Preload, reloads, the checks of
// upstreams' schemas), where a panic would end the process, and so every
// tenant's service: it is one tenant's load error instead. The error
// names the panic, not its stack, which is for the log only.
func (r *Registry) panicked(id, what string, p any) error {
	r.opts.Logger.Error("internal error: panic while "+what, "tenant", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return fmt.Errorf("internal error while %s (panic: %v); the gateway's log has its stack", what, p)
}

// errGaveUp is returned when a context is done before a compile slot is
// free (compileSlots.acquire): the sources were not compiled, or the view
// not built, so nothing is known of them.
var errGaveUp = errors.New("gave up waiting for a compile slot")

// compileSlots bounds the CPU-bound work done on the request path: at
// most cap(s) tenant schemas compile and views are built (Tenant.View)
// at once, so that a burst of first requests to many tenants, or of
// callers with many distinct grants, leaves CPU to the other tenants.
type compileSlots chan struct{}

// acquire takes a slot, waiting for one until ctx is done; it then fails
// with errGaveUp.
func (s compileSlots) acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errGaveUp, context.Cause(ctx))
	}
}

// release frees a slot taken by acquire.
func (s compileSlots) release() { <-s }

// compileSchema is Compile, holding one of the r.compiling slots.
func (r *Registry) compileSchema(ctx context.Context, files []*ast.Source) (*Schema, error) {
	if err := r.compiling.acquire(ctx); err != nil {
		return nil, err
	}
	defer r.compiling.release()
	return Compile(files)
}

// runtimeSet holds the runtimes of tenants by schema hash, so that
// tenants with the same schema sources share one, without keeping a
// runtime that no tenant holds any more.
type runtimeSet struct {
	mu sync.Mutex
	m  map[string]weak.Pointer[Runtime]
}

// get returns the runtime of the schema hash, if one is alive.
func (s *runtimeSet) get(hash string) *Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[hash].Value()
}

// add adds rt, unless a runtime of its hash is alive, which it returns
// instead.
func (s *runtimeSet) add(rt *Runtime) *Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.m[rt.Hash].Value(); cur != nil {
		return cur
	}
	if s.m == nil {
		s.m = make(map[string]weak.Pointer[Runtime])
	}
	s.m[rt.Hash] = weak.Make(rt)
	// s must not reach rt but through weak pointers: see Registry.runtimes.
	runtime.AddCleanup(rt, s.drop, rt.Hash)
	return rt
}

// drop forgets the runtime of hash once it is gone.
func (s *runtimeSet) drop(hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[hash].Value() == nil {
		delete(s.m, hash)
	}
}

func (s *runtimeSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
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
	// readAt is when the directory was read.
	readAt time.Time
	// typesChecked is set once the sources compiled, their upstreams'
	// types checked (see Registry.upstreams).
	typesChecked atomic.Bool
}

// readTenantRecovered is readTenant, with a panic (a bug meeting one
// tenant's files) as the tenant's error, logged with its stack: reloads
// run on goroutines of their own, where a panic would end the process.
func (r *Registry) readTenantRecovered(dir string) (src *tenantSource, err error) {
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, r.panicked(filepath.Base(dir), "reading the tenant's directory", p)
		}
	}()
	return readTenant(dir)
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
