package store_test

import (
	"log/slog"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/store/storetest"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// The tests of this file run the store through PgBouncer in transaction
// mode, as many replicas of the gateway do in production: each
// transaction of a client goes to whichever of the pooler's few server
// connections is free.

// startPgBouncer makes a database for t and starts a PgBouncer in front of
// its server; it returns the PgBouncer and the database's direct URL.
func startPgBouncer(t *testing.T) (*testenv.PgBouncer, string) {
	t.Helper()
	direct := databaseURL(t)
	return testenv.StartPgBouncer(t, direct), direct
}

// openPooled opens a store on the database at direct through pb, with a
// pool larger than PgBouncer's, so that the store's connections share
// server connections; migrations run on direct.
func openPooled(t *testing.T, pb *testenv.PgBouncer, direct string) *store.Postgres {
	t.Helper()
	u, err := url.Parse(pb.URL(direct))
	require.NoError(t, err)
	q := u.Query()
	q.Set("pool_max_conns", "6")
	u.RawQuery = q.Encode()
	s, err := store.OpenPostgresWithOptions(t.Context(), u.String(), store.PostgresOptions{Logger: testLogger(t), MigrationURL: direct})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestPgBouncer(t *testing.T) {
	pb, _ := startPgBouncer(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPooled(t, pb, databaseURL(t))
	})
}

// TestPgBouncerStoresShareServerConnections runs two stores, as two
// replicas do, on one database through one PgBouncer, writing and reading
// goods of several tenants at once: statements of both go through the
// same few server connections, and none may fail or see another
// tenant's goods.
func TestPgBouncerStoresShareServerConnections(t *testing.T) {
	t.Parallel()
	pb, direct := startPgBouncer(t)
	stores := []*store.Postgres{openPooled(t, pb, direct), openPooled(t, pb, direct)}
	tenants := []string{"acme", "globex", "initech", "umbrella"}
	const perWorker = 25
	var wg sync.WaitGroup
	for i, tenant := range tenants {
		for _, s := range stores {
			wg.Go(func() {
				for n := range perWorker {
					g, err := s.Create(t.Context(), tenant, store.NewGoods{Name: tenant, Price: float64(i*100 + n)})
					if !assertNoError(t, err, "create") {
						return
					}
					got, err := s.Get(t.Context(), tenant, g.ID)
					if !assertNoError(t, err, "get") || got.Name != tenant {
						t.Errorf("tenant %s read %+v", tenant, got)
						return
					}
					page, err := s.List(t.Context(), tenant, store.ListParams{First: 100})
					if !assertNoError(t, err, "list") {
						return
					}
					for _, e := range page.Edges {
						if e.Node.Name != tenant {
							t.Errorf("tenant %s listed goods of %s", tenant, e.Node.Name)
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	for _, tenant := range tenants {
		for _, s := range stores {
			n, err := s.Count(t.Context(), tenant, store.Filter{})
			require.NoError(t, err)
			require.Equal(t, perWorker*len(stores), n, tenant)
		}
	}
}

// assertNoError reports err as an error of t, from a goroutine other than
// the test's.
func assertNoError(t *testing.T, err error, what string) bool {
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	return true
}

func TestPgBouncerRowLevelSecurity(t *testing.T) {
	t.Parallel()
	pb, direct := startPgBouncer(t)
	testRowLevelSecurity(t, direct, openPooled(t, pb, direct))
}

func TestPgBouncerRunsAsAppRole(t *testing.T) {
	t.Parallel()
	pb, direct := startPgBouncer(t)
	testRunsAsAppRole(t, direct, openPooled(t, pb, direct))
}

// TestPgBouncerDeadline checks that a request's deadline and cancellation
// reach a statement through PgBouncer: its cancel request goes to the
// pooler, which passes it on to the server connection running the
// statement.
func TestPgBouncerDeadline(t *testing.T) {
	pb, direct := startPgBouncer(t)
	testDeadline(t, direct, openPooled(t, pb, direct))
}

// TestPgBouncerExecMode checks the exec mode the store chooses: pgx's
// default, with named prepared statements, on a direct connection; one
// without named statements through a pooler; and the URL's own
// default_query_exec_mode wherever it is given.
func TestPgBouncerExecMode(t *testing.T) {
	t.Parallel()
	pb, direct := startPgBouncer(t)
	for _, c := range []struct {
		name, url, want string
	}{
		{"Direct", direct, `"pooler":false,"exec_mode":"cache statement"`},
		{"PgBouncer", pb.URL(direct), `"pooler":true,"exec_mode":"cache describe"`},
		// PgBouncer 1.21 and newer keep named statements apart with
		// max_prepared_statements: then the URL may ask for them.
		{"PgBouncerExplicit", pb.URL(direct) + "&default_query_exec_mode=cache_statement", `"pooler":true,"exec_mode":"cache statement"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs testenv.Buffer
			s, err := store.OpenPostgresWithOptions(t.Context(), c.url, store.PostgresOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), MigrationURL: direct})
			require.NoError(t, err)
			defer s.Close()
			require.Equal(t, 1, logs.Count(c.want), "%s", logs.String())
		})
	}
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			s, err := store.OpenPostgresWithOptions(t.Context(), pb.URL(direct)+"&default_query_exec_mode="+mode,
				store.PostgresOptions{Logger: testLogger(t), MigrationURL: direct})
			if s != nil {
				s.Close()
			}
			require.ErrorContains(t, err, "is not supported: use cache_describe")
		})
	}
}

// TestPgBouncerNeedsMigrationURL checks that the store does not run its
// migrations through a pooler: their session-level lock would not hold.
func TestPgBouncerNeedsMigrationURL(t *testing.T) {
	t.Parallel()
	pb, direct := startPgBouncer(t)
	s, err := store.OpenPostgres(t.Context(), pb.URL(direct), testLogger(t))
	if s != nil {
		s.Close()
	}
	require.ErrorIs(t, err, store.ErrMigrationURLRequired)
}
