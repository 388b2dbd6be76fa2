package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/extension"
)

// appRole is the role that requests run as. It is subject to row-level
// security: not a superuser, without BYPASSRLS, and not the owner of goods.
const appRole = "tenantgraph_app"

// ErrRowSecurityBypassed is returned by OpenPostgres when Postgres would
// not apply the row-level security policy of goods to requests, for
// example because tenantgraph_app is a superuser or the table's row-level
// security is not forced. The error says what is wrong.
var ErrRowSecurityBypassed = errors.New("store: row-level security would be bypassed")

// Postgres is a Store in a PostgreSQL database (tested with version 15).
//
// All tenants share one goods table. Tenant isolation is enforced twice:
// every statement has its own tenant_id predicate, and every statement runs
// as the role tenantgraph_app with the setting app.tenant_id set to the
// tenant, under a row-level security policy that admits that tenant's rows
// only. Each method makes one round trip (plus one to prepare a statement
// the first time a connection runs it): the statement that switches role
// and tenant and the statement proper are sent as one pgx batch, which
// Postgres runs as one implicit transaction, so the switch ends with it.
// When the store logs in as tenantgraph_app itself (see
// PostgresOptions.MigrationURL), its statements have that role from the
// start, and only the tenant is set.
//
// Postgres is safe for concurrent use.
type Postgres struct {
	pool *pgxpool.Pool
	// setTenant is the statement that starts every batch (see
	// tenantBatch): setTenantSQL, or setTenantOnlySQL when the session
	// is appRole's.
	setTenant string
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the database at connString (a URL or key/value
// string that pgxpool.ParseConfig accepts, including pool settings such as
// pool_max_conns and pgx's default_query_exec_mode), applies pending
// migrations, and checks that row-level security cannot be bypassed; it
// returns an error wrapping ErrRowSecurityBypassed if it can. A nil logger
// means slog.Default().
//
// The connecting role must be able to create the schema (owning the
// database suffices), and to SET ROLE tenantgraph_app: a superuser can; the
// first migration creates that role if it does not exist (which takes
// CREATEROLE) and makes the connecting role a member (which takes
// CREATEROLE on PostgreSQL 15, ADMIN OPTION on tenantgraph_app from 16 on).
//
// connString may lead to a connection pooler in transaction mode, such as
// PgBouncer, rather than to Postgres itself: see
// PostgresOptions.MigrationURL, and OpenPostgresWithOptions for what
// changes then.
func OpenPostgres(ctx context.Context, connString string, logger *slog.Logger) (*Postgres, error) {
	return OpenPostgresWithOptions(ctx, connString, PostgresOptions{Logger: logger})
}

// PostgresOptions configure OpenPostgresWithOptions.
type PostgresOptions struct {
	// Logger receives the store's messages. Nil: slog.Default().
	Logger *slog.Logger
	// Tracer is told of every statement and batch, to trace them (a
	// telemetry.PgxTracer); it may also implement pgx.BatchTracer. Nil:
	// none.
	Tracer pgx.QueryTracer
	// MigrationURL is a connection string of the same database that
	// leads to Postgres itself, not through a connection pooler, as a
	// role that may create and alter the table goods, for the
	// migrations: they hold a session-level advisory lock, which a
	// pooler in transaction mode does not keep. The store opens it only
	// while it migrates. Empty: the migrations run on the store's own
	// connection string, which OpenPostgresWithOptions refuses when that
	// leads to a pooler (ErrMigrationURLRequired).
	//
	// With a MigrationURL, the store's own connection string may log in
	// as tenantgraph_app itself (once an administrator has given the
	// role LOGIN): its sessions then hold no privilege beyond the
	// row-level-security-bound role's, and its statements skip the switch
	// of role, about half of the work of setting a request's tenant.
	MigrationURL string
}

// ErrMigrationURLRequired is returned by OpenPostgresWithOptions when
// PostgresOptions.MigrationURL is empty and the store's own connection
// string may not run the migrations: it reaches the database through a
// connection pooler, or logs in as tenantgraph_app. The error says which.
var ErrMigrationURLRequired = errors.New("store: migrations need a connection string of their own")

// OpenPostgresWithOptions is OpenPostgres with options.
//
// Behind a connection pooler (detected at open: the server process ID
// that the pooler reports to the client is not the one Postgres reports
// for the session), named prepared statements are not safe: a pooler in
// transaction mode, such as PgBouncer before 1.21, hands each transaction
// to whichever server connection is free, where the statement may be
// missing or another client's statement may have the same name. Unless
// connString sets default_query_exec_mode itself, the store then uses
// pgx's QueryExecModeCacheDescribe, which caches statement descriptions
// in the client and sends every statement unnamed, still in one round
// trip. Without a pooler it keeps pgx's default, cache_statement.
func OpenPostgresWithOptions(ctx context.Context, connString string, opts PostgresOptions) (*Postgres, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	cfg, err := parsePoolConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	switch mode := cfg.ConnConfig.DefaultQueryExecMode; mode {
	case pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol:
		// These infer parameter types from Go types, and the store
		// passes values (jsonb) whose type only the statement's
		// description gives.
		return nil, fmt.Errorf("store: default_query_exec_mode %q is not supported: use cache_describe (or cache_statement, describe_exec)", mode)
	}
	pooler, err := behindPooler(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("store: connect to database: %w", err)
	}
	if pooler {
		if opts.MigrationURL == "" {
			return nil, fmt.Errorf("%w: the database is reached through a connection pooler (the session's server process is not the one the connection reported)", ErrMigrationURLRequired)
		}
		explicit, err := execModeSet(connString)
		if err != nil {
			return nil, fmt.Errorf("store: parse database URL: %w", err)
		}
		if !explicit {
			cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open database pool: %w", err)
	}
	asApp, err := open(ctx, pool, opts.MigrationURL, logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	p := &Postgres{pool: pool, setTenant: setTenantSQL}
	if asApp {
		p.setTenant = setTenantOnlySQL
	}
	logger.Info("store: using PostgreSQL", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database,
		"pooler", pooler, "exec_mode", cfg.ConnConfig.DefaultQueryExecMode.String(), "login_as_app_role", asApp)
	return p, nil
}

// parsePoolConfig parses connString with the settings every connection of
// the store has.
func parsePoolConfig(connString string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "tenantgraph"
	}
	// When a request's context ends, ask Postgres to cancel its
	// statement, rather than only dropping the connection (pgx's default),
	// which leaves the statement running on the server until it next
	// writes to the client. A pooler such as PgBouncer passes the cancel
	// request on to the server connection that runs the statement.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &cancelHandler{conn: c}
	}
	cfg.PrepareConn = usable
	return cfg, nil
}

// behindPooler reports whether connections of cfg reach Postgres through a
// connection pooler. It opens one: a pooler gives the client a process ID
// (in BackendKeyData, for cancel requests) of its own making, which is not
// the server process that pg_backend_pid names.
func behindPooler(ctx context.Context, cfg *pgx.ConnConfig) (bool, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var pid uint32
	// The simple protocol prepares nothing, whatever the exec mode.
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pid); err != nil {
		return false, err
	}
	return pid != conn.PgConn().PID(), nil
}

// execModeSet reports whether connString sets pgx's
// default_query_exec_mode, which pgx.ParseConfig reads and removes.
func execModeSet(connString string) (bool, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return false, err
	}
	_, ok := cfg.RuntimeParams["default_query_exec_mode"]
	return ok, nil
}

