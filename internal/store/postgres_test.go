package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/store/storetest"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// databaseURL returns the URL of a new database for t.
func databaseURL(t testing.TB) string {
	return testenv.PostgresURL(t)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// openPostgres opens a store on the database at rawURL, with a small pool:
// tests run in parallel, each with its own database.
func openPostgres(t testing.TB, rawURL string) *store.Postgres {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	s, err := store.OpenPostgres(t.Context(), u.String(), testLogger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// connect opens a plain connection, as the role of TEST_DATABASE_URL (a
// superuser in development and CI).
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPostgres(t, databaseURL(t))
	})
}

// TestPostgresRowLevelSecurity checks the policy itself, below the store:
// as tenantgraph_app, a session sees and writes only the rows of the
// tenant in app.tenant_id, and none without it.
func TestPostgresRowLevelSecurity(t *testing.T) {
	t.Parallel()
	url := databaseURL(t)
	testRowLevelSecurity(t, url, openPostgres(t, url))
}

// testRowLevelSecurity is TestPostgresRowLevelSecurity with the store s
// on the database at url (directly or through a pooler): url is a direct
// connection as the superuser.
func testRowLevelSecurity(t *testing.T, url string, s *store.Postgres) {
	ctx := t.Context()
	for tenant, n := range map[string]int{"acme": 2, "globex": 3} {
		for range n {
			_, err := s.Create(ctx, tenant, store.NewGoods{Name: tenant, Price: 1})
			require.NoError(t, err)
		}
	}

	conn := connect(t, url)
	count := func() int {
		t.Helper()
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM goods").Scan(&n))
		return n
	}
	require.Equal(t, 5, count(), "the test's role is a superuser and sees every row")

	_, err := conn.Exec(ctx, "SET ROLE tenantgraph_app")
	require.NoError(t, err)
	require.Equal(t, 0, count(), "without app.tenant_id, no rows")

	_, err = conn.Exec(ctx, "SELECT set_config('app.tenant_id', 'acme', false)")
	require.NoError(t, err)
	require.Equal(t, 2, count(), "with app.tenant_id, that tenant's rows")
	var tenants []string
	rows, err := conn.Query(ctx, "SELECT DISTINCT tenant_id FROM goods")
	require.NoError(t, err)
	tenants, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"acme"}, tenants)

	requireRLSViolation := func(sql string) {
		t.Helper()
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), "%s: %v", sql, err)
		require.Equal(t, "42501", pgErr.Code, "%s: %v", sql, err) // insufficient_privilege
	}
	requireRLSViolation("INSERT INTO goods (tenant_id, id, name, price) VALUES ('globex', gen_random_uuid(), 'x', 1)")
	requireRLSViolation("UPDATE goods SET tenant_id = 'globex'")

	tag, err := conn.Exec(ctx, "UPDATE goods SET name = 'mine' WHERE tenant_id = 'globex'")
	require.NoError(t, err)
	require.Zero(t, tag.RowsAffected(), "another tenant's rows cannot be updated")
	tag, err = conn.Exec(ctx, "DELETE FROM goods")
	require.NoError(t, err)
	require.EqualValues(t, 2, tag.RowsAffected(), "only the tenant's own rows are deleted")

	_, err = conn.Exec(ctx, "RESET ROLE")
	require.NoError(t, err)
	require.Equal(t, 3, count())
}

// TestPostgresRunsAsAppRole checks that the store's statements run as
// tenantgraph_app (a superuser would not need the INSERT privilege), and so
// under the policy, which admits the insert only if app.tenant_id was set
// in the same transaction.
func TestPostgresRunsAsAppRole(t *testing.T) {
	t.Parallel()
	url := databaseURL(t)
	testRunsAsAppRole(t, url, openPostgres(t, url))
}

// testRunsAsAppRole is TestPostgresRunsAsAppRole with the store s on the
// database at url (directly or through a pooler): url is a direct
// connection as the superuser.
func testRunsAsAppRole(t *testing.T, url string, s *store.Postgres) {
	conn := connect(t, url)
	ctx := t.Context()

	_, err := conn.Exec(ctx, "REVOKE INSERT ON goods FROM tenantgraph_app")
	require.NoError(t, err)
	_, err = s.Create(ctx, "acme", store.NewGoods{Name: "Widget", Price: 1})
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "%v", err)
	require.Equal(t, "42501", pgErr.Code, "%v", err) // insufficient_privilege

	_, err = conn.Exec(ctx, "GRANT INSERT ON goods TO tenantgraph_app")
	require.NoError(t, err)
	_, err = s.Create(ctx, "acme", store.NewGoods{Name: "Widget", Price: 1})
	require.NoError(t, err)
}

