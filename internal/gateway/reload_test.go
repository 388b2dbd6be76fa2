package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/loader"
)

// writeAtomically replaces path by renaming a new file over it, as editors
// and Kubernetes ConfigMap volumes do.
func writeAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	copyTenant(t, dir, "acme", "acme", "")
	copyTenant(t, dir, "customerA", "customerA", "")
	g := newTestGatewayIn(t, store.NewMemory(nil), dir)
	acme, customerA := g.token(t, "acme"), g.customerA(t, "editor")
	g.mustData(t, customerA, `mutation { createGoods(input: {name: "Apple", price: 1, categoryCode: "FRUIT", vendorCode: "V1"}) { id } }`, nil, new(any))

	reloads := make(chan error, 16)
	ctx, cancel := context.WithCancel(t.Context())
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		require.NoError(t, g.registry.Watch(ctx, func(err error) { reloads <- err }))
	}()
	t.Cleanup(func() { cancel(); <-watching })
	require.NoError(t, <-reloads, "the reload when watching starts")

	acmeBefore, _ := g.registry.Lookup("acme")

	// Clients hammer both tenants throughout; none may fail.
	var failures, requests atomic.Int64
	var failed sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			tok, q := acme, `{ goodsList { totalCount nodes { id name } } }`
			if i%2 == 1 {
				tok, q = customerA, `{ goodsList { totalCount nodes { id categoryCode taxRate } } }`
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec, resp := g.post(t, tok, q, nil)
				requests.Add(1)
				if rec.Code != http.StatusOK || len(resp.Errors) > 0 {
					failures.Add(1)
					failed.Store(rec.Body.String(), true)
				}
			}
		})
	}

	// A new field in a new file is served within 2 s.
	written := time.Now()
	writeAtomically(t, filepath.Join(dir, "customerA", "colour.graphqls"), "extend type Goods {\n  colour: String @filterable\n}\n")
	var served time.Duration
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		_, resp := g.post(t, customerA, `{ goodsList { nodes { colour } } }`, nil)
		if len(resp.Errors) == 0 {
			served = time.Since(written)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NotZero(t, served, "the new field was never served; logs:\n%s", g.logs.String())
	require.Less(t, served, 2*time.Second)
	t.Logf("new field served %v after the write", served)

	acmeAfter, _ := g.registry.Lookup("acme")
	require.Same(t, acmeBefore, acmeAfter, "other tenants are untouched")

	// A broken edit keeps the previous schema serving, and the error is
	// visible to operators.
	drain(reloads)
	writeAtomically(t, filepath.Join(dir, "customerA", "colour.graphqls"), "extend type Goods {\n  colour: NoSuchType\n}\n")
	select {
	case err := <-reloads:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("no reload after the broken edit")
	}
	var data struct {
		GoodsList struct{ Nodes []struct{ Colour *string } }
	}
	g.mustData(t, customerA, `{ goodsList { nodes { colour } } }`, nil, &data)
	require.Len(t, data.GoodsList.Nodes, 1)

	req := httptest.NewRequest(http.MethodGet, "/admin/tenants", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	var admin struct{ Tenants []loader.State }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &admin))
	var st loader.State
	for _, s := range admin.Tenants {
		if s.ID == "customerA" {
			st = s
		}
	}
	require.True(t, st.Serving)
	require.Regexp(t, `colour\.graphqls:2:\d+: .*NoSuchType`, st.Error)

	rec = httptest.NewRecorder()
	g.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"status":"degraded"`)

	close(stop)
	wg.Wait()
	var bodies []string
	failed.Range(func(k, _ any) bool { bodies = append(bodies, k.(string)); return true })
	require.Zero(t, failures.Load(), "failed requests: %v", bodies)
	require.Greater(t, requests.Load(), int64(10))
}

func TestAdminEndpointNeedsToken(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(nil))
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + g.token(t, "acme")} {
		req := httptest.NewRequest(http.MethodGet, "/admin/tenants", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		g.handler.ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code, auth)
	}
}

func drain(c chan error) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
