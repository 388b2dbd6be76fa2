package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/stretchr/testify/require"
)

// testKeys are the keys the tests sign with. Each pair of keys of a kind
// differs, so that a token signed with the other key must not verify.
type testKeys struct {
	secret, otherSecret []byte
	rsa, otherRSA       *rsa.PrivateKey
	ec, otherEC         *ecdsa.PrivateKey
	rsaPEM, ecPEM       []byte // public keys, PKIX
}

var keys = sync.OnceValue(func() testKeys {
	k := testKeys{
		secret:      randomBytes(32),
		otherSecret: randomBytes(32),
		rsa:         must(rsa.GenerateKey(rand.Reader, 2048)),
		otherRSA:    must(rsa.GenerateKey(rand.Reader, 2048)),
		ec:          must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		otherEC:     must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
	}
	k.rsaPEM = publicPEM(&k.rsa.PublicKey)
	k.ecPEM = publicPEM(&k.ec.PublicKey)
	return k
})

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func publicPEM(pub any) []byte {
	der := must(x509.MarshalPKIXPublicKey(pub))
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// deleted, as a value given to claims, removes the claim.
var deleted = new(struct{})

// claims returns the claims of a valid token for tenant "acme", changed by
// the name-value pairs kv.
func claims(kv ...any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"sub":       "user-1",
		"iat":       now.Add(-time.Minute),
		"exp":       now.Add(time.Hour),
		"tenant_id": "acme",
		"roles":     []string{"admin", "viewer"},
	}
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		if kv[i+1] == deleted {
			delete(c, name)
		} else {
			c[name] = kv[i+1]
		}
	}
	return c
}

func newToken(t testing.TB, c map[string]any) jwt.Token {
	t.Helper()
	tok := jwt.New()
	for _, name := range slices.Sorted(maps.Keys(c)) {
		require.NoError(t, tok.Set(name, c[name]), "set claim %q", name)
	}
	return tok
}

// sign returns c signed with alg and key, with the protected headers hdr.
func sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, c map[string]any, hdr ...string) string {
	t.Helper()
	h := jws.NewHeaders()
	for i := 0; i < len(hdr); i += 2 {
		require.NoError(t, h.Set(hdr[i], hdr[i+1]))
	}
	b, err := jwt.Sign(newToken(t, c), jwt.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	require.NoError(t, err)
	return string(b)
}

// signPayload returns the JWS of payload, which need not be a valid claims
// set, signed with alg and key.
func signPayload(t testing.TB, alg jwa.SignatureAlgorithm, key any, payload string) string {
	t.Helper()
	b, err := jws.Sign([]byte(payload), jws.WithKey(alg, key))
	require.NoError(t, err)
	return string(b)
}

// unsigned returns c as an unsigned token with the header {"alg":"none"}.
func unsigned(t testing.TB, c map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(newToken(t, c))
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + "."
}

// segments splits a compact token into its header, payload and signature.
func segments(t testing.TB, token string) (header, payload, signature string) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	return parts[0], parts[1], parts[2]
}
