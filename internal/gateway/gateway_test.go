package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/logging"
	"github.com/tenantgraph/tenantgraph/internal/secrets"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
	"github.com/tenantgraph/tenantgraph/internal/tenantcfg"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
	"github.com/tenantgraph/tenantgraph/loader"
	"github.com/tenantgraph/tenantgraph/resolvers"
)

// testSecret is the HS256 key of the test gateways.
var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

// testGateway is the real router over a real store, with real tokens.
type testGateway struct {
	handler  http.Handler
	signer   *auth.Signer
	logs     *testenv.Buffer
	registry *loader.Registry
	// configs resolves the tenants' configuration and secrets.
	configs *tenantcfg.Resolver
}

// stores returns the stores the HTTP tests run against: the in-memory
// store and Postgres (skipped when TEST_DATABASE_URL is not set).
func stores() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store {
			return store.NewMemory(slog.New(slog.DiscardHandler))
		},
		"postgres": func(t *testing.T) store.Store {
			return openPostgres(t, testenv.PostgresURL(t))
		},
	}
}

func openPostgres(t testing.TB, url string) *store.Postgres {
	t.Helper()
	pg, err := store.OpenPostgres(t.Context(), url, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	return pg
}

// writeTenants creates a tenants directory with the given tenant.yaml
// contents, keyed by tenant ID.
func writeTenants(t testing.TB, tenants map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for id, yaml := range tenants {
		require.NoError(t, os.Mkdir(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, loader.ConfigFile), []byte(yaml), 0o644))
	}
	return dir
}

var defaultTenants = map[string]string{
	"acme":   "name: Acme\nstatus: active\n",
	"beta":   "name: Beta\n",
	"frozen": "name: Frozen\nstatus: suspended\n",
}

func newTestGateway(t testing.TB, st store.Store) *testGateway {
	t.Helper()
	return newTestGatewayIn(t, st, writeTenants(t, defaultTenants))
}

// newTestGatewayIn is newTestGateway over the tenants directory dir, served
// as in production: every tenant on the dynamic executor.
func newTestGatewayIn(t testing.TB, st store.Store, dir string, options ...func(*gateway.Options)) *testGateway {
	t.Helper()
	return newTestGatewayWith(t, st, dir, testSetup{gateway: options})
}

// testSetup is what a test gateway may have besides the defaults of
// newTestGatewayIn.
type testSetup struct {
	// limits are the registry's limits, every tenant's unless its
	// tenant.yaml says otherwise. Zero: no limits.
	limits limits.Limits
	// handler changes the options of every tenant's GraphQL handler.
	handler func(*gateway.HandlerOptions)
	// gateway changes the router's options.
	gateway []func(*gateway.Options)
	// tenantIssuers makes the auth blocks of tenant.yaml files issuers of
	// their tenants' tokens, as in production (secrets from the
	// environment, an in-process cache).
	tenantIssuers bool
	// breaker configures the breakers of tenants' upstreams.
	breaker upstream.BreakerConfig
	// onLoad is the registry's loader.Options.OnLoad.
	onLoad func(tenantID string, d time.Duration, err error)
	// tracing makes spans of requests, operations and upstream calls, as
	// server.go does. Nil: none.
	tracing *telemetry.Tracing
	// executable is told of every executable schema made, of tenants and
	// of their views. Nil: none is.
	executable func(*dynamic.ExecutableSchema)
	// cache changes the configuration of the cache of tenants'
	// configurations and secrets (in process only unless it sets Redis).
	cache func(*cache.Config)
	// idleTimeout is the registry's loader.Options.IdleTimeout.
	idleTimeout time.Duration
}

