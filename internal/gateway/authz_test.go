package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// caller is a row of the authorization matrix: a token of the shipped
// tenant customerA, and what its roles and scopes let it do there (see
// tenants/customerA/tenant.yaml).
type caller struct {
	name              string
	grant             auth.Grant
	read, write, cost bool
}

var callers = []caller{
	{name: "no role"},
	{name: "viewer", grant: auth.Grant{Roles: []string{"viewer"}}, read: true},
	{name: "editor", grant: auth.Grant{Roles: []string{"editor"}}, read: true, write: true},
	{name: "buyer", grant: auth.Grant{Roles: []string{"buyer"}}, read: true, cost: true},
	{name: "editor and buyer", grant: auth.Grant{Roles: []string{"editor", "buyer"}}, read: true, write: true, cost: true},
	{name: "scope goods:cost alone", grant: auth.Grant{Scopes: []string{"goods:cost"}}, cost: true},
	{name: "scopes goods:read goods:write", grant: auth.Grant{Scopes: []string{"goods:read", "goods:write", "openid"}}, read: true, write: true},
	{name: "unknown role", grant: auth.Grant{Roles: []string{"admin"}}},
}

// secretPrice is the purchase price of the seeded goods: no response to a
// caller without goods:cost may contain it.
const secretPrice = "7.25"

