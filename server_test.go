package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// gatewayProcess is the gateway run in-process through run, as the binary
// would run it.
type gatewayProcess struct {
	url    string
	stdout *testenv.Buffer
	logs   *testenv.Buffer // the JSON log, a line per record
	cancel context.CancelFunc
	done   chan error
}

// start runs "tenantgraph serve" with env on a free port (or on
// env's TENANTGRAPH_ADDR, if set) and waits until it listens.
func start(t *testing.T, env map[string]string) *gatewayProcess {
	t.Helper()
	// A copy of its own: a gateway's goroutines may outlive it a moment
	// (a cache load, an upstream's schema check) and still read its
	// environment while the caller starts the next one.
	env = maps.Clone(env)
	if env["TENANTGRAPH_ADDR"] == "" {
		env["TENANTGRAPH_ADDR"] = "127.0.0.1:0"
	}
	env["TENANTGRAPH_LOG_FORMAT"] = "json"
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	p := &gatewayProcess{stdout: &testenv.Buffer{}, logs: &testenv.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		p.done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, p.stdout, pw)
		pw.Close()
	}()
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Graphiql string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				listening <- line.Graphiql
			}
		}
	}()
	select {
	case u := <-listening:
		p.url = u
	case err := <-p.done:
		t.Fatalf("gateway exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not start listening")
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop shuts the gateway down as SIGTERM would, and checks it stopped
// cleanly.
func (p *gatewayProcess) stop(t *testing.T) {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not shut down")
	}
}

func (p *gatewayProcess) graphql(t *testing.T, token, query string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url+"graphql", strings.NewReader(`{"query":`+jsonString(query)+`}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body)
	require.Nil(t, body["errors"])
	return body["data"].(map[string]any)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestGoodsPersistAcrossRestarts(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":            testenv.PostgresURL(t),
		"JWT_SECRET":              "a-test-secret-of-at-least-32-bytes!!",
		"TENANTGRAPH_TENANTS_DIR": "tenants",
	}
	var token bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"token", "--tenant", "acme", "--ttl", "10m"}, func(k string) string { return env[k] }, &token, io.Discard))

	first := start(t, env)
	data := first.graphql(t, strings.TrimSpace(token.String()), `mutation { createGoods(input: {name: "Teapot", price: 12.5}) { id } }`)
	id := data["createGoods"].(map[string]any)["id"].(string)
	first.stop(t)

	second := start(t, env)
	data = second.graphql(t, strings.TrimSpace(token.String()), `{ goods(id: "`+id+`") { id name price } }`)
	require.Equal(t, map[string]any{"id": id, "name": "Teapot", "price": 12.5}, data["goods"])
}

func TestDevMode(t *testing.T) {
	p := start(t, map[string]string{"TENANTGRAPH_TENANTS_DIR": "tenants"})
	banner := p.stdout.String()
	require.Contains(t, banner, "dev mode")
	require.Contains(t, banner, p.url)

	tokens := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(\w+)\s+(ey[\w.-]+)$`).FindAllStringSubmatch(banner, -1) {
		tokens[m[1]] = m[2]
	}
	require.Contains(t, tokens, "acme")
	require.Contains(t, tokens, "customerA")
	for tenantID, tok := range tokens {
		data := p.graphql(t, tok, `{ goodsList { totalCount } }`)
		require.Equal(t, map[string]any{"totalCount": float64(0)}, data["goodsList"], tenantID)
	}

	resp, err := http.Get(p.url)
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), tokens["acme"], "GraphiQL offers the dev tokens")

	require.Contains(t, banner, "Operator endpoint: curl -s "+p.url+"admin/tenants")
	require.Equal(t, 1, p.logs.Count(`"msg":"listening"`))
	require.Equal(t, 1, p.logs.Count(`"admin":true`), "the start-up log says the operator endpoint is served: %s", p.logs)
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}, {"serve", "--help"}} {
		var stdout, stderr bytes.Buffer
		// A context already done: were the gateway started, it would
		// stop at once, and the test would see no usage.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.NoError(t, run(ctx, args, func(string) string { return "" }, &stdout, &stderr), "%q", args)
		require.Contains(t, stdout.String(), "Usage:", "%q", args)
		require.Empty(t, stderr.String(), "%q starts nothing", args)
	}
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"--port", "8080"}, func(string) string { return "" }, io.Discard, &stderr)
	require.ErrorContains(t, err, "serve takes no arguments")
	require.Contains(t, stderr.String(), "Usage:")
}

