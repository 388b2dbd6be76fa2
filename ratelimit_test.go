package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestRateLimitSharedByReplicas runs two gateway processes on one Redis:
// a tenant's rate limit is one budget across both. When Redis is frozen
// and then killed, both keep serving and limit in process, and /readyz
// says so; when Redis is back, the budget is shared again.
func TestRateLimitSharedByReplicas(t *testing.T) {
	rs := testenv.StartRedisServer(t)
	dir := t.TempDir()
	// 10 requests a minute: nothing refills during the test. A tenant
	// for the shared budget, and one for each fault.
	for _, id := range []string{"acme", "frozen", "killed"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, id), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "tenant.yaml"),
			[]byte("name: "+id+"\nlimits:\n  rate: {requests: 10, per: 1m}\n"), 0o644))
	}
	env := map[string]string{
		"REDIS_URL":               rs.URL(),
		"TENANTGRAPH_MASTER_KEY":  base64.StdEncoding.EncodeToString([]byte("master-key-of-exactly-32-bytes!!")),
		"JWT_SECRET":              neighbourSecret,
		"TENANTGRAPH_TENANTS_DIR": dir,
		"TENANTGRAPH_WATCH":       "false",
	}
	replicas := []*gatewayCommand{startProcess(t, env), startProcess(t, env)}
	send := func(g *gatewayCommand, tenant string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, g.url+"graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+signHS256(t, []byte(neighbourSecret), "", tenant))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	// admitted sends n requests of tenant, alternating between the
	// replicas, and counts those served.
	admitted := func(tenant string, n int) (ok int, last *http.Response) {
		for i := range n {
			last = send(replicas[i%2], tenant)
			switch last.StatusCode {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("status %d", last.StatusCode)
			}
		}
		return ok, last
	}
	readiness := func(g *gatewayCommand) string {
		resp, err := http.Get(g.url + "readyz")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "rate limits never make the gateway unready")
		var body struct {
			Checks map[string]struct{ Status string }
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return body.Checks["ratelimit"].Status
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for readiness(replicas[0]) != want || readiness(replicas[1]) != want {
			require.True(t, time.Now().Before(deadline), "waiting for ratelimit %s", want)
			time.Sleep(20 * time.Millisecond) // polling interval
		}
	}

	waitFor("ok")
	ok, last := admitted("acme", 16)
	require.Equal(t, 10, ok, "the two replicas share one budget of 10")
	require.Equal(t, http.StatusTooManyRequests, last.StatusCode)
	retry := last.Header.Get("Retry-After")
	require.NotEmpty(t, retry)
	require.Equal(t, `"requests";q=10;w=60`, last.Header.Get("RateLimit-Policy"))
	require.Contains(t, last.Header.Get("RateLimit"), `"requests";r=0;t=`)

	for _, fault := range []struct {
		name   string
		break_ func()
		repair func()
	}{
		{"frozen", rs.Stop, rs.Cont},
		{"killed", rs.Kill, rs.Start},
	} {
		t.Run(fault.name, func(t *testing.T) {
			fault.break_()
			began := time.Now()
			// Each replica now limits in process, each with the full
			// budget: 10 per replica, 20 in all; none fails.
			ok, _ := admitted(fault.name, 30)
			t.Logf("Redis %s: 30 requests answered in %v, %d served", fault.name, time.Since(began).Round(time.Millisecond), ok)
			require.Equal(t, 20, ok, "each replica limits on its own while Redis is away")
			waitFor("degraded")
			fault.repair()
			waitFor("ok")
			// What was spent in process is not carried back: the shared
			// budget in Redis is whole, and shared again. A frozen Redis
			// may still run the calls it received before each replica's
			// breaker opened (3 failures each), after they timed out.
			ok, _ = admitted(fault.name, 16)
			require.GreaterOrEqual(t, ok, 10-2*3, "back on one budget for both replicas")
			require.LessOrEqual(t, ok, 10, "back on one budget for both replicas")
		})
	}
}
