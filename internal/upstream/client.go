package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"
)

// DefaultMaxResponseBytes is Options.MaxResponseBytes's default: 4 MiB.
const DefaultMaxResponseBytes = 4 << 20

// Options configure a Client. The zero Options are usable for an upstream
// whose headers refer to no secret.
type Options struct {
	// Guard judges the addresses the client connects to, when Transport
	// is nil. Default: the zero Guard (private addresses refused).
	Guard *Guard

	// Transport sends the requests. It must dial through a Guard's
	// DialContext (as NewTransport's does) and use no proxy, or the
	// guard is bypassed. Default: NewTransport(Guard), one per Client,
	// whose idle connections Close closes.
	Transport http.RoundTripper

	// MaxResponseBytes bounds an upstream's response body, after
	// decompression; a larger one is a failure of the URL that sent it.
	// Default: DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// Secret returns the value of the tenant's secret name, for the
	// ${secret:NAME} references of Spec.Headers. It is called for every
	// reference at every call, so that a rotated secret is used from the
	// next call on; it should be fast (cached). It is required when a
	// header refers to a secret.
	Secret func(ctx context.Context, name string) (string, error)

	// Breaker configures the circuit breaker of each URL.
	Breaker BreakerConfig

	// Logger receives failed attempts, breakers opening and closing, and
	// the errors upstreams report, with what the errors returned leave
	// out (URLs, addresses, the upstream's messages). Default: discard.
	Logger *slog.Logger

	// RequestID returns the ID of the gateway's request that ctx
	// belongs to, logged as request_id. Default: none logged.
	RequestID func(ctx context.Context) string

	// TracerProvider makes a client span of each attempt within a
	// recording span, and the upstream is sent its context in a
	// traceparent header. Nil: no spans.
	TracerProvider trace.TracerProvider
}

// Client calls one upstream of one tenant: it fetches entities by id
// through Apollo Federation's _entities field, batched, with failover
// between the upstream's URLs, a circuit breaker per URL and a cap on
// response size. Its methods may be called concurrently. Make one with
// New.
type Client struct {
	name     string
	timeout  time.Duration
	hedge    time.Duration // Spec.Hedge: 0 is off
	targets  []*target
	headers  []header
	secret   func(ctx context.Context, name string) (string, error)
	http     *http.Client
	own      *http.Transport // the transport New made, if it did
	maxBytes int64
	logger   *slog.Logger
	reqID    func(ctx context.Context) string
	tracer   trace.Tracer // nil: no spans
	// bodies holds *[]byte buffers for reading bodies of unknown size
	// (see readBody).
	bodies sync.Pool
}

// target is one URL of the upstream.
type target struct {
	url     string // as given
	logURL  string // without its query, which may hold a key
	index   int
	breaker urlBreaker
}

