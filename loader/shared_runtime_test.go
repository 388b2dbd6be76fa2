package loader_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/tenantgraph/tenantgraph/internal/cost"
	"github.com/tenantgraph/tenantgraph/loader"
)

// writeWeightedTenant writes a tenant whose Goods has a field of its own
// (<id>Code) of the given weight, and one (<id>Kind) of an enum of its
// own.
func writeWeightedTenant(t *testing.T, dir, id, weight string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, id, "tenant.yaml"), "name: Tenant "+id+"\n")
	writeFile(t, filepath.Join(dir, id, "goods.graphqls"), fmt.Sprintf(`enum %[1]sKind { X Y }
extend type Goods {
  %[1]sCode: String @filterable @cost(weight: "%[2]s")
  %[1]sKind: %[1]sKind
}
`, id, weight))
}

// TestTenantsShareCompiledParts checks that tenants whose executors and
// cost models share the compiled parts of the base schema they have in
// common each serve exactly their own fields and types, and cost their
// own weights, through evictions and a reload.
func TestTenantsShareCompiledParts(t *testing.T) {
	dir := t.TempDir()
	weights := map[string]string{"a": "3", "b": "5", "c": "7"}
	for id, w := range weights {
		writeWeightedTenant(t, dir, id, w)
	}
	opts := productionOptions(dir)
	opts.MaxResident = 2
	reg, err := loader.New(opts)
	require.NoError(t, err)
	t.Cleanup(reg.Close)

	check := func(id string) {
		t.Helper()
		tn, ok := reg.Lookup(id)
		require.True(t, ok, id)
		w := weights[id]

		// What the executor serves: introspection of Goods, of the
		// filter and of the tenant's enum, and a query of the fields of
		// another tenant, which validation refuses.
		var got struct {
			Data struct {
				Goods  struct{ Fields []struct{ Name string } }
				Filter struct{ InputFields []struct{ Name string } }
				Kind   *struct{ EnumValues []struct{ Name string } }
			}
		}
		body := post(t, tn.Runtime.Handler, fmt.Sprintf(`{
  goods: __type(name: "Goods") { fields { name } }
  filter: __type(name: "GoodsFilter") { inputFields { name } }
  kind: __type(name: "%sKind") { enumValues { name } }
}`, id))
		require.NoError(t, json.Unmarshal(body, &got), string(body))
		var fields []string
		for _, f := range got.Data.Goods.Fields {
			fields = append(fields, f.Name)
		}
		require.Equal(t, []string{"id", "name", "price", "description", "createdAt", "updatedAt", id + "Code", id + "Kind"}, fields)
		var filter []string
		for _, f := range got.Data.Filter.InputFields {
			if strings.HasSuffix(f.Name, "Code") {
				filter = append(filter, f.Name)
			}
		}
		require.Equal(t, []string{id + "Code"}, filter)
		require.NotNil(t, got.Data.Kind, "its own enum")
		for other := range weights {
			if other == id {
				continue
			}
			body := post(t, tn.Runtime.Handler, fmt.Sprintf(`{ goods(id: "1") { %sCode } }`, other))
			require.Contains(t, string(body), "Cannot query field", "tenant %s sees %s's field", id, other)
			body = post(t, tn.Runtime.Handler, fmt.Sprintf(`{ __type(name: "%sKind") { name } }`, other))
			require.JSONEq(t, `{"data":{"__type":null}}`, string(body))
		}

		// What the cost model weighs: the tenant's own weight, and the
		// filter's weight for a filter on its own field.
		s := tn.Runtime.Schema
		query := fmt.Sprintf(`{ goodsList(first: 2, filter: {%[1]sCode: {eq: "x"}}) { nodes { %[1]sCode } totalCount } }`, id)
		doc, errs := gqlparser.LoadQuery(s.AST, query)
		require.Nil(t, errs)
		own, err := cost.New(s.Authoring)
		require.NoError(t, err)
		require.Equal(t, own.Operation(doc, doc.Operations[0], nil), s.Cost.Operation(doc, doc.Operations[0], nil), "shared and own models agree")
		single, errs := gqlparser.LoadQuery(s.AST, fmt.Sprintf(`{ goods(id: "1") { %sCode } }`, id))
		require.Nil(t, errs)
		want := 1 + int(w[0]-'0') // the goods, and its field
		require.Equal(t, want, s.Cost.Operation(single, single.Operations[0], nil), "tenant %s's weight", id)
	}

	order := []string{"a", "b", "c", "a", "c", "b", "a"}
	for _, id := range order {
		check(id) // at most two resident: every other lookup compiles
	}

	// A reload that changes b's weight and a's fields, with a resident
	// and b not, or the other way around.
	weights["b"] = "9"
	writeWeightedTenant(t, dir, "b", "9")
	writeFile(t, filepath.Join(dir, "a", "goods.graphqls"), `enum aKind { X Y }
extend type Goods {
  aCode: String @filterable @cost(weight: "4")
  aKind: aKind
}
`)
	weights["a"] = "4"
	require.NoError(t, reg.Reload())
	for _, id := range slices.Concat(order, order) {
		check(id)
	}
}

// post posts query to h and returns the response body.
func post(t *testing.T, h http.Handler, query string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}