// open checks that the database of pool answers, applies the pending
// migrations (on a pool of its own at migrationURL, if not empty) and
// checks row-level security. It reports whether pool's sessions are
// appRole's.
func open(ctx context.Context, pool *pgxpool.Pool, migrationURL string, logger *slog.Logger) (asApp bool, err error) {
	if err := pool.Ping(ctx); err != nil {
		return false, fmt.Errorf("store: connect to database: %w", err)
	}
	migrations := pool
	if migrationURL == "" {
		var session string
		if err := pool.QueryRow(ctx, "SELECT session_user", pgx.QueryExecModeSimpleProtocol).Scan(&session); err != nil {
			return false, fmt.Errorf("store: connect to database: %w", err)
		}
		if session == appRole {
			return false, fmt.Errorf("%w: the store logs in as %s, which may not change the table goods", ErrMigrationURLRequired, appRole)
		}
	} else {
		cfg, err := parsePoolConfig(migrationURL)
		if err != nil {
			return false, fmt.Errorf("store: parse migration database URL: %w", err)
		}
		if migrations, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return false, fmt.Errorf("store: open migration database pool: %w", err)
		}
		defer migrations.Close()
	}
	if err := migrate(ctx, migrations, logger); err != nil {
		return false, err
	}
	return checkRowSecurity(ctx, pool)
}

