package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// payloadToken returns a token for tenant acme whose claims are those of a
// valid token, as JSON, followed by the JSON members extra (such as
// `"scope":"a b"`). It is signed with the global secret, or as a token of
// acme's own issuer if tenantIssuer.
func payloadToken(t testing.TB, tenantIssuer bool, extra string) string {
	t.Helper()
	k := keys()
	now := time.Now()
	payload := fmt.Sprintf(`{"sub":"user-1","iat":%d,"exp":%d,"tenant_id":"acme"`, now.Add(-time.Minute).Unix(), now.Add(time.Hour).Unix())
	key := k.secret
	if tenantIssuer {
		payload += `,"iss":"` + acmeIss + `","aud":"tenantgraph"`
		key = k.otherSecret
	}
	if extra != "" {
		payload += "," + extra
	}
	return signPayload(t, jwa.HS256(), key, payload+"}")
}

// jsonList returns a JSON array of n distinct scope tokens.
func jsonList(n int) string {
	list := make([]string, n)
	for i := range list {
		list[i] = fmt.Sprint("s", i)
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// spaced returns a JSON string of n distinct scope tokens separated by
// spaces.
func spaced(n int) string {
	b, _ := json.Marshal(strings.Join(mustList(n), " "))
	return string(b)
}

// requireRefused checks that v refuses token for reason, through Verify and
// through its middleware: 401, UNAUTHENTICATED, and no claims.
func requireRefused(t *testing.T, v *auth.Verifier, token string, reason error) {
	t.Helper()
	c, err := v.Verify(token)
	require.ErrorIs(t, err, reason)
	require.Equal(t, auth.Claims{}, c)
	ae, ok := apperr.As(err)
	require.True(t, ok, "%T is not an *apperr.Error", err)
	require.Equal(t, apperr.Unauthenticated, ae.Code)
	require.Equal(t, reason.Error(), ae.Message)

	reached := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	v.Middleware(next).ServeHTTP(w, r)
	require.False(t, reached, "next handler called")
	require.Equal(t, http.StatusUnauthorized, w.Code)
	var resp gqlResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp), "body: %s", w.Body)
	require.Len(t, resp.Errors, 1)
	require.Equal(t, reason.Error(), resp.Errors[0].Message)
	require.Equal(t, "UNAUTHENTICATED", resp.Errors[0].Extensions["code"])
}

