package dynamic_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// The differential test holds the dynamic executor to gqlgen's generated
// executor of the base schema, response for response and byte for byte.
//
// Each case of testdata/corpus is NAME.graphql (the document, sent as is),
// an optional NAME.vars.json (the variables, sent as is) and NAME.want.json
// (the response body the generated executor writes). Leading comment lines
// of the document may set request options:
//
//	# operationName: Second
//	# accept: application/graphql-response+json
//
// Every case runs on fresh stores seeded with the same goods, so cases are
// independent and mutations are reproducible.
//
// Where gqlgen's generated code deviates from the GraphQL specification and
// the dynamic executor follows the spec (see the package documentation), a
// case has NAME.spec.json too: the response the dynamic executor owes
// instead, which TestDifferential holds it to, and which differs from
// NAME.want.json exactly by those deviations.
//
// `go test ./internal/dynamic -run Differential -update` rewrites the
// .want.json files from the generated executor, never from the dynamic one;
// -update-spec rewrites the .spec.json files from the dynamic executor,
// for the cases it answers differently: review their diff against
// .want.json before committing.
var (
	update     = flag.Bool("update", false, "rewrite testdata/corpus/*.want.json from the generated executor's responses")
	updateSpec = flag.Bool("update-spec", false, "rewrite testdata/corpus/*.spec.json from the dynamic executor's responses where they differ from .want.json")
)

const (
	corpusDir = "testdata/corpus"

	// caseTenant is the tenant every case acts for; otherTenant owns goods
	// that must never show up.
	caseTenant  = "acme"
	otherTenant = "globex"

	// minCases guards against a corpus that silently lost its files.
	minCases = 70

	// responseTimeout bounds one response of an executor, so that
	// a case that hangs fails alone.
	responseTimeout = 10 * time.Second
)

func TestDifferential(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < minCases {
		t.Errorf("the corpus has %d cases, want at least %d", len(cases), minCases)
	}
	// cachedCases counts the cases whose second execution got its plan
	// from the plan cache: all but those that fail before execution and
	// introspection-only ones, answered from the introspection cache.
	var cachedCases atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d of %d cases executed with cached plans", cachedCases.Load(), len(cases))
		if !*update && !*updateSpec && !t.Failed() && cachedCases.Load() < int64(len(cases))/2 {
			t.Errorf("only %d of %d cases executed with cached plans", cachedCases.Load(), len(cases))
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := c.want
			t.Run("generated", func(t *testing.T) {
				got := serve(t, c, newGeneratedHandler)
				if got.err != nil {
					t.Fatalf("generated executor: %v\n%s", got.err, got.logs)
				}
				checkHeaders(t, "generated", got, c)
				if *update {
					// A reference that differs between runs would make the
					// dynamic executor fail at random: refuse it.
					again := serve(t, c, newGeneratedHandler)
					if !bytes.Equal(got.body, again.body) {
						t.Fatalf("the generated executor answers %s differently from one run to the next:%s",
							c.name, bodyDiff(got.body, again.body, "first run", "second run"))
					}
					if err := os.WriteFile(c.wantPath(), got.body, 0o644); err != nil {
						t.Fatal(err)
					}
					want = got.body
					return
				}
				if c.want == nil {
					t.Fatalf("%s is missing; run with -update to write it", c.wantPath())
				}
				if !bytes.Equal(got.body, c.want) {
					t.Errorf("generated executor: the response differs from %s:%s\n(run with -update if the change is intended)",
						c.wantPath(), bodyDiff(c.want, got.body, "want", "generated"))
				}
			})
			t.Run("dynamic", func(t *testing.T) {
				if want == nil {
					t.Skip("no expected response")
				}
				got := serve(t, c, newDynamicHandler)
				if got.err != nil {
					t.Fatalf("dynamic executor: %v\n%s", got.err, got.logs)
				}
				checkHeaders(t, "dynamic", got, c)
				if *updateSpec {
					if bytes.Equal(got.body, want) {
						os.Remove(c.specPath())
						return
					}
					if err := os.WriteFile(c.specPath(), got.body, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if c.spec != nil {
					if bytes.Equal(c.spec, want) {
						t.Errorf("%s equals %s: remove it", c.specPath(), c.wantPath())
					}
					want = c.spec
				}
				if !bytes.Equal(got.body, want) {
					t.Errorf("dynamic executor: the response differs from %s:%s\nlogs:\n%s",
						c.wantPath(), bodyDiff(want, got.body, "want (generated)", "dynamic"), got.logs)
				}

				// Again, on a handler that executed the case before (on
				// other goods), so that its plans come from the cache.
				var es *dynamic.ExecutableSchema
				got = serveWith(t, c, func(st store.Store, logger *slog.Logger) (http.Handler, error) {
					h, e, err := newDynamicExecutable(st, logger)
					es = e
					return h, err
				}, true)
				if got.err != nil {
					t.Fatalf("dynamic executor, plans cached: %v\n%s", got.err, got.logs)
				}
				checkHeaders(t, "dynamic", got, c)
				if !bytes.Equal(got.body, want) {
					t.Errorf("dynamic executor, plans cached: the response differs from %s:%s\nlogs:\n%s",
						c.wantPath(), bodyDiff(want, got.body, "want (generated)", "dynamic"), got.logs)
				}
				if hits, _, _, _ := dynamic.PlanCacheStats(es); hits > 0 {
					cachedCases.Add(1)
				}
			})
		})
	}
}

