package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestRedisClusterMasterKilled runs the gateway on a Redis Cluster of
// three masters given by REDIS_URL in its cluster form, with a tenant whose
// token issuer's secret is resolved through the cache, persisted queries
// and a rate limit; then kills a master while requests run. Every request
// must succeed; /readyz must report Redis as degraded while staying ready.
func TestRedisClusterMasterKilled(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "key")
	key := []byte("cluster-test-secret-0123456789abcdef-0123")
	require.NoError(t, os.WriteFile(secretFile, key, 0o600))
	const iss = "https://id.globex.example/"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "globex"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "globex", "tenant.yaml"), []byte("name: Globex\nsecrets:\n  key: file:"+secretFile+
		"\nauth:\n  issuer: "+iss+"\n  algorithm: HS256\n  key: secret:key\nlimits:\n  rate: {requests: 1000000, per: 1m}\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "acme"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "acme", "tenant.yaml"), []byte("name: Acme\nlimits:\n  rate: {requests: 5, per: 1h}\n"), 0o644))

	env := map[string]string{
		"TENANTGRAPH_TENANTS_DIR":     dir,
		"TENANTGRAPH_WATCH":           "false",
		"REDIS_URL":                   rc.URL(),
		"TENANTGRAPH_MASTER_KEY":      base64.StdEncoding.EncodeToString([]byte("master-key-of-exactly-32-bytes!!")),
		"JWT_SECRET":                  neighbourSecret,
		"TENANTGRAPH_CACHE_LOCAL_TTL": "5ms", // ask Redis on nearly every request
	}
	g1, g2 := start(t, env), start(t, env)
	token := signHS256(t, key, iss, "globex")
	for _, g := range []*gatewayProcess{g1, g2} {
		testenv.Eventually(t, 15*time.Second, func() bool {
			_, checks := readiness(t, g.url)
			return checks["redis"] == "ok" && checks["ratelimit"] == "ok"
		}, "/readyz to report Redis ok")
	}

	// The rate limit is one budget for both gateways.
	acme := signHS256(t, []byte(neighbourSecret), "", "acme")
	served := 0
	for i := range 8 {
		if status(t, []*gatewayProcess{g1, g2}[i%2].url, acme) == http.StatusOK {
			served++
		}
	}
	require.Equal(t, 5, served, "the two gateways share one budget of 5")

	// A persisted query registered with one gateway is known to the other.
	query := "{ goodsList { totalCount } }"
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	require.Contains(t, persisted(t, g1.url, token, hash, query), `"data"`)
	require.Contains(t, persisted(t, g2.url, token, hash, ""), `"data"`, "g2 finds g1's persisted query in Redis")

	var (
		failures atomic.Int64
		requests atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range 4 {
		g := []*gatewayProcess{g1, g2}[w%2]
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ok := status(t, g.url, token) == http.StatusOK
				if w >= 2 {
					ok = strings.Contains(persisted(t, g.url, token, hash, ""), `"data"`)
				}
				if !ok {
					failures.Add(1)
				}
				requests.Add(1)
			}
		})
	}
	waitRequests := func(n int64) {
		base := requests.Load()
		testenv.Eventually(t, 30*time.Second, func() bool { return requests.Load()-base >= n }, "%d requests", n)
	}
	waitRequests(200)

	rc.Masters[rc.Master("tenantgraph:cache:v:{globex}:config")].Kill()
	for _, g := range []*gatewayProcess{g1, g2} {
		testenv.Eventually(t, 15*time.Second, func() bool {
			code, s := redisCheck(t, g.url)
			require.Equal(t, http.StatusOK, code, "a lost master leaves the gateway ready")
			return s == "degraded"
		}, "/readyz to report Redis degraded")
	}
	waitRequests(1000)
	close(stop)
	wg.Wait()
	require.Zero(t, failures.Load(), "requests failed after a master was killed (%d requests)", requests.Load())
	t.Logf("%d requests, none failed; the master of globex's slot was killed after the first 200", requests.Load())
}

// persisted sends an automatic persisted query (the query itself only if
// not empty) and returns the response body.
func persisted(t *testing.T, base, token, hash, query string) string {
	t.Helper()
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if query != "" {
		body["query"] = query
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"graphql", strings.NewReader(string(b)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return string(out)
}
