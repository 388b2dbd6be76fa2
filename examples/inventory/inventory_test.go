package inventory_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
)

const entitiesQuery = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Goods { id stock warehouse { code city } } }
}`

// post sends query with variables to srv and decodes the response.
func post(t *testing.T, srv *httptest.Server, token, query string, vars map[string]any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func reps(ids ...string) map[string]any {
	l := make([]any, len(ids))
	for i, id := range ids {
		l[i] = map[string]any{"__typename": "Goods", "id": id}
	}
	return map[string]any{"representations": l}
}

func TestEntities(t *testing.T) {
	inv := &inventory.Inventory{}
	inv.Override("gone", inventory.Record{Unknown: true})
	inv.Override("lost", inventory.Record{WarehouseError: "warehouse system down"})
	srv := httptest.NewServer(inventory.NewHandler(inv, inventory.Options{}))
	t.Cleanup(srv.Close)

	status, out := post(t, srv, "", entitiesQuery, reps("a", "gone", "a", "lost"))
	require.Equal(t, http.StatusOK, status)
	entities := out["data"].(map[string]any)["_entities"].([]any)
	require.Len(t, entities, 4)

	a := inventory.Derive("a")
	require.Equal(t, map[string]any{
		"id": "a", "stock": float64(*a.Stock),
		"warehouse": map[string]any{"code": a.Warehouse.Code, "city": *a.Warehouse.City},
	}, entities[0])
	require.Equal(t, entities[0], entities[2], "the same id, the same answer")
	require.Nil(t, entities[1], "an unknown goods is null")
	require.Equal(t, "lost", entities[3].(map[string]any)["id"])
	require.Nil(t, entities[3].(map[string]any)["warehouse"])

	var paths []any
	for _, e := range out["errors"].([]any) {
		paths = append(paths, e.(map[string]any)["path"])
	}
	require.ElementsMatch(t, []any{
		[]any{"_entities"},
		[]any{"_entities", float64(3), "warehouse"},
	}, paths)
}

func TestDeriveIsDeterministic(t *testing.T) {
	for _, id := range []string{"", "a", "goods-1", "ü"} {
		require.Equal(t, inventory.Derive(id), inventory.Derive(id), id)
	}
}

func TestServiceSDL(t *testing.T) {
	srv := httptest.NewServer(inventory.NewHandler(&inventory.Inventory{}, inventory.Options{}))
	t.Cleanup(srv.Close)
	_, out := post(t, srv, "", `{ _service { sdl } }`, nil)
	sdl := out["data"].(map[string]any)["_service"].(map[string]any)["sdl"].(string)
	require.Contains(t, sdl, `type Goods @key(fields: "id")`)
}

func TestToken(t *testing.T) {
	srv := httptest.NewServer(inventory.NewHandler(&inventory.Inventory{}, inventory.Options{Token: "s3cret"}))
	t.Cleanup(srv.Close)

	status, out := post(t, srv, "", entitiesQuery, reps("a"))
	require.Equal(t, http.StatusUnauthorized, status)
	require.Nil(t, out["data"])
	status, _ = post(t, srv, "wrong", entitiesQuery, reps("a"))
	require.Equal(t, http.StatusUnauthorized, status)
	status, out = post(t, srv, "s3cret", entitiesQuery, reps("a"))
	require.Equal(t, http.StatusOK, status)
	require.Len(t, out["data"].(map[string]any)["_entities"], 1)
}