// checkHeaders checks what the GraphQL handler promises for every
// response: the media type the request asked for and, since the handler
// answers application/json requests with 200 even for request errors, the
// status. A graphql-response+json request that fails before execution is
// 400. Both executors must agree: these come from the transport.
func checkHeaders(t *testing.T, side string, got response, c corpusCase) {
	t.Helper()
	wantType := "application/json"
	if c.accept != "" {
		wantType = c.accept
	}
	if got.contentType != wantType {
		t.Errorf("%s executor: Content-Type %q, want %q", side, got.contentType, wantType)
	}
	wantStatus := http.StatusOK
	if c.accept == "application/graphql-response+json" && !hasData(got.body) {
		wantStatus = http.StatusBadRequest
	}
	if got.status != wantStatus {
		t.Errorf("%s executor: status %d, want %d", side, got.status, wantStatus)
	}
}

// hasData reports whether a response body has a "data" entry, that is,
// whether execution started.
func hasData(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m["data"]
	return ok
}

// corpusCase is one case of testdata/corpus.
type corpusCase struct {
	name          string
	query         string
	variables     json.RawMessage // nil: no variables sent
	operationName string
	accept        string
	want          []byte // nil: no .want.json yet
	// spec is what the dynamic executor owes where generated code
	// deviates from the spec; nil: want.
	spec []byte
}

func (c corpusCase) specPath() string {
	return filepath.Join(corpusDir, c.name+".spec.json")
}

func (c corpusCase) wantPath() string {
	return filepath.Join(corpusDir, c.name+".want.json")
}

// loadCorpus reads every case of testdata/corpus and checks that no file
// of the corpus belongs to no case.
func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	names := map[string]bool{}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".graphql"); ok {
			names[name] = true
		}
	}
	for _, e := range entries {
		name, _, _ := strings.Cut(e.Name(), ".")
		switch {
		case e.IsDir():
			t.Errorf("%s: unexpected directory in the corpus", e.Name())
		case !names[name]:
			t.Errorf("%s: no %s.graphql in the corpus", e.Name(), name)
		case e.Name() != name+".graphql" && e.Name() != name+".vars.json" && e.Name() != name+".want.json" && e.Name() != name+".spec.json":
			t.Errorf("%s: a corpus file is NAME.graphql, NAME.vars.json, NAME.want.json or NAME.spec.json", e.Name())
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		c, err := loadCase(name)
		if err != nil {
			t.Errorf("case %s: %v", name, err)
			continue
		}
		cases = append(cases, c)
	}
	return cases
}

