package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/config"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/loader"
)

// The commands other than serve: each reads the same settings as the
// gateway, from the environment.

// token prints a token for a tenant, signed with the configured JWT_SECRET,
// that grants the scopes and roles its flags name.
func token(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantID := fs.String("tenant", "", "tenant ID (required)")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	scopes := &listFlag{split: strings.Fields}
	fs.Var(scopes, "scope", "`scopes` to grant, space-separated, such as \"goods:read goods:cost\"; repeat the flag to add more")
	roles := &listFlag{split: func(s string) []string { return []string{s} }}
	fs.Var(roles, "role", "a `role` to grant; repeat the flag for more (--role editor --role buyer): one role per flag, as a role name may contain a comma")
	rolesClaim := fs.String("roles-claim", "", "the `claim` to write the roles in (default: the tenant's authorization.rolesClaim in its tenant.yaml under TENANTGRAPH_TENANTS_DIR, or \"roles\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantID == "" {
		fs.Usage()
		return errors.New("token: --tenant is required")
	}
	if !tenant.ValidID(*tenantID) {
		return fmt.Errorf("token: %q is not a valid tenant ID", *tenantID)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.DevMode() {
		return errors.New("token: JWT_SECRET is not set; a gateway without it runs in dev mode and prints its own tokens at start")
	}
	if *ttl > cfg.JWTMaxTTL {
		return fmt.Errorf("token: --ttl %s is longer than JWT_MAX_TTL (%s), so the gateway would refuse the token", *ttl, cfg.JWTMaxTTL)
	}

	claim, err := tokenRolesClaim(filepath.Join(cfg.TenantsDir, *tenantID, loader.ConfigFile), roles.values, *rolesClaim, stderr)
	if err != nil {
		return fmt.Errorf("token: tenant %s: %w", *tenantID, err)
	}

	ac, err := authConfig(cfg)
	if err != nil {
		return err
	}
	ac.ScopesClaim = cfg.JWTScopesClaim
	signer, err := auth.NewSigner(ac)
	if err != nil {
		return err
	}
	tok, err := signer.SignGrant(*tenantID, *ttl, auth.Grant{Scopes: scopes.values, Roles: roles.values, RolesClaim: claim})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// tokenRolesClaim returns the claim a token's roles go in: rolesClaim if
// it is set, or the authorization.rolesClaim of the tenant.yaml at path
// (the default of "roles" if there is no such file). It refuses to make a
// token the gateway would refuse (auth.acceptGlobalTokens: false), and
// warns on stderr about roles the tenant does not declare and about a
// tenant.yaml it cannot read that it does not need.
func tokenRolesClaim(path string, roles []string, rolesClaim string, stderr io.Writer) (string, error) {
	tc, err := readTenantConfig(path)
	if err != nil {
		if rolesClaim == "" && len(roles) > 0 {
			return "", fmt.Errorf("%w (or pass --roles-claim)", err)
		}
		fmt.Fprintf(stderr, "token: warning: %v\n", err)
		return rolesClaim, nil
	}
	if tc == nil {
		return rolesClaim, nil
	}
	if !tc.Auth.GlobalTokensAccepted() {
		return "", fmt.Errorf("%s says auth.acceptGlobalTokens: false, so the gateway refuses tokens signed with JWT_SECRET for it", path)
	}
	if az := tc.Authorization; az != nil {
		for _, r := range roles {
			if _, ok := az.Roles[r]; !ok {
				fmt.Fprintf(stderr, "token: warning: %s declares no role %q; it grants nothing\n", path, r)
			}
		}
	}
	if rolesClaim == "" {
		rolesClaim = tc.Authorization.ClaimName()
	}
	return rolesClaim, nil
}

// readTenantConfig reads and checks the tenant.yaml at path; it returns
// nil and no error if there is none.
func readTenantConfig(path string) (*loader.TenantConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := loader.ParseConfig(path, data)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// listFlag is a flag that may be repeated. Each value is split into
// entries by split, and each entry must be a scope token (roles follow the
// same grammar); the flag's value is every entry given, in order, without
// repeats.
type listFlag struct {
	split  func(string) []string
	values []string
}

// String implements flag.Value.
func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, " ")
}

// Set implements flag.Value.
func (l *listFlag) Set(s string) error {
	for _, v := range l.split(s) {
		if err := auth.CheckScope(v); err != nil {
			return fmt.Errorf("%q %w", v, err)
		}
		if !slices.Contains(l.values, v) {
			l.values = append(l.values, v)
		}
	}
	return nil
}

// healthcheck asks the gateway listening on TENANTGRAPH_ADDR on this host
// whether it is alive, for container health checks on images without curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("TENANTGRAPH_ADDR: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}

// check validates every tenant directory offline and fails on any problem.
func check(args []string, getenv func(string) string, stdout io.Writer) error {
	dir := getenv("TENANTGRAPH_TENANTS_DIR")
	if dir == "" {
		dir = config.Default().TenantsDir
	}
	if len(args) > 0 {
		dir = args[0]
	}
	if err := loader.Check(dir); err != nil {
		return fmt.Errorf("check %s:\n%w", dir, err)
	}
	fmt.Fprintf(stdout, "%s: every tenant is valid\n", dir)
	return nil
}

// schema prints a tenant's effective schema as SDL.
func schema(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := getenv("TENANTGRAPH_TENANTS_DIR")
	if dir == "" {
		dir = config.Default().TenantsDir
	}
	tenantID := fs.String("tenant", "", "tenant ID (required)")
	fs.StringVar(&dir, "dir", dir, "tenants directory")
	authoring := fs.Bool("authoring", false, "print the authoring directives (@cost, @requiresScopes, ...) and their uses too, which clients never see")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantID == "" {
		fs.Usage()
		return errors.New("schema: --tenant is required")
	}
	if !tenant.ValidID(*tenantID) {
		return fmt.Errorf("schema: %q is not a valid tenant ID", *tenantID)
	}
	s, err := loader.LoadSchema(filepath.Join(dir, *tenantID))
	if err != nil {
		return err
	}
	sdl := s.SDL()
	if *authoring {
		sdl = s.AuthoringSDL()
	}
	_, err = io.WriteString(stdout, sdl)
	return err
}

// refresh asks a running gateway to drop a tenant's cached configuration
// and secrets everywhere (after a secret was rotated at its source).
func refresh(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("refresh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantID := fs.String("tenant", "", "tenant ID (required)")
	base := fs.String("url", "", "the gateway's URL (default: http://127.0.0.1 at TENANTGRAPH_ADDR's port)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !tenant.ValidID(*tenantID) {
		fs.Usage()
		return errors.New("refresh: --tenant must name a tenant")
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.AdminToken == "" {
		return errors.New("refresh: TENANTGRAPH_ADMIN_TOKEN is not set")
	}
	if *base == "" {
		_, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return fmt.Errorf("TENANTGRAPH_ADDR: %w", err)
		}
		*base = "http://" + net.JoinHostPort("127.0.0.1", port)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(*base, "/")+"/admin/tenants/"+*tenantID+"/refresh", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("refresh: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	fmt.Fprintf(stdout, "tenant %s refreshed\n", *tenantID)
	return nil
}
