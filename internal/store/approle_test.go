package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/store/storetest"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// appRoleLogins counts the tests that need tenantgraph_app to log in:
// the role has LOGIN while there are any. (Tests run in parallel, and a
// pool opens connections when it needs them: one test taking LOGIN away
// at its end would fail another's next connection.)
var appRoleLogins struct {
	sync.Mutex
	n int
}

// allowAppRoleLogin gives tenantgraph_app LOGIN until t and every other
// test that asked for it have ended.
func allowAppRoleLogin(t *testing.T, admin *pgx.Conn) {
	t.Helper()
	appRoleLogins.Lock()
	defer appRoleLogins.Unlock()
	if appRoleLogins.n == 0 {
		_, err := admin.Exec(t.Context(), "ALTER ROLE tenantgraph_app LOGIN")
		require.NoError(t, err)
	}
	appRoleLogins.n++
	t.Cleanup(func() {
		appRoleLogins.Lock()
		defer appRoleLogins.Unlock()
		if appRoleLogins.n--; appRoleLogins.n == 0 {
			admin.Exec(context.Background(), "ALTER ROLE tenantgraph_app NOLOGIN")
		}
	})
}

// openAsAppRole opens a store that logs in as tenantgraph_app on the
// database at direct (a connection string of the superuser), which
// migrates it. The role may log in for the length of the test.
func openAsAppRole(t *testing.T, direct string) *store.Postgres {
	t.Helper()
	openPostgres(t, direct) // creates the role, if this is the cluster's first test
	allowAppRoleLogin(t, connect(t, direct))
	u, err := url.Parse(direct)
	require.NoError(t, err)
	u.User = url.User("tenantgraph_app")
	q := u.Query()
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	var logs testenv.Buffer
	s, err := store.OpenPostgresWithOptions(t.Context(), u.String(),
		store.PostgresOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), MigrationURL: direct})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.Equal(t, 1, logs.Count(`"login_as_app_role":true`), "%s", logs.String())
	return s
}

// TestPostgresAsAppRole runs the store logged in as tenantgraph_app, with
// its migrations on a connection of the table's owner: the conformance
// suite, row-level security, the role's privileges and deadlines hold as
// when it switches to the role in each transaction.
func TestPostgresAsAppRole(t *testing.T) {
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return openAsAppRole(t, databaseURL(t))
		})
	})
	t.Run("RowLevelSecurity", func(t *testing.T) {
		url := databaseURL(t)
		testRowLevelSecurity(t, url, openAsAppRole(t, url))
	})
	t.Run("Privileges", func(t *testing.T) {
		url := databaseURL(t)
		testRunsAsAppRole(t, url, openAsAppRole(t, url))
	})
	t.Run("Deadline", func(t *testing.T) {
		url := databaseURL(t)
		testDeadline(t, url, openAsAppRole(t, url))
	})
}

// TestPostgresAsAppRoleNeedsMigrationURL checks that a store logged in
// as tenantgraph_app, which may not alter goods, fails to migrate without
// a migration URL rather than serving an old schema.
func TestPostgresAsAppRoleNeedsMigrationURL(t *testing.T) {
	direct := databaseURL(t)
	openAsAppRole(t, direct)
	u, err := url.Parse(direct)
	require.NoError(t, err)
	u.User = url.User("tenantgraph_app")
	_, err = store.OpenPostgres(t.Context(), u.String(), testLogger(t))
	require.ErrorIs(t, err, store.ErrMigrationURLRequired)
	require.ErrorContains(t, err, "logs in as tenantgraph_app")
}

// TestPostgresAsAppRoleRefusesOtherSessionRole checks that a store logged
// in as tenantgraph_app refuses to start when its sessions run as another
// role from the start (here by a role setting of the database), since its
// statements do not switch role.
func TestPostgresAsAppRoleRefusesOtherSessionRole(t *testing.T) {
	direct := databaseURL(t)
	openAsAppRole(t, direct)
	admin := connect(t, direct)
	var db string
	require.NoError(t, admin.QueryRow(t.Context(), "SELECT current_database()").Scan(&db))
	other := "tgtest_other_" + strings.ReplaceAll(db[len(db)-8:], "-", "")
	for _, stmt := range []string{
		"CREATE ROLE " + other + " NOLOGIN",
		"GRANT " + other + " TO tenantgraph_app",
		fmt.Sprintf("ALTER ROLE tenantgraph_app IN DATABASE %q SET role = %q", db, other),
	} {
		_, err := admin.Exec(t.Context(), stmt)
		require.NoError(t, err, stmt)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin.Exec(ctx, fmt.Sprintf("ALTER ROLE tenantgraph_app IN DATABASE %q RESET role", db))
		admin.Exec(ctx, "REVOKE "+other+" FROM tenantgraph_app")
		admin.Exec(ctx, "DROP ROLE "+other)
	})

	u, err := url.Parse(direct)
	require.NoError(t, err)
	u.User = url.User("tenantgraph_app")
	s, err := store.OpenPostgresWithOptions(t.Context(), u.String(), store.PostgresOptions{Logger: testLogger(t), MigrationURL: direct})
	if s != nil {
		s.Close()
	}
	require.ErrorIs(t, err, store.ErrRowSecurityBypassed)
	require.ErrorContains(t, err, "sessions of tenantgraph_app run as role "+other)
}
