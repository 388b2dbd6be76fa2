// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from files
// embedded in the binary, so the IDE works without internet access and loads
// nothing from a CDN.
//
// [Handler] serves the page and [Assets] the scripts and styles it loads.
// Mount Assets under the path given as [Options.AssetsPath], with that path
// stripped:
//
//	mux.Handle("GET /graphiql", graphiql.Handler(graphiql.Options{
//		Title:      "tenantgraph",
//		Endpoint:   "/graphql",
//		AssetsPath: "/graphiql/",
//	}))
//	mux.Handle("GET /graphiql/", http.StripPrefix("/graphiql/", graphiql.Assets()))
//
// In development, [Options.DevTokens] lists a token per tenant, and one per
// role for tenants with roles; the page then shows a tenant picker, and a
// role picker for a tenant with roles, and fills in the Authorization header
// of the selected token, so a query runs at once.
//
// The vendored GraphiQL and React builds live in assets/ and are refreshed by
// update-assets.sh, which records their versions in assets/VERSIONS.
package graphiql
