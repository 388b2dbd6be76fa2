package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/loader"
)

// Dev mode: without JWT_SECRET or JWT_PUBLIC_KEY_FILE the gateway signs its
// own tokens, one per tenant, and tells a new user how to use them.

// signDevTokens makes a token for every tenant, for dev mode.
func signDevTokens(cfg auth.Config, reg *loader.Registry) ([]graphiql.DevToken, error) {
	signer, err := auth.NewSigner(cfg)
	if err != nil {
		return nil, err
	}
	var tokens []graphiql.DevToken
	for _, t := range reg.Tenants() {
		tok, err := signer.Sign(t.ID, devTokenTTL)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, graphiql.DevToken{Tenant: t.ID, Token: tok})
	}
	return tokens, nil
}

// printDevBanner tells a new user how to make a first request.
func printDevBanner(w io.Writer, url string, tokens []graphiql.DevToken, adminToken string) {
	fmt.Fprintf(w, "\ntenantgraph is running in dev mode: in-process signing key, tokens valid for %s or until the gateway stops.\n\n", devTokenTTL)
	fmt.Fprintf(w, "  GraphiQL: %s  (pick a tenant at the top of the page)\n\n  Tokens:\n", url)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range tokens {
		fmt.Fprintf(tw, "    %s\t%s\n", t.Tenant, t.Token)
	}
	tw.Flush()
	if len(tokens) > 0 {
		fmt.Fprintf(w, "\n  Try:\n    TOKEN=%s\n", tokens[0].Token)
		fmt.Fprintf(w, "    curl -s %sgraphql -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n", url)
		fmt.Fprintf(w, "      -d '{\"query\":\"{ goodsList { totalCount nodes { id name price } } }\"}'\n")
	}
	fmt.Fprintf(w, "\n  Operator endpoint: curl -s %sadmin/tenants -H 'Authorization: Bearer %s'\n", url, adminToken)
	fmt.Fprintln(w)
}
