package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestGraphQLJSReadsEveryRolesSchema has graphql-js, the GraphQL reference
// implementation, read the schema every kind of caller is served, once
// from the introspection query its tools send and once from
// /schema.graphql: both must build, be valid, and be the same schema.
// Through what graphql-js built, customerA's per-role views must show
// purchasePrice only to buyers and Mutation only to editors.
func TestGraphQLJSReadsEveryRolesSchema(t *testing.T) {
	js := installGraphQLJS(t)
	query := string(js.run(t, nil, "query"))
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))

	callers := []struct {
		name      string
		token     string
		forbidden bool // the caller's scopes grant no field of Query
	}{
		{name: "customerA without a role", token: g.customerA(t), forbidden: true},
		{name: "customerA viewer", token: g.customerA(t, "viewer")},
		{name: "customerA editor", token: g.customerA(t, "editor")},
		{name: "customerA buyer", token: g.customerA(t, "buyer")},
		{name: "customerA editor+buyer", token: g.customerA(t, "editor", "buyer")},
		{name: "customerA goods:cost without goods:read", forbidden: true,
			token: g.tokenWith(t, "customerA", auth.Grant{Scopes: []string{"goods:cost"}})},
		{name: "acme", token: g.token(t, "acme")},
		{name: "customerB", token: g.token(t, "customerB")},
	}
	var cases []graphqlJSCase
	for _, c := range callers {
		rec, resp := g.post(t, c.token, query, nil)
		sdlCode, sdl := getSchema(g, c.token)
		if c.forbidden {
			require.Equal(t, http.StatusForbidden, rec.Code, "%s: introspection: %s", c.name, rec.Body)
			require.Equal(t, "FORBIDDEN", resp.code(), "%s: introspection: %s", c.name, rec.Body)
			require.Equal(t, http.StatusForbidden, sdlCode, "%s: /schema.graphql: %s", c.name, sdl)
			require.Contains(t, sdl, "FORBIDDEN", "%s: /schema.graphql", c.name)
			continue
		}
		require.Equal(t, http.StatusOK, rec.Code, "%s: introspection: %s", c.name, rec.Body)
		require.Empty(t, resp.Errors, "%s: introspection: %s", c.name, rec.Body)
		require.Equal(t, http.StatusOK, sdlCode, "%s: /schema.graphql: %s", c.name, sdl)
		cases = append(cases, graphqlJSCase{Name: c.name, Introspection: resp.Data, SDL: sdl})
	}

	served := map[string]graphqlJSCase{}
	for _, c := range cases {
		served[c.Name] = c
	}
	out := js.check(t, cases)
	t.Logf("graphql-js %s", out.Version)
	results := map[string]graphqlJSResult{}
	for _, r := range out.Results {
		results[r.Name] = r
		t.Run(r.Name, func(t *testing.T) {
			for _, s := range []struct {
				from   string
				schema graphqlJSSchema
			}{{"introspection", r.Introspection}, {"/schema.graphql", r.SDL}} {
				require.Empty(t, s.schema.Error, "graphql-js cannot build the schema of %s", s.from)
				require.Empty(t, s.schema.Invalid, "validateSchema of the schema of %s", s.from)
			}
			// What clients see is the API: no @defer (the gateway does
			// not deliver incrementally, so it does not advertise it) and
			// none of the authoring directives or DefaultValue.
			for _, schema := range []graphqlJSSchema{r.Introspection, r.SDL} {
				for _, d := range schema.Directives {
					for _, hidden := range []string{"@defer", "@cost", "@listSize", "@default", "@filterable", "@sortable", "@requiresScopes", "@computed", "@validate", "@upstream"} {
						require.False(t, strings.HasPrefix(d, hidden+"(") || d == hidden || strings.HasPrefix(d, hidden+" "), "a client's schema declares %s", d)
					}
				}
				require.NotContains(t, schema.Printed, "DefaultValue")
			}
			if d := lineDiff(r.SDL.Printed, r.Introspection.Printed); d != "" {
				t.Errorf("printSchema differs between /schema.graphql (-) and introspection (+):\n%s", d)
			}
			require.Empty(t, r.Breaking.IntrospectionToSDL, "breaking changes from introspection to /schema.graphql")
			require.Empty(t, r.Breaking.SDLToIntrospection, "breaking changes from /schema.graphql to introspection")
			require.Empty(t, r.Dangerous.IntrospectionToSDL, "dangerous changes from introspection to /schema.graphql")
			require.Empty(t, r.Dangerous.SDLToIntrospection, "dangerous changes from /schema.graphql to introspection")
		})
	}

	t.Run("per-role views", func(t *testing.T) {
		// Both of graphql-js's schemas of a caller must show it; above they
		// were found equal, but a view that leaks through one of them only
		// must not pass here if that check is ever relaxed.
		each := func(name string, f func(from string, s graphqlJSSchema)) {
			r, ok := results[name]
			require.True(t, ok, "no result for %s", name)
			f(name+" introspection", r.Introspection)
			f(name+" /schema.graphql", r.SDL)
		}
		for _, name := range []string{"customerA buyer", "customerA editor+buyer"} {
			each(name, func(from string, s graphqlJSSchema) {
				require.Contains(t, s.Coordinates, "Goods.purchasePrice", from)
				require.Contains(t, s.Coordinates, "GoodsFilter.purchasePrice", from)
				require.Contains(t, s.Coordinates, "GoodsSortField.PURCHASE_PRICE", from)
			})
		}
		each("customerA editor+buyer", func(from string, s graphqlJSSchema) {
			require.Contains(t, s.Coordinates, "CreateGoodsInput.purchasePrice", from)
			require.Contains(t, s.Coordinates, "UpdateGoodsInput.purchasePrice", from)
		})
		for _, name := range []string{"customerA viewer", "customerA editor"} {
			each(name, func(from string, s graphqlJSSchema) {
				require.Contains(t, s.Coordinates, "Goods.categoryCode", from, "the fields every role may see are there")
				for _, leak := range []string{"purchasePrice", "PURCHASE_PRICE"} {
					require.NotContains(t, s.Printed, leak, from)
				}
			})
			// Nor in what the gateway sent, descriptions and all.
			served := served[name]
			for _, leak := range []string{"purchasePrice", "PURCHASE_PRICE"} {
				require.NotContains(t, string(served.Introspection), leak, "%s: introspection", name)
				require.NotContains(t, served.SDL, leak, "%s: /schema.graphql", name)
			}
		}
		for name, mutation := range map[string]bool{
			"customerA viewer":       false,
			"customerA buyer":        false,
			"customerA editor":       true,
			"customerA editor+buyer": true,
		} {
			each(name, func(from string, s graphqlJSSchema) {
				if mutation {
					require.Equal(t, "Mutation", s.MutationType, from)
					require.Contains(t, s.Coordinates, "Mutation.createGoods", from)
				} else {
					require.Empty(t, s.MutationType, from)
					require.NotContains(t, s.Coordinates, "Mutation", from)
				}
			})
		}
	})
}