func newTestGatewayWith(t testing.TB, st store.Store, dir string, setup testSetup) *testGateway {
	t.Helper()
	logs := &testenv.Buffer{}
	logger := logging.New(logs, logging.FormatJSON, slog.LevelDebug)
	if _, ok := t.(*testing.B); ok {
		// A benchmark's gateway logs as server.go's does: a line at Info
		// for each request, through an AsyncWriter to a file. The test's
		// buffer keeps every line, growing by copies, and debug lines
		// cost their formatting: neither is what a server pays.
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		require.NoError(t, err)
		w := logging.NewAsyncWriter(f)
		t.Cleanup(func() {
			w.Close()
			f.Close()
		})
		logger = logging.New(w, logging.FormatJSON, slog.LevelInfo)
	}
	cfg := auth.Config{Algorithm: "HS256", Secret: testSecret}
	signer, err := auth.NewSigner(cfg)
	require.NoError(t, err)
	// As in production, resolvers reach the store through the tenants'
	// shares of it.
	res := &resolvers.Resolver{Store: fairshare.Store(st, fairshare.New(0))}
	// As in production, upstreams resolve their secrets through the
	// tenants' resolved configuration.
	sources := secrets.NewResolver(os.LookupEnv)
	var configs *tenantcfg.Resolver
	reg, err := loader.New(loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			es := res.NewExecutable(s)
			if setup.executable != nil {
				setup.executable(es)
			}
			return es
		},
		NewHandler: func(_ string, es graphql.ExecutableSchema) http.Handler {
			o := gateway.HandlerOptions{Logger: logger, ParserTokenLimit: 500, Suggestions: true}
			o.Tracing = setup.tracing.GraphQLExtension()
			if setup.handler != nil {
				setup.handler(&o)
			}
			return gateway.NewGraphQLHandler(es, o)
		},
		Logger:      logger,
		Debounce:    50 * time.Millisecond,
		Limits:      setup.limits,
		OnLoad:      setup.onLoad,
		IdleTimeout: setup.idleTimeout,
		NewUpstream: func(tenantID string, refs map[string]string, name string, spec upstream.Spec) (*upstream.Client, error) {
			return upstream.New(name, spec, upstream.Options{
				Logger:    logger,
				RequestID: gateway.RequestIDFrom,
				Secret: func(ctx context.Context, secret string) (string, error) {
					return tenantcfg.Secret(ctx, configs, sources, tenantID, secret, refs[secret])
				},
				Breaker:        setup.breaker,
				TracerProvider: setup.tracing.Provider(),
			})
		},
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	cc := cache.Config{Logger: logger}
	if setup.cache != nil {
		setup.cache(&cc)
	}
	c, err := cache.New(t.Context(), cc)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	configs = tenantcfg.New(reg, sources, c, logger)
	// As in production (server.go), tenants compile ahead of their first
	// request.
	reg.Preload(t.Context())
	// As in production (server.go), verified tokens are cached.
	vo := auth.VerifierOptions{TokenCacheSize: 1000, Logger: logger}
	if setup.tenantIssuers {
		vo.Issuers = configs
	}
	verifier, err := auth.NewVerifierWithOptions(cfg, vo)
	require.NoError(t, err)
	opts := gateway.Options{
		Registry:       reg,
		Store:          st,
		Auth:           verifier.Middleware,
		Logger:         logger,
		MaxBodyBytes:   64 << 10,
		AdminToken:     testAdminToken,
		TracerProvider: setup.tracing.Provider(),
	}
	for _, o := range setup.gateway {
		o(&opts)
	}
	h := gateway.New(opts)
	return &testGateway{handler: h, signer: signer, logs: logs, registry: reg, configs: configs}
}

// testAdminToken guards the operator endpoints of the test gateways.
const testAdminToken = "test-admin-token-0123456789"

func (g *testGateway) token(t testing.TB, tenantID string) string {
	t.Helper()
	tok, err := g.signer.Sign(tenantID, time.Hour)
	require.NoError(t, err)
	return tok
}

// customerA returns a token of the shipped tenant customerA with the given
// roles (see tenants/customerA/tenant.yaml).
func (g *testGateway) customerA(t testing.TB, roles ...string) string {
	return g.tokenWith(t, "customerA", auth.Grant{Roles: roles})
}

// tokenWith returns a token of tenantID that carries grant's scopes and
// roles.
func (g *testGateway) tokenWith(t testing.TB, tenantID string, grant auth.Grant) string {
	t.Helper()
	tok, err := g.signer.SignGrant(tenantID, time.Hour, grant)
	require.NoError(t, err)
	return tok
}

