package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/gctune"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// BenchmarkGoodsByID measures Query.goods by ID through the whole HTTP
// handler in process (request ID, access log, JWT verification, tenant
// lookup, gqlgen parse/validate/execute, row-level-secured Postgres read),
// next to a baseline: a plain net/http handler that decodes the same
// request body and runs the same SELECT with pgx. Compare the two with
//
//	go test -run '^$' -bench GoodsByID -count 10 ./internal/gateway | tee bench.txt
//	benchstat -col /handler bench.txt
func BenchmarkGoodsByID(b *testing.B) {
	url := testenv.PostgresURL(b)
	pg := openPostgres(b, url)
	g := newTestGateway(b, pg)
	w := newW1(b, g)

	// The same, with the store logged in as tenantgraph_app, which saves
	// it the switch of role in every transaction.
	app := newTestGateway(b, openPostgresAsAppRole(b, url))
	wApp := newW1(b, app)

	pool, err := pgxpool.New(b.Context(), url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)

	run := func(b *testing.B, w w1, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			w.serve(b, h)
		}
	}
	b.Run("handler=gateway", func(b *testing.B) { run(b, w, g.handler) })
	b.Run("handler=gateway-app-role", func(b *testing.B) { run(b, wApp, app.handler) })
	b.Run("handler=plain-pgx", func(b *testing.B) { run(b, w, plainGoodsHandler(pool, "acme")) })
}

// BenchmarkGoodsByIDParallel is BenchmarkGoodsByID with 4 requests per
// CPU at once: throughput, with the round trips to Postgres of some
// requests overlapping the work of others, as on a busy server. Each
// store has pgxpool's default pool (4 connections on 2 CPUs). Compare with
//
//	go test -run '^$' -bench GoodsByIDParallel -count 10 ./internal/gateway > gwp.txt && benchstat -col /handler gwp.txt
func BenchmarkGoodsByIDParallel(b *testing.B) {
	url := testenv.PostgresURL(b)
	g := newTestGateway(b, openPostgres(b, url))
	w := newW1(b, g)
	pool, err := pgxpool.New(b.Context(), url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)

	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := w.do(h); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for _, gc := range []string{"runtime", "gateway"} {
		b.Run("gc="+gc, func(b *testing.B) {
			if gc == "gateway" {
				useGatewayGC(b)
			}
			b.Run("handler=gateway", func(b *testing.B) { run(b, g.handler) })
			b.Run("handler=plain-pgx", func(b *testing.B) { run(b, plainGoodsHandler(pool, "acme")) })
		})
	}
}

// useGatewayGC gives the test process, until b ends, the heap headroom
// the gateway's binary gives itself unless GOGC is set (internal/gctune,
// started by server.go); it skips b if GOGC is set.
func useGatewayGC(b *testing.B) {
	if _, set := os.LookupEnv("GOGC"); set {
		b.Skip("GOGC is set: the gateway leaves the collector to it")
	}
	b.Cleanup(gctune.Start(gctune.DefaultHeadroom))
	runtime.GC() // the tuner sets the GC percent after a collection
}

// openPostgresAsAppRole opens a store on the database at url (a
// superuser's, already migrated) that logs in as tenantgraph_app, which
// it gives LOGIN for the length of t.
func openPostgresAsAppRole(t testing.TB, rawURL string) *store.Postgres {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), rawURL)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin.Exec(context.Background(), "ALTER ROLE tenantgraph_app NOLOGIN")
		admin.Close(context.Background())
	})
	_, err = admin.Exec(t.Context(), "ALTER ROLE tenantgraph_app LOGIN")
	require.NoError(t, err)
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.User = url.User("tenantgraph_app")
	pg, err := store.OpenPostgresWithOptions(t.Context(), u.String(),
		store.PostgresOptions{Logger: slog.New(slog.DiscardHandler), MigrationURL: rawURL})
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	return pg
}

// plainGoodsHandler is the baseline of BenchmarkGoodsByID: what a
// hand-written endpoint for one query costs, with no auth, no GraphQL and
// no row-level security.
func plainGoodsHandler(pool *pgxpool.Pool, tenantID string) http.Handler {
	type goods struct {
		ID          string    `json:"id"`
		Name        string    `json:"name"`
		Price       float64   `json:"price"`
		Description *string   `json:"description"`
		CreatedAt   time.Time `json:"createdAt"`
		UpdatedAt   time.Time `json:"updatedAt"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				ID string `json:"id"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var g goods
		var ext map[string]any
		err := pool.QueryRow(r.Context(),
			"SELECT id, name, price, description, created_at, updated_at, ext FROM goods WHERE tenant_id = $1 AND id = $2",
			tenantID, req.Variables.ID,
		).Scan(&g.ID, &g.Name, &g.Price, &g.Description, &g.CreatedAt, &g.UpdatedAt, &ext)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"goods": g}})
	})
}