func TestTokenCommandRefusesDevMode(t *testing.T) {
	err := run(t.Context(), []string{"token", "--tenant", "acme"}, func(string) string { return "" }, io.Discard, io.Discard)
	require.ErrorContains(t, err, "JWT_SECRET is not set")
}

func TestConfigurationErrorsAreReportedTogether(t *testing.T) {
	env := map[string]string{"JWT_ALG": "RS512", "TENANTGRAPH_LOG_LEVEL": "loud", "TENANTGRAPH_MAX_PAGE_SIZE": "lots", "TENANTGRAPH_SHUTDOWN_TIMEOUT": "soon"}
	err := run(t.Context(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	require.ErrorContains(t, err, "TENANTGRAPH_MAX_PAGE_SIZE")
	require.ErrorContains(t, err, "TENANTGRAPH_SHUTDOWN_TIMEOUT")
	require.ErrorContains(t, err, "TENANTGRAPH_LOG_LEVEL")
	require.ErrorContains(t, err, "JWT_ALG")
}

func TestCheckCommand(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"check", "tenants"}, func(string) string { return "" }, &out, io.Discard))
	require.Contains(t, out.String(), "every tenant is valid")

	dir := t.TempDir()
	for name, content := range map[string]string{
		"good/tenant.yaml":     "name: Good\n",
		"bad/tenant.yaml":      "name: Bad\nplan: gold\n",
		"bad/goods.graphqls":   "extend type Query {\n  x: String\n}\n",
		"worse/tenant.yaml":    "name: Worse\n",
		"worse/goods.graphqls": "extend type Goods {\n  name: Int\n}\n",
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	err := run(t.Context(), []string{"check", dir}, func(string) string { return "" }, io.Discard, io.Discard)
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join(dir, "bad", "tenant.yaml")+`:2:1: unknown field "plan"`)
	require.Contains(t, err.Error(), filepath.Join(dir, "worse", "goods.graphqls")+":2:3:")
}

func TestSchemaCommand(t *testing.T) {
	env := func(k string) string {
		if k == "TENANTGRAPH_TENANTS_DIR" {
			return "tenants"
		}
		return ""
	}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"schema", "--tenant", "customerA"}, env, &out, io.Discard))
	require.Contains(t, out.String(), "categoryCode: String!\n", "clients' SDL: no authoring directives")
	require.NotContains(t, out.String(), "@filterable")
	require.Contains(t, out.String(), "CATEGORY_CODE")

	out.Reset()
	require.NoError(t, run(t.Context(), []string{"schema", "--tenant", "customerA", "--authoring"}, env, &out, io.Discard))
	require.Contains(t, out.String(), "categoryCode: String! @filterable @sortable")
	require.Contains(t, out.String(), "directive @cost")

	out.Reset()
	require.NoError(t, run(t.Context(), []string{"schema", "--tenant", "acme"}, env, &out, io.Discard))
	require.NotContains(t, out.String(), "categoryCode")

	require.ErrorContains(t, run(t.Context(), []string{"schema", "--tenant", "../etc"}, env, io.Discard, io.Discard), "not a valid tenant ID")
	require.Error(t, run(t.Context(), []string{"schema", "--tenant", "nobody"}, env, io.Discard, io.Discard))
}
