package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// The verified-token cache does not change what Verify answers: the same
// tokens get the same claims or the same refusal from a Verifier with a
// cache and one without, as time passes their exp and the cache's TTL.
func TestTokenCacheEquivalence(t *testing.T) {
	k := keys()
	f := newFixture(t)
	plain := f.verifier(t, auth.VerifierOptions{})
	cached := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 1000})
	now := f.clock.Now()

	tokens := map[string]string{
		"acme":                acmeToken(t),
		"acme for 20s":        acmeToken(t, "exp", now.Add(20*time.Second)),
		"acme for 10m":        acmeToken(t, "exp", now.Add(10*time.Minute)),
		"acme nbf in 20s":     acmeToken(t, "nbf", now.Add(20*time.Second)),
		"acme nbf in 40s":     acmeToken(t, "nbf", now.Add(40*time.Second)),
		"acme expired":        acmeToken(t, "exp", now.Add(-time.Hour)),
		"acme claims globex":  acmeToken(t, "tenant_id", "globex"),
		"globex":              globexToken(t),
		"globex for 5s":       globexToken(t, "exp", now.Add(5*time.Second)),
		"initech":             initechToken(t, "initech-1", k.ec),
		"initech unknown kid": initechToken(t, "initech-7", k.ec),
		"global":              globalToken(t),
		"global for 5s":       globalToken(t, "exp", now.Add(5*time.Second)),
		"global bad key":      sign(t, jwa.HS256(), k.otherSecret, claims()),
		"global no roles":     globalToken(t, "roles", deleted, "sub", deleted),
		"malformed":           "a.b.c",
	}
	check := func(t *testing.T, step string) {
		t.Helper()
		for name, token := range tokens {
			want, wantErr := plain.Verify(token)
			for i := range 3 {
				got, err := cached.Verify(token)
				require.Equal(t, reason(wantErr), reason(err), "%s: %s, try %d", step, name, i)
				require.Equal(t, want, got, "%s: %s, try %d", step, name, i)
			}
		}
	}

	check(t, "now")
	stats := cached.TokenCacheStats()
	require.EqualValues(t, 2*10, stats.Hits, "10 tokens verify, each hit on the 2nd and 3rd try")
	require.EqualValues(t, len(tokens)+2*(len(tokens)-10), stats.Misses)
	require.Equal(t, 10, stats.Entries)

	for _, step := range []time.Duration{
		10 * time.Second, // the 5s tokens are past exp, within the leeway
		15 * time.Second, // the acme 20s token is past exp; the nbf 20s token valid
		15 * time.Second, // the 5s tokens are past exp and the leeway
		30 * time.Second, // the acme 20s token too
		5 * time.Minute,  // the cache's TTL is over for all
		5 * time.Minute,  // the acme 10m token is past exp
	} {
		f.clock.Advance(step)
		check(t, fmt.Sprint("after ", f.clock.Now().Sub(now)))
	}
	_, err := cached.Verify(tokens["global for 5s"])
	require.ErrorIs(t, err, auth.ErrTokenExpired)
	_, err = cached.Verify(tokens["acme for 10m"])
	require.ErrorIs(t, err, auth.ErrTokenExpired)
}

