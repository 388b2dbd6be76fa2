package gateway_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// calcTenant has computed fields that fail for some goods: per divides by
// q, and nper is per, non-null.
const calcTenant = `extend type Goods {
  q: Int! @default(value: 1)
  per: Int @computed(expr: "100 / self.q")
  nper: Int! @computed(expr: "100 / self.q")
  label: String! @computed(expr: "self.name + ' (' + string(self.q) + ')'")
}`

// TestComputedFields serves customerA's priceWithTax and a tenant whose
// computed fields fail for some goods, on both stores.
func TestComputedFields(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			dir := shippedTenants(t)
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "calc"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "calc", "tenant.yaml"), []byte("name: Calc\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "calc", "goods.graphqls"), []byte(calcTenant), 0o644))
			g := newTestGatewayIn(t, newStore(t), dir)

			t.Run("priceWithTax", func(t *testing.T) {
				tok := g.customerA(t, "editor")
				var created struct {
					CreateGoods struct{ PriceWithTax float64 }
				}
				g.mustData(t, tok, `mutation { createGoods(input: {name: "Kettle", price: 100, categoryCode: "K", vendorCode: "V", taxRate: 0.2}) { priceWithTax } }`, nil, &created)
				require.InDelta(t, 120.0, created.CreateGoods.PriceWithTax, 1e-9)
				g.mustData(t, tok, `mutation { createGoods(input: {name: "Cup", price: 10, categoryCode: "K", vendorCode: "V"}) { id } }`, nil, new(any))

				var list struct {
					GoodsList struct {
						Nodes []struct {
							Name         string
							PriceWithTax float64
						}
					}
				}
				g.mustData(t, tok, `{ goodsList(orderBy: [{field: NAME}]) { nodes { name priceWithTax } } }`, nil, &list)
				require.Len(t, list.GoodsList.Nodes, 2)
				require.InDelta(t, 11.0, list.GoodsList.Nodes[0].PriceWithTax, 1e-9, "the default taxRate of 0.1")
				require.InDelta(t, 120.0, list.GoodsList.Nodes[1].PriceWithTax, 1e-9)

				_, resp := g.post(t, tok, `mutation { createGoods(input: {name: "X", price: 1, categoryCode: "K", vendorCode: "V", priceWithTax: 3}) { id } }`, nil)
				require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "a computed field is not an input")
				_, resp = g.post(t, tok, `{ goodsList(filter: {priceWithTax: {gt: 1}}) { totalCount } }`, nil)
				require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "nor a filter")
			})

			t.Run("COMPUTE_FAILED at its path", func(t *testing.T) {
				tok := g.token(t, "calc")
				var ids struct{ A, B struct{ ID string } }
				g.mustData(t, tok, `mutation { a: createGoods(input: {name: "A", price: 1, q: 4}) { id } b: createGoods(input: {name: "B", price: 1, q: 0}) { id } }`, nil, &ids)

				rec, resp := g.post(t, tok, `{ goodsList(orderBy: [{field: NAME}]) { nodes { name per label } } }`, nil)
				require.Equal(t, 200, rec.Code)
				require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"A","per":25,"label":"A (4)"},{"name":"B","per":null,"label":"B (0)"}]}}`, string(resp.Data))
				require.Len(t, resp.Errors, 1)
				require.Equal(t, "COMPUTE_FAILED", resp.code())
				require.Equal(t, []any{"goodsList", "nodes", 1.0, "per"}, resp.Errors[0].Path)
				require.NotEmpty(t, resp.Errors[0].Locations)
				require.Contains(t, resp.Errors[0].Message, "division by zero")

				_, resp = g.post(t, tok, `query($id: ID!) { goods(id: $id) { name nper } }`, map[string]any{"id": ids.B.ID})
				require.JSONEq(t, `{"goods":null}`, string(resp.Data), "a non-null computed field that fails nulls its goods")
				require.Equal(t, "COMPUTE_FAILED", resp.code())
				require.Equal(t, []any{"goods", "nper"}, resp.Errors[0].Path)
			})
		})
	}
}

// TestRules checks customerA's @validate rules on createGoods and
// updateGoods, on both stores: a goods that breaks one is not written.
func TestRules(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			g := newTestGatewayIn(t, newStore(t), shippedTenants(t))
			tok := g.customerA(t, "editor")
			count := func() int {
				var data struct{ GoodsList struct{ TotalCount int } }
				g.mustData(t, tok, `{ goodsList { totalCount } }`, nil, &data)
				return data.GoodsList.TotalCount
			}
			refused := func(t *testing.T, query string, vars map[string]any, message, field string) {
				t.Helper()
				before := count()
				_, resp := g.post(t, tok, query, vars)
				require.Equal(t, "BAD_USER_INPUT", resp.code(), "%+v", resp)
				require.Equal(t, message, resp.Errors[0].Message)
				if field == "" {
					require.NotContains(t, resp.Errors[0].Extensions, "field")
				} else {
					require.Equal(t, field, resp.Errors[0].Extensions["field"])
				}
				require.Equal(t, before, count(), "nothing written")
			}
			const create = `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id taxRate } }`
			in := func(price, taxRate float64) map[string]any {
				return map[string]any{"in": map[string]any{"name": "Lamp", "price": price, "categoryCode": "L", "vendorCode": "V", "taxRate": taxRate}}
			}

			refused(t, create, in(10, 1.5), "taxRate must be between 0 and 1", "taxRate")
			refused(t, create, in(10, -0.1), "taxRate must be between 0 and 1", "taxRate")
			refused(t, create, in(900_000, 0.2), "the price with tax must not exceed 1,000,000", "")

			var created struct {
				CreateGoods struct {
					ID      string
					TaxRate float64
				}
			}
			g.mustData(t, tok, create, in(10, 0.5), &created)
			id := created.CreateGoods.ID

			const update = `mutation($id: ID!, $in: UpdateGoodsInput!) { updateGoods(id: $id, input: $in) { price taxRate } }`
			refused(t, update, map[string]any{"id": id, "in": map[string]any{"taxRate": 2}}, "taxRate must be between 0 and 1", "taxRate")
			refused(t, update, map[string]any{"id": id, "in": map[string]any{"price": 800_000}}, "the price with tax must not exceed 1,000,000", "")
			var after struct {
				Goods struct{ Price, TaxRate float64 }
			}
			g.mustData(t, tok, `query($id: ID!) { goods(id: $id) { price taxRate } }`, map[string]any{"id": id}, &after)
			require.Equal(t, 10.0, after.Goods.Price, "a refused update changes nothing")
			require.Equal(t, 0.5, after.Goods.TaxRate)

			g.mustData(t, tok, update, map[string]any{"id": id, "in": map[string]any{"price": 600_000, "taxRate": 0.25}}, new(any))
			_, resp := g.post(t, tok, update, map[string]any{"id": "00000000-0000-0000-0000-000000000000", "in": map[string]any{"price": 1}})
			require.Equal(t, "NOT_FOUND", resp.code(), "rules need the stored goods; there are none")
		})
	}
}

// TestLogicHotReload changes customerA's priceWithTax expression while
// clients read it: no request fails, and once reloaded every response has
// the new value.
func TestLogicHotReload(t *testing.T) {
	dir := shippedTenants(t)
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	tok := g.customerA(t, "editor")
	g.mustData(t, tok, `mutation { createGoods(input: {name: "Kettle", price: 100, categoryCode: "K", vendorCode: "V", taxRate: 0.2}) { id } }`, nil, new(any))

	const query = `{ goodsList { nodes { priceWithTax } } }`
	value := func(body json.RawMessage) float64 {
		var data struct {
			GoodsList struct {
				Nodes []struct{ PriceWithTax float64 }
			}
		}
		require.NoError(t, json.Unmarshal(body, &data))
		return data.GoodsList.Nodes[0].PriceWithTax
	}
	var failures, requests atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec, resp := g.post(t, tok, query, nil)
				requests.Add(1)
				if rec.Code != 200 || len(resp.Errors) > 0 {
					failures.Add(1)
					continue
				}
				if v := value(resp.Data); v != 120 && v != 200 {
					failures.Add(1)
				}
			}
		})
	}
	path := filepath.Join(dir, "customerA", "goods.graphqls")
	sdl, err := os.ReadFile(path)
	require.NoError(t, err)
	changed := strings.Replace(string(sdl), `@computed(expr: "self.price * (1.0 + self.taxRate)")`, `@computed(expr: "self.price * 2.0")`, 1)
	require.NotEqual(t, string(sdl), changed)
	for requests.Load() < 50 {
		runtime.Gosched()
	}
	require.NoError(t, os.WriteFile(path, []byte(changed), 0o644))
	require.NoError(t, g.registry.Reload())
	seen := requests.Load()
	for requests.Load() < seen+50 {
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	require.Zero(t, failures.Load(), "of %d requests", requests.Load())
	_, resp := g.post(t, tok, query, nil)
	require.Equal(t, 200.0, value(resp.Data), "the new expression serves")
}