// TestOpenPostgresRefusesBypassableSecurity checks that the store does not
// start where the row-level security policy would not apply to requests.
func TestOpenPostgresRefusesBypassableSecurity(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, alter, problem string
	}{
		{"NoForce", "ALTER TABLE goods NO FORCE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY"},
		{"Disabled", "ALTER TABLE goods DISABLE ROW LEVEL SECURITY", "ENABLE ROW LEVEL SECURITY"},
		{"AppRoleOwnsTable", "ALTER TABLE goods OWNER TO tenantgraph_app", "owns table goods"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			url := databaseURL(t)
			openPostgres(t, url).Close()
			_, err := connect(t, url).Exec(t.Context(), c.alter)
			require.NoError(t, err)

			s, err := store.OpenPostgres(t.Context(), url, testLogger(t))
			if s != nil {
				s.Close()
			}
			require.ErrorIs(t, err, store.ErrRowSecurityBypassed)
			require.ErrorContains(t, err, c.problem)
		})
	}
}

// TestOpenPostgresConcurrently starts several stores on a new database at
// once, as replicas do: the migration lock lets one migrate and the others
// wait.
func TestOpenPostgresConcurrently(t *testing.T) {
	t.Parallel()
	url := databaseURL(t)
	const replicas = 4
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			s, err := store.OpenPostgres(t.Context(), url, testLogger(t))
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	var applied int
	err := connect(t, url).QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied)
	require.NoError(t, err)
	require.Equal(t, 1, applied, "each migration is applied once")
}

// TestOpenPostgresAsOwnerRole checks the production setup: the gateway
// connects as a role that owns the database but is no superuser, and
// requests still run as tenantgraph_app.
func TestOpenPostgresAsOwnerRole(t *testing.T) {
	t.Parallel()
	// Roles are cluster-wide: this one is dropped after the database (t's
	// cleanups run last-registered first).
	role := "tenantgraph_test_owner_" + strings.ToLower(rand.Text()[:16])
	ident := pgx.Identifier{role}.Sanitize()
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, os.Getenv("TEST_DATABASE_URL"))
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP ROLE IF EXISTS "+ident); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	admin := databaseURL(t)
	conn := connect(t, admin)
	ctx := t.Context()
	_, err := conn.Exec(ctx, "CREATE ROLE "+ident+" LOGIN PASSWORD 'test' NOSUPERUSER CREATEROLE")
	require.NoError(t, err)
	var database string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&database))
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{database}.Sanitize()+" OWNER TO "+ident)
	require.NoError(t, err)

	u, err := url.Parse(admin)
	require.NoError(t, err)
	u.User = url.UserPassword(role, "test")
	s := openPostgres(t, u.String())

	g, err := s.Create(ctx, "acme", store.NewGoods{Name: "Widget", Price: 1})
	require.NoError(t, err)
	got, err := s.Get(ctx, "acme", g.ID)
	require.NoError(t, err)
	require.Equal(t, g, got)
	_, err = s.Get(ctx, "globex", g.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	var owner string
	require.NoError(t, conn.QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE tablename = 'goods'").Scan(&owner))
	require.Equal(t, role, owner)
}

// TestPostgresExtBadData checks that conditions on extension fields never
// raise an error, whatever ext holds: values that no store writes (a
// number beyond double precision, malformed times) are put there with SQL.
func TestPostgresExtBadData(t *testing.T) {
	t.Parallel()
	url := databaseURL(t)
	s := openPostgres(t, url)
	conn := connect(t, url)
	ctx := t.Context()
	for _, ext := range []string{
		`{"f": 1e400}`, `{"f": -1e400}`, `{"f": 1e-400}`, `{"f": 12345678901234567890123456789}`,
		`{"f": "x"}`, `{"f": "2024-13-45T99:99:99.999999Z"}`, `{"f": "2024-01-01T00:00:00.000000Z"}`,
		`{"f": {"a": 1}}`, `{"f": [1, "x"]}`, `{"f": null}`, `{"f": true}`, `{"f": ""}`, `{}`,
	} {
		_, err := conn.Exec(ctx, "INSERT INTO goods (tenant_id, id, name, price, ext) VALUES ('acme', gen_random_uuid(), 'x', 1, $1::jsonb)", ext)
		require.NoError(t, err, ext)
	}
	tm := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []store.ExtCondition{
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassString}, Gte: ""},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassNumber}, Gt: math.Inf(-1)},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassNumber, Default: 1.0}, Lt: 1e300},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassNumber}, In: []any{1.0, 0.0}},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassBool}, In: []any{true, false}},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassTime}, Gte: time.Time{}},
		{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassTime}, Eq: tm},
	} {
		_, err := s.Count(ctx, "acme", store.Filter{Ext: []store.ExtCondition{c}})
		require.NoError(t, err, "%+v", c)
	}
	count := func(c store.ExtCondition) int {
		t.Helper()
		n, err := s.Count(ctx, "acme", store.Filter{Ext: []store.ExtCondition{c}})
		require.NoError(t, err, "%+v", c)
		return n
	}
	require.Equal(t, 4, count(store.ExtCondition{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassNumber}, Gt: math.Inf(-1)}), "four numbers")
	require.Equal(t, 4, count(store.ExtCondition{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassString}, Gte: ""}), "four strings")
	require.Equal(t, 2, count(store.ExtCondition{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassTime}, Gte: time.Time{}}),
		"two strings of the fixed-width form, one of them no date")
	require.Equal(t, 1, count(store.ExtCondition{ExtKey: store.ExtKey{Name: "f", Class: extension.ClassTime}, Eq: tm}))
}