func loadCase(name string) (corpusCase, error) {
	c := corpusCase{name: name}
	base := filepath.Join(corpusDir, name)
	q, err := os.ReadFile(base + ".graphql")
	if err != nil {
		return c, err
	}
	c.query = string(q)
	sc := bufio.NewScanner(strings.NewReader(c.query))
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "#")
		if !ok {
			break
		}
		// Other comments are free-form.
		key, value, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(key) {
		case "operationName":
			c.operationName = strings.TrimSpace(value)
		case "accept":
			c.accept = strings.TrimSpace(value)
		}
	}
	switch v, err := os.ReadFile(base + ".vars.json"); {
	case err == nil:
		if !json.Valid(v) {
			return c, fmt.Errorf("%s.vars.json is not JSON", base)
		}
		c.variables = v
	case !errors.Is(err, os.ErrNotExist):
		return c, err
	}
	switch w, err := os.ReadFile(base + ".want.json"); {
	case err == nil:
		c.want = w
	case !errors.Is(err, os.ErrNotExist):
		return c, err
	}
	switch w, err := os.ReadFile(base + ".spec.json"); {
	case err == nil:
		c.spec = w
	case !errors.Is(err, os.ErrNotExist):
		return c, err
	}
	return c, nil
}

// response is what one executor answered to one case.
type response struct {
	status      int
	contentType string
	body        []byte
	logs        string
	err         error // the handler panicked or did not answer
}

// newHandler builds a GraphQL handler over an executor backed by st.
type newHandler func(st store.Store, logger *slog.Logger) (http.Handler, error)

func newGeneratedHandler(st store.Store, logger *slog.Logger) (http.Handler, error) {
	es := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Store: st}})
	return gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Logger: logger, Suggestions: true}), nil
}

// fieldResolverSource is the method resolvers/dynamic.go gives
// *resolvers.Resolver. It is looked up at run time, so that this test
// compiles, and its generated half runs, before that file exists.
type fieldResolverSource interface {
	FieldResolvers(ext *extension.Set) map[string]dynamic.FieldResolver
}

func newDynamicHandler(st store.Store, logger *slog.Logger) (http.Handler, error) {
	h, _, err := newDynamicExecutable(st, logger)
	return h, err
}

// newDynamicExecutable is newDynamicHandler, returning its executable
// schema too.
func newDynamicExecutable(st store.Store, logger *slog.Logger) (http.Handler, *dynamic.ExecutableSchema, error) {
	schema, err := gqlparser.LoadSchema(graph.Sources()...)
	if err != nil {
		return nil, nil, fmt.Errorf("load the base schema: %w", err)
	}
	r, ok := any(&resolvers.Resolver{Store: st}).(fieldResolverSource)
	if !ok {
		return nil, nil, errors.New("*resolvers.Resolver has no method FieldResolvers(*extension.Set) map[string]dynamic.FieldResolver yet (resolvers/dynamic.go)")
	}
	es := dynamic.New(dynamic.Config{Schema: schema, Resolvers: r.FieldResolvers(nil)})
	return gateway.NewGraphQLHandler(es, gateway.HandlerOptions{Logger: logger, Suggestions: true}), es, nil
}

// serve sends c to a handler built by newH over a freshly seeded store and
// returns the response. A panic that escapes the handler, or no answer
// within responseTimeout, is reported in response.err.
func serve(t *testing.T, c corpusCase, newH newHandler) response {
	t.Helper()
	return serveWith(t, c, newH, false)
}