// authzTenants returns a tenants directory with the shipped customerA,
// its unauthorized mode set to mode.
func authzTenants(t *testing.T, mode string) string {
	t.Helper()
	yaml, err := os.ReadFile(filepath.Join("..", "..", "tenants", "customerA", "tenant.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(yaml), "unauthorized: hide")
	dir := t.TempDir()
	copyTenant(t, dir, "customerA", "customerA", strings.Replace(string(yaml), "unauthorized: hide", "unauthorized: "+mode, 1))
	return dir
}

// TestAuthorization runs every base operation and customerA's
// purchasePrice (which needs goods:cost) through the HTTP server, for each
// caller of the matrix, with fields a caller may not use hidden and
// rejected, on both stores.
func TestAuthorization(t *testing.T) {
	for storeName, newStore := range stores() {
		for _, mode := range []string{"hide", "reject"} {
			t.Run(storeName+"/"+mode, func(t *testing.T) {
				testAuthorization(t, newTestGatewayIn(t, newStore(t), authzTenants(t, mode)), mode == "hide")
			})
		}
	}
}

func testAuthorization(t *testing.T, g *testGateway, hide bool) {
	admin := g.customerA(t, "editor", "buyer")
	var seeded struct{ A, B struct{ ID string } }
	g.mustData(t, admin, `mutation {
		a: createGoods(input: {name: "Secret Apple", price: 3, categoryCode: "FRUIT", vendorCode: "V1", purchasePrice: `+secretPrice+`}) { id }
		b: createGoods(input: {name: "Plain Pear", price: 2, categoryCode: "FRUIT", vendorCode: "V2"}) { id }
	}`, nil, &seeded)
	count := func(t *testing.T) int {
		var data struct{ GoodsList struct{ TotalCount int } }
		g.mustData(t, admin, `{ goodsList { totalCount } }`, nil, &data)
		return data.GoodsList.TotalCount
	}

	t.Cleanup(func() {
		// Every refusal is counted: 403s without a schema (hide), FORBIDDEN
		// fields (reject), once per request.
		require.Positive(t, forbiddenRefusals(t, g))
		rec, _ := g.serve(t, adminRequest(http.MethodGet, "/admin/tenants"))
		var body struct{ Views map[string]int }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		if hide {
			// viewer, editor, buyer; editor and buyer is everything.
			require.Equal(t, 3, body.Views["customerA"], rec.Body.String())
		} else {
			require.Zero(t, body.Views["customerA"], "reject serves the whole schema")
		}
	})
	t.Run("a FORBIDDEN field counts its request once", func(t *testing.T) {
		before := forbiddenRefusals(t, g)
		_, resp := g.post(t, g.customerA(t, "viewer"), `{ goodsList { nodes { purchasePrice } } }`, nil)
		if hide {
			require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "a field that does not exist is not a refusal")
			require.Equal(t, before, forbiddenRefusals(t, g))
			return
		}
		require.Len(t, resp.Errors, 2)
		require.Equal(t, before+1, forbiddenRefusals(t, g))
	})

	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			tok := g.tokenWith(t, "customerA", c.grant)
			// do sends a request and checks what no caller without
			// goods:cost may see in its response.
			do := func(t *testing.T, query string, vars map[string]any) (*httptest.ResponseRecorder, gqlResponse) {
				t.Helper()
				rec, resp := g.post(t, tok, query, vars)
				noLeak(t, c, hide, query, rec.Body.String())
				return rec, resp
			}
			// refused checks the answer to an operation the caller may
			// not run: with hide, there is no such field for it (or no
			// schema at all); with reject, FORBIDDEN at path, with data
			// null when the refused field is non-null.
			refused := func(t *testing.T, rec *httptest.ResponseRecorder, resp gqlResponse, path ...any) {
				t.Helper()
				switch {
				case hide && !c.read:
					require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
					require.Equal(t, "FORBIDDEN", resp.code())
				case hide:
					require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), rec.Body.String())
				default:
					require.Equal(t, http.StatusOK, rec.Code)
					require.Equal(t, "FORBIDDEN", resp.code(), rec.Body.String())
					require.Equal(t, path, resp.Errors[0].Path)
					require.NotEmpty(t, resp.Errors[0].Locations)
				}
			}

			t.Run("list", func(t *testing.T) {
				rec, resp := do(t, `{ goodsList { nodes { name categoryCode } } }`, nil)
				if !c.read {
					refused(t, rec, resp, "goodsList")
					if !hide {
						require.JSONEq(t, `null`, string(resp.Data), "goodsList is non-null")
					}
					return
				}
				require.Empty(t, resp.Errors)
				require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Secret Apple","categoryCode":"FRUIT"},{"name":"Plain Pear","categoryCode":"FRUIT"}]}}`, string(resp.Data))
			})

			t.Run("purchasePrice", func(t *testing.T) {
				rec, resp := do(t, `query($id: ID!) { goods(id: $id) { name purchasePrice } }`, map[string]any{"id": seeded.A.ID})
				switch {
				case c.read && c.cost:
					require.Empty(t, resp.Errors)
					require.JSONEq(t, `{"goods":{"name":"Secret Apple","purchasePrice":`+secretPrice+`}}`, string(resp.Data))
				case !c.read:
					refused(t, rec, resp, "goods")
				default:
					refused(t, rec, resp, "goods", "purchasePrice")
					if !hide {
						require.JSONEq(t, `{"goods":{"name":"Secret Apple","purchasePrice":null}}`, string(resp.Data), "the rest of the goods is served")
					}
				}
			})

			t.Run("purchasePrice in a list", func(t *testing.T) {
				rec, resp := do(t, `{ goodsList { nodes { name purchasePrice } } }`, nil)
				switch {
				case c.read && c.cost:
					require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Secret Apple","purchasePrice":`+secretPrice+`},{"name":"Plain Pear","purchasePrice":null}]}}`, string(resp.Data))
				case !c.read:
					refused(t, rec, resp, "goodsList")
				default:
					refused(t, rec, resp, "goodsList", "nodes", 0.0, "purchasePrice")
					if !hide {
						require.Len(t, resp.Errors, 2, "an error per goods")
						require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Secret Apple","purchasePrice":null},{"name":"Plain Pear","purchasePrice":null}]}}`, string(resp.Data))
					}
				}
			})

			for name, query := range map[string]string{
				"filter by purchasePrice": `{ goodsList(filter: {purchasePrice: {gt: 7}}) { nodes { name } } }`,
				"sort by purchasePrice":   `{ goodsList(orderBy: [{field: PURCHASE_PRICE, direction: DESC}], first: 1) { nodes { name } } }`,
			} {
				t.Run(name, func(t *testing.T) {
					rec, resp := do(t, query, nil)
					if c.read && c.cost {
						require.Empty(t, resp.Errors)
						require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Secret Apple"}]}}`, string(resp.Data))
						return
					}
					refused(t, rec, resp, "goodsList")
					if !hide && c.read {
						require.JSONEq(t, `null`, string(resp.Data), "nothing of the list is served")
					}
				})
			}

			t.Run("filter by a vendor code", func(t *testing.T) {
				rec, resp := do(t, `{ goodsList(filter: {vendorCode: {eq: "V2"}}) { nodes { name } } }`, nil)
				if !c.read {
					refused(t, rec, resp, "goodsList")
					return
				}
				require.JSONEq(t, `{"goodsList":{"nodes":[{"name":"Plain Pear"}]}}`, string(resp.Data))
			})

			t.Run("create, update and delete", func(t *testing.T) {
				before := count(t)
				rec, resp := do(t, `mutation { createGoods(input: {name: "New", price: 1, categoryCode: "C", vendorCode: "V"}) { id name } }`, nil)
				if !c.write {
					refused(t, rec, resp, "createGoods")
					require.Equal(t, before, count(t), "a refused mutation changes nothing")
					rec, resp = do(t, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": seeded.B.ID})
					refused(t, rec, resp, "deleteGoods")
					require.Equal(t, before, count(t))
					return
				}
				require.Empty(t, resp.Errors, rec.Body.String())
				var created struct{ CreateGoods struct{ ID string } }
				require.NoError(t, json.Unmarshal(resp.Data, &created))
				require.Equal(t, before+1, count(t))

				_, resp = do(t, `mutation($id: ID!) { updateGoods(id: $id, input: {name: "Secret Apple"}) { name } }`, map[string]any{"id": seeded.A.ID})
				require.Empty(t, resp.Errors)
				var price struct {
					Goods struct{ PurchasePrice float64 }
				}
				g.mustData(t, admin, `query($id: ID!) { goods(id: $id) { purchasePrice } }`, map[string]any{"id": seeded.A.ID}, &price)
				require.Equal(t, 7.25, price.Goods.PurchasePrice, "an update without the field leaves the value it may not see")

				_, resp = do(t, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": created.CreateGoods.ID})
				require.Empty(t, resp.Errors)
				require.Equal(t, before, count(t))
			})

			t.Run("create with purchasePrice", func(t *testing.T) {
				before := count(t)
				rec, resp := do(t, `mutation { createGoods(input: {name: "Priced", price: 1, categoryCode: "C", vendorCode: "V", purchasePrice: 1}) { id } }`, nil)
				if !(c.write && c.cost) {
					refused(t, rec, resp, "createGoods")
					require.Equal(t, before, count(t), "a refused mutation changes nothing")
					return
				}
				require.Empty(t, resp.Errors)
				var created struct{ CreateGoods struct{ ID string } }
				require.NoError(t, json.Unmarshal(resp.Data, &created))
				g.mustData(t, admin, `mutation($id: ID!) { deleteGoods(id: $id) }`, map[string]any{"id": created.CreateGoods.ID}, new(any))
			})

			t.Run("introspection", func(t *testing.T) {
				rec, resp := do(t, `{ __type(name: "Goods") { fields { name } } }`, nil)
				if hide && !c.read {
					require.Equal(t, http.StatusForbidden, rec.Code)
					return
				}
				require.Empty(t, resp.Errors)
				require.Equal(t, c.cost || !hide, strings.Contains(string(resp.Data), `"purchasePrice"`), string(resp.Data))

				_, resp = do(t, `{ __schema { mutationType { name } types { name fields { name } inputFields { name } enumValues { name } } } }`, nil)
				var schema struct {
					Schema struct {
						MutationType *struct{ Name string }
					} `json:"__schema"`
				}
				require.NoError(t, json.Unmarshal(resp.Data, &schema))
				require.Equal(t, c.write || !hide, schema.Schema.MutationType != nil, "a Mutation type")
				for _, name := range []string{"purchasePrice", "PURCHASE_PRICE"} {
					require.Equal(t, c.cost || !hide, strings.Contains(string(resp.Data), `"`+name+`"`), name)
				}
			})

			t.Run("schema.graphql", func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "/schema.graphql", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				g.handler.ServeHTTP(rec, req)
				body, _ := io.ReadAll(rec.Body)
				noLeak(t, c, hide, "", string(body))
				if hide && !c.read {
					require.Equal(t, http.StatusForbidden, rec.Code)
					return
				}
				require.Equal(t, http.StatusOK, rec.Code)
				require.Equal(t, c.cost || !hide, strings.Contains(string(body), "purchasePrice"))
				require.Equal(t, c.write || !hide, strings.Contains(string(body), "type Mutation"))
			})

			t.Run("suggestions", func(t *testing.T) {
				_, resp := do(t, `{ goodsList { nodes { purchasePrise } } }`, nil)
				if hide && !c.read {
					return
				}
				require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())
				// do's leak check lets a name through that the query spells
				// almost alike: check the suggestion itself.
				if hide && !c.cost {
					require.NotContains(t, resp.Errors[0].Message, "purchasePrice", "no suggestion of a hidden field")
				} else {
					require.Contains(t, resp.Errors[0].Message, `Did you mean "purchasePrice"?`, "the schema the caller sees has it")
				}
			})
		})
	}
}

