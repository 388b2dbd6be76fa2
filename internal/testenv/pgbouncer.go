package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgbouncerHint says what to install for the tests through PgBouncer.
const pgbouncerHint = "tests through a connection pooler start a PgBouncer of their own; install it with apt-get install pgbouncer"

// PgBouncerPoolSize is the number of server connections the PgBouncer of
// StartPgBouncer keeps per database and user: a handful, so that the
// transactions of many clients share each of them, as they do in
// production.
const PgBouncerPoolSize = 3

// PgBouncer is a PgBouncer of a test's own, in transaction pooling mode,
// in front of the PostgreSQL server of TEST_DATABASE_URL.
type PgBouncer struct {
	addr string // host:port
}

// StartPgBouncer starts a PgBouncer in transaction pooling mode on a free
// port of the loopback interface, in front of the PostgreSQL server of
// serverURL (a postgres:// URL of any of its databases, such as
// PostgresURL's). It serves every database of that server to serverURL's
// user, without a password (auth_type trust), with PgBouncerPoolSize
// server connections per database; t.Cleanup stops it.
//
// It skips t when pgbouncer is not installed, or fails it under
// TENANTGRAPH_REQUIRE_SERVICES=1. Run as root (as in CI), PgBouncer, which
// refuses to run as root, switches to the user nobody.
func StartPgBouncer(t testing.TB, serverURL string) *PgBouncer {
	t.Helper()
	databaseURL := serverURL
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		unavailable(t, "pgbouncer", "not installed", pgbouncerHint)
	}
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testenv: StartPgBouncer needs a postgres:// URL, not %q", databaseURL)
	}
	server, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		t.Fatalf("testenv: parse %q: %v", databaseURL, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	// PgBouncer, switched to nobody, must be able to read its files.
	dir, err := os.MkdirTemp("", "pgbouncer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.txt")
	ini := filepath.Join(dir, "pgbouncer.ini")
	write := func(path, content string) {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(users, fmt.Sprintf("%q \"\"\n", server.User))
	write(ini, fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
logfile =
pidfile =
`, server.Host, server.Port, port, users, PgBouncerPoolSize))

	args := []string{ini}
	if os.Geteuid() == 0 {
		args = []string{"-u", "nobody", ini}
	}
	var out Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: pgbouncer's log:\n%s", out.String())
		}
		// It has nothing to keep: no need for a graceful shutdown.
		cmd.Process.Kill()
		<-exited
	})

	p := &PgBouncer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	pooled := p.URL(databaseURL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ping(pooled)
		if err == nil {
			return p
		}
		select {
		case <-exited:
			t.Fatalf("testenv: pgbouncer exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: pgbouncer on port %d does not answer: %v\n%s", port, err, out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

// URL returns databaseURL, a postgres:// URL of a database on the server
// behind p (such as PostgresURL's), with p's host and port: the same
// database and user, through the pooler.
func (p *PgBouncer) URL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		panic(fmt.Sprintf("testenv: PgBouncer.URL: %v", err))
	}
	u.Host = p.addr
	return u.String()
}

// ping connects to url and runs a statement.
func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT 1")
	return err
}