// gqlResponse is a GraphQL response as a client sees it.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Locations  []any          `json:"locations"`
	Extensions map[string]any `json:"extensions"`
}

func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends one GraphQL request over POST and decodes the response.
func (g *testGateway) post(t testing.TB, token, query string, vars map[string]any) (*httptest.ResponseRecorder, gqlResponse) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return g.serve(t, req)
}

func (g *testGateway) serve(t testing.TB, req *http.Request) (*httptest.ResponseRecorder, gqlResponse) {
	t.Helper()
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, req)
	var resp gqlResponse
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/") {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp), "body: %s", rec.Body)
	}
	return rec, resp
}

// mustData runs a request that must succeed and decodes its data into v.
func (g *testGateway) mustData(t testing.TB, token, query string, vars map[string]any, v any) {
	t.Helper()
	rec, resp := g.post(t, token, query, vars)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Empty(t, resp.Errors, rec.Body.String())
	require.NoError(t, json.Unmarshal(resp.Data, v))
}

type goods struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Price       float64 `json:"price"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
}

const goodsFields = `id name price description createdAt updatedAt`

func (g *testGateway) create(t testing.TB, token, name string, price float64) goods {
	t.Helper()
	var data struct{ CreateGoods goods }
	g.mustData(t, token, `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { `+goodsFields+` } }`,
		map[string]any{"in": map[string]any{"name": name, "price": price}}, &data)
	return data.CreateGoods
}

type connection struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   goods
	}
	PageInfo struct {
		HasNextPage     bool
		HasPreviousPage bool
		StartCursor     *string
		EndCursor       *string
	}
}

const listQuery = `query($first: Int, $after: String, $filter: GoodsFilter, $orderBy: [GoodsOrder!]) {
  goodsList(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { ` + goodsFields + ` } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

func (g *testGateway) list(t testing.TB, token string, vars map[string]any) connection {
	t.Helper()
	var data struct{ GoodsList connection }
	g.mustData(t, token, listQuery, vars, &data)
	return data.GoodsList
}

func TestTenantIsolation(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGateway(t, newStore(t))
			acme, beta := g.token(t, "acme"), g.token(t, "beta")

			var acmeIDs []string
			for i := range 3 {
				acmeIDs = append(acmeIDs, g.create(t, acme, "acme goods "+string(rune('a'+i)), 10).ID)
			}
			var betaGoods []goods
			for i := range 3 {
				betaGoods = append(betaGoods, g.create(t, beta, "beta goods "+string(rune('a'+i)), 20))
			}
			betaIDs := map[string]bool{}
			for _, b := range betaGoods {
				betaIDs[b.ID] = true
			}
			victim := betaGoods[0]

			t.Run("get by id", func(t *testing.T) {
				var data struct{ Goods *goods }
				g.mustData(t, acme, `query($id: ID!) { goods(id: $id) { id name } }`, map[string]any{"id": victim.ID}, &data)
				require.Nil(t, data.Goods)
			})
			t.Run("update", func(t *testing.T) {
				_, resp := g.post(t, acme, `mutation($id: ID!) { updateGoods(id: $id, input: {name: "stolen"}) { id } }`, map[string]any{"id": victim.ID})
				require.Equal(t, "NOT_FOUND", resp.code())
			})
			t.Run("delete", func(t *testing.T) {
				_, resp := g.post(t, acme, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": victim.ID})
				require.Equal(t, "NOT_FOUND", resp.code())
			})
			t.Run("list and count", func(t *testing.T) {
				conn := g.list(t, acme, map[string]any{"first": 100})
				require.Equal(t, 3, conn.TotalCount)
				for _, e := range conn.Edges {
					require.False(t, betaIDs[e.Node.ID], "acme listed beta's goods %s", e.Node.ID)
				}
			})
			t.Run("by cursor", func(t *testing.T) {
				for _, orderBy := range []any{nil, []any{map[string]any{"field": "NAME", "direction": "DESC"}}} {
					betaPage := g.list(t, beta, map[string]any{"first": 1, "orderBy": orderBy})
					require.NotNil(t, betaPage.PageInfo.EndCursor)
					conn := g.list(t, acme, map[string]any{"first": 100, "after": *betaPage.PageInfo.EndCursor, "orderBy": orderBy})
					for _, e := range conn.Edges {
						require.False(t, betaIDs[e.Node.ID], "acme reached beta's goods %s by cursor", e.Node.ID)
						require.Contains(t, acmeIDs, e.Node.ID)
					}
				}
			})
			t.Run("beta's goods are untouched", func(t *testing.T) {
				var data struct{ Goods *goods }
				g.mustData(t, beta, `query($id: ID!) { goods(id: $id) { `+goodsFields+` } }`, map[string]any{"id": victim.ID}, &data)
				require.Equal(t, &victim, data.Goods)
				require.Equal(t, 3, g.list(t, beta, nil).TotalCount)
			})
		})
	}
}

