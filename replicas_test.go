package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// signHS256 makes a token of tenantID from issuer iss, signed with key.
func signHS256(t *testing.T, key []byte, iss, tenantID string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(iss).Subject("user-1").Expiration(time.Now().Add(time.Hour)).
		Claim("tenant_id", tenantID).Build()
	require.NoError(t, err)
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), key))
	require.NoError(t, err)
	return string(signed)
}

// status returns the HTTP status of a small query with token.
func status(t *testing.T, base, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"graphql", strings.NewReader(`{"query":"{ goodsList { totalCount } }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSecretRotationReachesEveryReplica runs two gateways on one tenants
// directory and one Redis. A tenant's signing secret is rotated at its
// source (a file: secret rewritten) and a refresh is sent to the first
// gateway; the second must then accept tokens signed with the new key and
// refuse those signed with the old one. Afterwards no secret may be found
// in Redis in plaintext, and every key there must expire.
func TestSecretRotationReachesEveryReplica(t *testing.T) {
	redisURL, prefix := testenv.RedisURL(t)
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "globex-signing-key")
	oldKey := []byte("OLD-SECRET-MARKER-0123456789abcdef-0123")
	newKey := []byte("NEW-SECRET-MARKER-0123456789abcdef-0123")
	require.NoError(t, os.WriteFile(secretFile, oldKey, 0o600))
	const iss = "https://id.globex.example/"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "globex"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "globex", "tenant.yaml"), []byte(`name: Globex
secrets:
  signingKey: file:`+secretFile+`
  erpPassword: env:GLOBEX_ERP_PASSWORD
auth:
  issuer: `+iss+`
  algorithm: HS256
  key: secret:signingKey
`), 0o644))

	masterKey := base64.StdEncoding.EncodeToString([]byte("master-key-of-exactly-32-bytes!!"))
	env := func() map[string]string {
		return map[string]string{
			"TENANTGRAPH_TENANTS_DIR":  dir,
			"REDIS_URL":                redisURL,
			"TENANTGRAPH_REDIS_PREFIX": prefix,
			"TENANTGRAPH_MASTER_KEY":   masterKey,
			"JWT_SECRET":               "global-secret-of-at-least-32-bytes!!",
			"TENANTGRAPH_ADMIN_TOKEN":  "operator-token-0123456789",
			"GLOBEX_ERP_PASSWORD":      "ERP-PASSWORD-MARKER",
		}
	}
	first, second := start(t, env()), start(t, env())

	oldToken := signHS256(t, oldKey, iss, "globex")
	newToken := signHS256(t, newKey, iss, "globex")
	for _, g := range []*gatewayProcess{first, second} {
		require.Equal(t, http.StatusOK, status(t, g.url, oldToken))
		require.Equal(t, http.StatusUnauthorized, status(t, g.url, newToken))
	}
	require.Equal(t, http.StatusUnauthorized, status(t, first.url, signHS256(t, oldKey, iss, "initech")),
		"a token of globex's issuer may not claim another tenant")

	require.NoError(t, os.WriteFile(secretFile, newKey, 0o600))
	refreshEnv := env()
	refreshEnv["TENANTGRAPH_ADDR"] = strings.TrimPrefix(strings.TrimSuffix(first.url, "/"), "http://")
	require.NoError(t, run(t.Context(), []string{"refresh", "--tenant", "globex", "--url", first.url}, func(k string) string { return refreshEnv[k] }, new(strings.Builder), new(strings.Builder)))

	rotated := time.Now()
	for {
		if status(t, second.url, newToken) == http.StatusOK && status(t, second.url, oldToken) == http.StatusUnauthorized {
			break
		}
		require.Less(t, time.Since(rotated), 2*time.Second, "the second gateway still uses the old key")
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the second gateway switched keys %v after the refresh", time.Since(rotated))
	require.Equal(t, http.StatusOK, status(t, first.url, newToken))
	require.Equal(t, http.StatusUnauthorized, status(t, first.url, oldToken))

	opts, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	var keys int
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		keys++
		ttl, err := rdb.PTTL(ctx, key).Result()
		require.NoError(t, err)
		require.Greater(t, ttl, time.Duration(0), "key %s has no TTL", key)
		var value string
		switch typ := rdb.Type(ctx, key).Val(); typ {
		case "string":
			value = rdb.Get(ctx, key).Val()
		default:
			value = strings.Join(rdb.SMembers(ctx, key).Val(), " ")
		}
		for _, marker := range []string{"OLD-SECRET-MARKER", "NEW-SECRET-MARKER", "ERP-PASSWORD-MARKER"} {
			require.NotContains(t, key+value, marker, "key %s", key)
		}
	}
	require.NoError(t, iter.Err())
	require.NotZero(t, keys, "the gateways cached nothing in Redis")
}
