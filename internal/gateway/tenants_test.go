package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// copyTenant copies the shipped tenant directory tenants/<from> to
// dir/<to>, with tenant.yaml replaced by yaml when it is not empty.
func copyTenant(t testing.TB, dir, from, to, yaml string) {
	t.Helper()
	src := filepath.Join("..", "..", "tenants", from)
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, to), 0o755))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		if e.Name() == "tenant.yaml" && yaml != "" {
			b = []byte(yaml)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, to, e.Name()), b, 0o644))
	}
}

// shippedTenants is a tenants directory with the shipped tenants acme,
// customerA and customerB, and "sealed": customerA's schema with
// introspection off.
func shippedTenants(t testing.TB) string {
	dir := t.TempDir()
	copyTenant(t, dir, "acme", "acme", "")
	copyTenant(t, dir, "customerA", "customerA", "")
	copyTenant(t, dir, "customerB", "customerB", "")
	copyTenant(t, dir, "customerA", "sealed", "name: Sealed\nintrospection: false\n")
	return dir
}

type extGoods struct {
	ID           string
	Name         string
	CategoryCode string
	VendorCode   string
	TaxRate      float64
}

const extFields = `id name categoryCode vendorCode taxRate`

func TestCustomerAExtension(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGatewayIn(t, newStore(t), shippedTenants(t))
			tok := g.customerA(t, "editor")

			create := func(name, category, vendor string, taxRate *float64) extGoods {
				t.Helper()
				in := map[string]any{"name": name, "price": 1, "categoryCode": category, "vendorCode": vendor}
				if taxRate != nil {
					in["taxRate"] = *taxRate
				}
				var data struct{ CreateGoods extGoods }
				g.mustData(t, tok, `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { `+extFields+` } }`,
					map[string]any{"in": in}, &data)
				return data.CreateGoods
			}
			rate := 0.2
			a := create("Apple", "FRUIT", "V1", nil)
			require.Equal(t, 0.1, a.TaxRate, "taxRate defaults to 0.1")
			require.Equal(t, "FRUIT", a.CategoryCode)
			b := create("Bread", "BAKERY", "V2", &rate)
			require.Equal(t, 0.2, b.TaxRate)
			create("Banana", "FRUIT", "V2", nil)
			create("Cheese", "DAIRY", "V1", nil)
			create("Cherry", "FRUIT", "V3", nil)

			t.Run("required extension field", func(t *testing.T) {
				_, resp := g.post(t, tok, `mutation { createGoods(input: {name: "x", price: 1, vendorCode: "V"}) { id } }`, nil)
				require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
				require.Contains(t, resp.Errors[0].Message, "categoryCode")
			})

			t.Run("filter by categoryCode", func(t *testing.T) {
				var data struct {
					GoodsList struct {
						TotalCount int
						Nodes      []extGoods
					}
				}
				g.mustData(t, tok, `{ goodsList(filter: {categoryCode: {eq: "FRUIT"}}, orderBy: [{field: NAME}]) { totalCount nodes { `+extFields+` } } }`, nil, &data)
				require.Equal(t, 3, data.GoodsList.TotalCount)
				require.Equal(t, []string{"Apple", "Banana", "Cherry"}, names(data.GoodsList.Nodes))

				g.mustData(t, tok, `{ goodsList(filter: {categoryCode: {in: ["DAIRY", "BAKERY"]}, vendorCode: {eq: "V1"}}) { totalCount nodes { `+extFields+` } } }`, nil, &data)
				require.Equal(t, []string{"Cheese"}, names(data.GoodsList.Nodes))
			})

			t.Run("page through a sort on categoryCode", func(t *testing.T) {
				var got []string
				vars := map[string]any{"first": 2}
				for range 10 {
					var data struct {
						GoodsList struct {
							Edges []struct {
								Cursor string
								Node   extGoods
							}
							PageInfo struct {
								HasNextPage bool
								EndCursor   *string
							}
						}
					}
					g.mustData(t, tok, `query($first: Int, $after: String) {
						goodsList(first: $first, after: $after, orderBy: [{field: CATEGORY_CODE, direction: DESC}, {field: NAME}]) {
							edges { cursor node { `+extFields+` } } pageInfo { hasNextPage endCursor } } }`, vars, &data)
					for _, e := range data.GoodsList.Edges {
						got = append(got, e.Node.CategoryCode+"/"+e.Node.Name)
					}
					if !data.GoodsList.PageInfo.HasNextPage {
						break
					}
					vars["after"] = *data.GoodsList.PageInfo.EndCursor
				}
				require.Equal(t, []string{"FRUIT/Apple", "FRUIT/Banana", "FRUIT/Cherry", "DAIRY/Cheese", "BAKERY/Bread"}, got)
			})

			t.Run("update an extension field", func(t *testing.T) {
				var data struct{ UpdateGoods extGoods }
				g.mustData(t, tok, `mutation($id: ID!) { updateGoods(id: $id, input: {taxRate: 0.07}) { `+extFields+` } }`,
					map[string]any{"id": a.ID}, &data)
				require.Equal(t, 0.07, data.UpdateGoods.TaxRate)
				require.Equal(t, "FRUIT", data.UpdateGoods.CategoryCode, "fields left out are unchanged")
			})
		})
	}
}