func TestTenantAccess(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	const query = `{ goodsList { totalCount } }`
	tests := []struct {
		name   string
		token  string
		status int
		code   string
	}{
		{"active tenant", g.token(t, "acme"), http.StatusOK, ""},
		{"tenant without status", g.token(t, "beta"), http.StatusOK, ""},
		{"no token", "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"unknown tenant", g.token(t, "nobody"), http.StatusForbidden, "TENANT_UNKNOWN"},
		{"suspended tenant", g.token(t, "frozen"), http.StatusForbidden, "TENANT_SUSPENDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, resp := g.post(t, tt.token, query, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.Equal(t, tt.code, resp.code())
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		})
	}
}

func TestGoodsLifecycle(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGateway(t, newStore(t))
			tok := g.token(t, "acme")

			created := g.create(t, tok, "  Teapot  ", 12.5)
			require.Equal(t, "Teapot", created.Name, "name is trimmed")
			require.Equal(t, created.CreatedAt, created.UpdatedAt)
			_, err := time.Parse(time.RFC3339Nano, created.CreatedAt)
			require.NoError(t, err)

			var upd struct{ UpdateGoods goods }
			g.mustData(t, tok, `mutation($id: ID!) { updateGoods(id: $id, input: {description: "Blue"}) { `+goodsFields+` } }`,
				map[string]any{"id": created.ID}, &upd)
			require.Equal(t, "Teapot", upd.UpdateGoods.Name, "fields left out are unchanged")
			require.Equal(t, 12.5, upd.UpdateGoods.Price)
			require.Equal(t, "Blue", *upd.UpdateGoods.Description)
			require.Equal(t, created.CreatedAt, upd.UpdateGoods.CreatedAt)
			require.Greater(t, upd.UpdateGoods.UpdatedAt, created.UpdatedAt)

			g.mustData(t, tok, `mutation($id: ID!) { updateGoods(id: $id, input: {description: null, price: 3}) { `+goodsFields+` } }`,
				map[string]any{"id": created.ID}, &upd)
			require.Nil(t, upd.UpdateGoods.Description, "description: null clears it")
			require.Equal(t, 3.0, upd.UpdateGoods.Price)

			g.create(t, tok, "Kettle", 30)
			g.create(t, tok, "Teacup", 4)
			conn := g.list(t, tok, map[string]any{
				"filter":  map[string]any{"nameContains": "TEA", "price": map[string]any{"lte": 4}},
				"orderBy": []any{map[string]any{"field": "PRICE", "direction": "DESC"}},
			})
			require.Equal(t, 2, conn.TotalCount)
			require.Equal(t, []string{"Teacup", "Teapot"}, []string{conn.Edges[0].Node.Name, conn.Edges[1].Node.Name})

			var del struct{ DeleteGoods string }
			g.mustData(t, tok, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": created.ID}, &del)
			require.Equal(t, created.ID, del.DeleteGoods)
			var get struct{ Goods *goods }
			g.mustData(t, tok, `query($id: ID!) { goods(id: $id) { id } }`, map[string]any{"id": created.ID}, &get)
			require.Nil(t, get.Goods)
			_, resp := g.post(t, tok, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": created.ID})
			require.Equal(t, "NOT_FOUND", resp.code())
		})
	}
}

