package graphiql_test

import (
	"net/http"

	"github.com/tenantgraph/tenantgraph/internal/graphiql"
)

func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("GET /graphiql", graphiql.Handler(graphiql.Options{
		Title:      "tenantgraph",
		Endpoint:   "/graphql",
		AssetsPath: "/graphiql/",
		// Dev mode only: every visitor of the page can act as these
		// tenants, and as globex's editor and viewer.
		DevTokens: []graphiql.DevToken{
			{Tenant: "acme", Token: "eyJhbGciOiJIUzI1NiJ9..."},
			{Tenant: "globex", Token: "eyJhbGciOiJIUzI1NiJ9..."},
			{Tenant: "globex", Role: "editor", Token: "eyJhbGciOiJIUzI1NiJ9..."},
			{Tenant: "globex", Role: "viewer", Token: "eyJhbGciOiJIUzI1NiJ9..."},
		},
	}))
	mux.Handle("GET /graphiql/", http.StripPrefix("/graphiql/", graphiql.Assets()))
}
