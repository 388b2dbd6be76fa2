package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// BenchmarkEntities100 fetches stock and warehouse of 100 goods from the
// example inventory service on loopback: one round trip. Compare with
// BenchmarkEntities100Plain, the same request sent with net/http alone,
// for the client's own cost.
func BenchmarkEntities100(b *testing.B) {
	srv := httptest.NewServer(inventory.NewHandler(&inventory.Inventory{}, inventory.Options{}))
	b.Cleanup(srv.Close)
	c := newClient(b, upstream.Spec{URLs: []string{srv.URL}}, upstream.Options{})
	sel := selection(b, stockAndWarehouse)
	in := ids(100)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Entities(ctx, "Goods", in, sel, nil)
		if err != nil || len(res) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkEntities100Plain is BenchmarkEntities100's request, prepared
// once and sent with a plain http.Client, its response decoded into any.
func BenchmarkEntities100Plain(b *testing.B) {
	srv := httptest.NewServer(inventory.NewHandler(&inventory.Inventory{}, inventory.Options{}))
	b.Cleanup(srv.Close)
	reps := make([]map[string]any, 100)
	for i, id := range ids(100) {
		reps[i] = map[string]any{"__typename": "Goods", "id": id}
	}
	body, err := json.Marshal(map[string]any{
		"query":     `query($representations:[_Any!]!){_entities(representations:$representations){...on Goods{stock warehouse{code city}}}}`,
		"variables": map[string]any{"representations": reps},
	})
	require.NoError(b, err)
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		res, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Data struct {
				Entities []map[string]any `json:"_entities"`
			} `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || len(out.Data.Entities) != 100 {
			b.Fatal(err, res.Status)
		}
	}
}