// checkRowSecurity returns an error wrapping ErrRowSecurityBypassed if
// statements run as appRole would not be subject to the policy of goods.
// It reports whether pool's sessions are appRole's.
func checkRowSecurity(ctx context.Context, pool *pgxpool.Pool) (asApp bool, err error) {
	var (
		sessionRole, role             string
		super, bypass, owner          bool
		rowSecurity, forceRowSecurity bool
	)
	b := &pgx.Batch{}
	// The role of a session before the store's switch: that of every
	// statement when the session is appRole's (setTenantOnlySQL).
	b.Queue("SELECT session_user = $1, current_user", appRole).QueryRow(func(row pgx.Row) error {
		return row.Scan(&asApp, &sessionRole)
	})
	b.Queue("SELECT set_config('role', $1, true)", appRole)
	b.Queue(`SELECT current_user, r.rolsuper, r.rolbypassrls,
			pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE'),
			c.relrowsecurity, c.relforcerowsecurity
		FROM pg_catalog.pg_class c, pg_catalog.pg_roles r
		WHERE c.oid = 'goods'::regclass AND r.rolname = current_user`,
	).QueryRow(func(row pgx.Row) error {
		return row.Scan(&role, &super, &bypass, &owner, &rowSecurity, &forceRowSecurity)
	})
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("store: check row-level security as role %s: %w", appRole, err)
	}

	var problems []string
	if role != appRole {
		problems = append(problems, fmt.Sprintf("the effective role is %s, not %s", role, appRole))
	}
	if asApp && sessionRole != appRole {
		// Its statements would run as sessionRole, which the checks
		// below do not look at.
		problems = append(problems, fmt.Sprintf("sessions of %s run as role %s (a role setting of the role or database?)", appRole, sessionRole))
	}
	if super {
		problems = append(problems, fmt.Sprintf("role %s is a superuser", role))
	}
	if bypass {
		problems = append(problems, fmt.Sprintf("role %s has BYPASSRLS", role))
	}
	if owner {
		problems = append(problems, fmt.Sprintf("role %s owns table goods or has its owner's privileges", role))
	}
	if !rowSecurity {
		problems = append(problems, "table goods does not ENABLE ROW LEVEL SECURITY")
	}
	if !forceRowSecurity {
		problems = append(problems, "table goods does not FORCE ROW LEVEL SECURITY")
	}
	if len(problems) > 0 {
		return false, fmt.Errorf("%w: %s", ErrRowSecurityBypassed, strings.Join(problems, "; "))
	}
	return asApp, nil
}

// setTenantSQL starts every batch: it makes the rest of the batch's
// implicit transaction run as appRole, for the tenant $1, with the
// statement timeout $2 (milliseconds; NULL keeps the server's). Settings
// made with set_config(..., true) end with the transaction, so they hold
// through PgBouncer in transaction mode as well.
const setTenantSQL = "SELECT set_config('app.tenant_id', $1, true), set_config('role', '" + appRole + "', true), " +
	"set_config('statement_timeout', COALESCE($2, current_setting('statement_timeout')), true)"

// setTenantOnlySQL is setTenantSQL for sessions that are appRole's.
const setTenantOnlySQL = "SELECT set_config('app.tenant_id', $1, true), " +
	"set_config('statement_timeout', COALESCE($2, current_setting('statement_timeout')), true)"

