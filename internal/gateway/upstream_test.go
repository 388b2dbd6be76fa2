package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// inventoryServer is the example inventory service on loopback, counting
// the requests it gets and remembering their Authorization and
// Traceparent headers.
type inventoryServer struct {
	*httptest.Server
	inv          *inventory.Inventory
	calls        atomic.Int64
	mu           sync.Mutex
	auth         []string
	traceparents []string
}

func startInventory(t *testing.T, token string) *inventoryServer {
	t.Helper()
	s := &inventoryServer{inv: &inventory.Inventory{}}
	h := inventory.NewHandler(s.inv, inventory.Options{Token: token})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		s.mu.Lock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.traceparents = append(s.traceparents, r.Header.Get("Traceparent"))
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *inventoryServer) lastAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.auth) == 0 {
		return ""
	}
	return s.auth[len(s.auth)-1]
}

// traceparentsSeen returns the Traceparent headers of the requests so far.
func (s *inventoryServer) traceparentsSeen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.traceparents)
}

// shopTenant writes tenant id with customerC's extension fields and the
// upstream inventory at urls, with extra lines for its tenant.yaml.
func shopTenant(t testing.TB, dir, id string, urls []string, sdl, extra string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, id), 0o755))
	if sdl == "" {
		b, err := os.ReadFile(filepath.Join("..", "..", "tenants", "customerC", "goods.graphqls"))
		require.NoError(t, err)
		sdl = string(b)
	}
	yaml := fmt.Sprintf(`name: %s
secrets:
  inventoryToken: env:SHOP_INVENTORY_TOKEN
upstreams:
  inventory:
    urls: [%s]
    timeout: 2s
    headers:
      Authorization: "Bearer ${secret:inventoryToken}"
%s`, id, strings.Join(urls, ", "), extra)
	require.NoError(t, os.WriteFile(filepath.Join(dir, id, "tenant.yaml"), []byte(yaml), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, id, "goods.graphqls"), []byte(sdl), 0o644))
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr + "/graphql"
}