// TestPostgresDeadline runs a statement that waits on a lock held by
// another session, under a deadline and under a cancellation: Postgres
// must drop the statement within 100 ms of the deadline, not leave it
// waiting on the server, the call must return the context's error, and
// the store must serve afterwards.
func TestPostgresDeadline(t *testing.T) {
	url := databaseURL(t)
	testDeadline(t, url, openPostgres(t, url))
}

// testDeadline is TestPostgresDeadline with the store s on the database at
// url (directly or through a pooler): url is a direct connection as the
// superuser.
func testDeadline(t *testing.T, url string, s *store.Postgres) {
	g, err := s.Create(t.Context(), "t1", store.NewGoods{Name: "Teapot", Price: 1})
	require.NoError(t, err)
	// The first Get on a connection prepares (or describes) its statement:
	// do it now, so that the timed ones only run it.
	_, err = s.Get(t.Context(), "t1", g.ID)
	require.NoError(t, err)

	locker := connect(t, url)
	tx, err := locker.Begin(t.Context())
	require.NoError(t, err)
	defer tx.Rollback(context.Background())
	_, err = tx.Exec(t.Context(), "LOCK TABLE goods IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)

	observer := connect(t, url)
	waiting := func() int {
		var n int
		require.NoError(t, observer.QueryRow(t.Context(),
			`SELECT count(*) FROM pg_stat_activity
			 WHERE datname = current_database() AND application_name = 'tenantgraph'
			   AND state = 'active' AND wait_event_type = 'Lock'`).Scan(&n))
		return n
	}

	const after = 300 * time.Millisecond
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), after)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(after, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			began := time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := s.Get(ctx, "t1", g.ID)
				done <- err
			}()
			for waiting() == 0 {
				require.Less(t, time.Since(began), after, "the statement never waited on the lock")
				time.Sleep(5 * time.Millisecond) // polling interval
			}
			for waiting() > 0 {
				require.Less(t, time.Since(began), after+100*time.Millisecond, "the statement still waits on the server")
				time.Sleep(5 * time.Millisecond) // polling interval
			}
			gone := time.Since(began)
			err := <-done
			took := time.Since(began)
			require.ErrorIs(t, err, tt.want)
			require.Less(t, took, after+time.Second, "the call returned within the deadline, plus pgx's fallback")
			t.Logf("%s at %v: statement gone from the server by %v, the call returned after %v",
				tt.name, after, gone.Round(time.Millisecond), took.Round(time.Millisecond))
		})
	}
	// The store (and the pooler, if any: PgBouncer 1.18 could crash on a
	// cancel request) still serves once the lock is gone.
	require.NoError(t, tx.Rollback(t.Context()))
	_, err = s.Get(t.Context(), "t1", g.ID)
	require.NoError(t, err)
}
