package graphiql_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/graphiql"
)

// newServer serves Handler at /graphiql and Assets under /graphiql/, as the
// package documentation suggests.
func newServer(t *testing.T, opts graphiql.Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/graphiql", graphiql.Handler(opts))
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", graphiql.Assets()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodGet, url, nil)
}

// pageConfig mirrors the JSON the page gives page.js.
type pageConfig struct {
	Endpoint       string      `json:"endpoint"`
	DefaultQuery   string      `json:"defaultQuery"`
	DefaultHeaders string      `json:"defaultHeaders"`
	DevTenants     []devTenant `json:"devTenants"`
}

// devTenant mirrors an entry of the tenant picker, with its tokens in the
// order of the role picker.
type devTenant struct {
	Tenant string     `json:"tenant"`
	Tokens []devToken `json:"tokens"`
}

type devToken struct {
	Role  string `json:"role"`
	Label string `json:"label"`
	Token string `json:"token"`
}

var configRE = regexp.MustCompile(`(?s)<script id="graphiql-config" type="application/json">(.*?)</script>`)

func parseConfig(t *testing.T, page string) pageConfig {
	t.Helper()
	m := configRE.FindStringSubmatch(page)
	require.NotNil(t, m, "page has no config")
	var cfg pageConfig
	require.NoError(t, json.Unmarshal([]byte(m[1]), &cfg), "config: %s", m[1])
	return cfg
}

func TestHandler(t *testing.T) {
	srv := newServer(t, graphiql.Options{})
	resp, page := get(t, srv.URL+"/graphiql")

	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Contains(t, page, "<title>GraphiQL</title>")
	require.NotContains(t, page, `id="graphiql-tenant"`)

	cfg := parseConfig(t, page)
	require.Equal(t, "/graphql", cfg.Endpoint)
	require.Contains(t, cfg.DefaultQuery, "goodsList(first: 10)")
	require.JSONEq(t, `{}`, cfg.DefaultHeaders, "no placeholder token is sent")
	require.Contains(t, page, `id="graphiql-token"`, "the page asks for a token")
	require.Empty(t, cfg.DevTenants)
}

func TestHandlerDevTokens(t *testing.T) {
	tokens := []graphiql.DevToken{
		{Tenant: "acme", Token: "token-of-acme"},
		{Tenant: "globex", Token: "token-of-globex"},
	}
	srv := newServer(t, graphiql.Options{Title: "tenantgraph", DevTokens: tokens})
	_, page := get(t, srv.URL+"/graphiql")

	require.Contains(t, page, "<title>tenantgraph</title>")
	require.Contains(t, page, "Dev mode: acting as tenant")
	require.Contains(t, page, `<option value="0">acme</option>`)
	require.Contains(t, page, `<option value="1">globex</option>`)
	require.NotContains(t, page, `id="graphiql-role"`, "a role picker without roles")

	cfg := parseConfig(t, page)
	require.Equal(t, []devTenant{
		{Tenant: "acme", Tokens: []devToken{{Label: "all roles", Token: "token-of-acme"}}},
		{Tenant: "globex", Tokens: []devToken{{Label: "all roles", Token: "token-of-globex"}}},
	}, cfg.DevTenants)

	// Without dev tokens, none of them reach the page.
	_, page = get(t, newServer(t, graphiql.Options{}).URL+"/graphiql")
	require.NotContains(t, page, "token-of-acme")
	require.NotContains(t, page, "Dev mode")
}

func TestHandlerEscapes(t *testing.T) {
	const (
		title    = `</title><script>alert("title")</script>`
		endpoint = `/graphql"></script><script>alert("endpoint")</script>`
		tenant   = `</script><script>alert("tenant")</script><!--`
		role     = `</script><script>alert("role")</script>`
		token    = `"};alert('token');//</script><script>alert(1)</script>&amp;`
	)
	srv := newServer(t, graphiql.Options{
		Title:    title,
		Endpoint: endpoint,
		DevTokens: []graphiql.DevToken{
			{Tenant: tenant, Token: token},
			{Tenant: tenant, Role: role, Token: token + "2"},
		},
	})
	_, page := get(t, srv.URL+"/graphiql")

	require.NotContains(t, page, "<script>alert")
	require.NotContains(t, page, "<!--")
	// The config and the four scripts of Assets, and nothing else.
	require.Equal(t, 5, strings.Count(page, "<script"))
	require.Equal(t, 5, strings.Count(page, "</script>"))
	require.Contains(t, page, "&lt;/title&gt;&lt;script&gt;")
	require.Contains(t, page, `<option value="0">&lt;/script&gt;&lt;script&gt;alert(&#34;tenant&#34;)`)

	cfg := parseConfig(t, page)
	require.Equal(t, endpoint, cfg.Endpoint)
	require.Equal(t, []devTenant{{Tenant: tenant, Tokens: []devToken{
		{Label: "all roles", Token: token},
		{Role: role, Label: role, Token: token + "2"},
	}}}, cfg.DevTenants)
}