func TestTokenCachePurge(t *testing.T) {
	k := keys()
	f := newFixture(t)
	v := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100})
	acme := acmeToken(t)
	globex := globalToken(t, "tenant_id", "globex")
	verify := func(token string) error {
		t.Helper()
		_, err := v.Verify(token)
		return err
	}
	hits := func() uint64 { return v.TokenCacheStats().Hits }

	require.NoError(t, verify(acme))
	require.NoError(t, verify(globex))
	require.NoError(t, verify(acme))
	require.EqualValues(t, 1, hits())
	require.Equal(t, 2, v.TokenCacheStats().Entries)

	v.PurgeTenantTokens("acme")
	require.Equal(t, 1, v.TokenCacheStats().Entries)
	require.NoError(t, verify(globex))
	require.EqualValues(t, 2, hits(), "globex's token is still cached")
	require.NoError(t, verify(acme))
	require.EqualValues(t, 2, hits(), "acme's token is verified again")
	require.Equal(t, 2, v.TokenCacheStats().Entries)

	v.PurgeTokens()
	require.Equal(t, 0, v.TokenCacheStats().Entries)
	require.NoError(t, verify(globex))
	require.EqualValues(t, 2, hits())
	require.NoError(t, verify(acme))
	require.NoError(t, verify(acme))
	require.EqualValues(t, 3, hits())

	// A tenant's auth block changes: a new TenantIssuer, no purge. The
	// cached token no longer verifies.
	rotated := mustIssuer(t, auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Audiences: []string{"tenantgraph"}, Algorithm: auth.HS256, Secret: randomBytes(32)})
	require.NoError(t, f.issuers.Replace(rotated, f.globex, f.initech))
	require.ErrorIs(t, verify(acme), auth.ErrTokenSignature)

	// The tenant drops its issuer: its tokens go to the global Config.
	require.NoError(t, f.issuers.Replace(f.acme, f.globex, f.initech))
	require.NoError(t, verify(acme))
	require.NoError(t, verify(acme))
	require.NoError(t, f.issuers.Replace(f.globex, f.initech))
	require.ErrorIs(t, verify(acme), auth.ErrTokenSignature)

	// A global token whose issuer a tenant takes over is refused by the
	// tenant's issuer from then on.
	taken := globalToken(t, "iss", "https://new.example.com/")
	require.NoError(t, verify(taken))
	require.NoError(t, verify(taken))
	newcomer := mustIssuer(t, auth.IssuerConfig{TenantID: "acme", Issuer: "https://new.example.com/", Algorithm: auth.HS256, Secret: k.otherSecret})
	require.NoError(t, f.issuers.Replace(newcomer))
	require.ErrorIs(t, verify(taken), auth.ErrTokenSignature)

	// Purging a Verifier without a cache does nothing.
	plain := f.verifier(t, auth.VerifierOptions{})
	plain.PurgeTokens()
	plain.PurgeTenantTokens("acme")
	require.Equal(t, auth.TokenCacheStats{}, plain.TokenCacheStats())
}

// The cache holds at most TokenCacheSize tokens, and can be used
// concurrently.
func TestTokenCacheBounded(t *testing.T) {
	f := newFixture(t)
	const size = 50
	v := f.verifier(t, auth.VerifierOptions{TokenCacheSize: size})
	tokens := make([]string, 500)
	for i := range tokens {
		tokens[i] = globalToken(t, "sub", fmt.Sprint("user-", i))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				token := tokens[(i*(w+1))%len(tokens)]
				c, err := v.Verify(token)
				if err != nil || c.TenantID != "acme" {
					t.Errorf("Verify: %v, %v", c, err)
					return
				}
			}
		})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 100 {
			v.PurgeTenantTokens("acme")
			v.TokenCacheStats()
		}
	}()
	wg.Wait()
	stats := v.TokenCacheStats()
	require.LessOrEqual(t, stats.Entries, size)
	require.Positive(t, stats.Hits)
	require.EqualValues(t, 8*2000, stats.Hits+stats.Misses)
}

// BenchmarkTenantToken measures the per-request cost of the middleware for a
// token of a tenant's own issuer, when the verified-token cache has the token
// (hit) and when it has not (miss: verification in full, and caching).
// Compare with benchstat -col /cache.
func BenchmarkTenantToken(b *testing.B) {
	f := newFixture(b)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, bc := range []struct {
		alg   string
		token func(i int) string
	}{
		{auth.HS256, func(i int) string { return acmeToken(b, "jti", fmt.Sprint(i)) }},
		{auth.RS256, func(i int) string { return globexToken(b, "jti", fmt.Sprint(i)) }},
	} {
		// Misses cycle through distinct tokens in a cache of one.
		distinct := make([]string, 64)
		for i := range distinct {
			distinct[i] = bc.token(i)
		}
		for _, cache := range []struct {
			name   string
			size   int
			tokens []string
		}{
			{"hit", 1000, distinct[:1]},
			{"miss", 1, distinct},
		} {
			b.Run(fmt.Sprintf("alg=%s/cache=%s", bc.alg, cache.name), func(b *testing.B) {
				v := f.verifier(b, auth.VerifierOptions{TokenCacheSize: cache.size})
				h := v.Middleware(next)
				r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
				r.Header.Set("Authorization", "Bearer "+cache.tokens[0])
				h.ServeHTTP(httptest.NewRecorder(), r) // warm
				b.ReportAllocs()
				i := 1 // the warm-up had tokens[0]
				for b.Loop() {
					r.Header.Set("Authorization", "Bearer "+cache.tokens[i%len(cache.tokens)])
					i++
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
				stats := v.TokenCacheStats()
				if cache.name == "hit" && stats.Misses > 1 || cache.name == "miss" && stats.Hits > 0 {
					b.Fatalf("%s: %+v", cache.name, stats)
				}
			})
		}
	}
}
