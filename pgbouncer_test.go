package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestReplicasBehindPgBouncer runs two gateways on one database through
// PgBouncer in transaction mode, as replicas in production do, and has
// each tenant write and read through both at once: no request may fail,
// each gateway must see the goods the other wrote, and no tenant may see
// another's goods.
func TestReplicasBehindPgBouncer(t *testing.T) {
	direct := testenv.PostgresURL(t)
	pb := testenv.StartPgBouncer(t, os.Getenv("TEST_DATABASE_URL"))
	dir := t.TempDir()
	tenants := []string{"acme", "globex", "initech"}
	for _, id := range tenants {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "tenant.yaml"), []byte("name: "+id+"\n"), 0o644))
	}
	// One tenant with an extension field, stored in ext, and filtered on.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "globex", "goods.graphqls"),
		[]byte("extend type Goods {\n  sku: String! @filterable\n}\n"), 0o644))

	env := func() map[string]string {
		return map[string]string{
			// More connections than PgBouncer has to the server, so
			// that the two gateways' transactions share them.
			"DATABASE_URL":            pb.URL(direct) + "&pool_max_conns=4",
			"DATABASE_MIGRATION_URL":  direct,
			"JWT_SECRET":              "a-test-secret-of-at-least-32-bytes!!",
			"TENANTGRAPH_TENANTS_DIR": dir,
			"TENANTGRAPH_WATCH":       "false",
			// Two workers of a tenant may call a gateway at once; on a
			// busy machine they wait for each other rather than get
			// 503 OVERLOADED, which is not what this test is about.
			"TENANTGRAPH_TENANT_MAX_CONCURRENT": "2",
			"TENANTGRAPH_QUEUE_TIMEOUT":         "10s",
		}
	}
	gateways := []*gatewayProcess{start(t, env()), start(t, env())}
	tokens := map[string]string{}
	for _, id := range tenants {
		var out bytes.Buffer
		e := env()
		require.NoError(t, run(t.Context(), []string{"token", "--tenant", id, "--ttl", "10m"}, func(k string) string { return e[k] }, &out, io.Discard))
		tokens[id] = strings.TrimSpace(out.String())
	}

	const perWorker = 15
	var (
		mu  sync.Mutex
		ids = map[string][]string{} // tenant: the goods it created
		wg  sync.WaitGroup
	)
	for _, tenant := range tenants {
		for gi, g := range gateways {
			other := gateways[1-gi]
			wg.Go(func() {
				sku := ""
				if tenant == "globex" {
					sku = `, sku: "SKU-1"`
				}
				for n := range perWorker {
					name := fmt.Sprintf("%s-%d-%d", tenant, gi, n)
					data, err := post(g, tokens[tenant], `mutation { createGoods(input: {name: "`+name+`", price: 1`+sku+`}) { id name } }`)
					if err != nil {
						t.Errorf("%s create through gateway %d: %v", tenant, gi, err)
						return
					}
					id := data["createGoods"].(map[string]any)["id"].(string)
					mu.Lock()
					ids[tenant] = append(ids[tenant], id)
					mu.Unlock()

					data, err = post(other, tokens[tenant], `{ goods(id: "`+id+`") { name } }`)
					if err != nil {
						t.Errorf("%s read through gateway %d: %v", tenant, 1-gi, err)
						return
					}
					if got, _ := data["goods"].(map[string]any); got == nil || got["name"] != name {
						t.Errorf("%s read %v through the other gateway, want %s", tenant, data["goods"], name)
					}

					list := `{ goodsList(first: 100) { nodes { name } } }`
					if tenant == "globex" {
						list = `{ goodsList(first: 100, filter: {sku: {eq: "SKU-1"}}) { nodes { name } } }`
					}
					data, err = post(g, tokens[tenant], list)
					if err != nil {
						t.Errorf("%s list through gateway %d: %v", tenant, gi, err)
						return
					}
					for _, node := range data["goodsList"].(map[string]any)["nodes"].([]any) {
						if got := node.(map[string]any)["name"].(string); !strings.HasPrefix(got, tenant+"-") {
							t.Errorf("%s listed %s", tenant, got)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	for _, tenant := range tenants {
		for gi, g := range gateways {
			data, err := post(g, tokens[tenant], `{ goodsList { totalCount } }`)
			require.NoError(t, err)
			require.Equal(t, float64(perWorker*len(gateways)), data["goodsList"].(map[string]any)["totalCount"], "%s through gateway %d", tenant, gi)
		}
		// Another tenant's goods are not found, by either gateway.
		stranger := tenants[0]
		if tenant == stranger {
			stranger = tenants[1]
		}
		for gi, g := range gateways {
			data, err := post(g, tokens[stranger], `{ goods(id: "`+ids[tenant][0]+`") { id } }`)
			require.NoError(t, err)
			require.Nil(t, data["goods"], "%s read goods of %s through gateway %d", stranger, tenant, gi)
		}
	}
}

// post sends query to g with token and returns the response's data, or an
// error if the request failed or the response has errors. Unlike
// gatewayProcess.graphql it may be called from any goroutine.
func post(g *gatewayProcess, token, query string) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, g.url+"graphql", strings.NewReader(`{"query":`+jsonString(query)+`}`))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.Errors != nil || body.Data == nil {
		return nil, fmt.Errorf("status %d, errors %v", resp.StatusCode, body.Errors)
	}
	return body.Data, nil
}
