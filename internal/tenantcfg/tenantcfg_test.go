package tenantcfg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/secrets"
	"github.com/tenantgraph/tenantgraph/internal/tenantcfg"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/loader"
)

const tenantYAML = `name: Globex
secrets:
  signingKey: count:signing
  erp: count:erp
auth:
  issuer: https://id.globex.example/
  algorithm: HS256
  key: secret:signingKey
`

// setup returns a Resolver over a registry of one tenant, globex, whose
// secrets come from a provider that counts its calls, and a Redis-backed
// cache.
func setup(t testing.TB) (*tenantcfg.Resolver, *atomic.Int64) {
	f := newFixture(t)
	return f.r, f.calls
}

// fixture is what setup makes, and what it made the Resolver of.
type fixture struct {
	r        *tenantcfg.Resolver
	calls    *atomic.Int64 // calls of the secret provider
	rotation *atomic.Int64 // the provider's secrets' version: 0, then rotated
	reg      *loader.Registry
	cacheCfg cache.Config // of the Resolver's cache
	logs     *bytes.Buffer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "globex"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "globex", "tenant.yaml"), []byte(tenantYAML), 0o644))
	reg, err := loader.New(loader.Options{
		Dir:           dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema { return dynamic.New(dynamic.Config{Schema: s.AST}) },
		NewHandler:    func(string, graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:        slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)

	var calls, rotation atomic.Int64
	sr := secrets.NewResolver(func(string) (string, bool) { return "", false })
	sr.Register("count", secrets.ProviderFunc(func(_ context.Context, name string) (secrets.Value, error) {
		calls.Add(1)
		v := name + "-secret-of-at-least-32-bytes-long!"
		if n := rotation.Load(); n > 0 {
			v += "-rotated-" + strconv.FormatInt(n, 10)
		}
		return secrets.Value(v), nil
	}))

	url, prefix := testenv.RedisURL(t)
	opts, err := cache.ParseRedisURL(url)
	require.NoError(t, err)
	sealer, err := cache.NewSealer([]byte("master-key-of-exactly-32-bytes!!"))
	require.NoError(t, err)
	cfg := cache.Config{Redis: opts, Sealer: sealer, KeyPrefix: prefix}
	c, err := cache.New(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	var logs bytes.Buffer
	r := tenantcfg.New(reg, sr, c, slog.New(slog.NewTextHandler(&logs, nil)))
	return &fixture{r: r, calls: &calls, rotation: &rotation, reg: reg, cacheCfg: cfg, logs: &logs}
}

func TestConcurrentFirstRequestsResolveOnce(t *testing.T) {
	r, calls := setup(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 1000)
	got := make(chan *auth.TenantIssuer, 1000)
	for range 1000 {
		wg.Go(func() {
			<-start
			ti, err := r.Issuer(t.Context(), "https://id.globex.example/")
			if err != nil {
				errs <- err
			}
			got <- ti
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(got)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 2, calls.Load(), "each of the tenant's two secrets is resolved once")
	issuers := map[*auth.TenantIssuer]bool{}
	for ti := range got {
		issuers[ti] = true
	}
	require.Len(t, issuers, 1, "every request gets the same TenantIssuer")
}

// A cached configuration that opens but does not decode (written by
// another version, say) is dropped and resolved again, never served.
func TestUndecodableCachedConfigIsResolvedAgain(t *testing.T) {
	for _, via := range []string{"Resolve", "Issuer", "Secret"} {
		t.Run(via, func(t *testing.T) {
			f := newFixture(t)
			globex, ok := f.reg.Lookup("globex")
			require.True(t, ok)
			// Another replica, sharing Redis and the master key, caches
			// something else under the key of globex's configuration.
			other, err := cache.New(t.Context(), f.cacheCfg)
			require.NoError(t, err)
			t.Cleanup(func() { other.Close() })
			_, err = other.Get(t.Context(), "globex", "config:"+globex.ConfigHash, func(context.Context) ([]byte, error) {
				return []byte("not JSON"), nil
			})
			require.NoError(t, err)

			switch via {
			case "Resolve":
				res, err := f.r.Resolve(t.Context(), "globex")
				require.NoError(t, err)
				require.Equal(t, "erp-secret-of-at-least-32-bytes-long!", string(res.Secrets["erp"]))
			case "Secret":
				v, err := tenantcfg.Secret(t.Context(), f.r, nil, "globex", "erp", "count:erp")
				require.NoError(t, err)
				require.Equal(t, "erp-secret-of-at-least-32-bytes-long!", v)
			default:
				ti, err := f.r.Issuer(t.Context(), "https://id.globex.example/")
				require.NoError(t, err)
				require.Equal(t, "globex", ti.TenantID())
			}
			require.EqualValues(t, 2, f.calls.Load(), "the secrets are resolved from their source")
			require.Contains(t, f.logs.String(), "does not decode")

			third, err := cache.New(t.Context(), f.cacheCfg) // nothing in process
			require.NoError(t, err)
			t.Cleanup(func() { third.Close() })
			got, err := third.Get(t.Context(), "globex", "config:"+globex.ConfigHash, func(context.Context) ([]byte, error) {
				return nil, errors.New("not loaded again")
			})
			require.NoError(t, err)
			require.True(t, json.Valid(got), "Redis holds the configuration resolved again: %q", got)
		})
	}
}

func TestResolve(t *testing.T) {
	r, calls := setup(t)
	res, err := r.Resolve(t.Context(), "globex")
	require.NoError(t, err)
	require.Equal(t, "signing-secret-of-at-least-32-bytes-long!", string(res.Secrets["signingKey"]))
	require.Equal(t, "erp-secret-of-at-least-32-bytes-long!", string(res.Secrets["erp"]))

	a, err := r.Issuer(t.Context(), "https://id.globex.example/")
	require.NoError(t, err)
	b, err := r.Issuer(t.Context(), "https://id.globex.example/")
	require.NoError(t, err)
	require.Same(t, a, b, "the issuer stays the same while its configuration does")
	require.EqualValues(t, 2, calls.Load())

	_, err = r.Issuer(t.Context(), "https://unknown.example/")
	require.ErrorIs(t, err, auth.ErrIssuerNotFound)
	_, err = r.Resolve(t.Context(), "initech")
	require.ErrorIs(t, err, tenantcfg.ErrUnknownTenant)

	require.NoError(t, r.Refresh(t.Context(), "globex"))
	c, err := r.Issuer(t.Context(), "https://id.globex.example/")
	require.NoError(t, err)
	require.EqualValues(t, 4, calls.Load(), "a refresh resolves the secrets again")
	require.Equal(t, a.Issuer(), c.Issuer())
}

// Secret serves a tenant's secrets from its resolved configuration,
// decoded once and then shared, and a secret rotated at its source from
// the refresh on.
func TestSecret(t *testing.T) {
	f := newFixture(t)
	secret := func(name string) (string, error) {
		return tenantcfg.Secret(t.Context(), f.r, nil, "globex", name, "count:"+name)
	}
	for range 3 {
		v, err := secret("erp")
		require.NoError(t, err)
		require.Equal(t, "erp-secret-of-at-least-32-bytes-long!", v)
	}
	require.EqualValues(t, 2, f.calls.Load(), "the secrets are resolved once")
	_, err := secret("missing")
	require.ErrorContains(t, err, `tenant "globex" has no secret "missing"`)

	f.rotation.Store(1)
	v, err := secret("erp")
	require.NoError(t, err)
	require.Equal(t, "erp-secret-of-at-least-32-bytes-long!", v, "served from the cache until a refresh")
	require.NoError(t, f.r.Refresh(t.Context(), "globex"))
	v, err = secret("erp")
	require.NoError(t, err)
	require.Equal(t, "erp-secret-of-at-least-32-bytes-long!-rotated-1", v, "the rotated secret from the refresh on")
	res, err := f.r.Resolve(t.Context(), "globex")
	require.NoError(t, err)
	require.Equal(t, "signing-secret-of-at-least-32-bytes-long!-rotated-1", string(res.Secrets["signingKey"]))
}
