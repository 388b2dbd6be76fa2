// Package testenv gives tests the services they run against: a PostgreSQL
// database and a Redis key prefix of their own, removed when the test ends.
//
// The services are found through the environment:
//
//	TEST_DATABASE_URL            PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	TEST_REDIS_URL               Redis, e.g. redis://127.0.0.1:6379/0
//	TENANTGRAPH_REQUIRE_SERVICES 1 to fail, rather than skip, tests whose service is missing (CI sets it)
//
// Tests never share a database or a key, so they may run in parallel:
//
//	func TestStore(t *testing.T) {
//		t.Parallel()
//		s, err := store.OpenPostgres(t.Context(), testenv.PostgresURL(t), nil)
//		...
//	}
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// timeout bounds each of testenv's own calls to a service.
const timeout = 30 * time.Second

const (
	postgresHint = "set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; install PostgreSQL: apt-get install postgresql"
	redisHint    = "set TEST_REDIS_URL=redis://127.0.0.1:6379/0; install Redis: apt-get install redis-server"
)

// PostgresURL returns the URL of a new, empty database on the server of
// TEST_DATABASE_URL, named tenantgraph_test_<random hex>, which is dropped
// (WITH (FORCE), closing connections left open) when t and its subtests
// have finished. The role of TEST_DATABASE_URL must be allowed to create
// databases.
//
// If TEST_DATABASE_URL is unset or the server cannot be reached, PostgresURL
// skips t, or fails it when TENANTGRAPH_REQUIRE_SERVICES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		unavailable(t, "PostgreSQL", "TEST_DATABASE_URL is not set", postgresHint)
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("testenv: parse TEST_DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		unavailable(t, "PostgreSQL", fmt.Sprintf("connect to TEST_DATABASE_URL: %v", err), postgresHint)
	}
	defer conn.Close(ctx)

	name := "tenantgraph_test_" + randomHex()
	ident := pgx.Identifier{name}.Sanitize()
	// template0 accepts no connections, so no session can make the copy
	// fail with "source database is being accessed by other users".
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

// withDatabase returns the connection string base with the database
// replaced by name. base is a URL or a key/value string.
func withDatabase(base, name string) string {
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	// In a key/value string the last of repeated keys wins.
	return strings.TrimSpace(base) + " dbname=" + name
}

// RedisURL returns TEST_REDIS_URL and a key prefix of the form
// "tgtest:<random hex>:" unique to t. When t and its subtests have
// finished, every key with that prefix is deleted. t must keep to keys
// (and pub/sub channels) that begin with keyPrefix.
//
// If TEST_REDIS_URL is unset or the server does not answer PING, RedisURL
// skips t, or fails it when TENANTGRAPH_REQUIRE_SERVICES=1.
func RedisURL(t testing.TB) (url, keyPrefix string) {
	t.Helper()
	url = os.Getenv("TEST_REDIS_URL")
	if url == "" {
		unavailable(t, "Redis", "TEST_REDIS_URL is not set", redisHint)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("testenv: parse TEST_REDIS_URL: %v", err)
	}
	// Fail fast when no server answers: one dial, no retries.
	opt.ContextTimeoutEnabled = true
	opt.DialerRetries = 1
	opt.MaxRetries = -1
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		unavailable(t, "Redis", fmt.Sprintf("ping TEST_REDIS_URL: %v", err), redisHint)
	}

	keyPrefix = "tgtest:" + randomHex() + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := deleteKeys(ctx, client, keyPrefix); err != nil {
			t.Errorf("testenv: delete Redis keys %s*: %v", keyPrefix, err)
		}
	})
	return url, keyPrefix
}

// ownKeyPrefix returns a key prefix unique to t, whose keys in the Redis
// at url are deleted when t and its subtests have finished.
func ownKeyPrefix(t testing.TB, url string) string {
	t.Helper()
	keyPrefix := "tgtest:" + randomHex() + ":"
	client := RedisClient(t, url)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := deleteKeys(ctx, client, keyPrefix); err != nil {
			t.Errorf("testenv: delete Redis keys %s*: %v", keyPrefix, err)
		}
	})
	return keyPrefix
}

// RedisClient returns a plain client of the Redis at url, such as that of
// RedisURL, of a RedisServer, of a RedisCluster or of a RedisSentinel,
// closed when t ends: a test looks behind the back of the code under test
// with it. A URL with addr parameters names a cluster (see
// RedisCluster.URL), and gets a *redis.ClusterClient; one with a
// master_name, a Sentinel's master (see RedisSentinel.URL), and gets a
// failover client.
func RedisClient(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	var client redis.UniversalClient
	if strings.Contains(url, "master_name=") {
		opt, err := redis.ParseFailoverURL(url)
		if err != nil {
			t.Fatalf("testenv: parse Redis Sentinel URL: %v", err)
		}
		client = redis.NewFailoverClient(opt)
	} else if strings.Contains(url, "?addr=") {
		opt, err := redis.ParseClusterURL(url)
		if err != nil {
			t.Fatalf("testenv: parse Redis Cluster URL: %v", err)
		}
		client = redis.NewClusterClient(opt)
	} else {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("testenv: parse Redis URL: %v", err)
		}
		client = redis.NewClient(opt)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// deleteKeys deletes the keys that begin with prefix, which must contain
// no glob pattern characters.
func deleteKeys(ctx context.Context, client redis.UniversalClient, prefix string) error {
	keys, err := Keys(ctx, client, prefix+"*")
	if err != nil {
		return err
	}
	// One key per command: a cluster refuses keys of several slots in one.
	pipe := client.Pipeline()
	for _, key := range keys {
		pipe.Unlink(ctx, key)
	}
	_, err = pipe.Exec(ctx)
	return err
}

// unavailable skips t because service cannot be used, or fails it when
// TENANTGRAPH_REQUIRE_SERVICES=1.
func unavailable(t testing.TB, service, reason, hint string) {
	t.Helper()
	msg := fmt.Sprintf("testenv: %s unavailable (%s): %s", service, reason, hint)
	if os.Getenv("TENANTGRAPH_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + " (TENANTGRAPH_REQUIRE_SERVICES=1 makes this a failure)")
	}
	t.Skip(msg)
}

// randomHex returns 16 random hexadecimal digits.
func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails; see its documentation
	return hex.EncodeToString(b)
}

// Buffer is a bytes.Buffer that many goroutines may write at once, such
// as the output of a logger under test.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Count returns how many of the lines written so far contain substr, such
// as `"msg":"cache: redis unavailable` in the output of a JSON logger.
func (b *Buffer) Count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for line := range bytes.Lines(b.buf.Bytes()) {
		if bytes.Contains(line, []byte(substr)) {
			n++
		}
	}
	return n
}
