package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asGateway, set in a test binary's environment, makes it run as the
// gateway (tenantgraph serve) instead of running tests: tests that need a
// gateway in a process of its own (its own memory, its own scheduler, a
// second replica) start the test binary again with it.
const asGateway = "TENANTGRAPH_TEST_AS_GATEWAY"

func TestMain(m *testing.M) {
	if os.Getenv(asGateway) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "tenantgraph:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// gatewayCommand is the gateway in a process of its own.
type gatewayCommand struct {
	cmd *exec.Cmd
	url string
}

// startProcess runs the gateway with env in a process of its own, on a
// free port, and waits until it answers /healthz. It is stopped with
// SIGTERM when the test ends. The gateway's errors are logged in the
// test's output.
func startProcess(t *testing.T, env map[string]string) *gatewayCommand {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), asGateway+"=1", "TENANTGRAPH_ADDR="+addr, "TENANTGRAPH_LOG_FORMAT=json")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayCommand{cmd: cmd, url: "http://" + addr + "/"}
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line struct{ Level string }
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Level == "ERROR" {
				t.Logf("gateway: %s", sc.Bytes())
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("the gateway did not stop on SIGTERM")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(g.url + "healthz")
		if err == nil {
			resp.Body.Close()
			return g
		}
		select {
		case err := <-exited:
			t.Fatalf("the gateway exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not start listening")
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

// rss returns the resident set size of the gateway's process, in bytes.
func (g *gatewayCommand) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(g.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
