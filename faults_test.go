package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// redisCheck returns the redis entry of the gateway's /readyz report.
func redisCheck(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Checks map[string]struct{ Status string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.Checks["redis"].Status
}

// TestRedisFaults kills and freezes the gateway's Redis in the middle of a
// run of requests from a tenant with its own token issuer, whose secret
// must be resolved through the cache. Every request must succeed; /readyz
// must report Redis as degraded while staying ready; caching must resume
// by itself when Redis returns.
func TestRedisFaults(t *testing.T) {
	rs := testenv.StartRedisServer(t)
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "key")
	key := []byte("fault-test-secret-0123456789abcdef-0123")
	require.NoError(t, os.WriteFile(secretFile, key, 0o600))
	const iss = "https://id.globex.example/"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "globex"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "globex", "tenant.yaml"), []byte("name: Globex\nsecrets:\n  key: file:"+secretFile+"\nauth:\n  issuer: "+iss+"\n  algorithm: HS256\n  key: secret:key\n"), 0o644))

	g := start(t, map[string]string{
		"TENANTGRAPH_TENANTS_DIR": dir,
		"REDIS_URL":               rs.URL(),
		"TENANTGRAPH_MASTER_KEY":  base64.StdEncoding.EncodeToString([]byte("master-key-of-exactly-32-bytes!!")),
		"JWT_SECRET":              "global-secret-of-at-least-32-bytes!!",
		// Ask Redis on nearly every request, so that faults are felt.
		"TENANTGRAPH_CACHE_LOCAL_TTL": "5ms",
	})
	token := signHS256(t, key, iss, "globex")

	type sample struct {
		phase   string
		latency time.Duration
	}
	var (
		phase    atomic.Value
		mu       sync.Mutex
		samples  []sample
		failures atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	phase.Store("healthy")
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := phase.Load().(string)
				began := time.Now()
				if status(t, g.url, token) != http.StatusOK {
					failures.Add(1)
				}
				mu.Lock()
				samples = append(samples, sample{p, time.Since(began)})
				mu.Unlock()
			}
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "waiting for %s", what)
			time.Sleep(20 * time.Millisecond) // polling interval
		}
	}
	redisIs := func(want string) func() bool {
		return func() bool {
			code, got := redisCheck(t, g.url)
			require.Equal(t, http.StatusOK, code, "a degraded Redis leaves the gateway ready")
			return got == want
		}
	}
	pause := func(d time.Duration) { time.Sleep(d) } // lets requests run in a phase

	waitFor("redis ok", redisIs("ok"))
	pause(500 * time.Millisecond)

	phase.Store("hung")
	rs.Stop()
	waitFor("redis degraded while hung", redisIs("degraded"))
	pause(time.Second)
	phase.Store("recovering")
	rs.Cont()
	waitFor("redis ok after SIGCONT", redisIs("ok"))

	phase.Store("killed")
	rs.Kill()
	waitFor("redis degraded while killed", redisIs("degraded"))
	pause(time.Second)
	phase.Store("restarted")
	rs.Start()
	waitFor("redis ok after restart", redisIs("ok"))
	pause(500 * time.Millisecond)

	close(stop)
	wg.Wait()
	require.Zero(t, failures.Load(), "requests failed during the faults")

	byPhase := map[string][]time.Duration{}
	for _, s := range samples {
		byPhase[s.phase] = append(byPhase[s.phase], s.latency)
	}
	for _, p := range []string{"healthy", "hung", "killed", "restarted"} {
		ds := byPhase[p]
		require.NotEmpty(t, ds, p)
		slices.Sort(ds)
		t.Logf("%-9s %5d requests: p50 %v, p99 %v, max %v", p, len(ds), ds[len(ds)/2], ds[len(ds)*99/100], ds[len(ds)-1])
	}
}
