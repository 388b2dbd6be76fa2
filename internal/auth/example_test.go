package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

func Example() {
	cfg := auth.NewDevConfig() // in production: Secret, or Algorithm and PublicKeyPEM
	signer, err := auth.NewSigner(cfg)
	if err != nil {
		panic(err)
	}
	token, err := signer.Sign("acme", time.Hour)
	if err != nil {
		panic(err)
	}

	v, err := auth.NewVerifier(cfg)
	if err != nil {
		panic(err)
	}
	claims, err := v.Verify(token)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.TenantID, claims.Subject)
	// Output: acme dev
}

func ExampleVerifier_Middleware() {
	v, err := auth.NewVerifier(auth.NewDevConfig())
	if err != nil {
		panic(err)
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.IDFrom(r.Context())
		fmt.Fprintln(w, "tenant", id)
	}))

	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	fmt.Println(w.Body)
	// Output:
	// 401 Bearer error="invalid_token"
	// {"errors":[{"message":"token malformed","extensions":{"code":"UNAUTHENTICATED"}}]}
}

func ExampleNewVerifierWithOptions() {
	// From acme's tenant.yaml and secrets: tokens of acme's own identity
	// provider.
	acmeSecret := []byte("0123456789abcdef0123456789abcdef") // at least 32 bytes
	acme, err := auth.NewTenantIssuer(auth.IssuerConfig{
		TenantID:  "acme",
		Issuer:    "https://login.acme.example/",
		Audiences: []string{"tenantgraph"},
		Algorithm: auth.HS256,
		Secret:    acmeSecret,
	})
	if err != nil {
		panic(err)
	}
	issuers, err := auth.NewIssuerMap(acme)
	if err != nil {
		panic(err)
	}
	v, err := auth.NewVerifierWithOptions(auth.NewDevConfig(), auth.VerifierOptions{
		Issuers:        issuers,
		TokenCacheSize: 10_000,
	})
	if err != nil {
		panic(err)
	}

	// acme's identity provider, which may mint tokens for acme only.
	idp, err := auth.NewSigner(auth.Config{Secret: acmeSecret, Issuer: "https://login.acme.example/", Audience: "tenantgraph"})
	if err != nil {
		panic(err)
	}
	for _, tenantID := range []string{"acme", "globex"} {
		token, err := idp.Sign(tenantID, time.Hour)
		if err != nil {
			panic(err)
		}
		claims, err := v.Verify(token)
		fmt.Printf("%q %v\n", claims.TenantID, err)
	}
	// Output:
	// "acme" <nil>
	// "" tenant claim not accepted for this issuer
}