func TestHandlerDevTokenRoles(t *testing.T) {
	tests := []struct {
		name   string
		tokens []graphiql.DevToken
		want   []devTenant
	}{
		{
			name: "default token first, then roles in the given order",
			tokens: []graphiql.DevToken{
				{Tenant: "acme", Token: "a"},
				{Tenant: "customerA", Role: "editor", Token: "a-editor"},
				{Tenant: "customerA", Token: "a-all"},
				{Tenant: "customerA", Role: "buyer", Token: "a-buyer"},
				{Tenant: "customerB", Token: "b"},
			},
			want: []devTenant{
				{Tenant: "acme", Tokens: []devToken{{Label: "all roles", Token: "a"}}},
				{Tenant: "customerA", Tokens: []devToken{
					{Label: "all roles", Token: "a-all"},
					{Role: "editor", Label: "editor", Token: "a-editor"},
					{Role: "buyer", Label: "buyer", Token: "a-buyer"},
				}},
				{Tenant: "customerB", Tokens: []devToken{{Label: "all roles", Token: "b"}}},
			},
		},
		{
			name: "tenants in the order of their first token",
			tokens: []graphiql.DevToken{
				{Tenant: "globex", Role: "viewer", Token: "g-viewer"},
				{Tenant: "acme", Token: "a"},
				{Tenant: "globex", Token: "g"},
			},
			want: []devTenant{
				{Tenant: "globex", Tokens: []devToken{
					{Label: "all roles", Token: "g"},
					{Role: "viewer", Label: "viewer", Token: "g-viewer"},
				}},
				{Tenant: "acme", Tokens: []devToken{{Label: "all roles", Token: "a"}}},
			},
		},
		{
			name: "roles without a default token",
			tokens: []graphiql.DevToken{
				{Tenant: "acme", Role: "viewer", Token: "a-viewer"},
				{Tenant: "acme", Role: "editor", Token: "a-editor"},
			},
			want: []devTenant{{Tenant: "acme", Tokens: []devToken{
				{Role: "viewer", Label: "viewer", Token: "a-viewer"},
				{Role: "editor", Label: "editor", Token: "a-editor"},
			}}},
		},
		{
			name: "a tenant and role given twice keep their first token",
			tokens: []graphiql.DevToken{
				{Tenant: "acme", Token: "a"},
				{Tenant: "acme", Role: "viewer", Token: "a-viewer"},
				{Tenant: "acme", Token: "a-again"},
				{Tenant: "acme", Role: "viewer", Token: "a-viewer-again"},
			},
			want: []devTenant{{Tenant: "acme", Tokens: []devToken{
				{Label: "all roles", Token: "a"},
				{Role: "viewer", Label: "viewer", Token: "a-viewer"},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, page := get(t, newServer(t, graphiql.Options{DevTokens: tt.tokens}).URL+"/graphiql")
			require.Equal(t, tt.want, parseConfig(t, page).DevTenants)

			// Each tenant once in the tenant picker; the role picker is
			// filled in by page.js, and hidden until it is.
			for i, dt := range tt.want {
				require.Equal(t, 1, strings.Count(page, ">"+dt.Tenant+"</option>"), dt.Tenant)
				require.Contains(t, page, fmt.Sprintf(`<option value="%d">%s</option>`, i, dt.Tenant))
			}
			require.Contains(t, page, `<label id="graphiql-role-label" hidden>role`)
			require.Equal(t, 1, strings.Count(page, `<select id="graphiql-role">`))
			require.Equal(t, 5, strings.Count(page, "<script"), "no script beyond the config and Assets")
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	srv := newServer(t, graphiql.Options{})

	resp, body := do(t, http.MethodHead, srv.URL+"/graphiql", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, body)
	require.NotEmpty(t, resp.Header.Get("Content-Security-Policy"))

	resp, _ = do(t, http.MethodPost, srv.URL+"/graphiql", nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
}

func TestHandlerContentSecurityPolicy(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		connect  string
	}{
		{"path", "/graphql", "connect-src 'self';"},
		{"same scheme and host", "//api.example.com/graphql", "connect-src 'self';"},
		{"other origin", "https://api.example.com:8443/graphql", "connect-src 'self' https://api.example.com:8443;"},
		{"not http", "javascript:alert(1)", "connect-src 'self';"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			graphiql.Handler(graphiql.Options{Endpoint: tt.endpoint}).
				ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphiql", nil))
			csp := rec.Header().Get("Content-Security-Policy")

			require.Contains(t, csp, "default-src 'none';")
			require.Contains(t, csp, "script-src 'self';")
			require.Contains(t, csp, tt.connect)
			require.NotContains(t, csp, "unsafe-eval")
			require.NotContains(t, csp, "*")
		})
	}
}

func TestDevTokenLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("dev mode",
		"token", graphiql.DevToken{Tenant: "acme", Token: "s3cr3t"},
		"roleToken", graphiql.DevToken{Tenant: "acme", Role: "editor", Token: "t0p-s3cr3t"})
	require.Contains(t, buf.String(), `"token":{"tenant":"acme","token":"REDACTED"}`)
	require.Contains(t, buf.String(), `"roleToken":{"tenant":"acme","role":"editor","token":"REDACTED"}`)
	require.NotContains(t, buf.String(), "s3cr3t")
}

var assetRE = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

// assetURLs returns the URLs of the assets page refers to.
func assetURLs(t *testing.T, page string) []string {
	t.Helper()
	var urls []string
	for _, m := range assetRE.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			urls = append(urls, m[1])
		}
	}
	require.NotEmpty(t, urls)
	return urls
}

func TestAssetsServePage(t *testing.T) {
	srv := newServer(t, graphiql.Options{AssetsPath: "/graphiql"})
	_, page := get(t, srv.URL+"/graphiql")

	types := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	for _, u := range assetURLs(t, page) {
		t.Run(path.Base(u), func(t *testing.T) {
			require.True(t, strings.HasPrefix(u, "/graphiql/"), "asset URL %s", u)
			resp, body := get(t, srv.URL+u)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, types[path.Ext(u)], resp.Header.Get("Content-Type"))
			require.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get("Cache-Control"))
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			require.NotEmpty(t, body)
			require.NotContains(t, body, "sourceMappingURL=data:")

			etag := resp.Header.Get("ETag")
			require.NotEmpty(t, etag)
			resp, _ = do(t, http.MethodGet, srv.URL+u, http.Header{"If-None-Match": {etag}})
			require.Equal(t, http.StatusNotModified, resp.StatusCode)
		})
	}
}

func TestAssetsVersions(t *testing.T) {
	srv := newServer(t, graphiql.Options{})
	_, page := get(t, srv.URL+"/graphiql")
	var script string
	for _, u := range assetURLs(t, page) {
		if strings.HasSuffix(u, "/page.js") {
			script = u
		}
	}
	require.NotEmpty(t, script)
	version := strings.Split(script, "/")[2]
	base := srv.URL + "/graphiql/"

	// A page of another build gets the current files, revalidated.
	resp, body := get(t, base+"0123456789abcdef/page.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	require.Contains(t, body, "graphiql-config")

	resp, body = get(t, base+version+"/VERSIONS")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, body, "graphiql ")

	for _, p := range []string{
		"",
		version,
		version + "/",
		version + "/graphiql",
		version + "/graphiql/",
		version + "/missing.js",
		version + "/../graphiql.go",
		version + "/graphiql/../../page.html",
		"page.js",
	} {
		resp, _ := get(t, base+p)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "GET %s", p)
	}

	resp, _ = do(t, http.MethodPost, base+version+"/page.js", nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}
