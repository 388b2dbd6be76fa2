package gateway_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

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
		st := store.NewMemory(slog.New(slog.DiscardHandler))
		g := newTestGatewayWith(b, st, writeTenants(b, defaultTenants), setups[name])
		tok := g.token(b, "acme")
		id := g.create(b, tok, "Teapot", 12.5).ID
		body, err := json.Marshal(map[string]any{
			"query":     `query Goods($id: ID!) { goods(id: $id) { id name price description createdAt updatedAt } }`,
			"variables": map[string]any{"id": id},
		})
		require.NoError(b, err)
		b.Run("limits="+name, func(b *testing.B) {
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
		})
	}
}