// serveWith is serve; with warm set, the handler answers the request
// once before, over a store of its own seeded alike, whose changes the
// response does not see.
func serveWith(t *testing.T, c corpusCase, newH newHandler, warm bool) response {
	t.Helper()
	logs := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := &faultyStore{Store: seededStore(t)}
	var warmStore store.Store
	if warm {
		warmStore = seededStore(t)
	}

	body, err := json.Marshal(struct {
		Query         string          `json:"query"`
		OperationName string          `json:"operationName,omitempty"`
		Variables     json.RawMessage `json:"variables,omitempty"`
	}{c.query, c.operationName, c.variables})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(tenant.WithID(t.Context(), caseTenant))
	defer cancel()
	newRequest := func() *http.Request {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		return req
	}
	req := newRequest()

	done := make(chan response, 1)
	go func() {
		var resp response
		defer func() {
			if p := recover(); p != nil {
				resp.err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
			resp.logs = logs.String()
			done <- resp
		}()
		h, err := newH(st, logger)
		if err != nil {
			resp.err = err
			return
		}
		if warm {
			seeded := st.Store
			st.Store = warmStore
			h.ServeHTTP(httptest.NewRecorder(), newRequest())
			st.Store = seeded
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp.status = rec.Code
		resp.contentType = rec.Header().Get("Content-Type")
		resp.body = rec.Body.Bytes()
	}()
	select {
	case resp := <-done:
		return resp
	case <-time.After(responseTimeout):
		cancel()
		return response{err: fmt.Errorf("no response within %v", responseTimeout), logs: logs.String()}
	}
}

// bodyDiff describes how two response bodies differ: the first differing
// byte offset, the text around it in each, and both bodies.
func bodyDiff(a, b []byte, aName, bName string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	window := func(s []byte) string {
		lo, hi := max(0, n-120), min(len(s), n+120)
		return fmt.Sprintf("…%s⟦%s⟧…", s[lo:min(n, hi)], s[min(n, hi):hi])
	}
	const full = 16 << 10
	whole := func(s []byte) string {
		if len(s) > full {
			return fmt.Sprintf("%s… (%d more bytes)", s[:full], len(s)-full)
		}
		return string(s)
	}
	return fmt.Sprintf("\nfirst difference at byte %d (the differing part in ⟦⟧):\n  %s: %s\n  %s: %s\n%s (%d bytes):\n%s\n%s (%d bytes):\n%s",
		n, aName, window(a), bName, window(b), aName, len(a), whole(a), bName, len(b), whole(b))
}

var _ io.Writer = (*testenv.Buffer)(nil)

// Inputs on which faultyStore fails, as a broken database connection
// would: the corpus uses them to show internal errors and null
// propagation, which no business rule of the base schema can cause in a
// nullable field.
const (
	// failingID is a well-formed goods ID whose Get fails.
	failingID = "00000000-0000-7000-8000-00000000dead"
	// failingCount is a nameContains filter whose Count fails.
	failingCount = "count fails"
)

// errInjected is the failure of faultyStore.
var errInjected = errors.New("injected store failure")

// faultyStore is a store that fails on failingID and failingCount.
type faultyStore struct {
	store.Store
}

func (s *faultyStore) Get(ctx context.Context, tenantID, id string) (*model.Goods, error) {
	if id == failingID {
		return nil, errInjected
	}
	return s.Store.Get(ctx, tenantID, id)
}

func (s *faultyStore) Count(ctx context.Context, tenantID string, f store.Filter) (int, error) {
	if f.NameContains == failingCount {
		return 0, errInjected
	}
	return s.Store.Count(ctx, tenantID, f)
}

// seedStart is the time of the first goods seeded; the clock advances by
// seedStep on every reading, so later times have fractional seconds.
var (
	seedStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	seedStep  = time.Hour + 125*time.Microsecond
)

// seed is goods to create, in order, in every case's store.
type seed struct {
	tenant      string
	name        string
	price       float64
	description *string
}

func ptr[T any](v T) *T { return &v }

// seeds give the corpus names with case variants and non-ASCII letters,
// prices that print as integers, in exponent form or with 17 digits, and
// descriptions that are null, empty or need escaping in JSON. Goods of
// otherTenant are interleaved: they take IDs and clock readings, and must
// never be seen.
var seeds = []seed{
	{caseTenant, "Anvil", 49.99, ptr("Heavy, cast iron.")},
	{caseTenant, "anvil (small)", 19.5, nil},
	{otherTenant, "Anvil (Globex)", 45, ptr("Not for acme's eyes.")},
	{caseTenant, "Rocket Skates", 1250, ptr("Use with care.")},
	{caseTenant, "Bird Seed", 2.5, nil},
	{caseTenant, "Crème brûlée torch", 35, ptr("Für Köche — 料理人用 🔥")},
	{caseTenant, "ANVIL XL", 100, ptr("")},
	{otherTenant, "Doomsday Device", 1e9, nil},
	{caseTenant, "Earthquake Pills", 1e21, ptr("Prices this large print in exponent form.")},
	{caseTenant, "Dehydrated Boulders", 1e-7, nil},
	{caseTenant, "Giant Magnet", 0, ptr(`<b>Strong</b> & "attractive"`)},
	{caseTenant, "Ñandú feathers", 0.30000000000000004, ptr("Line one\nLine two\ttabbed \\ backslash")},
	{caseTenant, "Tornado Kit", 123456789, nil},
	{caseTenant, "bird seed deluxe", 2.5, ptr("For discerning roadrunners.")},
	{otherTenant, "Globex Anvil Mk II", 19.5, nil},
	// Enough more that goodsList's default page of 20 leaves some out.
	{caseTenant, "Widget 01", 10, nil},
	{caseTenant, "Widget 02", 11, nil},
	{caseTenant, "Widget 03", 12, nil},
	{caseTenant, "Widget 04", 13, nil},
	{caseTenant, "Widget 05", 14, nil},
	{caseTenant, "Widget 06", 15, nil},
	{caseTenant, "Widget 07", 16, nil},
	{caseTenant, "Widget 08", 17, nil},
	{caseTenant, "Widget 09", 18, nil},
	{caseTenant, "Widget 10", 19, nil},
}

// seedUpdates change seeded goods after all are created (by index in
// seeds), so that the order by updatedAt is not the order of creation.
var seedUpdates = []struct {
	index int
	patch store.GoodsPatch
}{
	{1, store.GoodsPatch{Price: ptr(21.0)}},
	{0, store.GoodsPatch{SetDescription: true, Description: ptr("Heavy, cast iron. Now 10% heavier.")}},
}

// seededStore returns a new in-memory store holding seeds, with IDs from a
// counter and a clock that advances by seedStep per reading: the same
// goods, IDs, times and cursors every time.
func seededStore(t *testing.T) store.Store {
	t.Helper()
	var (
		mu    sync.Mutex
		clock = seedStart
		ids   int
	)
	st := store.NewMemoryWith(store.MemoryOptions{
		Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now := clock
			clock = clock.Add(seedStep)
			return now
		},
		NewID: func() (string, error) {
			mu.Lock()
			defer mu.Unlock()
			ids++
			return fmt.Sprintf("00000000-0000-7000-8000-%012d", ids), nil
		},
	})
	ctx := t.Context()
	created := make([]string, len(seeds))
	for i, s := range seeds {
		g, err := st.Create(ctx, s.tenant, store.NewGoods{Name: s.name, Price: s.price, Description: s.description})
		if err != nil {
			t.Fatalf("seed %q: %v", s.name, err)
		}
		created[i] = g.ID
	}
	for _, u := range seedUpdates {
		if _, err := st.Update(ctx, seeds[u.index].tenant, created[u.index], u.patch); err != nil {
			t.Fatalf("update seed %q: %v", seeds[u.index].name, err)
		}
	}
	return st
}