// statementTimeoutMargin is how much longer than what is left of a
// request's deadline its statements may run. When the deadline passes,
// the request's context sends Postgres a cancel request; the statement
// timeout is the backstop for a cancel request that is slow to arrive
// (Postgres forks a process to serve each), and must not fire first, or
// the request would fail as if its deadline had passed while it has not.
const statementTimeoutMargin = 25 * time.Millisecond

// tenantBatch returns a batch whose statements run as appRole for tenantID,
// each within what is left of ctx's deadline: Postgres itself cancels a
// statement that runs past it (plus statementTimeoutMargin), whatever
// becomes of the connection.
func (p *Postgres) tenantBatch(ctx context.Context, tenantID string) *pgx.Batch {
	var timeout *string
	if d, ok := ctx.Deadline(); ok {
		ms := strconv.FormatInt(max(1, (time.Until(d)+statementTimeoutMargin).Milliseconds()), 10)
		timeout = &ms
	}
	b := &pgx.Batch{}
	b.Queue(p.setTenant, tenantID, timeout)
	return b
}

// send runs batch b in one round trip and one implicit transaction, and
// returns the first error, including the errors of b's callbacks. An error
// caused by the end of ctx, or by a statement timeout that ctx's deadline
// set, wraps context.Canceled or context.DeadlineExceeded.
func (p *Postgres) send(ctx context.Context, b *pgx.Batch) error {
	return wrapContext(ctx, p.pool.SendBatch(ctx, b).Close())
}

// wrapContext returns err of a statement run under ctx, wrapping
// context.Canceled or context.DeadlineExceeded when ctx's end, or a
// statement timeout that its deadline set, caused it; nil if err is.
func wrapContext(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == queryCanceled && hasDeadline(ctx) {
		// The statement timeout fired a moment before ctx's deadline.
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// hasDeadline reports whether ctx has a deadline, which set a statement
// timeout (see tenantBatch).
func hasDeadline(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
}

// queryCanceled is the SQLSTATE of a statement cancelled by a statement
// timeout or a cancel request.
const queryCanceled = "57014"

const goodsColumns = "id, name, price, description, created_at, updated_at, ext"

// scanGoods scans a row of goodsColumns.
func scanGoods(row pgx.Row) (*model.Goods, error) {
	var g model.Goods
	if err := row.Scan(&g.ID, &g.Name, &g.Price, &g.Description, &g.CreatedAt, &g.UpdatedAt, &g.Ext); err != nil {
		return nil, err
	}
	g.CreatedAt = g.CreatedAt.UTC()
	g.UpdatedAt = g.UpdatedAt.UTC()
	if g.Ext == nil {
		g.Ext = map[string]any{}
	}
	return &g, nil
}

// queryGoods queues sql, which returns one row of goodsColumns, and stores
// the goods in *g when b is sent.
func queryGoods(b *pgx.Batch, g **model.Goods, sql string, args ...any) {
	b.Queue(sql, args...).QueryRow(func(row pgx.Row) error {
		var err error
		*g, err = scanGoods(row)
		return err
	})
}

// Get implements Store.
func (p *Postgres) Get(ctx context.Context, tenantID, id string) (*model.Goods, error) {
	id, err := checkRef(tenantID, id)
	if err != nil {
		return nil, err
	}
	var g *model.Goods
	b := p.tenantBatch(ctx, tenantID)
	queryGoods(b, &g, "SELECT "+goodsColumns+" FROM goods WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err := p.send(ctx, b); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: get goods %s: %w", id, err)
	}
	return g, nil
}

// List implements Store.
func (p *Postgres) List(ctx context.Context, tenantID string, params ListParams) (*Page, error) {
	plan, err := planList(tenantID, &params)
	if err != nil {
		return nil, err
	}
	q := &query{}
	q.add("SELECT " + goodsColumns + " FROM goods WHERE ")
	q.filter(tenantID, &params.Filter, plan.ext)
	exprs := q.sortExprs(plan.keys)
	if plan.after != nil {
		q.add(" AND ")
		q.after(plan.keys, exprs, plan.after)
	}
	q.orderBy(plan.keys, exprs)
	// One more row than asked for tells whether a next page exists.
	var limit *int64
	if params.First < math.MaxInt {
		n := int64(params.First) + 1
		limit = &n
	}
	q.add(" LIMIT " + q.arg(limit))

	var goods []*model.Goods
	b := p.tenantBatch(ctx, tenantID)
	b.Queue(q.sql.String(), q.args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			g, err := scanGoods(rows)
			if err != nil {
				return err
			}
			goods = append(goods, g)
		}
		return rows.Err()
	})
	if err := p.send(ctx, b); err != nil {
		return nil, fmt.Errorf("store: list goods: %w", err)
	}

	page := &Page{Edges: []Edge{}, HasNextPage: len(goods) > params.First}
	var enc *cursorEncoder
	if !params.NoCursors {
		if enc, err = newCursorEncoder(plan.keys); err != nil {
			return nil, err
		}
	}
	for _, g := range goods[:min(params.First, len(goods))] {
		e := Edge{Node: g}
		if enc != nil {
			if e.Cursor, err = enc.encode(positionOf(g, plan.keys)); err != nil {
				return nil, err
			}
		}
		page.Edges = append(page.Edges, e)
	}
	return page, nil
}