func TestScopesAndRoles(t *testing.T) {
	long := strings.Repeat("x", auth.MaxScopeLen)
	groups := func(tenantID string) string {
		if tenantID == "acme" {
			return "groups"
		}
		return ""
	}
	tests := []struct {
		name        string
		scopesClaim string              // Config.ScopesClaim
		rolesClaim  func(string) string // VerifierOptions.RolesClaim
		claims      string              // JSON members added to a valid token
		wantScopes  []string            // if wantErr is nil
		wantRoles   []string            // if wantErr is nil
		wantErr     error               // the reason the token is refused
	}{
		// The standard claims.
		{name: "no scopes or roles", claims: ``},
		{name: "scope", claims: `"scope":"goods:read goods:write"`, wantScopes: []string{"goods:read", "goods:write"}},
		{name: "scope repeated, runs of spaces", claims: `"scope":" goods:write  goods:read goods:write "`, wantScopes: []string{"goods:read", "goods:write"}},
		{name: "scope empty", claims: `"scope":""`},
		{name: "scope of one", claims: `"scope":"openid"`, wantScopes: []string{"openid"}},
		{name: "scp array", claims: `"scp":["goods:read","goods:cost"]`, wantScopes: []string{"goods:cost", "goods:read"}},
		{name: "scp string", claims: `"scp":"goods:read goods:cost"`, wantScopes: []string{"goods:cost", "goods:read"}},
		{name: "scp empty array", claims: `"scp":[]`},
		{name: "scope and scp joined", claims: `"scope":"a b","scp":["b","c"]`, wantScopes: []string{"a", "b", "c"}},
		{name: "other claims not read", claims: `"scopes":["a"],"permissions":"b"`},
		{name: "256 scopes", claims: `"scp":` + jsonList(256), wantScopes: slices.Sorted(slices.Values(mustList(256)))},
		{name: "256 spaced scopes", claims: `"scope":` + spaced(256), wantScopes: slices.Sorted(slices.Values(mustList(256)))},
		{name: "256 in each claim", claims: `"scope":` + spaced(256) + `,"scp":` + jsonList(256), wantScopes: slices.Sorted(slices.Values(mustList(256)))},
		{name: "scope of 128 bytes", claims: `"scp":["` + long + `"]`, wantScopes: []string{long}},
		{name: "every printable character", claims: `"scp":["!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_` + "`" + `az{|}~"]`, wantScopes: []string{"!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}},

		// A configured claim, and only it.
		{name: "configured claim string", scopesClaim: "permissions", claims: `"permissions":"a b","scope":"x","scp":["y"]`, wantScopes: []string{"a", "b"}},
		{name: "configured claim array", scopesClaim: "permissions", claims: `"permissions":["b","a","b"],"scp":"y"`, wantScopes: []string{"a", "b"}},
		{name: "configured claim absent", scopesClaim: "permissions", claims: `"scope":"x"`},
		{name: "configured claim scp", scopesClaim: "scp", claims: `"scope":"x","scp":"a"`, wantScopes: []string{"a"}},
		{name: "standard claims not checked", scopesClaim: "permissions", claims: `"permissions":["a"],"scope":7,"scp":{}`, wantScopes: []string{"a"}},
		{name: "configured claim malformed", scopesClaim: "permissions", claims: `"permissions":7,"scope":"x"`, wantErr: auth.ErrScopesClaim},

		// Malformed scopes.
		{name: "scope number", claims: `"scope":7`, wantErr: auth.ErrScopesClaim},
		{name: "scope boolean", claims: `"scope":true`, wantErr: auth.ErrScopesClaim},
		{name: "scope object", claims: `"scope":{"goods:read":true}`, wantErr: auth.ErrScopesClaim},
		{name: "scope null", claims: `"scope":null`, wantErr: auth.ErrScopesClaim},
		{name: "scp number", claims: `"scp":1`, wantErr: auth.ErrScopesClaim},
		{name: "scp object", claims: `"scp":{}`, wantErr: auth.ErrScopesClaim},
		{name: "scp null", claims: `"scp":null`, wantErr: auth.ErrScopesClaim},
		{name: "scp with a number", claims: `"scp":["a",1]`, wantErr: auth.ErrScopesClaim},
		{name: "scp with null", claims: `"scp":["a",null]`, wantErr: auth.ErrScopesClaim},
		{name: "scp with an array", claims: `"scp":["a",["b"]]`, wantErr: auth.ErrScopesClaim},
		{name: "scp with an object", claims: `"scp":[{"a":"b"}]`, wantErr: auth.ErrScopesClaim},
		{name: "scp with an empty string", claims: `"scp":["a",""]`, wantErr: auth.ErrScopesClaim},
		{name: "scp entry with a space", claims: `"scp":["a b"]`, wantErr: auth.ErrScopesClaim},
		{name: "scope with a tab", claims: `"scope":"a\tb"`, wantErr: auth.ErrScopesClaim},
		{name: "scope with a newline", claims: `"scope":"a\nb"`, wantErr: auth.ErrScopesClaim},
		{name: "scope with a quote", claims: `"scope":"a\"b"`, wantErr: auth.ErrScopesClaim},
		{name: "scope with a backslash", claims: `"scope":"a\\b"`, wantErr: auth.ErrScopesClaim},
		{name: "scope not ASCII", claims: `"scope":"café"`, wantErr: auth.ErrScopesClaim},
		{name: "scope with DEL", claims: `"scope":"a\u007f"`, wantErr: auth.ErrScopesClaim},
		{name: "scope of 129 bytes", claims: `"scp":["` + long + `x"]`, wantErr: auth.ErrScopesClaim},
		{name: "257 scopes", claims: `"scp":` + jsonList(257), wantErr: auth.ErrScopesClaim},
		{name: "257 spaced scopes", claims: `"scope":` + spaced(257), wantErr: auth.ErrScopesClaim},
		{name: "one claim well-formed, the other not", claims: `"scope":"a","scp":5`, wantErr: auth.ErrScopesClaim},
		{name: "10,000 scopes", claims: `"scp":` + jsonList(10_000), wantErr: auth.ErrTokenMalformed}, // longer than any token accepted
		{name: "10,000 short scopes", claims: `"scp":["` + strings.Repeat(`a","`, 9_999) + `a"]`, wantErr: auth.ErrTokenMalformed},

		// Roles, from the roles claim by default.
		{name: "roles", claims: `"roles":["viewer","admin","viewer"]`, wantRoles: []string{"admin", "viewer"}},
		{name: "one role as a string", claims: `"roles":"editor"`, wantRoles: []string{"editor"}},
		{name: "roles empty", claims: `"roles":[]`},
		{name: "roles and scopes", claims: `"roles":["editor"],"scope":"goods:cost"`, wantScopes: []string{"goods:cost"}, wantRoles: []string{"editor"}},
		{name: "256 roles", claims: `"roles":` + jsonList(256), wantRoles: slices.Sorted(slices.Values(mustList(256)))},
		{name: "roles number", claims: `"roles":7`, wantErr: auth.ErrRolesClaim},
		{name: "roles object", claims: `"roles":{"admin":true}`, wantErr: auth.ErrRolesClaim},
		{name: "roles null", claims: `"roles":null`, wantErr: auth.ErrRolesClaim},
		{name: "roles with a number", claims: `"roles":["admin",1]`, wantErr: auth.ErrRolesClaim},
		{name: "roles with null", claims: `"roles":[null]`, wantErr: auth.ErrRolesClaim},
		{name: "role empty", claims: `"roles":""`, wantErr: auth.ErrRolesClaim},
		{name: "role string with a space", claims: `"roles":"admin viewer"`, wantErr: auth.ErrRolesClaim}, // one role, not two
		{name: "role with a quote", claims: `"roles":["a\"b"]`, wantErr: auth.ErrRolesClaim},
		{name: "257 roles", claims: `"roles":` + jsonList(257), wantErr: auth.ErrRolesClaim},
		{name: "10,000 roles", claims: `"roles":` + jsonList(10_000), wantErr: auth.ErrTokenMalformed},

		// A tenant's own roles claim.
		{name: "tenant's roles claim", rolesClaim: groups, claims: `"groups":["editor"],"roles":["admin"]`, wantRoles: []string{"editor"}},
		{name: "tenant's roles claim as a string", rolesClaim: groups, claims: `"groups":"editor"`, wantRoles: []string{"editor"}},
		{name: "tenant's roles claim absent", rolesClaim: groups, claims: `"roles":["admin"]`},
		{name: "roles claim not checked", rolesClaim: groups, claims: `"groups":["editor"],"roles":7`, wantRoles: []string{"editor"}},
		{name: "tenant's roles claim malformed", rolesClaim: groups, claims: `"groups":{"editor":1}`, wantErr: auth.ErrRolesClaim},
		{name: "another tenant's roles claim", rolesClaim: func(string) string { return "" }, claims: `"groups":["editor"],"roles":["admin"]`, wantRoles: []string{"admin"}},
		{name: "scopes claim as roles claim", scopesClaim: "permissions", rolesClaim: func(string) string { return "permissions" }, claims: `"permissions":["a"]`, wantScopes: []string{"a"}, wantRoles: []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Tokens of the global Config and of acme's own issuer are read
			// alike; with a cache, a token answered from it is too.
			f := newFixture(t)
			f.global.ScopesClaim = tc.scopesClaim
			plain := f.verifier(t, auth.VerifierOptions{RolesClaim: tc.rolesClaim})
			cached := f.verifier(t, auth.VerifierOptions{RolesClaim: tc.rolesClaim, TokenCacheSize: 10})
			for _, tenantIssuer := range []bool{false, true} {
				token := payloadToken(t, tenantIssuer, tc.claims)
				for _, v := range []*auth.Verifier{plain, cached, cached} {
					if tc.wantErr != nil {
						requireRefused(t, v, token, tc.wantErr)
						continue
					}
					c, err := v.Verify(token)
					require.NoError(t, err)
					require.Equal(t, "acme", c.TenantID)
					require.Equal(t, tc.wantScopes, c.Scopes)
					require.Equal(t, tc.wantRoles, c.Roles)
					require.Equal(t, tenantIssuer, c.TenantIssuer)
				}
			}
			if tc.wantErr == nil {
				require.EqualValues(t, 2, cached.TokenCacheStats().Hits)
			}
		})
	}
}

// mustList returns the entries of jsonList(n).
func mustList(n int) []string {
	var list []string
	if err := json.Unmarshal([]byte(jsonList(n)), &list); err != nil {
		panic(err)
	}
	return list
}

// Claims.TenantIssuer says which issuer verified a token, from the cache
// too.
func TestClaimsTenantIssuer(t *testing.T) {
	k := keys()
	f := newFixture(t)
	plain := f.verifier(t, auth.VerifierOptions{})
	cached := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100})
	for _, tc := range []struct {
		name  string
		token string
		want  bool
	}{
		{name: "acme, HS256", token: acmeToken(t), want: true},
		{name: "globex, RS256", token: globexToken(t), want: true},
		{name: "initech, JWKS", token: initechToken(t, "initech-1", k.ec), want: true},
		{name: "global", token: globalToken(t)},
		{name: "global, for a tenant with its own issuer", token: globalToken(t, "tenant_id", "globex")},
		{name: "global, unknown issuer", token: globalToken(t, "iss", "https://unknown.example.com/")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []*auth.Verifier{plain, cached, cached} {
				c, err := v.Verify(tc.token)
				require.NoError(t, err)
				require.Equal(t, tc.want, c.TenantIssuer)

				var got auth.Claims
				next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = auth.ClaimsFrom(r.Context()) })
				r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
				r.Header.Set("Authorization", "Bearer "+tc.token)
				v.Middleware(next).ServeHTTP(httptest.NewRecorder(), r)
				require.Equal(t, c, got)
			}
		})
	}
	require.Positive(t, cached.TokenCacheStats().Hits)
}

