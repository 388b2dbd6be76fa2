package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// flood verifies n tokens of initech with random kids at once, and checks
// that each is refused for its unknown key.
func flood(t *testing.T, v *auth.Verifier, n int) {
	t.Helper()
	k := keys()
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = initechToken(t, fmt.Sprintf("kid-%x", randomBytes(8)), k.ec)
	}
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, token := range tokens {
		wg.Go(func() {
			<-start
			_, err := v.Verify(token)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, auth.ErrTokenKeyUnknown)
	}
}

// A flood of tokens with made-up kids costs at most one JWKS fetch per
// refresh interval.
func TestJWKSUnknownKidFlood(t *testing.T) {
	const n = 1000
	k := keys()

	t.Run("interval by interval", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100})
		_, err := v.Verify(initechToken(t, "initech-1", k.ec))
		require.NoError(t, err)
		require.EqualValues(t, 1, f.jwks.fetches.Load())

		flood(t, v, n) // within the interval of the first fetch
		require.EqualValues(t, 1, f.jwks.fetches.Load())
		for i := range 3 {
			f.clock.Advance(10 * time.Second) // the default RefreshInterval
			flood(t, v, n)
			require.EqualValues(t, 2+i, f.jwks.fetches.Load(), "one refresh in interval %d", i+1)
		}
		f.clock.Advance(9 * time.Second)
		flood(t, v, n)
		require.EqualValues(t, 4, f.jwks.fetches.Load())

		_, err = v.Verify(initechToken(t, "initech-1", k.ec))
		require.NoError(t, err, "the flood did not break the tenant")
	})

	t.Run("before the first fetch, real clock", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(t, auth.VerifierOptions{Now: time.Now})
		flood(t, v, n) // all wait for one fetch, then none refreshes
		require.EqualValues(t, 1, f.jwks.fetches.Load())
	})

	t.Run("configured interval", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(t, auth.VerifierOptions{JWKS: auth.JWKSOptions{RefreshInterval: time.Minute}})
		flood(t, v, n)
		f.clock.Advance(59 * time.Second)
		flood(t, v, n)
		require.EqualValues(t, 1, f.jwks.fetches.Load())
		f.clock.Advance(time.Second)
		flood(t, v, n)
		require.EqualValues(t, 2, f.jwks.fetches.Load())
	})
}

// A key that the identity provider adds is picked up by the refresh an
// unknown kid makes; a key it removes stops verifying, cached tokens
// included.
func TestJWKSRotation(t *testing.T) {
	k := keys()
	f := newFixture(t)
	v := f.verifier(t, auth.VerifierOptions{TokenCacheSize: 100})
	old := initechToken(t, "initech-1", k.ec)
	_, err := v.Verify(old)
	require.NoError(t, err)
	_, err = v.Verify(old)
	require.NoError(t, err)
	require.EqualValues(t, 1, v.TokenCacheStats().Hits)

	// The identity provider replaces initech-1 by initech-2.
	f.jwks.serve(t, publicJWK(t, k.otherEC, "initech-2", jwa.ES256()))
	next := initechToken(t, "initech-2", k.otherEC)
	_, err = v.Verify(next)
	require.ErrorIs(t, err, auth.ErrTokenKeyUnknown, "within the refresh interval of the last fetch")
	require.EqualValues(t, 1, f.jwks.fetches.Load())

	f.clock.Advance(10 * time.Second)
	c, err := v.Verify(next)
	require.NoError(t, err, "the unknown kid refreshed the set")
	require.Equal(t, "initech", c.TenantID)
	require.EqualValues(t, 2, f.jwks.fetches.Load())

	_, err = v.Verify(old)
	require.ErrorIs(t, err, auth.ErrTokenKeyUnknown, "the cached token of the removed key was purged")

	// Both keys for a while, as identity providers do when they rotate.
	f.jwks.serve(t, publicJWK(t, k.ec, "initech-1", jwa.ES256()), publicJWK(t, k.otherEC, "initech-2", jwa.ES256()))
	f.clock.Advance(10 * time.Second)
	_, err = v.Verify(old)
	require.NoError(t, err)
	_, err = v.Verify(next)
	require.NoError(t, err)
	require.EqualValues(t, 3, f.jwks.fetches.Load())

	// A set older than MaxAge is fetched again while it stays in use.
	f.jwks.serve(t, publicJWK(t, k.otherEC, "initech-2", jwa.ES256()))
	f.clock.Advance(15 * time.Minute)
	_, err = v.Verify(next) // starts a fetch in the background
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := v.Verify(old)
		return f.jwks.fetches.Load() == 4 && err != nil
	}, 5*time.Second, time.Millisecond, "initech-1 dropped after the refresh")
	_, err = v.Verify(old)
	require.ErrorIs(t, err, auth.ErrTokenKeyUnknown)
}