// Count implements Store.
func (p *Postgres) Count(ctx context.Context, tenantID string, f Filter) (int, error) {
	if err := checkTenant(tenantID); err != nil {
		return 0, err
	}
	ext, err := checkFilter(&f)
	if err != nil {
		return 0, err
	}
	q := &query{}
	q.add("SELECT count(*) FROM goods WHERE ")
	q.filter(tenantID, &f, ext)
	var n int
	b := p.tenantBatch(ctx, tenantID)
	b.Queue(q.sql.String(), q.args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&n)
	})
	if err := p.send(ctx, b); err != nil {
		return 0, fmt.Errorf("store: count goods: %w", err)
	}
	return n, nil
}

// Create implements Store.
func (p *Postgres) Create(ctx context.Context, tenantID string, in NewGoods) (*model.Goods, error) {
	id, ext, err := prepareCreate(tenantID, &in, newID)
	if err != nil {
		return nil, err
	}
	var g *model.Goods
	b := p.tenantBatch(ctx, tenantID)
	queryGoods(b, &g, `INSERT INTO goods (tenant_id, id, name, price, description, ext)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING `+goodsColumns,
		tenantID, id, in.Name, in.Price, in.Description, ext)
	if err := p.send(ctx, b); err != nil {
		return nil, fmt.Errorf("store: create goods: %w", err)
	}
	return g, nil
}

// Update implements Store. It is one UPDATE statement, so concurrent
// updates of the same goods do not lose each other's changes to distinct
// fields or extension keys.
func (p *Postgres) Update(ctx context.Context, tenantID, id string, patch GoodsPatch) (*model.Goods, error) {
	id, set, remove, err := prepareUpdate(tenantID, id, &patch)
	if err != nil {
		return nil, err
	}
	if remove == nil {
		remove = []string{} // jsonb - NULL is NULL
	}
	if patch.Check != nil {
		return p.updateChecked(ctx, tenantID, id, patch, remove, set)
	}
	var g *model.Goods
	b := p.tenantBatch(ctx, tenantID)
	queryGoods(b, &g, updateSQL, tenantID, id, patch.Name, patch.Price, patch.SetDescription, patch.Description, remove, set)
	if err := p.send(ctx, b); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: update goods %s: %w", id, err)
	}
	return g, nil
}

// updateSQL updates the goods $2 of tenant $1 with a patch (the arguments
// of Update) and returns them. The trigger goods_set_updated_at sets
// updated_at.
const updateSQL = `UPDATE goods SET
			name = COALESCE($3, name),
			price = COALESCE($4, price),
			description = CASE WHEN $5 THEN $6 ELSE description END,
			ext = (ext - $7::text[]) || $8::jsonb
		WHERE tenant_id = $1 AND id = $2
		RETURNING ` + goodsColumns

