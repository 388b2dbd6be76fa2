package testenv_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

func TestPostgresURL(t *testing.T) {
	var url1, url2, name string
	t.Run("use", func(t *testing.T) {
		url1, url2 = testenv.PostgresURL(t), testenv.PostgresURL(t)
		require.NotEqual(t, url1, url2)
		conn, err := pgx.Connect(t.Context(), url1)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name))
		require.True(t, strings.HasPrefix(name, "tenantgraph_test_"), name)
		require.Contains(t, url1, name)
		var tables int
		require.NoError(t, conn.QueryRow(t.Context(),
			"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables))
		require.Zero(t, tables, "the database is empty")
		_, err = conn.Exec(t.Context(), "CREATE TABLE t (x int)")
		require.NoError(t, err)
		// Left open on purpose: the drop must close it.
		_, err = pgx.Connect(t.Context(), url2)
		require.NoError(t, err)
	})

	// After the subtest, its databases are gone.
	base := testenv.PostgresURL(t)
	conn, err := pgx.Connect(t.Context(), base)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(t.Context(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	require.Zero(t, n, "database %s is dropped", name)
}

func TestRedisURL(t *testing.T) {
	url, outer := testenv.RedisURL(t)
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opt)
	defer client.Close()
	ctx := t.Context()
	require.NoError(t, client.Set(ctx, outer+"kept", "1", 0).Err())

	var inner string
	t.Run("use", func(t *testing.T) {
		_, inner = testenv.RedisURL(t)
		require.True(t, strings.HasPrefix(inner, "tgtest:") && strings.HasSuffix(inner, ":"), inner)
		require.NotEqual(t, outer, inner)
		for _, k := range []string{"a", "b", "c:d"} {
			require.NoError(t, client.Set(ctx, inner+k, "v", 0).Err())
		}
	})

	keys, err := client.Keys(ctx, inner+"*").Result()
	require.NoError(t, err)
	require.Empty(t, keys, "the subtest's keys are deleted")
	require.Equal(t, int64(1), client.Exists(ctx, outer+"kept").Val(), "other keys are kept")
}

// fakeT records how a helper ended t. Skip and Fatal end the goroutine, as
// testing.T's do.
type fakeT struct {
	testing.TB
	skipped, failed string
}

func (t *fakeT) Helper()                   {}
func (t *fakeT) Cleanup(func())            {}
func (t *fakeT) Skip(args ...any)          { t.skipped = strings.TrimSpace(sprint(args)); runtime.Goexit() }
func (t *fakeT) Fatal(args ...any)         { t.failed = strings.TrimSpace(sprint(args)); runtime.Goexit() }
func (t *fakeT) Fatalf(f string, a ...any) { t.Fatal(f) }

func sprint(args []any) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.(string))
	}
	return b.String()
}

// run calls f with a fakeT in a goroutine of its own and returns the fakeT.
func run(f func(testing.TB)) *fakeT {
	ft := &fakeT{}
	var wg sync.WaitGroup
	wg.Go(func() { f(ft) })
	wg.Wait()
	return ft
}

func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		name, env, value, hint string
		helper                 func(testing.TB)
	}{
		{"PostgresUnset", "TEST_DATABASE_URL", "", "apt-get install postgresql", func(t testing.TB) { testenv.PostgresURL(t) }},
		{"PostgresUnreachable", "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", "apt-get install postgresql", func(t testing.TB) { testenv.PostgresURL(t) }},
		{"RedisUnset", "TEST_REDIS_URL", "", "apt-get install redis-server", func(t testing.TB) { testenv.RedisURL(t) }},
		{"RedisUnreachable", "TEST_REDIS_URL", "redis://127.0.0.1:1/0", "apt-get install redis-server", func(t testing.TB) { testenv.RedisURL(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.env, c.value)

			t.Setenv("TENANTGRAPH_REQUIRE_SERVICES", "")
			ft := run(c.helper)
			require.Empty(t, ft.failed)
			require.Contains(t, ft.skipped, c.env+"=")
			require.Contains(t, ft.skipped, c.hint)

			t.Setenv("TENANTGRAPH_REQUIRE_SERVICES", "1")
			ft = run(c.helper)
			require.Empty(t, ft.skipped)
			require.Contains(t, ft.failed, c.hint)
			require.Contains(t, ft.failed, "TENANTGRAPH_REQUIRE_SERVICES=1")
		})
	}
}

func TestRedisClient(t *testing.T) {
	url, prefix := testenv.RedisURL(t)
	client := testenv.RedisClient(t, url)
	require.NoError(t, client.Set(t.Context(), prefix+"k", "v", 0).Err())
	require.Equal(t, "v", client.Get(t.Context(), prefix+"k").Val())
}

func TestEventually(t *testing.T) {
	t.Run("holds", func(t *testing.T) {
		calls := 0
		testenv.Eventually(t, 10*time.Second, func() bool { calls++; return calls == 3 }, "the third call")
		require.Equal(t, 3, calls)
	})
	t.Run("never", func(t *testing.T) {
		ft := run(func(t testing.TB) {
			testenv.Eventually(t, 20*time.Millisecond, func() bool { return false }, "%s", "never")
		})
		require.Equal(t, "not within %v: %s", ft.failed, "fakeT records the format")
	})
}

func TestBufferCount(t *testing.T) {
	var b testenv.Buffer
	for _, line := range []string{`{"msg":"a: one"}`, `{"msg":"a: two"}`, `{"msg":"b: a: three"}`} {
		_, err := b.Write([]byte(line + "\n"))
		require.NoError(t, err)
	}
	b.Write([]byte(`{"msg":"a: unterminated"}`))
	for _, c := range []struct {
		name, substr string
		want         int
	}{
		{"message prefix", `"msg":"a: `, 3},
		{"other prefix", `"msg":"b: `, 1},
		{"anywhere, and the last line unterminated", `a: `, 4},
		{"none", `"msg":"c`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, b.Count(c.substr))
		})
	}
}