// countingTransport counts the requests it is asked to make.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// A JWKS server that is down or hangs costs a request at most the fetch
// timeout, or the request's own deadline, and then nothing until the
// refresh interval is over.
func TestJWKSUnavailable(t *testing.T) {
	k := keys()
	token := initechToken(t, "initech-1", k.ec)

	// hanging returns the URL of a JWKS server that answers no request
	// until the test ends.
	hanging := func(t *testing.T) (string, *http.Client) {
		release := make(chan struct{})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // before srv.Close
		return srv.URL, srv.Client()
	}
	// down returns the URL of a server that is gone.
	down := func(t *testing.T) (string, *http.Client) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		srv.Close()
		return srv.URL, srv.Client()
	}
	// failing returns the URL of a server that answers with an error.
	failing := func(t *testing.T) (string, *http.Client) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		return srv.URL, srv.Client()
	}
	// huge returns the URL of a server that sends a body beyond the cap.
	huge := func(t *testing.T) (string, *http.Client) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"keys":[],"pad":"%s"}`, strings.Repeat("x", 300<<10))
		}))
		t.Cleanup(srv.Close)
		return srv.URL, srv.Client()
	}
	// notJWKS returns the URL of a server that sends something else.
	notJWKS := func(t *testing.T) (string, *http.Client) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html>login</html>`)
		}))
		t.Cleanup(srv.Close)
		return srv.URL, srv.Client()
	}

	// panicking returns a URL whose fetch panics, as a bug meeting a
	// hostile set might.
	panicking := func(t *testing.T) (string, *http.Client) {
		return "https://jwks.invalid", &http.Client{Transport: panicTransport{}}
	}

	tests := []struct {
		name         string
		server       func(t *testing.T) (string, *http.Client)
		fetchTimeout time.Duration
		ctxTimeout   time.Duration // of the request, if set
	}{
		{name: "server down", server: down},
		{name: "server hangs past the fetch timeout", server: hanging, fetchTimeout: 100 * time.Millisecond},
		{name: "server hangs past the request deadline", server: hanging, fetchTimeout: time.Minute, ctxTimeout: 100 * time.Millisecond},
		{name: "server fails", server: failing},
		{name: "body too large", server: huge},
		{name: "not a JWKS", server: notJWKS},
		{name: "the fetch panics", server: panicking},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, client := tc.server(t)
			transport := &countingTransport{base: client.Transport}
			client.Transport = transport
			ti := mustIssuer(t, auth.IssuerConfig{TenantID: "initech", Issuer: initechIss, Algorithm: auth.ES256, JWKSURL: u + "/jwks.json"})
			issuers, err := auth.NewIssuerMap(ti)
			require.NoError(t, err)
			f := newFixture(t)
			v := f.verifier(t, auth.VerifierOptions{
				Issuers: issuers,
				JWKS:    auth.JWKSOptions{HTTPClient: client, FetchTimeout: tc.fetchTimeout},
			})
			h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("next handler called")
			}))

			for i := range 3 {
				ctx := t.Context()
				if tc.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
					defer cancel()
				}
				r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", nil)
				r.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, r)
				require.Less(t, time.Since(start), 5*time.Second, "request %d", i)
				require.Equal(t, http.StatusUnauthorized, w.Code)
				require.JSONEq(t, `{"errors":[{"message":"token signing key unavailable","extensions":{"code":"UNAUTHENTICATED"}}]}`, w.Body.String())
				require.NotContains(t, w.Body.String(), u)
			}
			require.EqualValues(t, 1, transport.n.Load(), "one fetch per refresh interval")

			// Another tenant's tokens, and the global ones, are not held up.
			_, err = v.Verify(globalToken(t))
			require.NoError(t, err)
		})
	}
}

// Only https JWKS URLs are fetched, unless the Verifier allows http.
func TestJWKSPlainHTTP(t *testing.T) {
	k := keys()
	srv := newJWKSServer(t, true, publicJWK(t, k.ec, "initech-1", jwa.ES256()))
	ti := mustIssuer(t, auth.IssuerConfig{TenantID: "initech", Issuer: initechIss, Algorithm: auth.ES256, JWKSURL: srv.URL()})
	issuers, err := auth.NewIssuerMap(ti)
	require.NoError(t, err)
	token := initechToken(t, "initech-1", k.ec)

	v, err := auth.NewVerifierWithOptions(auth.Config{Secret: k.secret}, auth.VerifierOptions{Issuers: issuers})
	require.NoError(t, err)
	_, err = v.Verify(token)
	require.ErrorIs(t, err, auth.ErrTokenKeyUnavailable)
	require.Zero(t, srv.fetches.Load())

	v, err = auth.NewVerifierWithOptions(auth.Config{Secret: k.secret}, auth.VerifierOptions{Issuers: issuers, JWKS: auth.JWKSOptions{AllowHTTP: true}})
	require.NoError(t, err)
	c, err := v.Verify(token)
	require.NoError(t, err)
	require.Equal(t, "initech", c.TenantID)
	require.EqualValues(t, 1, srv.fetches.Load())
}