// updateChecked is Update with patch.Check: in one transaction, it locks
// the goods' row (SELECT ... FOR UPDATE), gives Check the goods as the
// update will leave them, and updates them if Check lets it. A concurrent
// checked update of the same goods waits for the lock, and so is checked
// against this one's result. Three round trips instead of one: only
// tenants with rules pay them.
func (p *Postgres) updateChecked(ctx context.Context, tenantID, id string, patch GoodsPatch, remove []string, set map[string]any) (*model.Goods, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: update goods %s: %w", id, wrapContext(ctx, err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	var cur *model.Goods
	b := p.tenantBatch(ctx, tenantID)
	queryGoods(b, &cur, "SELECT "+goodsColumns+" FROM goods WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenantID, id)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: update goods %s: %w", id, wrapContext(ctx, err))
	}
	patch.Apply(cur)
	if err := patch.Check(cur); err != nil {
		return nil, err
	}
	g, err := scanGoods(tx.QueryRow(ctx, updateSQL, tenantID, id, patch.Name, patch.Price, patch.SetDescription, patch.Description, remove, set))
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("store: update goods %s: %w", id, wrapContext(ctx, err))
	}
	return g, nil
}

// Delete implements Store.
func (p *Postgres) Delete(ctx context.Context, tenantID, id string) error {
	id, err := checkRef(tenantID, id)
	if err != nil {
		return err
	}
	b := p.tenantBatch(ctx, tenantID)
	b.Queue("DELETE FROM goods WHERE tenant_id = $1 AND id = $2", tenantID, id).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err := p.send(ctx, b); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("store: delete goods %s: %w", id, err)
	}
	return nil
}

// PoolSize returns the most connections the store opens at once
// (pool_max_conns in the connection string).
func (p *Postgres) PoolSize() int {
	return int(p.pool.Config().MaxConns)
}

// Stat returns the statistics of the store's connection pool, for
// metrics.
func (p *Postgres) Stat() *pgxpool.Stat {
	return p.pool.Stat()
}

// Ping implements Store: it checks that the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping database: %w", err)
	}
	return nil
}

// Close implements Store: it closes all connections, waiting for those in
// use to be released.
func (p *Postgres) Close() {
	p.pool.Close()
}

// query builds an SQL statement and its arguments.
type query struct {
	sql  strings.Builder
	args []any
}

func (q *query) add(s string) { q.sql.WriteString(s) }

// arg adds v to the arguments and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// filter adds the condition of f, whose conditions on extension fields
// are ext, for tenantID. Like Memory's matcher, it matches names with
// ILIKE, which lower-cases both sides.
func (q *query) filter(tenantID string, f *Filter, ext []extCond) {
	q.add("tenant_id = " + q.arg(tenantID))
	if f.NameContains != "" {
		q.add(" AND name ILIKE " + q.arg("%"+likeEscaper.Replace(f.NameContains)+"%") + ` ESCAPE '\'`)
	}
	bound := func(column, op string, v any) {
		q.add(" AND " + column + " " + op + " " + q.arg(v))
	}
	floatBounds := func(column string, r FloatRange) {
		for _, b := range []struct {
			op string
			v  *float64
		}{{">", r.Gt}, {">=", r.Gte}, {"<", r.Lt}, {"<=", r.Lte}} {
			if b.v != nil {
				bound(column, b.op, *b.v)
			}
		}
	}
	// Stored times have microsecond precision, and so have time arguments
	// (pgx drops the nanoseconds). Rounding each bound in the direction
	// that keeps the comparison exact makes a bound between two
	// microseconds work as Memory's exact comparison does.
	timeBounds := func(column string, r TimeRange) {
		for _, b := range []struct {
			op    string
			v     *time.Time
			round func(time.Time) time.Time
		}{{">", r.Gt, truncateTime}, {">=", r.Gte, ceilTime}, {"<", r.Lt, ceilTime}, {"<=", r.Lte, truncateTime}} {
			if b.v != nil {
				bound(column, b.op, b.round(*b.v))
			}
		}
	}
	floatBounds("price", f.Price)
	timeBounds("created_at", f.CreatedAt)
	for i := range ext {
		q.extFilter(&ext[i])
	}
}