func TestUpstreams(t *testing.T) {
	t.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	inv := startInventory(t, "token-1")
	dir := t.TempDir()
	shopTenant(t, dir, "shop", []string{closedURL(t), inv.URL + "/graphql"}, "", "")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	tok := g.token(t, "shop")

	ids := make([]string, 100)
	for i := range ids {
		ids[i] = g.create(t, tok, fmt.Sprintf("Goods %03d", i), 1).ID
	}
	type warehouse struct {
		Code string
		City *string
	}
	type node struct {
		ID        string
		Name      string
		Stock     *int
		Warehouse *warehouse
	}
	want := func(id string) (int, warehouse) {
		r := inventory.Derive(id)
		return *r.Stock, warehouse{Code: r.Warehouse.Code, City: r.Warehouse.City}
	}

	t.Run("a 100-item list is one upstream call, failing over from a dead first URL", func(t *testing.T) {
		before := inv.calls.Load()
		var data struct{ GoodsList struct{ Nodes []node } }
		g.mustData(t, tok, `{ goodsList(first: 100) { nodes { id name stock warehouse { code city } w2: warehouse { code } } } }`, nil, &data)
		require.Equal(t, int64(1), inv.calls.Load()-before, "one _entities query for the whole page")
		require.Len(t, data.GoodsList.Nodes, 100)
		for i, n := range data.GoodsList.Nodes {
			require.Equal(t, ids[i], n.ID, "in order")
			stock, w := want(n.ID)
			require.Equal(t, stock, *n.Stock)
			require.Equal(t, w, *n.Warehouse)
		}
		require.Equal(t, "Bearer token-1", inv.lastAuth(), "the secret in the header")
	})

	t.Run("edges' nodes are one call too", func(t *testing.T) {
		before := inv.calls.Load()
		var data struct {
			GoodsList struct{ Edges []struct{ Node node } }
		}
		g.mustData(t, tok, `{ goodsList(first: 50) { edges { node { id stock } } } }`, nil, &data)
		require.Equal(t, int64(1), inv.calls.Load()-before)
		require.Len(t, data.GoodsList.Edges, 50)
	})

	t.Run("an error for one goods stays with it", func(t *testing.T) {
		inv.inv.Override(ids[1], inventory.Record{Stock: new(int), WarehouseError: "disk on fire at 10.1.2.3"})
		inv.inv.Override(ids[2], inventory.Record{Unknown: true})
		t.Cleanup(func() {
			inv.inv.Override(ids[1], inventory.Derive(ids[1]))
			inv.inv.Override(ids[2], inventory.Derive(ids[2]))
		})
		rec, resp := g.post(t, tok, `{ goodsList(first: 3) { nodes { name stock warehouse { code } } } }`, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.NotContains(t, rec.Body.String(), "disk on fire", "the upstream's message is not shown")
		require.NotContains(t, rec.Body.String(), "10.1.2.3")
		require.NotContains(t, rec.Body.String(), inv.URL)
		var data struct{ GoodsList struct{ Nodes []node } }
		require.NoError(t, json.Unmarshal(resp.Data, &data))
		nodes := data.GoodsList.Nodes
		require.NotNil(t, nodes[0].Warehouse)
		require.Equal(t, 0, *nodes[1].Stock, "the goods' other field is served")
		require.Nil(t, nodes[1].Warehouse)
		require.Nil(t, nodes[2].Stock)
		require.Nil(t, nodes[2].Warehouse)
		require.Equal(t, "Goods 002", nodes[2].Name, "the rest of the response is intact")
		paths := map[string]bool{}
		for _, e := range resp.Errors {
			require.Equal(t, "UPSTREAM_UNAVAILABLE", e.Extensions["code"])
			require.Contains(t, e.Message, `"inventory"`)
			b, _ := json.Marshal(e.Path)
			paths[string(b)] = true
		}
		require.Equal(t, map[string]bool{
			`["goodsList","nodes",1,"warehouse"]`: true,
			`["goodsList","nodes",2,"stock"]`:     true,
			`["goodsList","nodes",2,"warehouse"]`: true,
		}, paths)
	})

	t.Run("a rotated secret reaches the headers after refresh", func(t *testing.T) {
		t.Setenv("SHOP_INVENTORY_TOKEN", "token-2")
		g.mustData(t, tok, `{ goodsList(first: 1) { nodes { stock } } }`, nil, new(any))
		require.Equal(t, "Bearer token-1", inv.lastAuth(), "the resolved secret is cached")
		require.NoError(t, g.configs.Refresh(t.Context(), "shop"))
		_, resp := g.post(t, tok, `{ goodsList(first: 1) { nodes { stock } } }`, nil)
		require.Equal(t, "Bearer token-2", inv.lastAuth())
		require.Equal(t, "UPSTREAM_UNAVAILABLE", resp.code(), "the inventory still wants token-1")
	})

	t.Run("operators see each URL's breaker", func(t *testing.T) {
		rec, _ := g.serve(t, adminRequest(http.MethodGet, "/admin/tenants"))
		var body struct {
			Upstreams map[string]map[string][]struct {
				URL   string
				State string
			}
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		urls := body.Upstreams["shop"]["inventory"]
		require.Len(t, urls, 2)
		require.Equal(t, inv.URL+"/graphql", urls[1].URL)
		require.Equal(t, "closed", urls[1].State)
	})

	t.Run("every URL down", func(t *testing.T) {
		inv.Close()
		rec, resp := g.post(t, tok, `{ goodsList(first: 2) { nodes { id name stock } } }`, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.JSONEq(t, `{"goodsList":{"nodes":[{"id":"`+ids[0]+`","name":"Goods 000","stock":null},{"id":"`+ids[1]+`","name":"Goods 001","stock":null}]}}`, string(resp.Data))
		require.Len(t, resp.Errors, 2)
		require.Equal(t, "UPSTREAM_UNAVAILABLE", resp.code())
	})
}

// TestUpstreamNullPropagates declares a non-null upstream field (possible
// only while the upstream, which has it nullable, is unreachable at load):
// with the upstream down, its null propagates to the nearest nullable
// parent.
func TestUpstreamNullPropagates(t *testing.T) {
	t.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	dir := t.TempDir()
	shopTenant(t, dir, "shop", []string{closedURL(t)}, `extend type Goods { stock: Int! @upstream(name: "inventory") }`, "")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	tok := g.token(t, "shop")
	id := g.create(t, tok, "Kettle", 1).ID

	_, resp := g.post(t, tok, `query($id: ID!) { goods(id: $id) { name stock } }`, map[string]any{"id": id})
	require.JSONEq(t, `{"goods":null}`, string(resp.Data))
	require.Equal(t, "UPSTREAM_UNAVAILABLE", resp.code())
	_, resp = g.post(t, tok, `{ goodsList { nodes { name stock } } }`, nil)
	require.JSONEq(t, `null`, string(resp.Data), "goodsList and its nodes are non-null")
}

// TestUpstreamDeadline has an upstream that never answers: the request
// ends at the tenant's timeout, not the upstream's.
func TestUpstreamDeadline(t *testing.T) {
	t.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server notice that the
		// client went away.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(hung.Close)
	dir := t.TempDir()
	shopTenant(t, dir, "shop", []string{hung.URL + "/graphql"}, "", "limits:\n  timeout: 300ms\n")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	tok := g.token(t, "shop")
	g.create(t, tok, "Kettle", 1)

	start := time.Now()
	rec, resp := g.post(t, tok, `{ goodsList { nodes { name stock } } }`, nil)
	require.Less(t, time.Since(start), 1500*time.Millisecond, "the upstream's 2s timeout did not hold the request")
	require.Equal(t, http.StatusGatewayTimeout, rec.Code, rec.Body.String())
	require.Equal(t, "REQUEST_TIMEOUT", resp.code())
}

// TestUpstreamLoadChecks refuses tenants whose upstreams would be unsafe or
// whose field types the upstream contradicts.
func TestUpstreamLoadChecks(t *testing.T) {
	t.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	inv := startInventory(t, "token-1")
	dir := t.TempDir()
	shopTenant(t, dir, "metadata", []string{"https://169.254.169.254/graphql"}, "", "")
	shopTenant(t, dir, "private", []string{"https://10.0.0.7/graphql"}, "", "")
	shopTenant(t, dir, "mismatch", []string{inv.URL + "/graphql"}, `extend type Goods { stock: String @upstream(name: "inventory") }`, "")
	shopTenant(t, dir, "missing", []string{inv.URL + "/graphql"}, `extend type Goods { shelf: Int @upstream(name: "inventory") }`, "")
	shopTenant(t, dir, "undeclared", []string{inv.URL + "/graphql"}, `extend type Goods { stock: Int @upstream(name: "warehouse") }`, "")
	shopTenant(t, dir, "fine", []string{inv.URL + "/graphql"}, "", "")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)

	errs := map[string]string{}
	for _, s := range g.registry.States() {
		errs[s.ID] = s.Error
	}
	require.Empty(t, errs["fine"])
	for id, want := range map[string]string{
		"metadata":   "metadata",
		"private":    "private",
		"mismatch":   "gives Goods.stock the type Int",
		"missing":    "has no field Goods.shelf",
		"undeclared": `declares no upstream "warehouse"`,
	} {
		require.Contains(t, errs[id], want, id)
		require.Contains(t, errs[id], id+"/", "the error names the file")
	}
	_, ok := g.registry.Lookup("private")
	require.False(t, ok, "a tenant that fails to load is not served")

}

// An upstream's answer is served the same whether it is compact (copied
// as text), pretty-printed or escaped (completed value by value), and a
// value of the wrong type is an error at its path alone, which does not
// show the value.
func TestUpstreamAnswerShapes(t *testing.T) {
	t.Setenv("SHOP_INVENTORY_TOKEN", "token-1")
	inv := inventory.NewHandler(&inventory.Inventory{}, inventory.Options{Token: "token-1"})
	var shape atomic.Value
	shape.Store("compact")
	var wrong atomic.Value // the id whose stock is a string
	wrong.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		if !strings.Contains(string(body), "_entities") {
			// The load check's _service { sdl }.
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			inv.ServeHTTP(w, r)
			return
		}
		var req struct {
			Variables struct {
				Representations []struct{ ID string } `json:"representations"`
			} `json:"variables"`
		}
		require.NoError(t, json.Unmarshal(body, &req))
		entities := make([]string, len(req.Variables.Representations))
		for i, rep := range req.Variables.Representations {
			stock := fmt.Sprint(i * 7)
			if rep.ID == wrong.Load() {
				stock = `"12 units"`
			}
			entities[i] = fmt.Sprintf(`{"stock":%s,"warehouse":{"code":"W%d","city":"Lyon"}}`, stock, i%3)
		}
		text := `{"data":{"_entities":[` + strings.Join(entities, ",") + `]}}`
		switch shape.Load() {
		case "pretty":
			// Indented, its members in their order.
			var b bytes.Buffer
			require.NoError(t, json.Indent(&b, []byte(text), "", "  "))
			text = b.String()
		case "escaped":
			text = strings.ReplaceAll(text, `"Lyon"`, `"Ly\u006fn"`)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, text)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	shopTenant(t, dir, "shop", []string{srv.URL + "/graphql"}, "", "")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	tok := g.token(t, "shop")
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = g.create(t, tok, fmt.Sprintf("Goods %d", i), 1).ID
	}
	const query = `{ goodsList(first: 5) { nodes { name stock warehouse { code city } } } }`

	rec, resp := g.post(t, tok, query, nil)
	require.Empty(t, resp.Errors)
	require.Contains(t, rec.Body.String(), `{"name":"Goods 2","stock":14,"warehouse":{"code":"W2","city":"Lyon"}}`)
	compact := rec.Body.String()
	for _, s := range []string{"pretty", "escaped"} {
		shape.Store(s)
		rec, _ := g.post(t, tok, query, nil)
		require.Equal(t, compact, rec.Body.String(), s)
	}

	for _, s := range []string{"compact", "pretty"} {
		shape.Store(s)
		wrong.Store(ids[2])
		rec, resp = g.post(t, tok, query, nil)
		require.Len(t, resp.Errors, 1, s)
		e := resp.Errors[0]
		require.Equal(t, []any{"goodsList", "nodes", 2.0, "stock"}, e.Path, s)
		require.Equal(t, "INTERNAL_SERVER_ERROR", e.Extensions["code"], s)
		require.NotContains(t, rec.Body.String(), "12 units", s)
		require.Contains(t, rec.Body.String(), `{"name":"Goods 2","stock":null,"warehouse":{"code":"W2","city":"Lyon"}}`, s)
		require.Contains(t, rec.Body.String(), `{"name":"Goods 3","stock":21,"warehouse":{"code":"W0","city":"Lyon"}}`, s)
	}
}