// getSchema returns the status and body of GET /schema.graphql with token.
func getSchema(g *testGateway, token string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, "/schema.graphql", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// graphqlJSCase is one schema for testdata/graphqljs/check.mjs to read,
// twice: Introspection is the data of the response to its introspection
// query, SDL the body of /schema.graphql.
type graphqlJSCase struct {
	Name          string          `json:"name"`
	Introspection json.RawMessage `json:"introspection"`
	SDL           string          `json:"sdl"`
	// WithoutDirectives are directives of Introspection that SDL is known
	// to leave out: listed in graphqlJSSchema.Directives, but left out of
	// the rest of what check.mjs reports of Introspection.
	WithoutDirectives []string `json:"withoutDirectives,omitempty"`
}

// graphqlJSOutput is what check.mjs prints.
type graphqlJSOutput struct {
	Version string            `json:"version"` // of graphql-js
	Results []graphqlJSResult `json:"results"`
}

// graphqlJSResult is what graphql-js makes of a graphqlJSCase.
type graphqlJSResult struct {
	Name          string          `json:"name"`
	Introspection graphqlJSSchema `json:"introspection"` // buildClientSchema
	SDL           graphqlJSSchema `json:"sdl"`           // buildSchema
	// Breaking and Dangerous are findBreakingChanges and
	// findDangerousChanges in each direction.
	Breaking  graphqlJSChanges `json:"breaking"`
	Dangerous graphqlJSChanges `json:"dangerous"`
}

type graphqlJSChanges struct {
	IntrospectionToSDL []string `json:"introspectionToSDL"`
	SDLToIntrospection []string `json:"sdlToIntrospection"`
}

// graphqlJSSchema is one schema as graphql-js built it.
type graphqlJSSchema struct {
	Error        string   `json:"error"`        // why it could not be built
	Directives   []string `json:"directives"`   // as served, each as deferDirective, sorted
	Invalid      []string `json:"invalid"`      // validateSchema's errors, of the schema as served
	Printed      string   `json:"printed"`      // printSchema
	MutationType string   `json:"mutationType"` // "" when there is none
	// Coordinates are the schema coordinates of its types, fields,
	// arguments, input fields and enum values, sorted.
	Coordinates []string `json:"coordinates"`
}

// graphqlJS runs testdata/graphqljs/check.mjs with the graphql-js that
// package-lock.json pins.
type graphqlJS struct{ dir string }

const graphqlJSHint = "the graphql-js check needs Node.js 16 or later and npm 7 or later: install them (https://nodejs.org/en/download, or apt-get install nodejs npm)"

// installGraphQLJS returns the graphql-js checker, first installing
// testdata/graphqljs's locked packages with npm ci when node_modules does
// not hold them. It skips t when node or npm is missing or npm ci fails,
// or fails it when TENANTGRAPH_REQUIRE_SERVICES=1.
//
// Test processes may install at once (go test -count, or two go test
// commands): each runs npm ci in a directory of its own and renames the
// node_modules it made into place; a process that finds one there already
// uses that one.
func installGraphQLJS(t *testing.T) graphqlJS {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			graphqlJSUnavailable(t, tool+" is not installed", graphqlJSHint)
		}
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "graphqljs"))
	require.NoError(t, err)
	js := graphqlJS{dir: dir}
	problem := js.installed()
	if problem == nil {
		return js
	}
	t.Logf("graphql-js: %v: running npm ci", problem)

	tmp, err := os.MkdirTemp(dir, ".install-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tmp, f), b, 0o644))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--prefix", tmp, "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		graphqlJSUnavailable(t, fmt.Sprintf("npm ci: %v\n%s", err, out),
			"npm must reach its registry once to install graphql-js into "+filepath.Join(dir, "node_modules"))
	}

	modules := filepath.Join(dir, "node_modules")
	if errors.Is(problem, errStaleModules) {
		if js.installed() == nil {
			return js // another process replaced it meanwhile
		}
		// Move the old install aside, into tmp, which Cleanup removes.
		// Another process may have done so first. (Between that process's
		// rename and this one's, a third that found node_modules current
		// could be running node: a narrow window, and only when the lock
		// changed under processes that run at once.)
		if err := os.Rename(modules, filepath.Join(tmp, "stale")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("graphql-js: move the stale node_modules aside: %v", err)
		}
	}
	if err := os.Rename(filepath.Join(tmp, "node_modules"), modules); err != nil {
		// Another process got there first; its node_modules will do.
		if problem := js.installed(); problem != nil {
			t.Fatalf("graphql-js: install node_modules: %v; and what is there: %v", err, problem)
		}
	}
	return js
}