func TestPagination(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	tok := g.token(t, "acme")
	for i := range 7 {
		g.create(t, tok, "goods "+string(rune('a'+i)), float64(i))
	}
	var names []string
	vars := map[string]any{"first": 3, "orderBy": []any{map[string]any{"field": "NAME"}}}
	for page := 0; ; page++ {
		conn := g.list(t, tok, vars)
		require.Equal(t, 7, conn.TotalCount)
		require.Equal(t, page > 0, conn.PageInfo.HasPreviousPage)
		for _, e := range conn.Edges {
			names = append(names, e.Node.Name)
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		require.Equal(t, conn.Edges[len(conn.Edges)-1].Cursor, *conn.PageInfo.EndCursor)
		vars["after"] = *conn.PageInfo.EndCursor
	}
	require.Equal(t, []string{"goods a", "goods b", "goods c", "goods d", "goods e", "goods f", "goods g"}, names)
}

func TestBadUserInput(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	tok := g.token(t, "acme")
	id := g.create(t, tok, "Teapot", 1).ID
	create := `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		argument string
	}{
		{"empty name", create, map[string]any{"in": map[string]any{"name": "", "price": 1}}, "input.name"},
		{"blank name", create, map[string]any{"in": map[string]any{"name": " \t ", "price": 1}}, "input.name"},
		{"long name", create, map[string]any{"in": map[string]any{"name": strings.Repeat("é", 201), "price": 1}}, "input.name"},
		{"negative price", create, map[string]any{"in": map[string]any{"name": "x", "price": -0.01}}, "input.price"},
		{"null name on update", `mutation($id: ID!) { updateGoods(id: $id, input: {name: null}) { id } }`, map[string]any{"id": id}, "input.name"},
		{"null price on update", `mutation($id: ID!) { updateGoods(id: $id, input: {price: null}) { id } }`, map[string]any{"id": id}, "input.price"},
		{"first too large", `{ goodsList(first: 101) { totalCount } }`, nil, "first"},
		{"first negative", `{ goodsList(first: -1) { totalCount } }`, nil, "first"},
		{"garbage cursor", `{ goodsList(after: "garbage") { totalCount } }`, nil, "after"},
		{"repeated sort key", `{ goodsList(orderBy: [{field: NAME}, {field: NAME, direction: DESC}]) { totalCount } }`, nil, "orderBy[1].field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, resp := g.post(t, tok, tt.query, tt.vars)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Len(t, resp.Errors, 1, rec.Body.String())
			require.Equal(t, "BAD_USER_INPUT", resp.code(), rec.Body.String())
			require.Equal(t, tt.argument, resp.Errors[0].Extensions["argument"])
			require.True(t, strings.HasPrefix(resp.Errors[0].Message, tt.argument+": "), resp.Errors[0].Message)
			require.NotEmpty(t, resp.Errors[0].Path)
		})
	}

	t.Run("malformed DateTime", func(t *testing.T) {
		// A literal is refused by validation, as the spec has it; a
		// variable by variable coercion: both before anything runs.
		_, resp := g.post(t, tok, `{ goodsList(filter: {createdAt: {gte: "yesterday"}}) { totalCount } }`, nil)
		require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
		require.Contains(t, resp.Errors[0].Message, "RFC 3339")
		_, resp = g.post(t, tok, `query($t: DateTime) { goodsList(filter: {createdAt: {gte: $t}}) { totalCount } }`, map[string]any{"t": "yesterday"})
		require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
		require.Contains(t, resp.Errors[0].Message, "RFC 3339")
	})
	t.Run("cursor of another order", func(t *testing.T) {
		conn := g.list(t, tok, map[string]any{"first": 1})
		_, resp := g.post(t, tok, listQuery, map[string]any{"after": *conn.PageInfo.EndCursor, "orderBy": []any{map[string]any{"field": "PRICE"}}})
		require.Equal(t, "BAD_USER_INPUT", resp.code())
	})
	t.Run("malformed id is simply absent", func(t *testing.T) {
		var data struct{ Goods *goods }
		g.mustData(t, tok, `{ goods(id: "not-a-uuid") { id } }`, nil, &data)
		require.Nil(t, data.Goods)
	})
}

func TestGraphQLErrors(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	tok := g.token(t, "acme")
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
	}{
		{"parse error", `{ goodsList {`, nil, "GRAPHQL_PARSE_FAILED"},
		{"unknown field", `{ goodsList { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"missing variable", `query($id: ID!) { goods(id: $id) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"variable of wrong type", `query($f: Int) { goodsList(first: $f) { totalCount } }`, map[string]any{"f": "ten"}, "GRAPHQL_VALIDATION_FAILED"},
		{"too many tokens", `{ goodsList { ` + strings.Repeat("totalCount ", 600) + `} }`, nil, "GRAPHQL_PARSE_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, resp := g.post(t, tok, tt.query, tt.vars)
			require.Equal(t, http.StatusOK, rec.Code, "application/json responses are 200, as GraphQL over HTTP asks")
			require.Equal(t, tt.code, resp.code(), rec.Body.String())
		})
	}
	t.Run("graphql-response+json", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ nope }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec, resp := g.serve(t, req)
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Equal(t, "application/graphql-response+json", rec.Header().Get("Content-Type"))
		require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
	})
}

func TestTransport(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	tok := g.token(t, "acme")
	newReq := func(method, target, contentType, body string) *http.Request {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}

	t.Run("GET query", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodGet, "/graphql?query="+url.QueryEscape(`query Q($n: Int) { goodsList(first: $n) { totalCount } }`)+"&variables="+url.QueryEscape(`{"n": 5}`), "", ""))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.JSONEq(t, `{"goodsList":{"totalCount":0}}`, string(resp.Data))
	})
	t.Run("GET mutation", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodGet, "/graphql?query="+url.QueryEscape(`mutation { deleteGoods(id: "x") }`), "", ""))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		require.Equal(t, "POST", rec.Header().Get("Allow"))
		require.Equal(t, "METHOD_NOT_ALLOWED", resp.code())
	})
	t.Run("malformed JSON is not echoed", func(t *testing.T) {
		const marker = "ECHO-MARKER-7f3a"
		rec, resp := g.serve(t, newReq(http.MethodPost, "/graphql", "application/json", `{"query": "`+marker+`"`))
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Equal(t, "BAD_REQUEST", resp.code())
		require.NotContains(t, rec.Body.String(), marker)
	})
	t.Run("wrong JSON type", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodPost, "/graphql", "application/json", `{"query": 42}`))
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Equal(t, "BAD_REQUEST", resp.code())
	})
	t.Run("body too large", func(t *testing.T) {
		body := `{"query": "{ goodsList { totalCount } }", "variables": {"pad": "` + strings.Repeat("x", 70<<10) + `"}}`
		rec, resp := g.serve(t, newReq(http.MethodPost, "/graphql", "application/json", body))
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		require.Equal(t, "PAYLOAD_TOO_LARGE", resp.code())
	})
	t.Run("body too large without Content-Length", func(t *testing.T) {
		req := newReq(http.MethodPost, "/graphql", "application/json", "")
		req.Body = io.NopCloser(strings.NewReader(strings.Repeat(" ", 65<<10) + `{}`))
		req.ContentLength = -1
		rec, resp := g.serve(t, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		require.Equal(t, "PAYLOAD_TOO_LARGE", resp.code())
	})
	t.Run("unsupported content type", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodPost, "/graphql", "text/plain", `{ goodsList { totalCount } }`))
		require.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
		require.Equal(t, "BAD_REQUEST", resp.code())
	})
	t.Run("unsupported method", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodPut, "/graphql", "application/json", `{}`))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		require.Equal(t, "METHOD_NOT_ALLOWED", resp.code())
	})
	t.Run("unknown path", func(t *testing.T) {
		rec, resp := g.serve(t, newReq(http.MethodGet, "/nope", "", ""))
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Equal(t, "NOT_FOUND", resp.code())
	})
	t.Run("token in query string is ignored", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?access_token="+tok+"&query="+url.QueryEscape(`{ goodsList { totalCount } }`), nil)
		rec, resp := g.serve(t, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Equal(t, "UNAUTHENTICATED", resp.code())
	})
}

func TestAccessLog(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	tok := g.token(t, "acme")
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"query ListAll { goodsList { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Request-Id", "req-123")
	rec, _ := g.serve(t, req)
	require.Equal(t, "req-123", rec.Header().Get("X-Request-Id"))

	var line map[string]any
	for l := range strings.Lines(g.logs.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		if m["msg"] == "request" {
			line = m
		}
	}
	require.NotNil(t, line, g.logs.String())
	require.Equal(t, "req-123", line["request_id"])
	require.Equal(t, "acme", line["tenant"])
	require.Equal(t, "ListAll", line["operation"])
	require.EqualValues(t, 200, line["status"])
	require.NotContains(t, g.logs.String(), tok)

	t.Run("hostile request id is replaced", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-Id", "evil\nid")
		rec, _ := g.serve(t, req)
		require.Regexp(t, `^[0-9a-f]{24}$`, rec.Header().Get("X-Request-Id"))
	})
}

func TestHealth(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	rec, _ := g.serve(t, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	rec, _ = g.serve(t, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ready","checks":{"store":{"status":"ok"},"tenants":{"status":"ok","detail":"3 tenants loaded"}}}`, rec.Body.String())

	t.Run("store down", func(t *testing.T) {
		pg := openPostgres(t, testenv.PostgresURL(t))
		g := newTestGateway(t, pg)
		pg.Close()
		rec, _ := g.serve(t, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Contains(t, rec.Body.String(), `"store":{"status":"unavailable"}`)
	})
}

func TestPersistedQueries(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(nil))
	tok := g.token(t, "acme")
	const query = `{ goodsList { totalCount } }`
	sum := sha256.Sum256([]byte(query))
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	get := func() gqlResponse {
		req := httptest.NewRequest(http.MethodGet, "/graphql?extensions="+url.QueryEscape(ext), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		_, resp := g.serve(t, req)
		return resp
	}
	require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", get().code())

	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"`+query+`","extensions":`+ext+`}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	_, resp := g.serve(t, req)
	require.Empty(t, resp.Errors)

	resp = get()
	require.Empty(t, resp.Errors)
	require.JSONEq(t, `{"goodsList":{"totalCount":0}}`, string(resp.Data))

	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ goodsList { edges { cursor } } }","extensions":`+ext+`}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	_, resp = g.serve(t, req)
	require.Equal(t, "BAD_REQUEST", resp.code(), "a hash that does not match the query")
}

func TestCORS(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), writeTenants(t, defaultTenants), func(o *gateway.Options) {
		o.CORSOrigins = []string{"https://app.example.com"}
	})
	preflight := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
	preflight.Header.Set("Origin", "https://app.example.com")
	preflight.Header.Set("Access-Control-Request-Method", "POST")
	preflight.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, preflight)
	require.Less(t, rec.Code, 300, rec.Body.String())
	require.Equal(t, "https://app.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization")

	for origin, allowed := range map[string]bool{"https://app.example.com": true, "https://evil.example": false} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ goodsList { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token(t, "acme"))
		req.Header.Set("Origin", origin)
		rec, resp := g.serve(t, req)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, resp.Errors)
		if allowed {
			require.Equal(t, origin, rec.Header().Get("Access-Control-Allow-Origin"))
		} else {
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), origin)
		}
	}

	t.Run("off by default", func(t *testing.T) {
		g := newTestGateway(t, store.NewMemory(nil))
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ goodsList { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token(t, "acme"))
		req.Header.Set("Origin", "https://app.example.com")
		rec, _ := g.serve(t, req)
		require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
	})
}
