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