// extFilter adds the condition c. Its operands are values of the key's
// class (extOperand), so they compare in SQL as they do in Go; where the
// value is NULL, every comparison is NULL, and the goods do not match.
func (q *query) extFilter(c *extCond) {
	if c.eq == nil && c.in == nil && len(c.bounds) == 0 {
		return
	}
	e := q.extExpr(&c.key)
	typ := extSQLTypes[c.key.class]
	if c.eq != nil {
		q.add(" AND " + e + " = " + q.arg(c.eq) + "::" + typ)
	}
	if c.in != nil {
		// = ANY of an empty array is false, even for NULL.
		q.add(" AND " + e + " = ANY(" + q.arg(sqlArray(c.key.class, c.in)) + "::" + typ + "[])")
	}
	for _, b := range c.bounds {
		q.add(" AND " + e + " " + b.op + " " + q.arg(b.v) + "::" + typ)
	}
}

// extSQLTypes are the SQL types of the values of each class.
var extSQLTypes = map[extension.Class]string{
	extension.ClassString: "text",
	extension.ClassNumber: "numeric",
	extension.ClassBool:   "boolean",
	extension.ClassTime:   "text",
}

// extSQL are the SQL expressions of the value of an extension field, by
// class: %[1]s is the placeholder of the field name, %[2]s a WHEN clause
// for the default, or empty. Each expression is NULL where the value is
// null (classify), and never raises an error, whatever ext holds: values
// are cast only after jsonb_typeof has checked their type. Strings and
// times compare by bytes (COLLATE "C"), as Go's strings do. Numbers are
// numeric, not double precision: casting a jsonb number to double
// precision can overflow. The numbers the stores write are float64s in
// their shortest decimal form (encoding/json writes them so, and pgx
// writes float64 operands so), and these decimals compare as the float64s
// do. Infinite operands need PostgreSQL 14 or newer (numeric infinity).
var extSQL = map[extension.Class]string{
	extension.ClassString: `(CASE WHEN jsonb_typeof(ext -> %[1]s) = 'string' THEN ext ->> %[1]s%[2]s END) COLLATE "C"`,
	extension.ClassNumber: `(CASE WHEN jsonb_typeof(ext -> %[1]s) = 'number' THEN (ext -> %[1]s)::numeric%[2]s END)`,
	extension.ClassBool:   `(CASE WHEN jsonb_typeof(ext -> %[1]s) = 'boolean' THEN (ext -> %[1]s)::boolean%[2]s END)`,
	extension.ClassTime: `(CASE WHEN jsonb_typeof(ext -> %[1]s) = 'string' AND (ext ->> %[1]s) COLLATE "C" ~ '` + extTimePattern +
		`' THEN ext ->> %[1]s%[2]s END) COLLATE "C"`,
}

// extExpr returns an SQL expression of the value of k, which is NULL where
// Memory's extKey.value is nil. The field name is a parameter, never part
// of the SQL text.
//
// Performance: the expression is computed for every goods of the tenant
// that the rest of the WHERE clause admits. DESIGN suggests indexes for
// @filterable and @sortable fields, one partial expression index per
// tenant and field, made when the loader compiles the tenant's schema:
//
//	CREATE INDEX CONCURRENTLY ... ON goods (tenant_id, (<extSQL with the
//	    name as a literal>), id) WHERE tenant_id = '<tenant>'
//
// The planner uses such an index only for a query whose expression (the
// default included) and tenant are the same constants, so this is also
// where the field name and default (and the tenant ID in filter) would
// have to become quoted literals, or the statements run with
// plan_cache_mode = force_custom_plan so that parameters are planned as
// constants.
func (q *query) extExpr(k *extKey) string {
	name := q.arg(k.name) + "::text"
	var def string
	if k.def != nil {
		def = " WHEN (ext -> " + name + ") IS NULL THEN " + q.arg(k.def) + "::" + extSQLTypes[k.class]
	}
	return fmt.Sprintf(extSQL[k.class], name, def)
}

