package testenv_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

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