// errStaleModules is returned by installed when node_modules holds
// versions other than package-lock.json's.
var errStaleModules = errors.New("node_modules does not match package-lock.json")

// installed reports whether node_modules holds every package of
// package-lock.json at its locked version.
func (js graphqlJS) installed() error {
	b, err := os.ReadFile(filepath.Join(js.dir, "package-lock.json"))
	if err != nil {
		return err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return fmt.Errorf("read package-lock.json: %w", err)
	}
	if _, err := os.Stat(filepath.Join(js.dir, "node_modules")); err != nil {
		return err
	}
	for path, p := range lock.Packages {
		if !strings.HasPrefix(path, "node_modules/") {
			continue
		}
		var got struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(js.dir, filepath.FromSlash(path), "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &got)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errStaleModules, path, err)
		}
		if got.Version != p.Version {
			return fmt.Errorf("%w: %s is %s, locked %s", errStaleModules, path, got.Version, p.Version)
		}
	}
	return nil
}

// run runs check.mjs with args and stdin and returns what it printed.
func (js graphqlJS) run(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"check.mjs"}, args...)...)
	cmd.Dir = js.dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node check.mjs %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// check has graphql-js read cases.
func (js graphqlJS) check(t *testing.T, cases []graphqlJSCase) graphqlJSOutput {
	t.Helper()
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	var out graphqlJSOutput
	require.NoError(t, json.Unmarshal(js.run(t, in, "check"), &out))
	var want, got []string
	for _, c := range cases {
		want = append(want, c.Name)
	}
	for _, r := range out.Results {
		got = append(got, r.Name)
	}
	require.Equal(t, want, got, "graphql-js answers every case, in order")
	return out
}

// lineDiff returns the lines that differ between a and b, those only in a
// marked "-" and those only in b "+", each after the line of a before it;
// "" when a equals b.
func lineDiff(a, b string) string {
	if a == b {
		return ""
	}
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of a longest common subsequence of x[i:]
	// and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	context := ""
	mark := func(sign, line string) {
		if context != "" {
			fmt.Fprintf(&out, "  %s\n", context)
			context = ""
		}
		fmt.Fprintf(&out, "%s %s\n", sign, line)
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			context = fmt.Sprintf("%d: %s", i+1, x[i])
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			mark("+", y[j])
			j++
		default:
			mark("-", x[i])
			i++
		}
	}
	return out.String()
}

// graphqlJSUnavailable skips t because graphql-js cannot be run, or fails
// it when TENANTGRAPH_REQUIRE_SERVICES=1, as testenv does for a service.
func graphqlJSUnavailable(t *testing.T, reason, hint string) {
	t.Helper()
	msg := fmt.Sprintf("graphql-js unavailable (%s): %s", reason, hint)
	if os.Getenv("TENANTGRAPH_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + " (TENANTGRAPH_REQUIRE_SERVICES=1 makes this a failure)")
	}
	t.Skip(msg)
}
