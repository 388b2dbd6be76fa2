package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// readinessWithin is how soon /readyz must tell that a dependency stopped
// answering, with no client traffic: about a second of cached probe, and
// half a second of probe timeout.
const readinessWithin = 2 * time.Second

// readiness returns the status code of the gateway's /readyz and the
// status of each of its checks.
func readiness(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Checks map[string]struct{ Status string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	checks := map[string]string{}
	for k, c := range body.Checks {
		checks[k] = c.Status
	}
	return resp.StatusCode, checks
}

// waitReadiness polls /readyz until cond holds of its answer, and fails t
// if it does not within d. It returns how long that took.
func waitReadiness(t *testing.T, base string, d time.Duration, what string, cond func(code int, checks map[string]string) bool) time.Duration {
	t.Helper()
	began := time.Now()
	var (
		code   int
		checks map[string]string
	)
	testenv.Eventually(t, d, func() bool {
		code, checks = readiness(t, base)
		return cond(code, checks)
	}, "%s: /readyz answers %d %v", what, code, checks)
	return time.Since(began)
}

// TestReadinessRedisFrozen freezes the gateway's Redis (SIGSTOP) while no
// client sends anything: /readyz must report Redis degraded within
// readinessWithin, staying ready, and ok again once Redis resumes.
func TestReadinessRedisFrozen(t *testing.T) {
	rs := testenv.StartRedisServer(t)
	g := start(t, map[string]string{
		"TENANTGRAPH_TENANTS_DIR": "tenants",
		"REDIS_URL":               rs.URL(),
		"TENANTGRAPH_MASTER_KEY":  base64.StdEncoding.EncodeToString([]byte("master-key-of-exactly-32-bytes!!")),
		"JWT_SECRET":              "a-test-secret-of-at-least-32-bytes!!",
	})
	waitReadiness(t, g.url, 15*time.Second, "redis ok", func(code int, c map[string]string) bool {
		return code == http.StatusOK && c["redis"] == "ok"
	})

	rs.Stop()
	took := waitReadiness(t, g.url, readinessWithin, "redis degraded after SIGSTOP", func(code int, c map[string]string) bool {
		require.Equal(t, http.StatusOK, code, "a degraded Redis leaves the gateway ready")
		return c["redis"] == "degraded"
	})
	t.Logf("redis degraded %v after SIGSTOP", took.Round(time.Millisecond))

	rs.Cont()
	waitReadiness(t, g.url, readinessWithin, "redis ok after SIGCONT", func(code int, c map[string]string) bool {
		return code == http.StatusOK && c["redis"] == "ok"
	})
}

// TestReadinessPostgresUnreachable puts a proxy between the gateway and
// Postgres and freezes it while no client sends anything: /readyz must
// answer 503 within readinessWithin, and 200 again once Postgres answers.
func TestReadinessPostgresUnreachable(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	proxy := testenv.StartProxy(t, u.Host)
	u.Host = proxy.Addr()
	g := start(t, map[string]string{
		"TENANTGRAPH_TENANTS_DIR": "tenants",
		"DATABASE_URL":            u.String(),
		"JWT_SECRET":              "a-test-secret-of-at-least-32-bytes!!",
	})
	waitReadiness(t, g.url, 15*time.Second, "ready", func(code int, c map[string]string) bool {
		return code == http.StatusOK && c["store"] == "ok"
	})

	proxy.Freeze()
	took := waitReadiness(t, g.url, readinessWithin, "not ready with Postgres frozen", func(code int, c map[string]string) bool {
		return code == http.StatusServiceUnavailable && c["store"] == "unavailable"
	})
	t.Logf("not ready %v after Postgres stopped answering", took.Round(time.Millisecond))
	// Each answer comes well within an orchestrator's timeout (1 s by
	// default in Kubernetes), probe or no probe.
	for range 3 {
		began := time.Now()
		code, _ := readiness(t, g.url)
		require.Equal(t, http.StatusServiceUnavailable, code)
		require.Less(t, time.Since(began), 900*time.Millisecond)
	}

	proxy.Thaw()
	waitReadiness(t, g.url, 10*time.Second, "ready again", func(code int, c map[string]string) bool {
		return code == http.StatusOK && c["store"] == "ok"
	})
}