// sqlArray returns the values of class c in vs as a slice that pgx
// encodes as an array of the class's SQL type.
func sqlArray(c extension.Class, vs []any) any {
	switch c {
	case extension.ClassNumber:
		out := make([]float64, len(vs))
		for i, v := range vs {
			out[i] = v.(float64)
		}
		return out
	case extension.ClassBool:
		out := make([]bool, len(vs))
		for i, v := range vs {
			out[i] = v.(bool)
		}
		return out
	default:
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.(string)
		}
		return out
	}
}

// likeEscaper escapes the wildcards of a LIKE pattern and its escape
// character, the backslash. A Replacer is safe for concurrent use.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// sortExprs returns the SQL expressions of keys. List uses each twice,
// in the keyset condition and in ORDER BY, with the same text.
func (q *query) sortExprs(keys []sortKey) []string {
	exprs := make([]string, len(keys))
	for i, k := range keys {
		if k.ext != nil {
			exprs[i] = q.extExpr(k.ext)
		} else {
			exprs[i] = sortFields[k.field].column
		}
	}
	return exprs
}

// after adds the condition that a row comes after p in the order of keys,
// whose expressions are exprs (then by ID, ascending): the keyset of the
// next page. Null values of extension fields come first when ascending
// and last when descending, as in orderBy.
func (q *query) after(keys []sortKey, exprs []string, p *position) {
	values := make([]string, len(keys)) // "" for null
	ascending := true
	for i, k := range keys {
		if p.values[i] != nil {
			values[i] = q.arg(p.values[i])
			if k.ext != nil {
				values[i] += "::" + extSQLTypes[k.ext.class]
			}
		}
		ascending = ascending && !k.desc && k.ext == nil
	}
	id := q.arg(p.id)

	if ascending {
		// Base fields, never null: a row comparison, which an index scan
		// can use as is.
		q.add("(" + strings.Join(exprs, ", ") + ", id) > (" + strings.Join(values, ", ") + ", " + id + ")")
		return
	}
	// Row comparisons compare all columns in one direction, so spell it out:
	//	c1 >= v1 AND (c1 > v1 OR (c1 = v1 AND (c2 < v2 OR (c2 = v2 AND id > vid))))
	// with < and <= for descending keys. The first bound is implied by the
	// rest and is there for the index; it is left out where it would not
	// be a plain comparison.
	if values[0] != "" && (keys[0].ext == nil || !keys[0].desc) {
		op := ">="
		if keys[0].desc {
			op = "<="
		}
		q.add(exprs[0] + " " + op + " " + values[0] + " AND ")
	}
	parens := 0
	for i, k := range keys {
		e, v := exprs[i], values[i]
		var after, equal string
		switch {
		case v == "" && k.desc:
			// Null is last: nothing comes after it in this key.
			equal = e + " IS NULL"
		case v == "":
			after, equal = e+" IS NOT NULL", e+" IS NULL"
		case k.desc && k.ext != nil:
			after, equal = "("+e+" < "+v+" OR "+e+" IS NULL)", e+" = "+v
		case k.desc:
			after, equal = e+" < "+v, e+" = "+v
		default:
			after, equal = e+" > "+v, e+" = "+v
		}
		if after != "" {
			q.add("(" + after + " OR ")
			parens++
		}
		q.add("(" + equal + " AND ")
		parens++
	}
	q.add("id > " + id + strings.Repeat(")", parens))
}

// orderBy adds the ORDER BY clause of keys, whose expressions are exprs,
// then by ID. Null values of extension fields are the smallest.
func (q *query) orderBy(keys []sortKey, exprs []string) {
	q.add(" ORDER BY ")
	for i, k := range keys {
		q.add(exprs[i])
		switch {
		case k.ext != nil && k.desc:
			q.add(" DESC NULLS LAST")
		case k.ext != nil:
			q.add(" NULLS FIRST")
		case k.desc:
			q.add(" DESC")
		}
		q.add(", ")
	}
	q.add("id")
}