// forbiddenRefusals returns the number of customerA's requests that
// /admin/tenants counts as refused with FORBIDDEN.
func forbiddenRefusals(t *testing.T, g *testGateway) int {
	t.Helper()
	rec, _ := g.serve(t, adminRequest(http.MethodGet, "/admin/tenants"))
	var body struct {
		Refusals map[string]map[string]int `json:"refusals"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return body.Refusals["customerA"]["FORBIDDEN"]
}

// noLeak checks body, the response to query, for what c may not see: the
// seeded purchase price, and (when the tenant hides fields and the query
// does not name it) the field's name.
func noLeak(t *testing.T, c caller, hide bool, query, body string) {
	t.Helper()
	if c.cost && c.read {
		return
	}
	require.NotContains(t, body, secretPrice)
	if hide && !strings.Contains(query, "urchasePri") && !strings.Contains(query, "PURCHASE_PRICE") {
		require.NotContains(t, body, "purchasePrice")
		require.NotContains(t, body, "PURCHASE_PRICE")
	}
}

// TestAuthorizationReload changes the scopes of a role in tenant.yaml: the
// next request of a caller whose view is cached gets the new view.
func TestAuthorizationReload(t *testing.T) {
	dir := authzTenants(t, "hide")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	viewer := g.customerA(t, "viewer")
	const query = `{ __type(name: "Goods") { fields { name } } }`
	_, resp := g.post(t, viewer, query, nil)
	require.NotContains(t, string(resp.Data), "purchasePrice")

	path := filepath.Join(dir, "customerA", "tenant.yaml")
	yaml, err := os.ReadFile(path)
	require.NoError(t, err)
	changed := strings.Replace(string(yaml), "viewer: [goods:read]", "viewer: [goods:read, goods:cost]", 1)
	require.NotEqual(t, string(yaml), changed)
	require.NoError(t, os.WriteFile(path, []byte(changed), 0o644))
	require.NoError(t, g.registry.Reload())

	_, resp = g.post(t, viewer, query, nil)
	require.Contains(t, string(resp.Data), "purchasePrice", "the viewer's new scopes reach its next request")
}

// TestScopesClaimMalformed sends tokens whose scopes or roles claim is not
// what it should be: each is refused, never served as a token without
// scopes.
func TestScopesClaimMalformed(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	ja := jwtauth.New("HS256", testSecret, nil)
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("s%d", i)
	}
	for name, claims := range map[string]map[string]any{
		"scope a number":     {"scope": 5},
		"scope an object":    {"scope": map[string]any{"goods:read": true}},
		"scp a mixed array":  {"scp": []any{"goods:read", 1}},
		"scp 300 entries":    {"scp": many},
		"roles a number":     {"roles": 1},
		"roles with a space": {"roles": []string{"vie wer"}},
	} {
		t.Run(name, func(t *testing.T) {
			claims["tenant_id"] = "customerA"
			claims["exp"] = time.Now().Add(time.Hour).Unix()
			_, tok, err := ja.Encode(claims)
			require.NoError(t, err)
			rec, resp := g.post(t, tok, `{ goodsList { totalCount } }`, nil)
			require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
			require.Equal(t, "UNAUTHENTICATED", resp.code())
		})
	}
}

// TestAcceptGlobalTokens checks auth.acceptGlobalTokens: false: the
// tenant's own issuer speaks for it, the gateway's does not.
func TestAcceptGlobalTokens(t *testing.T) {
	dir := t.TempDir()
	const tenantSecret = "a-secret-of-tenant-sovereign-32b!!"
	t.Setenv("SOVEREIGN_KEY", tenantSecret)
	for id, acceptGlobal := range map[string]string{"sovereign": "false", "open": "true"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "tenant.yaml"), []byte(`name: `+id+`
secrets:
  key: env:SOVEREIGN_KEY
auth:
  issuer: https://idp.`+id+`.example/
  algorithm: HS256
  key: secret:key
  acceptGlobalTokens: `+acceptGlobal+`
`), 0o644))
	}
	g := newTestGatewayWith(t, store.NewMemory(nil), dir, testSetup{tenantIssuers: true})
	own := func(tenantID string) string {
		_, tok, err := jwtauth.New("HS256", []byte(tenantSecret), nil).Encode(map[string]any{
			"iss": "https://idp." + tenantID + ".example/", "tenant_id": tenantID, "exp": time.Now().Add(time.Hour).Unix(),
		})
		require.NoError(t, err)
		return tok
	}
	const query = `{ goodsList { totalCount } }`

	rec, resp := g.post(t, g.token(t, "sovereign"), query, nil)
	require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
	require.Equal(t, "UNAUTHENTICATED", resp.code())
	require.Contains(t, rec.Header().Get("WWW-Authenticate"), "invalid_token")

	rec, _ = g.post(t, own("sovereign"), query, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	rec, _ = g.post(t, g.token(t, "open"), query, nil)
	require.Equal(t, http.StatusOK, rec.Code, "a tenant that accepts global tokens")
	rec, _ = g.post(t, own("open"), query, nil)
	require.Equal(t, http.StatusOK, rec.Code)
}