// rolesClaims is a VerifierOptions.RolesClaim that a test can change.
type rolesClaims struct {
	mu    sync.Mutex
	names map[string]string
}

func (r *rolesClaims) set(tenantID, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]string{}
	}
	r.names[tenantID] = name
}

func (r *rolesClaims) get(tenantID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names[tenantID]
}

// A token answered from the cache has the roles of its tenant's roles claim
// now: when the claim's name changes, the token is verified again.
func TestTokenCacheRolesClaim(t *testing.T) {
	for _, tenantIssuer := range []bool{false, true} {
		t.Run(fmt.Sprint("tenant issuer ", tenantIssuer), func(t *testing.T) {
			f := newFixture(t)
			var names rolesClaims
			v := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100, RolesClaim: names.get})
			token := payloadToken(t, tenantIssuer, `"roles":["admin"],"groups":["editor"],"bad":7`)
			stats := func() (hits, misses uint64) {
				s := v.TokenCacheStats()
				return s.Hits, s.Misses
			}
			verify := func(wantRoles ...string) {
				t.Helper()
				c, err := v.Verify(token)
				require.NoError(t, err)
				require.Equal(t, wantRoles, c.Roles)
				require.Equal(t, tenantIssuer, c.TenantIssuer)
			}

			for _, step := range []struct {
				claim        string // acme's roles claim
				otherTenant  bool   // set it for globex instead
				wantRoles    []string
				wantErr      error
				hits, misses uint64 // after the step's two tries
			}{
				{claim: "", wantRoles: []string{"admin"}, hits: 1, misses: 1},
				{claim: "roles", wantRoles: []string{"admin"}, hits: 3, misses: 1}, // the same name
				{claim: "groups", wantRoles: []string{"editor"}, hits: 4, misses: 2},
				{claim: "roles", otherTenant: true, wantRoles: []string{"editor"}, hits: 6, misses: 2},
				{claim: "missing", hits: 7, misses: 3},
				{claim: "bad", wantErr: auth.ErrRolesClaim, hits: 7, misses: 7}, // Verify and the middleware, twice; a refusal is not cached
				{claim: "", wantRoles: []string{"admin"}, hits: 8, misses: 8},
			} {
				tenantID := "acme"
				if step.otherTenant {
					tenantID = "globex"
				}
				names.set(tenantID, step.claim)
				for range 2 {
					if step.wantErr != nil {
						requireRefused(t, v, token, step.wantErr)
						continue
					}
					verify(step.wantRoles...)
				}
				hits, misses := stats()
				require.Equal(t, [2]uint64{step.hits, step.misses}, [2]uint64{hits, misses}, "roles claim %q of %s", step.claim, tenantID)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	for _, tc := range []struct {
		scope   string
		wantErr string
	}{
		{scope: "goods:read"},
		{scope: "https://graph.microsoft.com/User.Read"},
		{scope: "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"},
		{scope: strings.Repeat("a", auth.MaxScopeLen)},
		{scope: "", wantErr: "is empty"},
		{scope: strings.Repeat("a", auth.MaxScopeLen+1), wantErr: "longer than 128 bytes"},
		{scope: "a b", wantErr: `has ' '`},
		{scope: `a"b`, wantErr: `has '"'`},
		{scope: `a\b`, wantErr: `has '\\'`},
		{scope: "a\x00", wantErr: `has '\x00'`},
		{scope: "a\x7f", wantErr: `has '\x7f'`},
		{scope: "é", wantErr: "is not ASCII"},
	} {
		t.Run(tc.scope, func(t *testing.T) {
			err := auth.CheckScope(tc.scope)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// FuzzScopesClaim checks that whatever JSON value a token's scope, scp and
// roles claims hold, Verify either refuses the token for one of the reasons
// of a malformed claim, or returns scopes and roles that are scope tokens,
// sorted, without duplicates, and taken from the value; and that it never
// accepts a value that is not a string or an array.
func FuzzScopesClaim(f *testing.F) {
	for _, s := range []string{
		`"a b"`, `["a","b"]`, `""`, `[]`, `7`, `null`, `{}`, `true`, `["a",1]`, `["a",null]`,
		`"a\tb"`, `["a b"]`, `" a  a "`, `["é"]`, jsonList(257), `"` + strings.Repeat("x", 129) + `"`,
	} {
		f.Add(s)
	}
	k := keys()
	v, err := auth.NewVerifier(auth.Config{Secret: k.secret})
	require.NoError(f, err)
	exp := time.Now().Add(24 * time.Hour).Unix()

	f.Fuzz(func(t *testing.T, value string) {
		var decoded any
		if json.Unmarshal([]byte(value), &decoded) != nil {
			return // not one JSON value, which could add claims of its own
		}
		var entries []string // what the value holds, if it is well-formed
		switch d := decoded.(type) {
		case string:
			entries = strings.Split(d, " ")
		case []any:
			for _, e := range d {
				s, _ := e.(string)
				entries = append(entries, s)
			}
		}
		for _, claim := range []string{"scope", "scp", "roles"} {
			payload := fmt.Sprintf(`{"exp":%d,"tenant_id":"acme",%q:%s}`, exp, claim, value)
			token := signPayload(t, jwa.HS256(), k.secret, payload)
			c, err := v.Verify(token)
			if err != nil {
				ae, ok := apperr.As(err)
				if !ok || ae.Code != apperr.Unauthenticated {
					t.Fatalf("%s: %s: error %#v is not UNAUTHENTICATED", claim, value, err)
				}
				if !errors.Is(err, auth.ErrScopesClaim) && !errors.Is(err, auth.ErrRolesClaim) && !errors.Is(err, auth.ErrTokenMalformed) {
					t.Fatalf("%s: %s: refused for %v", claim, value, err)
				}
				continue
			}
			switch decoded.(type) {
			case string, []any:
			default:
				t.Fatalf("%s: %s accepted: %+v", claim, value, c)
			}
			got := c.Scopes
			if claim == "roles" {
				got = c.Roles
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) || len(got) > 256 {
				t.Fatalf("%s: %s: %q not sorted, or repeats an entry, or too long", claim, value, got)
			}
			for _, s := range got {
				if auth.CheckScope(s) != nil || !slices.Contains(entries, s) {
					t.Fatalf("%s: %s: %q is not a scope token of the value", claim, value, s)
				}
			}
		}
	})
}
