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
	"path/filepath"
	"strings"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/config"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
	"github.com/tenantgraph/tenantgraph/loader"
)

// The commands other than serve: each reads the same settings as the
// gateway, from the environment.

// token prints a token for a tenant, signed with the configured JWT_SECRET.
func token(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantID := fs.String("tenant", "", "tenant ID (required)")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantID == "" {
		fs.Usage()
		return errors.New("token: --tenant is required")
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
	ac, err := authConfig(cfg)
	if err != nil {
		return err
	}
	signer, err := auth.NewSigner(ac)
	if err != nil {
		return err
	}
	tok, err := signer.Sign(*tenantID, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
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
	_, err = io.WriteString(stdout, s.SDL())
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
