package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// tenantSchema is a tenant's schema with fields from the inventory, and
// one with arguments for the tests of the upstream document.
var tenantSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "tenant.graphqls", Input: `
type Query { goodsList(ids: [ID!]!): [Goods!]! }
type Goods {
  id: ID!
  name: String!
  stock: Int
  warehouse: Warehouse
  reserved(unit: Unit = PIECES, at: [String!], filter: RangeInput): Int
}
type Warehouse { code: String! city: String }
enum Unit { PIECES BOXES }
input RangeInput { from: Int, to: Int = 10 }
`})

// selection returns the selection set of goodsList in query, validated
// against tenantSchema.
func selection(t testing.TB, query string) ast.SelectionSet {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(tenantSchema, query)
	require.Empty(t, errs)
	return doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
}

// stockAndWarehouse selects what the inventory has of goods.
var stockAndWarehouse = `{ goodsList(ids: []) { stock warehouse { code city } } }`

// mode is how a stub answers.
type mode int32

const (
	serve     mode = iota // pass the request to the inventory
	hang                  // answer nothing until the request ends
	fail500               // answer 500
	hangUp                // close the connection without an answer
	malformed             // answer 200 with a body that is not JSON
	oversize              // answer 200 with 5 MiB of valid JSON
	noData                // answer 200 with errors and no data
	unauth                // answer 401
	empty                 // answer an empty object for each entity
	slow                  // serve after the stub's delay
	slow500               // answer 500 after the stub's delay
)

// stub is an upstream started by a test on loopback: the example
// inventory service behind a switch that can make it fail in many ways.
// It counts and records the requests it gets.
type stub struct {
	*httptest.Server
	Inventory *inventory.Inventory

	mode     atomic.Int32
	hits     atomic.Int64
	delay    atomic.Int64 // of the slow modes, a time.Duration; default 1s
	canceled atomic.Int64 // requests whose context ended during the delay

	mu     sync.Mutex
	bodies []request
	auth   []string
}

// request is a request body as a stub got it.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// secretMessage is the message of the errors stubs send: clients must
// never see it.
const secretMessage = "pq: password authentication failed for user inventory at 10.1.2.3"

// newStub starts a stub answering as m; the test ends it.
func newStub(t testing.TB, m mode) *stub {
	return newStubOf(t, m, inventory.Options{})
}

// newStubOf is newStub with the inventory's options.
func newStubOf(t testing.TB, m mode, opts inventory.Options) *stub {
	s := &stub{Inventory: &inventory.Inventory{}}
	s.mode.Store(int32(m))
	s.delay.Store(int64(time.Second))
	next := inventory.NewHandler(s.Inventory, opts)
	done := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		var req request
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		_ = dec.Decode(&req)
		s.mu.Lock()
		s.bodies = append(s.bodies, req)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))

		m := mode(s.mode.Load())
		if m == slow || m == slow500 {
			t := time.NewTimer(time.Duration(s.delay.Load()))
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				s.canceled.Add(1)
				return
			case <-done:
				return
			}
		}
		switch m {
		case serve, slow:
			next.ServeHTTP(w, r)
		case hang:
			select {
			case <-r.Context().Done():
			case <-done:
			}
		case fail500, slow500:
			http.Error(w, secretMessage, http.StatusInternalServerError)
		case hangUp:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case malformed:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"data":{"_entities":[{"stock":1},`)
		case oversize:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"data":{"_entities":[{"stock":1,"pad":"`)
			pad := bytes.Repeat([]byte("x"), 64<<10)
			for range 80 {
				w.Write(pad)
			}
			io.WriteString(w, `"}]}}`)
		case noData:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"errors":[{"message":%q}],"data":null}`, secretMessage)
		case unauth:
			http.Error(w, secretMessage, http.StatusUnauthorized)
		case empty:
			reps, _ := req.Variables["representations"].([]any)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"data":{"_entities":[`+strings.TrimSuffix(strings.Repeat("{},", len(reps)), ",")+`]}}`)
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(done) }) // runs first: lets hung handlers end
	return s
}

// URL returns the stub's GraphQL URL.
func (s *stub) URL() string { return s.Server.URL + "/graphql" }

// Hits returns the number of requests the stub got.
func (s *stub) Hits() int { return int(s.hits.Load()) }

// Set switches the stub to answer as m.
func (s *stub) Set(m mode) { s.mode.Store(int32(m)) }

// SetDelay sets the delay of the slow modes.
func (s *stub) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Canceled returns the number of requests whose context ended while
// the stub delayed them: the client gave up on them.
func (s *stub) Canceled() int { return int(s.canceled.Load()) }

// Last returns the last request the stub got and its Authorization
// header.
func (s *stub) Last() (request, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[len(s.bodies)-1], s.auth[len(s.auth)-1]
}

// closedURL returns a loopback URL where nothing listens: connections
// are refused.
func closedURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/graphql"
}

// newClient returns a Client of the upstream "inventory" at urls; the
// test closes it.
func newClient(t testing.TB, spec upstream.Spec, opts upstream.Options) *upstream.Client {
	t.Helper()
	c, err := upstream.New("inventory", spec, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// ids returns n ids, goods-0 to goods-(n-1).
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("goods-%d", i)
	}
	return out
}

// want returns the data the inventory has for id, as Entities returns it
// for stockAndWarehouse.
func want(id string) map[string]any {
	r := inventory.Derive(id)
	var city any
	if r.Warehouse.City != nil {
		city = *r.Warehouse.City
	}
	return map[string]any{
		"stock":     json.Number(fmt.Sprint(*r.Stock)),
		"warehouse": map[string]any{"code": r.Warehouse.Code, "city": city},
	}
}

// logRecorder is a slog.Handler that keeps the records it is given, as
// text. Its methods may be called concurrently.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logChild{r: r, attrs: as}
}

func (r *logRecorder) WithGroup(string) slog.Handler { panic("not used") }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	return r.handle(nil, rec)
}

func (r *logRecorder) handle(pre []slog.Attr, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	for _, a := range pre {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
	}
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

// Text returns every record, one a line.
func (r *logRecorder) Text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

type logChild struct {
	r     *logRecorder
	attrs []slog.Attr
}

func (c *logChild) Enabled(context.Context, slog.Level) bool { return true }
func (c *logChild) WithAttrs(as []slog.Attr) slog.Handler {
	return &logChild{r: c.r, attrs: append(append([]slog.Attr{}, c.attrs...), as...)}
}
func (c *logChild) WithGroup(string) slog.Handler { panic("not used") }
func (c *logChild) Handle(_ context.Context, rec slog.Record) error {
	return c.r.handle(c.attrs, rec)
}

// fakeResolver resolves the hostnames it holds, as DNS would, offline.
// Each lookup of a name takes the next of its answers, the last one
// repeating.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	as := r.answers[host]
	if len(as) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	a := as[0]
	if len(as) > 1 {
		r.answers[host] = as[1:]
	}
	return a, nil
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}