// New returns a Client of the upstream name (as in tenant.yaml) as spec
// declares it. It returns an error if spec is invalid (see Spec.Validate;
// secret names are not checked, as New does not know them) or if a
// header refers to a secret and opts.Secret is nil.
func New(name string, spec Spec, opts Options) (*Client, error) {
	errs := spec.problems(opts.Guard, nil)
	hs, _ := parseHeaders(spec.Headers)
	if opts.Secret == nil {
		for _, h := range hs {
			for _, p := range h.parts {
				if p.secret != "" {
					errs = append(errs, fmt.Errorf("headers.%s: refers to secret %q, and Options.Secret is nil", h.name, p.secret))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("upstream %q: %w", name, errors.Join(errs...))
	}
	c := &Client{
		name:     name,
		timeout:  spec.timeout(),
		hedge:    spec.Hedge,
		headers:  hs,
		secret:   opts.Secret,
		maxBytes: opts.MaxResponseBytes,
		logger:   opts.Logger,
		reqID:    opts.RequestID,
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.logger = c.logger.With(slog.String("upstream", name))
	if opts.TracerProvider != nil {
		c.tracer = opts.TracerProvider.Tracer(tracerName)
	}
	rt := opts.Transport
	if rt == nil {
		c.own = NewTransport(opts.Guard)
		rt = c.own
	}
	c.http = &http.Client{
		Transport: rt,
		// A redirect would take the request where tenant.yaml does not
		// say, past the URL checks: it is an answer like any other 3xx.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	breaker := opts.Breaker.withDefaults()
	now := time.Now()
	for i, raw := range spec.URLs {
		u, _ := url.Parse(raw) // CheckURL parsed it
		c.targets = append(c.targets, &target{
			url:     raw,
			logURL:  u.Scheme + "://" + u.Host + u.EscapedPath(),
			index:   i,
			breaker: urlBreaker{cfg: breaker, since: now},
		})
	}
	return c, nil
}

// Name returns the upstream's name.
func (c *Client) Name() string { return c.name }

// Close closes the idle connections of the transport New made. The
// Client remains usable.
func (c *Client) Close() {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// Result is the answer for one entity.
type Result struct {
	// Data holds the entity's selected fields, by field name (not by
	// the client's alias): JSON values as encoding/json decodes them
	// into any, but with numbers as json.Number, so that an Int stays
	// exact and a Float keeps its digits, and objects as *Object. Data
	// is nil when the upstream answered null for the entity. The
	// results of equal ids share Data and Errors: treat them as
	// read-only.
	Data *Object
	// Errors are the errors the upstream reported for the entity or its
	// fields, each an *EntityError.
	Errors []*EntityError
}

// entitiesData is the data of an _entities query.
type entitiesData struct {
	Entities entityList `json:"_entities"`
}

// Entities fetches the fields sel selects of the entities of typename
// with the given ids, in one request, and returns a Result for each id,
// in the order of ids.
//
// sel holds the fields of typename that this upstream resolves, and only
// those: the caller leaves out the others (the id travels in the
// representations). The fields are forwarded by name: aliases are
// dropped, fields of the same name are merged, fragments and inline
// fragments are flattened (so every type in sel must be an object type,
// as tenants' types are), @skip and @include are evaluated against vars,
// the operation's coerced variables, and no other directive is
// forwarded. Arguments are forwarded as variables of the upstream
// request, typed as their definitions say, so sel must come from a
// validated document. The same field selected twice with different
// arguments can't be forwarded (Result.Data is read by field name).
// Each distinct id is sent once, in order of first appearance.
//
// Entities returns an error matching ErrSelection if sel can't be
// forwarded, and one matching ErrUnavailable if no URL gave a usable
// answer. Errors the upstream reports alongside data go to the entity
// they are about (path ["_entities", i, ...]); one that names no entity
// goes to every entity the upstream answered null. No ids, or a sel
// whose every field is skipped, send nothing.
func (c *Client) Entities(ctx context.Context, typename string, ids []string, sel ast.SelectionSet, vars map[string]any) ([]Result, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := entitiesQuery(typename, sel, vars)
	if err != nil {
		return nil, err
	}
	pos := make([]int, len(ids))
	first := make(map[string]int, len(ids))
	distinctIDs := make([]string, 0, len(ids))
	for i, id := range ids {
		j, ok := first[id]
		if !ok {
			j = len(distinctIDs)
			first[id] = j
			distinctIDs = append(distinctIDs, id)
		}
		pos[i] = j
	}
	if query == "" {
		results := make([]Result, len(ids))
		for i := range results {
			results[i].Data = &Object{}
		}
		return results, nil
	}
	body, err := entitiesRequest(query, args, typename, distinctIDs)
	if err != nil {
		return nil, selectionError("encode the arguments: %v", err)
	}

	resp, err := call(c, ctx, body, c.hedge, func(d *entitiesData) error {
		if len(d.Entities) != len(distinctIDs) {
			return fmt.Errorf("%w: _entities has %d entries for %d representations", errMalformed, len(d.Entities), len(distinctIDs))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	distinct := make([]Result, len(distinctIDs))
	for j, e := range resp.Data.Entities {
		distinct[j].Data = e
	}
	unattributed := false
	for _, e := range resp.Errors {
		if k, rel, ok := entityPath(e.Path, len(distinctIDs)); ok {
			distinct[k].Errors = append(distinct[k].Errors, &EntityError{Upstream: c.name, Path: rel})
		} else {
			unattributed = true
		}
	}
	if unattributed {
		for j := range distinct {
			if distinct[j].Data == nil && len(distinct[j].Errors) == 0 {
				distinct[j].Errors = []*EntityError{{Upstream: c.name}}
			}
		}
	}
	if len(resp.Errors) > 0 {
		c.logReported(ctx, resp.Errors)
	}
	if len(distinct) == len(ids) {
		return distinct, nil // pos[i] == i
	}
	results := make([]Result, len(ids))
	for i := range ids {
		results[i] = distinct[pos[i]]
	}
	return results, nil
}

// serviceData is the data of a { _service { sdl } } query.
type serviceData struct {
	Service *struct {
		SDL *string `json:"sdl"`
	} `json:"_service"`
}

// SDL returns the upstream's schema as Federation's { _service { sdl } }
// gives it, for checking at compile time that the fields a tenant takes
// from the upstream have the types it declares. It returns an error
// matching ErrUnavailable if no URL answered with the SDL. It tries the
// URLs one after another, never hedged: it is no request's latency.
func (c *Client) SDL(ctx context.Context) (string, error) {
	body, _ := json.Marshal(request{Query: "{_service{sdl}}"})
	resp, err := call(c, ctx, body, 0, func(d *serviceData) error {
		if d.Service == nil || d.Service.SDL == nil {
			return fmt.Errorf("%w: no _service.sdl", errMalformed)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(resp.Errors) > 0 {
		c.logReported(ctx, resp.Errors)
	}
	return *resp.Data.Service.SDL, nil
}

// URLStatus is the state of one of a Client's URLs.
type URLStatus struct {
	// URL is the URL without its query.
	URL string
	// State is its breaker's state, since Since.
	State BreakerState
	Since time.Time
	// Failures is the number of its consecutive failures.
	Failures int
	// LastError is the latest failure while the breaker is not closed
	// (for operators: it may hold addresses), or nil.
	LastError error
}

// Status returns the state of each URL, in the order of the Spec's URLs.
func (c *Client) Status() []URLStatus {
	out := make([]URLStatus, len(c.targets))
	for i, t := range c.targets {
		st, since, failures, err := t.breaker.status()
		out[i] = URLStatus{URL: t.logURL, State: st, Since: since, Failures: failures, LastError: err}
	}
	return out
}

// entityPath returns the index of the entity an error's path is about,
// of n, and the rest of the path, with indexes as ints.
func entityPath(path []any, n int) (int, []any, bool) {
	if len(path) < 2 || path[0] != "_entities" {
		return 0, nil, false
	}
	k, ok := pathIndex(path[1])
	if !ok || k < 0 || k >= n {
		return 0, nil, false
	}
	var rel []any
	if len(path) > 2 {
		rel = make([]any, len(path)-2)
		for i, p := range path[2:] {
			if idx, ok := pathIndex(p); ok {
				rel[i] = idx
			} else {
				rel[i] = p
			}
		}
	}
	return k, rel, true
}

// pathIndex returns p as a list index, if it is one.
func pathIndex(p any) (int, bool) {
	n, ok := p.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(string(n))
	return i, err == nil
}

// logReported logs the errors an upstream reported alongside data.
func (c *Client) logReported(ctx context.Context, errs []gqlError) {
	attrs := make([]slog.Attr, 0, 4)
	attrs = c.requestAttrs(ctx, attrs)
	attrs = append(attrs, slog.Int("errors", len(errs)), slog.Any("upstream_errors", summarize(errs)))
	c.logger.LogAttrs(ctx, slog.LevelWarn, "upstream reported errors", attrs...)
}

func (c *Client) requestAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if c.reqID != nil {
		if id := c.reqID(ctx); id != "" {
			attrs = append(attrs, slog.String("request_id", id))
		}
	}
	return attrs
}

// request is a GraphQL-over-HTTP request body.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}
