package graphiql

import (
	"bytes"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// defaultQuery is the query the editor starts with when the browser has no
// saved one.
const defaultQuery = `# Run the query with Ctrl-Enter or the ▶ button.
# The Authorization header (Headers, below)
# selects the tenant, and so the schema.
{
  goodsList(first: 10) {
    totalCount
    nodes {
      id
      name
      price
    }
  }
}
`

// noHeaders is the header editor's content when no dev tokens are given:
// the page asks for a token instead (see Handler).
const noHeaders = `{}`

// Options configures [Handler]. The zero value is ready to use.
type Options struct {
	// Title is the page title. Default "GraphiQL".
	Title string

	// Endpoint is the URL of the GraphQL endpoint, usually a path on the
	// page's origin. An absolute URL of another origin is allowed by the
	// page's Content-Security-Policy, and needs CORS there. Default
	// "/graphql".
	Endpoint string

	// AssetsPath is the URL path at which [Assets] is mounted, such as
	// "/graphiql/". A missing trailing slash is added. Default "/graphiql/".
	AssetsPath string

	// DevTokens turns on dev mode when not empty: the page shows a tenant
	// picker listing each of these tenants once, in the order of their
	// first token, and fills in the Authorization header of the selected
	// one. When the selected tenant has tokens for roles, a role picker
	// next to it lists them, the tenant's default token (Role "") first
	// as "all roles", then the others in this order. A tenant and role
	// listed twice keep their first token. The tokens are written into
	// the page, so set this only where every visitor may act as every
	// listed tenant. Default none: the page asks for a token, and sends
	// nothing to the endpoint until it has one.
	DevTokens []DevToken
}

// DevToken is a bearer token with which the page acts as a tenant in dev
// mode. It logs with the token redacted.
type DevToken struct {
	Tenant string // tenant ID shown in the tenant picker
	Role   string // the role the token carries, "" for the tenant's default token
	Token  string // sent as "Authorization: Bearer <Token>"
}

// LogValue implements [slog.LogValuer]; it hides the token.
func (t DevToken) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("tenant", t.Tenant)}
	if t.Role != "" {
		attrs = append(attrs, slog.String("role", t.Role))
	}
	return slog.GroupValue(append(attrs, slog.String("token", "REDACTED"))...)
}

// allRoles is the role picker's label of a tenant's default token.
const allRoles = "all roles"

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page.html").Parse(pageHTML))

// pageData is the data of pageTemplate.
type pageData struct {
	Title      string
	Config     pageConfig
	assetsPath string
}

// Roles reports whether a tenant of the page has tokens for roles, and so
// whether the page needs a role picker.
func (d pageData) Roles() bool {
	for _, t := range d.Config.DevTenants {
		if t.hasRoles() {
			return true
		}
	}
	return false
}

// Asset returns the URL of the named file of Assets.
func (d pageData) Asset(name string) string {
	return assetURL(d.assetsPath, name)
}

// pageConfig is what page.js reads from the page, as JSON.
type pageConfig struct {
	Endpoint       string      `json:"endpoint"`
	DefaultQuery   string      `json:"defaultQuery"`
	DefaultHeaders string      `json:"defaultHeaders"`
	DevTenants     []devTenant `json:"devTenants,omitempty"`
}

// devTenant is an entry of the tenant picker, with the tokens its role
// picker lists, in order.
type devTenant struct {
	Tenant string         `json:"tenant"`
	Tokens []devRoleToken `json:"tokens"`
}

// devRoleToken is an entry of the role picker.
type devRoleToken struct {
	Role  string `json:"role"`  // "" for the default token
	Label string `json:"label"` // what the picker shows
	Token string `json:"token"`
}

// hasRoles reports whether t has a token for a role.
func (t devTenant) hasRoles() bool {
	for _, tok := range t.Tokens {
		if tok.Role != "" {
			return true
		}
	}
	return false
}

// devTenants groups tokens by tenant, in the order of each tenant's first
// token, and puts a tenant's default token before those of its roles. A
// tenant and role given twice keep their first token.
func devTenants(tokens []DevToken) []devTenant {
	var tenants []devTenant
	index := make(map[string]int) // tenant ID to its index in tenants
	for _, tok := range tokens {
		i, ok := index[tok.Tenant]
		if !ok {
			i = len(tenants)
			index[tok.Tenant] = i
			tenants = append(tenants, devTenant{Tenant: tok.Tenant})
		}
		t := &tenants[i]
		if slices.ContainsFunc(t.Tokens, func(rt devRoleToken) bool { return rt.Role == tok.Role }) {
			continue
		}
		rt := devRoleToken{Role: tok.Role, Label: tok.Role, Token: tok.Token}
		if tok.Role == "" {
			rt.Label = allRoles
			t.Tokens = slices.Insert(t.Tokens, 0, rt)
		} else {
			t.Tokens = append(t.Tokens, rt)
		}
	}
	return tenants
}

// Handler returns a handler that serves the GraphiQL page described by
// opts to GET and HEAD requests. The page loads its scripts and styles
// from [Assets] and queries opts.Endpoint with fetch, sending the headers
// of GraphiQL's header editor. Whenever the Authorization header changes,
// by the tenant or role picker or by hand, the page fetches the schema
// again, so docs and completion show the schema of the tenant and role it
// acts as.
//
// Without dev tokens the page shows a token field above GraphiQL and
// fetches no schema until a token is given (in the field, or in the
// header editor). When the endpoint refuses a token (401), the page says
// why above GraphiQL: in dev mode, that the gateway restarted since the
// page was loaded, so its dev tokens, signed with the old process's key,
// are void and the page must be reloaded; otherwise, that the token was
// refused.
//
// Responses carry a Content-Security-Policy that allows scripts, styles
// and fonts from the page's origin only (plus inline styles and data:
// fonts, which GraphiQL uses) and connections to the page's origin and
// the endpoint's. They are not cached, since they may hold dev tokens.
//
// Handler renders the page once; opts is not used after Handler returns.
func Handler(opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	if opts.AssetsPath == "" {
		opts.AssetsPath = "/graphiql/"
	}
	if !strings.HasSuffix(opts.AssetsPath, "/") {
		opts.AssetsPath += "/"
	}

	cfg := pageConfig{
		Endpoint:       opts.Endpoint,
		DefaultQuery:   defaultQuery,
		DefaultHeaders: noHeaders,
		DevTenants:     devTenants(opts.DevTokens),
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, pageData{
		Title:      opts.Title,
		Config:     cfg,
		assetsPath: opts.AssetsPath,
	})
	if err != nil {
		panic("graphiql: render page: " + err.Error()) // a bug in page.html
	}
	page := buf.Bytes()
	csp := contentSecurityPolicy(opts.Endpoint, opts.AssetsPath)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(page)
	})
}

// contentSecurityPolicy returns the policy of the page. Scripts are all
// files from Assets, the page's own included, so script-src needs neither
// 'unsafe-inline' nor a nonce. Styles need 'unsafe-inline': GraphiQL's
// dialogs and menus (Radix UI) add <style> elements at run time. GraphiQL's
// fonts are data: URLs inside its style sheet.
func contentSecurityPolicy(endpoint, assetsPath string) string {
	self := "'self'"
	if o := origin(assetsPath); o != "" {
		self += " " + o
	}
	connect := "'self'"
	if o := origin(endpoint); o != "" {
		connect += " " + o
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src " + self,
		"style-src " + self + " 'unsafe-inline'",
		"font-src " + self + " data:",
		"img-src " + self + " data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// origin returns the origin of an absolute http(s) URL, or "" for anything
// else, such as a path.
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