func names(gs []extGoods) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func TestTenantSchemasDiffer(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	acme, customerA := g.token(t, "acme"), g.customerA(t, "editor")

	t.Run("acme cannot select customerA's fields", func(t *testing.T) {
		_, resp := g.post(t, acme, `{ goodsList { nodes { categoryCode } } }`, nil)
		require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
	})

	t.Run("no error names another tenant's field", func(t *testing.T) {
		for _, q := range []string{
			`{ goodsList { nodes { categoryCod } } }`,
			`{ goodsList { nodes { vendor } } }`,
			`{ goodsList(orderBy: [{field: CATEGORY_COD}]) { totalCount } }`,
			`{ goodsList(filter: {categoryCod: {eq: "x"}}) { totalCount } }`,
			`mutation { createGoods(input: {name: "x", price: 1, taxRat: 1}) { id } }`,
		} {
			rec, _ := g.post(t, acme, q, nil)
			body := rec.Body.String()
			for _, leak := range []string{"categoryCode", "vendorCode", "taxRate", "CATEGORY_CODE", "StringFilter"} {
				require.NotContains(t, body, leak, "acme's error for %s", q)
			}
		}
	})

	t.Run("__type differs exactly by the extension", func(t *testing.T) {
		fields := func(tok string) []string {
			var data struct {
				Type struct{ Fields []struct{ Name string } } `json:"__type"`
			}
			g.mustData(t, tok, `{ __type(name: "Goods") { fields { name } } }`, nil, &data)
			var out []string
			for _, f := range data.Type.Fields {
				out = append(out, f.Name)
			}
			return out
		}
		base, ext := fields(acme), fields(customerA)
		require.Equal(t, append(slices.Clone(base), "categoryCode", "vendorCode", "taxRate", "priceWithTax"), ext, "an editor does not see purchasePrice")
	})

	t.Run("schema.graphql", func(t *testing.T) {
		sdl := func(tok string) (int, string) {
			req := httptest.NewRequest(http.MethodGet, "/schema.graphql", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			g.handler.ServeHTTP(rec, req)
			b, _ := io.ReadAll(rec.Body)
			return rec.Code, string(b)
		}
		code, a := sdl(customerA)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, a, "categoryCode: String!")
		code, b := sdl(acme)
		require.Equal(t, http.StatusOK, code)
		require.NotContains(t, b, "categoryCode")
		code, body := sdl(g.token(t, "sealed"))
		require.Equal(t, http.StatusForbidden, code)
		require.Contains(t, body, "INTROSPECTION_DISABLED")
	})

	t.Run("introspection off", func(t *testing.T) {
		sealed := g.token(t, "sealed")
		for _, q := range []string{
			`{ __schema { types { name } } }`,
			`{ __type(name: "Goods") { name } }`,
			`query { ...F } fragment F on Query { __schema { queryType { name } } }`,
			`{ ... on Query { __type(name: "Goods") { name } } }`,
		} {
			_, resp := g.post(t, sealed, q, nil)
			require.Equal(t, "INTROSPECTION_DISABLED", resp.code(), q)
		}
		var data struct {
			GoodsList struct {
				Typename string `json:"__typename"`
			}
		}
		g.mustData(t, sealed, `{ goodsList { __typename } }`, nil, &data)
		require.Equal(t, "GoodsConnection", data.GoodsList.Typename, "__typename is not introspection")
	})

	t.Run("tenants with the same files share a runtime", func(t *testing.T) {
		a, _ := g.registry.Lookup("customerA")
		s, _ := g.registry.Lookup("sealed")
		require.Same(t, a.Runtime, s.Runtime)
		acmeT, _ := g.registry.Lookup("acme")
		require.NotEqual(t, a.Runtime.Hash, acmeT.Runtime.Hash)
	})
}

