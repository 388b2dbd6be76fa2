package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/graphiql"
	"github.com/tenantgraph/tenantgraph/loader"
)

// Dev mode: without JWT_SECRET or JWT_PUBLIC_KEY_FILE the gateway signs its
// own tokens, one per tenant and one per role of a tenant with roles, and
// tells a new user how to use them.

// signDevTokens makes the tokens of dev mode, ordered by tenant ID: for
// every tenant that accepts the gateway's tokens a default token, which carries all of the tenant's roles,
// then, for a tenant with roles, a token for each role alone, ordered by
// role. Roles are written in the claim the tenant reads them from.
func signDevTokens(cfg auth.Config, reg *loader.Registry) ([]graphiql.DevToken, error) {
	signer, err := auth.NewSigner(cfg)
	if err != nil {
		return nil, err
	}
	var tokens []graphiql.DevToken
	for _, st := range reg.States() {
		e, ok := reg.Entry(st.ID)
		if !st.Serving || !ok || !e.Config.Auth.GlobalTokensAccepted() {
			continue // not served, or its tokens come from its own issuer only
		}
		az := e.Config.Authorization
		var roles []string
		if az != nil {
			roles = slices.Sorted(maps.Keys(az.Roles))
		}
		sign := func(role string, carried []string) error {
			tok, err := signer.SignGrant(st.ID, devTokenTTL, auth.Grant{Roles: carried, RolesClaim: az.ClaimName()})
			if err != nil {
				return fmt.Errorf("dev token of tenant %q: %w", st.ID, err)
			}
			tokens = append(tokens, graphiql.DevToken{Tenant: st.ID, Role: role, Token: tok})
			return nil
		}
		if err := sign("", roles); err != nil {
			return nil, err
		}
		for _, role := range roles {
			if err := sign(role, []string{role}); err != nil {
				return nil, err
			}
		}
	}
	return tokens, nil
}

// printDevBanner tells a new user how to make a first request.
func printDevBanner(w io.Writer, url string, tokens []graphiql.DevToken, adminToken string) {
	fmt.Fprintf(w, "\ntenantgraph is running in dev mode: in-process signing key, tokens valid for %s or until the gateway stops.\n\n", devTokenTTL)
	fmt.Fprintf(w, "  GraphiQL: %s  (pick a tenant, and a role if it has roles, at the top of the page)\n\n  Tokens:\n", url)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	roles := false
	for _, t := range tokens {
		if t.Role == "" {
			fmt.Fprintf(tw, "    %s\t%s\n", t.Tenant, t.Token)
		} else {
			fmt.Fprintf(tw, "    %s (%s)\t%s\n", t.Tenant, t.Role, t.Token)
			roles = true
		}
	}
	tw.Flush()
	if roles {
		fmt.Fprintf(w, "\n  A tenant's first token carries all of its roles; \"tenant (role)\" carries that role alone.\n")
	}
	if len(tokens) > 0 {
		fmt.Fprintf(w, "\n  Try:\n    TOKEN=%s\n", tokens[0].Token)
		fmt.Fprintf(w, "    curl -s %sgraphql -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n", url)
		fmt.Fprintf(w, "      -d '{\"query\":\"{ goodsList { totalCount nodes { id name price } } }\"}'\n")
	}
	fmt.Fprintf(w, "\n  Operator endpoint: curl -s %sadmin/tenants -H 'Authorization: Bearer %s'\n", url, adminToken)
	fmt.Fprintln(w)
}
