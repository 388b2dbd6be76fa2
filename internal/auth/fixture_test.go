package auth_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// The issuers of the tenants of the fixture.
const (
	acmeIss    = "https://acme.example.com/"    // tenant acme: HS256, keys().otherSecret, audience "tenantgraph"
	globexIss  = "https://globex.example.com/"  // tenant globex: RS256, keys().rsaPEM, any audience
	initechIss = "https://initech.example.com/" // tenant initech: ES256 keys at a JWKS URL
)

// fakeClock is a clock that moves only when the test moves it. It starts at
// the real time, so that tokens made with claims are valid.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwksServer serves a JWKS that the test can change, and counts the
// requests for it.
type jwksServer struct {
	srv     *httptest.Server
	fetches atomic.Int64
	body    atomic.Pointer[[]byte]
}

// newJWKSServer starts a JWKS server over TLS, or plain HTTP if plain,
// serving keys.
func newJWKSServer(t testing.TB, plain bool, keys ...jwk.Key) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.serve(t, keys...)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(*s.body.Load())
	})
	if plain {
		s.srv = httptest.NewServer(h)
	} else {
		s.srv = httptest.NewTLSServer(h)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) URL() string { return s.srv.URL + "/.well-known/jwks.json" }

// Client returns a client that trusts the server's certificate.
func (s *jwksServer) Client() *http.Client { return s.srv.Client() }

// serve makes s serve a set of keys from now on.
func (s *jwksServer) serve(t testing.TB, keys ...jwk.Key) {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		require.NoError(t, set.AddKey(k))
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	s.body.Store(&b)
}

// serveBody makes s serve body from now on.
func (s *jwksServer) serveBody(body []byte) { s.body.Store(&body) }

// publicJWK returns the JWK of the public key of priv with the key ID kid,
// and the other fields kv as name-value pairs. The alg field is set to
// alg unless kv sets it.
func publicJWK(t testing.TB, priv any, kid string, alg jwa.KeyAlgorithm, kv ...any) jwk.Key {
	t.Helper()
	k, err := jwk.PublicKeyOf(priv)
	require.NoError(t, err)
	require.NoError(t, k.Set(jwk.KeyIDKey, kid))
	if alg != nil {
		require.NoError(t, k.Set(jwk.AlgorithmKey, alg))
	}
	for i := 0; i < len(kv); i += 2 {
		require.NoError(t, k.Set(kv[i].(string), kv[i+1]))
	}
	return k
}

// fixture is three tenants with their own issuers, over a JWKS server and
// a fake clock, and a global Config with the secret keys().secret.
type fixture struct {
	clock                 *fakeClock
	jwks                  *jwksServer
	issuers               *auth.IssuerMap
	acme, globex, initech *auth.TenantIssuer
	global                auth.Config
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	k := keys()
	f := &fixture{
		clock:  newFakeClock(),
		jwks:   newJWKSServer(t, false, publicJWK(t, k.ec, "initech-1", jwa.ES256())),
		global: auth.Config{Secret: k.secret},
	}
	f.acme = mustIssuer(t, auth.IssuerConfig{TenantID: "acme", Issuer: acmeIss, Audiences: []string{"tenantgraph"}, Algorithm: auth.HS256, Secret: k.otherSecret})
	f.globex = mustIssuer(t, auth.IssuerConfig{TenantID: "globex", Issuer: globexIss, Algorithm: auth.RS256, PublicKeyPEM: k.rsaPEM})
	f.initech = mustIssuer(t, auth.IssuerConfig{TenantID: "initech", Issuer: initechIss, Algorithm: auth.ES256, JWKSURL: f.jwks.URL()})
	var err error
	f.issuers, err = auth.NewIssuerMap(f.acme, f.globex, f.initech)
	require.NoError(t, err)
	return f
}

func mustIssuer(t testing.TB, cfg auth.IssuerConfig) *auth.TenantIssuer {
	t.Helper()
	ti, err := auth.NewTenantIssuer(cfg)
	require.NoError(t, err)
	return ti
}

// verifier returns a Verifier of f's global Config and tenants, with opts
// where they are set: f's issuers, clock and JWKS client otherwise.
func (f *fixture) verifier(t testing.TB, opts auth.VerifierOptions) *auth.Verifier {
	t.Helper()
	if opts.Issuers == nil {
		opts.Issuers = f.issuers
	}
	if opts.Now == nil {
		opts.Now = f.clock.Now
	}
	if opts.JWKS.HTTPClient == nil {
		opts.JWKS.HTTPClient = f.jwks.Client()
	}
	v, err := auth.NewVerifierWithOptions(f.global, opts)
	require.NoError(t, err)
	return v
}

// Tokens of the fixture's tenants, changed by the claims kv.
func acmeToken(t testing.TB, kv ...any) string {
	return sign(t, jwa.HS256(), keys().otherSecret, claims(append([]any{"iss", acmeIss, "aud", "tenantgraph"}, kv...)...))
}

func globexToken(t testing.TB, kv ...any) string {
	return sign(t, jwa.RS256(), keys().rsa, claims(append([]any{"iss", globexIss, "tenant_id", "globex"}, kv...)...))
}

func initechToken(t testing.TB, kid string, key *ecdsa.PrivateKey, kv ...any) string {
	c := claims(append([]any{"iss", initechIss, "tenant_id", "initech"}, kv...)...)
	if kid == "" {
		return sign(t, jwa.ES256(), key, c)
	}
	return sign(t, jwa.ES256(), key, c, "kid", kid)
}

// globalToken is a token of the global Config, changed by the claims kv.
func globalToken(t testing.TB, kv ...any) string {
	return sign(t, jwa.HS256(), keys().secret, claims(kv...))
}

// reason returns the message of err, or "" if err is nil: equal reasons mean
// the same refusal.
func reason(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