func TestCustomerBExtension(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	tok := g.token(t, "customerB")
	req := httptest.NewRequest(http.MethodGet, "/schema.graphql", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	sdl := rec.Body.String()
	require.Contains(t, sdl, "enum ")
	require.Contains(t, sdl, "input ")

	var schema struct {
		Type struct {
			Fields []struct {
				Name string
				Type json.RawMessage
			}
		} `json:"__type"`
	}
	g.mustData(t, tok, `{ __type(name: "Goods") { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, nil, &schema)
	var kinds []string
	for _, f := range schema.Type.Fields {
		kinds = append(kinds, string(f.Type))
	}
	all := strings.Join(kinds, "\n")
	require.Contains(t, all, `"ENUM"`, "customerB uses an enum")
	require.Contains(t, all, `"OBJECT"`, "customerB uses a value object")
	require.Contains(t, all, `"LIST"`, "customerB uses a list")
}

// TestStoredValueOfTheWrongType stores, behind the gateway's back, values
// that no longer fit their fields' types, as an older version of a
// tenant's schema could have left them. Each gives a field error at its
// path; the rest of the response is served.
func TestStoredValueOfTheWrongType(t *testing.T) {
	url := testenv.PostgresURL(t)
	g := newTestGatewayIn(t, openPostgres(t, url), shippedTenants(t))
	tok := g.token(t, "customerB")
	var created struct{ CreateGoods struct{ ID string } }
	for _, name := range []string{"Anvil", "Bucket"} {
		g.mustData(t, tok, `mutation($n: String!) { createGoods(input: {name: $n, price: 1}) { id } }`, map[string]any{"n": name}, &created)
	}

	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), `UPDATE goods SET ext = ext || '{"restockAt": "next week", "minOrderQuantity": 2.5}' WHERE name = 'Anvil'`)
	require.NoError(t, err)

	rec, resp := g.post(t, tok, `{ goodsList(orderBy: [{field: NAME}]) { nodes { name restockAt } } }`, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Anvil","restockAt":null},{"name":"Bucket","restockAt":null}]}}`, string(resp.Data))
	require.Len(t, resp.Errors, 1, rec.Body.String())
	require.Equal(t, []any{"goodsList", "nodes", float64(0), "restockAt"}, resp.Errors[0].Path)
	require.Equal(t, "INTERNAL_SERVER_ERROR", resp.Errors[0].Extensions["code"])

	// minOrderQuantity is Int!: the error nulls the goods, which the
	// nullable goods field absorbs.
	_, resp = g.post(t, tok, `query($id: ID!) { goods(id: $id) { name minOrderQuantity } }`, map[string]any{"id": created.CreateGoods.ID})
	require.Empty(t, resp.Errors, "Bucket has the default")
	rec, resp = g.post(t, tok, `{ goodsList(filter: {nameContains: "anvil"}) { nodes { minOrderQuantity } } }`, nil)
	require.Len(t, resp.Errors, 1, rec.Body.String())
	require.Equal(t, []any{"goodsList", "nodes", float64(0), "minOrderQuantity"}, resp.Errors[0].Path)
}

func TestTenantPageSizeLimit(t *testing.T) {
	dir := writeTenants(t, map[string]string{
		"small": "name: Small\nlimits:\n  maxPageSize: 5\n",
		"big":   "name: Big\n",
	})
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	_, resp := g.post(t, g.token(t, "small"), `{ goodsList(first: 6) { totalCount } }`, nil)
	require.Equal(t, "BAD_USER_INPUT", resp.code())
	require.Equal(t, "first: must be between 0 and 5", resp.Errors[0].Message)
	g.mustData(t, g.token(t, "small"), `{ goodsList(first: 5) { totalCount } }`, nil, new(any))
	g.mustData(t, g.token(t, "big"), `{ goodsList(first: 100) { totalCount } }`, nil, new(any))
}

// TestCustomerBValues writes customerB's extension fields of every kind
// (an enum, a nested value object, a list, a DateTime, an Int and a
// Boolean) and reads them back with their GraphQL types, filters and sorts
// on them, and checks the defaults, on both stores.
func TestCustomerBValues(t *testing.T) {
	const fields = `name shipping dimensions { width height depth unit } tags restockAt minOrderQuantity hazardous`
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGatewayIn(t, newStore(t), shippedTenants(t))
			tok := g.token(t, "customerB")
			create := func(in map[string]any) json.RawMessage {
				t.Helper()
				var data struct{ CreateGoods json.RawMessage }
				g.mustData(t, tok, `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { `+fields+` } }`,
					map[string]any{"in": in}, &data)
				return data.CreateGoods
			}

			crate := create(map[string]any{
				"name": "Crate", "price": 10, "shipping": "FREIGHT",
				"dimensions": map[string]any{"width": 1.2, "height": 0.8, "depth": 1, "unit": "M"},
				"tags":       []any{"wood", "heavy"}, "restockAt": "2026-12-01T09:30:00+01:00",
				"minOrderQuantity": 5, "hazardous": true,
			})
			require.JSONEq(t, `{"name":"Crate","shipping":"FREIGHT","dimensions":{"width":1.2,"height":0.8,"depth":1,"unit":"M"},
				"tags":["wood","heavy"],"restockAt":"2026-12-01T08:30:00Z","minOrderQuantity":5,"hazardous":true}`, string(crate))

			box := create(map[string]any{"name": "Box", "price": 1})
			require.JSONEq(t, `{"name":"Box","shipping":"PARCEL","dimensions":null,"tags":[],"restockAt":null,"minOrderQuantity":1,"hazardous":false}`,
				string(box), "defaults apply, and nullable fields left out are null")
			create(map[string]any{"name": "Barrel", "price": 3, "shipping": "PICKUP", "minOrderQuantity": 2, "restockAt": "2026-11-30T00:00:00Z"})

			list := func(args string) []string {
				t.Helper()
				var data struct {
					GoodsList struct{ Nodes []struct{ Name string } }
				}
				g.mustData(t, tok, `{ goodsList(`+args+`) { nodes { name } } }`, nil, &data)
				var out []string
				for _, n := range data.GoodsList.Nodes {
					out = append(out, n.Name)
				}
				return out
			}
			require.Equal(t, []string{"Barrel", "Crate"}, list(`filter: {shipping: {in: [FREIGHT, PICKUP]}}, orderBy: [{field: NAME}]`))
			require.Equal(t, []string{"Box"}, list(`filter: {shipping: {eq: PARCEL}}`), "a default matches")
			require.Equal(t, []string{"Barrel", "Crate"}, list(`filter: {minOrderQuantity: {gte: 2}}, orderBy: [{field: MIN_ORDER_QUANTITY}]`))
			require.Equal(t, []string{"Crate"}, list(`filter: {hazardous: true}`))
			require.Equal(t, []string{"Box", "Barrel"}, list(`filter: {hazardous: false}, orderBy: [{field: NAME, direction: DESC}]`))
			require.Equal(t, []string{"Crate"}, list(`filter: {restockAt: {gt: "2026-11-30T12:00:00Z"}}`))
			require.Equal(t, []string{"Box", "Barrel", "Crate"}, list(`orderBy: [{field: RESTOCK_AT}]`), "null sorts first")
			require.Equal(t, []string{"Crate", "Box", "Barrel"}, list(`orderBy: [{field: SHIPPING}]`), "enum values sort by name in byte order: FREIGHT, PARCEL, PICKUP")

			_, resp := g.post(t, tok, `mutation { createGoods(input: {name: "x", price: 1, shipping: TRUCK}) { name } }`, nil)
			require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "an enum value the tenant did not declare")
			_, resp = g.post(t, tok, `mutation { createGoods(input: {name: "x", price: 1, dimensions: {width: 1}}) { name } }`, nil)
			require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "a value object missing required fields")
		})
	}
}
