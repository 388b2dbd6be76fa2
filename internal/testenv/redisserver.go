package testenv

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a redis-server of a test's own, which the test may kill,
// freeze and restart to see how the gateway copes with faults.
type RedisServer struct {
	t    testing.TB
	port int
	dir  string
	conf string   // a configuration file to start with, or ""
	args []string // beyond those of every server
	cmd  *exec.Cmd
}

// StartRedisServer starts a redis-server without persistence on a free
// port of the loopback interface; t.Cleanup ends it. It skips t when
// redis-server is not installed, or fails it under
// TENANTGRAPH_REQUIRE_SERVICES=1.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	return startRedisServer(t, freePort(t))
}

// startRedisServer is StartRedisServer on port, with more arguments.
func startRedisServer(t testing.TB, port int, args ...string) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "redis-server", "not installed", "fault tests need a Redis of their own to kill and stop; install it with apt-get install redis-server")
	}
	s := &RedisServer{t: t, port: port, dir: t.TempDir(), args: args}
	s.Start()
	t.Cleanup(func() {
		if s.cmd != nil {
			s.cmd.Process.Signal(syscall.SIGCONT)
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	return s
}

// freePort returns a TCP port of the loopback interface that is free now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (s *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns the server's redis:// URL.
func (s *RedisServer) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.port) + "/0" }

// Start runs redis-server (again, after Kill) and waits until it answers.
func (s *RedisServer) Start() {
	s.t.Helper()
	var args []string
	if s.conf != "" {
		args = append(args, s.conf) // the file comes first
	}
	args = append(append(args, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--logfile", ""), s.args...)
	cmd := exec.Command("redis-server", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.port), MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d does not answer: %v\n%s", s.port, err, out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// Kill ends the server with SIGKILL; its data is lost.
func (s *RedisServer) Kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	s.cmd.Wait()
	s.cmd = nil
}

// Stop freezes the server with SIGSTOP: connections stay open, nothing
// answers.
func (s *RedisServer) Stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatal(err)
	}
}

// Cont resumes a stopped server.
func (s *RedisServer) Cont() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatal(err)
	}
}