// The keys of a JWKS that are used, and those skipped.
func TestJWKSKeySelection(t *testing.T) {
	k := keys()
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	rsa1024 := must(rsa.GenerateKey(rand.Reader, 1024))
	ec3 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	ec4 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	ec5 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))

	f := newFixture(t)
	var entries []any
	for _, key := range []jwk.Key{
		publicJWK(t, k.ec, "ec", jwa.ES256()),
		publicJWK(t, k.otherEC, "ec-no-alg", nil),
		publicJWK(t, ec3, "ec-enc", nil, jwk.KeyUsageKey, "enc"),
		publicJWK(t, ec4, "ec-es384", jwa.ES384()),
		publicJWK(t, ec5, "ec-ops", nil, jwk.KeyOpsKey, jwk.KeyOperationList{jwk.KeyOpEncrypt}),
		publicJWK(t, p384, "p384", nil),
		publicJWK(t, k.rsa, "rsa", jwa.RS256()),
		publicJWK(t, k.otherRSA, "rsa-ps256", jwa.PS256()),
		must(jwk.Import(k.secret)), // a symmetric key, no kid
	} {
		entries = append(entries, key)
	}
	entries = append(entries,
		// Keys jwx does not import.
		map[string]string{"kty": "RSA", "kid": "rsa-1024", "n": base64.RawURLEncoding.EncodeToString(rsa1024.N.Bytes()), "e": "AQAB"},
		map[string]string{"kty": "ML-DSA", "kid": "pq", "pub": "AAAA"},
	)
	f.jwks.serveBody(must(json.Marshal(map[string]any{"keys": entries})))
	rsIssuer := mustIssuer(t, auth.IssuerConfig{TenantID: "initech", Issuer: "https://rs.initech.example.com/", Algorithm: auth.RS256, JWKSURL: f.jwks.URL()})
	issuers, err := auth.NewIssuerMap(f.initech, rsIssuer)
	require.NoError(t, err)
	v := f.verifier(t, auth.VerifierOptions{Issuers: issuers})

	es := func(kid string, key *ecdsa.PrivateKey) string { return initechToken(t, kid, key) }
	rs := func(kid string, key *rsa.PrivateKey) string {
		c := claims("iss", "https://rs.initech.example.com/", "tenant_id", "initech")
		if kid == "" {
			return sign(t, jwa.RS256(), key, c)
		}
		return sign(t, jwa.RS256(), key, c, "kid", kid)
	}
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{name: "ES256 key", token: es("ec", k.ec)},
		{name: "EC key without alg", token: es("ec-no-alg", k.otherEC)},
		{name: "RSA key for RS256", token: rs("rsa", k.rsa)},
		{name: "RSA key without kid, the only one for RS256", token: rs("", k.rsa)},
		{name: "EC key without kid, several for ES256", token: es("", k.ec), wantErr: auth.ErrTokenKeyUnknown},
		{name: "EC key for encryption", token: es("ec-enc", ec3), wantErr: auth.ErrTokenKeyUnknown},
		{name: "EC key for ES384", token: es("ec-es384", ec4), wantErr: auth.ErrTokenKeyUnknown},
		{name: "EC key for encryption only (key_ops)", token: es("ec-ops", ec5), wantErr: auth.ErrTokenKeyUnknown},
		{name: "P-384 key", token: es("p384", k.ec), wantErr: auth.ErrTokenKeyUnknown},
		{name: "RSA key for PS256", token: rs("rsa-ps256", k.otherRSA), wantErr: auth.ErrTokenKeyUnknown},
		{name: "RSA key of 1024 bits", token: rs("rsa-1024", rsa1024), wantErr: auth.ErrTokenKeyUnknown},
		{name: "RSA kid for an ES256 token", token: es("rsa", k.ec), wantErr: auth.ErrTokenKeyUnknown},
		{name: "EC kid for an RS256 token", token: rs("ec", k.rsa), wantErr: auth.ErrTokenKeyUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(tc.token)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "initech", c.TenantID)
		})
	}
	require.EqualValues(t, 1, f.jwks.fetches.Load())
}

// panicTransport panics on every request.
type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("boom in the JWKS fetch")
}
