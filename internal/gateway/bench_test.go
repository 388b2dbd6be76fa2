package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
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
	tok := g.token(b, "acme")
	id := g.create(b, tok, "Teapot", 12.5).ID
	body, err := json.Marshal(map[string]any{
		"query":     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
		"variables": map[string]any{"id": id},
	})
	require.NoError(b, err)

	pool, err := pgxpool.New(b.Context(), url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)

	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(id)) {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	b.Run("handler=gateway", func(b *testing.B) { run(b, g.handler) })
	b.Run("handler=plain-pgx", func(b *testing.B) { run(b, plainGoodsHandler(pool, "acme")) })
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
	b.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	inv := inventory.NewHandler(&inventory.Inventory{}, inventory.Options{Token: "token-1"})
	var canned atomic.Pointer[[]byte]
	var record atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body := canned.Load(); body != nil {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(*body)
			return
		}
		if !record.Load() {
			inv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		inv.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		canned.Store(&body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	dir := b.TempDir()
	shopTenant(b, dir, "shop", []string{srv.URL + "/graphql"}, "", "")
	g := newTestGatewayIn(b, store.NewMemory(slog.New(slog.DiscardHandler)), dir)
	tok := g.token(b, "shop")
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = g.create(b, tok, fmt.Sprintf("Goods %03d", i), 1).ID
	}
	const withFields = `{ goodsList(first: 100) { nodes { id name price stock warehouse { code city } } } }`
	post := func(b *testing.B, query string) *httptest.ResponseRecorder {
		body, err := json.Marshal(map[string]any{"query": query})
		require.NoError(b, err)
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		g.handler.ServeHTTP(rec, r)
		return rec
	}
	record.Store(true)
	want := post(b, withFields).Body.String()
	require.NotNil(b, canned.Load())
	saved := canned.Load()
	serve := func(b *testing.B, query string) {
		if rec := post(b, query); rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		b.ReportAllocs()
		for b.Loop() {
			if rec := post(b, query); rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	for _, upstream := range []string{"inventory", "canned"} {
		if upstream == "inventory" {
			canned.Store(nil)
			record.Store(false)
		} else {
			canned.Store(saved)
		}
		require.Equal(b, want, post(b, withFields).Body.String(), "the canned answer is the service's")
		b.Run("upstream="+upstream+"/part=page", func(b *testing.B) {
			serve(b, `{ goodsList(first: 100) { nodes { id name price } } }`)
		})
		b.Run("upstream="+upstream+"/part=page+upstream", func(b *testing.B) {
			serve(b, withFields)
		})
		b.Run("upstream="+upstream+"/part=call", func(b *testing.B) {
			shop, ok := g.registry.Lookup("shop")
			require.True(b, ok)
			c := shop.Upstreams["inventory"]
			doc, err := gqlparser.LoadQuery(shop.Runtime.Schema.AST, `{ goodsList { nodes { stock warehouse { code city } } } }`)
			require.Nil(b, err)
			sel := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field).SelectionSet
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Entities(b.Context(), "Goods", ids, sel, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchW1 returns the benchmark of W1, goods by ID through g's whole HTTP
// handler for tenant acme, whose goods it creates first.
func benchW1(b *testing.B, g *testGateway) func(*testing.B) {
	tok := g.token(b, "acme")
	id := g.create(b, tok, "Teapot", 12.5).ID
	body, err := json.Marshal(map[string]any{
		"query":     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
		"variables": map[string]any{"id": id},
	})
	require.NoError(b, err)
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			g.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(id)) {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
}
