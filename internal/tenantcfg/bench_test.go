package tenantcfg_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// BenchmarkTenantAuth measures the per-request auth and tenant path of a
// tenant with its own HS256 issuer, with the tenant's resolved
// configuration warm in process: a verified-token cache hit against a
// miss (full verification). Compare with
//
//	go test -run '^$' -bench TenantAuth -count 8 ./internal/tenantcfg | benchstat -col /cache -
func BenchmarkTenantAuth(b *testing.B) {
	r, _ := setup(b)
	verifier := func(cacheSize int) http.Handler {
		v, err := auth.NewVerifierWithOptions(auth.Config{Algorithm: auth.HS256, Secret: []byte("global-secret-of-at-least-32-bytes!!")},
			auth.VerifierOptions{Issuers: r, TokenCacheSize: cacheSize, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		return v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	}
	key := []byte("signing-secret-of-at-least-32-bytes-long!") // what setup's provider resolves
	tokens := make([]string, 64)
	for i := range tokens {
		tok, err := jwt.NewBuilder().Issuer("https://id.globex.example/").Expiration(time.Now().Add(time.Hour)).
			Claim("tenant_id", "globex").JwtID(fmt.Sprint(i)).Build()
		if err != nil {
			b.Fatal(err)
		}
		signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), key))
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = string(signed)
	}
	for _, bc := range []struct {
		name   string
		size   int
		tokens []string
	}{
		{"hit", 1000, tokens[:1]},
		{"miss", 1, tokens}, // distinct tokens through a cache of one
	} {
		b.Run("cache="+bc.name, func(b *testing.B) {
			h := verifier(bc.size)
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				req.Header.Set("Authorization", "Bearer "+bc.tokens[i%len(bc.tokens)])
				i++
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
