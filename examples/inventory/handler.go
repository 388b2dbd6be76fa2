package inventory

import (
	"crypto/subtle"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/examples/inventory/generated"
)

// Options configure the service's HTTP handler.
type Options struct {
	// Token, when set, is the bearer token every request must carry in
	// its Authorization header; others are answered 401. Default: no
	// token is needed.
	Token string
}

// NewHandler returns the service's GraphQL endpoint over inv: POST and GET
// of GraphQL over HTTP, with introspection (which Federation's
// _service { sdl } needs).
func NewHandler(inv *Inventory, opts Options) http.Handler {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers: &Resolver{Inventory: inv},
	}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	if opts.Token == "" {
		return srv
	}
	want := []byte("Bearer " + opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="inventory"`)
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"message":"a valid bearer token is required","extensions":{"code":"UNAUTHENTICATED"}}]}`))
			return
		}
		srv.ServeHTTP(w, r)
	})
}