// BenchmarkLimits measures what holding operations to their tenant's
// limits costs a request (the measure of the document and the checks of
// its shape, inputs and cost) on the W1 query, goods by ID, through the
// whole HTTP handler on the in-memory store, against the same gateway
// whose tenant limits only time and concurrency, which are not checks of
// the operation. Compare with
//
//	go test -run '^$' -bench Limits -count 20 ./internal/gateway | tee limits.txt
//	benchstat -col /limits limits.txt
func BenchmarkLimits(b *testing.B) {
	share := func(o *gateway.Options) {
		o.Share = fairshare.New(512)
		o.QueueTimeout = 100 * time.Millisecond
	}
	setups := map[string]testSetup{
		"off": {limits: limits.Limits{Timeout: 10 * time.Second, MaxConcurrent: 8}, gateway: []func(*gateway.Options){share}},
		"on":  {limits: limits.Defaults(), gateway: []func(*gateway.Options){share}},
	}
	for _, name := range []string{"off", "on"} {
		b.Run("limits="+name, benchW1(b, newTestGatewayWith(b, store.NewMemory(slog.New(slog.DiscardHandler)), writeTenants(b, defaultTenants), setups[name])))
	}
}

// BenchmarkViews measures the views of a tenant's schema by grant (see
// loader.Tenant.View) on customerB with three of its fields restricted to
// a scope each, so that its callers fall into 8 grants, 8 views:
//
//   - lookup: what finding a caller's warm view adds to each request of
//     a tenant with an authorization policy (the caller's scopes, its
//     grant, the view);
//
//   - build: building all 8 views and serving a list through each, with
//     the live heap per view reported as B/view.
//
//     go test -run '^$' -bench Views -count 10 ./internal/gateway | tee views.txt
//     benchstat views.txt
func BenchmarkViews(b *testing.B) {
	dir := b.TempDir()
	copyTenant(b, dir, "customerB", "customerB", "name: Customer B\n")
	path := filepath.Join(dir, "customerB", "goods.graphqls")
	sdl, err := os.ReadFile(path)
	require.NoError(b, err)
	restricted := string(sdl)
	for field, scope := range map[string]string{
		"dimensions: Dimensions":                                            "b:dimensions",
		"restockAt: DateTime @filterable @sortable":                         "b:restock",
		"shipping: Shipping! @filterable @sortable @default(value: PARCEL)": "b:shipping",
	} {
		require.Contains(b, restricted, field)
		restricted = strings.Replace(restricted, field, field+` @requiresScopes(scopes: [["`+scope+`"]])`, 1)
	}
	require.NoError(b, os.WriteFile(path, []byte(restricted), 0o644))

	var scopeSets [][]string
	for mask := range 8 {
		var set []string
		for i, s := range []string{"b:dimensions", "b:restock", "b:shipping"} {
			if mask&(1<<i) != 0 {
				set = append(set, s)
			}
		}
		scopeSets = append(scopeSets, append(set, "openid", "profile"))
	}

	b.Run("part=build", func(b *testing.B) {
		var perView float64
		for b.Loop() {
			g := newTestGatewayIn(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir)
			t, ok := g.registry.Lookup("customerB")
			require.True(b, ok)
			tokens := make([]string, len(scopeSets))
			for i, set := range scopeSets {
				tokens[i] = g.tokenWith(b, "customerB", auth.Grant{Scopes: set})
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for _, tok := range tokens {
				rec, resp := g.post(b, tok, `{ goodsList { nodes { id name } } }`, nil)
				if rec.Code != http.StatusOK || len(resp.Errors) > 0 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perView = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(scopeSets)-1) // one grant is all: no view
			runtime.KeepAlive(t)
		}
		b.ReportMetric(perView, "B/view")
	})

	b.Run("part=lookup", func(b *testing.B) {
		g := newTestGatewayIn(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir)
		t, ok := g.registry.Lookup("customerB")
		require.True(b, ok)
		scopes := scopeSets[3] // b:dimensions and b:restock: a view
		v, err := t.View(t.Policy.Grant(t.Policy.Scopes(scopes, nil)))
		require.NoError(b, err)
		require.NotSame(b, t.Runtime, v.Runtime, "a caller of a view")
		b.ReportAllocs()
		for b.Loop() {
			v, err := t.View(t.Policy.Grant(t.Policy.Scopes(scopes, nil)))
			if err != nil || v.Runtime == nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpstream measures a page of 100 goods of a tenant whose stock
// and warehouse come from its upstream, through the whole HTTP handler on
// the in-memory store: the page without the upstream's fields, the page
// with them, and the upstream's _entities call for 100 ids alone. The
// upstream is on loopback, in this process: the example inventory service
// (upstream=inventory, gqlgen's federation runtime, whose work is most of
// a call), and a server that answers with that service's response, made
// once (upstream=canned), which leaves the gateway's own cost. The page
// with the fields should cost about the page without them plus one call.
//
//	go test -run '^$' -bench Upstream -count 10 ./internal/gateway | tee upstream.txt
//	benchstat -col /part upstream.txt
func BenchmarkUpstream(b *testing.B) {
	sb := newShopBench(b)
	serve := func(b *testing.B, query string) {
		if rec := sb.post(b, query); rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		b.ReportAllocs()
		for b.Loop() {
			if rec := sb.post(b, query); rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	for _, upstream := range []string{"inventory", "canned"} {
		sb.useCanned(upstream == "canned")
		require.Equal(b, sb.want, sb.post(b, shopWithFields).Body.String(), "the canned answer is the service's")
		b.Run("upstream="+upstream+"/part=page", func(b *testing.B) {
			serve(b, shopPage)
		})
		b.Run("upstream="+upstream+"/part=page+upstream", func(b *testing.B) {
			serve(b, shopWithFields)
		})
		b.Run("upstream="+upstream+"/part=call", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sb.call(b)
			}
		})
	}
}

// BenchmarkStitchingInterleaved measures BenchmarkUpstream's three parts
// with the canned upstream, one after another in every iteration, and
// reports the 10th percentile of each one's latency (page-µs,
// page+upstream-µs, call-µs) and what the page with the upstream's fields
// costs over the page and the call, as a percentage of the page
// (extra-%; the target is under 20). On a machine shared with
// other work, a part's latency varies with the load more than between
// the parts; interleaved, the parts meet the same load, and a low
// percentile is what each costs when the machine lets it run.
//
// It measures under two collectors: gc=runtime, as the environment's
// GOGC says (100 when unset), which in a test process of a few MiB of
// live heap collects every few dozen requests; and gc=gateway, with the
// heap's headroom that the gateway's binary gives itself unless GOGC is
// set (internal/gctune, started by server.go), which is how the gateway
// runs.
//
//	go test -run '^$' -bench StitchingInterleaved -count 5 ./internal/gateway | tee stitching.txt
//	benchstat -col /gc stitching.txt
func BenchmarkStitchingInterleaved(b *testing.B) {
	sb := newShopBench(b)
	sb.useCanned(true)
	parts := []func(){
		func() { sb.post(b, shopPage) },
		func() { sb.post(b, shopWithFields) },
		func() { sb.call(b) },
	}
	for _, gc := range []string{"runtime", "gateway"} {
		b.Run("gc="+gc, func(b *testing.B) {
			if gc == "gateway" {
				useGatewayGC(b)
			}
			var took [3][]time.Duration
			for i := range 20 {
				parts[i%3]()
			}
			for b.Loop() {
				for k, part := range parts {
					start := time.Now()
					part()
					took[k] = append(took[k], time.Since(start))
				}
			}
			var p10 [3]float64
			for k := range took {
				slices.Sort(took[k])
				p10[k] = float64(took[k][len(took[k])/10].Nanoseconds()) / 1e3
			}
			b.ReportMetric(p10[0], "page-µs")
			b.ReportMetric(p10[1], "page+upstream-µs")
			b.ReportMetric(p10[2], "call-µs")
			b.ReportMetric(100*(p10[1]-p10[2]-p10[0])/p10[0], "extra-%")
		})
	}
}

// The queries of the upstream benchmarks: a page of goods, and the page
// with fields of the shop's upstream.
const (
	shopPage       = `{ goodsList(first: 100) { nodes { id name price } } }`
	shopWithFields = `{ goodsList(first: 100) { nodes { id name price stock warehouse { code city } } } }`
)

// shopBench is the setup of the upstream benchmarks: a gateway on the
// in-memory store serving the tenant shop, 100 goods, and its upstream on
// loopback, in this process: the example inventory service (gqlgen's
// federation runtime, whose work is most of a call), or a server that
// answers with that service's response, made once (canned), which leaves
// the gateway's own cost.
type shopBench struct {
	g    *testGateway
	tok  string
	ids  []string
	sel  ast.SelectionSet // of shopWithFields, for the call alone
	want string           // shopWithFields's response

	client *upstream.Client

	canned atomic.Pointer[[]byte]
	record atomic.Bool // record the inventory's next answer as canned
	saved  *[]byte
}

func newShopBench(b *testing.B) *shopBench {
	b.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	inv := inventory.NewHandler(&inventory.Inventory{}, inventory.Options{Token: "token-1"})
	sb := &shopBench{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body := sb.canned.Load(); body != nil {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(*body)
			return
		}
		if !sb.record.Load() {
			inv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		inv.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		sb.canned.Store(&body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	dir := b.TempDir()
	shopTenant(b, dir, "shop", []string{srv.URL + "/graphql"}, "", "")
	sb.g = newTestGatewayIn(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir)
	sb.tok = sb.g.token(b, "shop")
	sb.ids = make([]string, 100)
	for i := range sb.ids {
		sb.ids[i] = sb.g.create(b, sb.tok, fmt.Sprintf("Goods %03d", i), 1).ID
	}
	sb.record.Store(true)
	sb.want = sb.post(b, shopWithFields).Body.String()
	require.NotNil(b, sb.canned.Load())
	sb.saved = sb.canned.Load()
	sb.record.Store(false)
	shop, ok := sb.g.registry.Lookup("shop")
	require.True(b, ok)
	sb.client = shop.Upstreams["inventory"]
	doc, err := gqlparser.LoadQuery(shop.Runtime.Schema.AST, `{ goodsList { nodes { stock warehouse { code city } } } }`)
	require.Nil(b, err)
	sb.sel = doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field).SelectionSet
	return sb
}

// useCanned makes the upstream the canned answer, or the inventory.
func (sb *shopBench) useCanned(canned bool) {
	if canned {
		sb.canned.Store(sb.saved)
	} else {
		sb.canned.Store(nil)
	}
}

// post sends query to the gateway as the shop.
func (sb *shopBench) post(b *testing.B, query string) *httptest.ResponseRecorder {
	body, err := json.Marshal(map[string]any{"query": query})
	require.NoError(b, err)
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+sb.tok)
	rec := httptest.NewRecorder()
	sb.g.handler.ServeHTTP(rec, r)
	return rec
}

// call makes the upstream's _entities call of shopWithFields alone.
func (sb *shopBench) call(b *testing.B) {
	if _, err := sb.client.Entities(b.Context(), "Goods", sb.ids, sb.sel, nil); err != nil {
		b.Fatal(err)
	}
}

// w1 is the request of W1: goods by ID, for tenant acme of a test
// gateway.
type w1 struct {
	tok, id string
	body    []byte
}

// newW1 returns W1's request for g, whose goods it creates first.
func newW1(b *testing.B, g *testGateway) w1 {
	w := w1{tok: g.token(b, "acme")}
	w.id = g.create(b, w.tok, "Teapot", 12.5).ID
	var err error
	w.body, err = json.Marshal(map[string]any{
		"query":     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
		"variables": map[string]any{"id": w.id},
	})
	require.NoError(b, err)
	return w
}

// serve sends the request to h once, and fails b unless h answers with
// the goods.
func (w w1) serve(b *testing.B, h http.Handler) {
	if err := w.do(h); err != nil {
		b.Fatal(err)
	}
}

// do sends the request to h once, and returns an error unless h answers
// with the goods.
func (w w1) do(h http.Handler) error {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(w.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(w.id)) {
		return fmt.Errorf("status %d: %s", rec.Code, rec.Body)
	}
	return nil
}

// benchW1 returns the benchmark of W1, goods by ID through g's whole HTTP
// handler for tenant acme, whose goods it creates first.
func benchW1(b *testing.B, g *testGateway) func(*testing.B) {
	w := newW1(b, g)
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.serve(b, g.handler)
		}
	}
}
