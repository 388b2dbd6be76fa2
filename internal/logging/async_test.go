package logging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a destination that keeps what is written to it.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes++
	if r.err != nil {
		return 0, r.err
	}
	return r.buf.Write(p)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func TestAsyncWriterKeepsOrder(t *testing.T) {
	dest := &recorder{}
	a := NewAsyncWriter(dest)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(a, "%d %d\n", w, i)
			}
		})
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(dest.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines written, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var w, i int
		if _, err := fmt.Sscanf(line, "%d %d", &w, &i); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: line %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
	if dest.writes >= writers*lines {
		t.Errorf("%d writes for %d lines: none were batched", dest.writes, writers*lines)
	}
}

func TestAsyncWriterCopies(t *testing.T) {
	dest := &recorder{}
	a := newAsyncWriter(dest, false) // no goroutine: everything stays queued
	p := []byte("first\n")
	a.Write(p)
	copy(p, "XXXXX\n")
	if got := dest.String(); got != "" {
		t.Fatalf("written before Flush: %q", got)
	}
	a.Flush()
	if got := dest.String(); got != "first\n" {
		t.Fatalf("got %q, want the bytes as they were when written", got)
	}
}

func TestAsyncWriterWritesWhenFull(t *testing.T) {
	dest := &recorder{}
	a := newAsyncWriter(dest, false)
	line := bytes.Repeat([]byte("x"), 1000)
	line[len(line)-1] = '\n'
	n := 0
	for dest.String() == "" {
		if n*len(line) > 2*maxQueued {
			t.Fatalf("%d bytes queued and none written", n*len(line))
		}
		a.Write(line)
		n++
	}
	if n*len(line) < maxQueued {
		t.Errorf("written after %d bytes, before %d were queued", n*len(line), maxQueued)
	}
}

func TestAsyncWriterFlushesErrors(t *testing.T) {
	dest := &recorder{}
	a := newAsyncWriter(dest, false)
	logger := New(a, FormatJSON, slog.LevelInfo).With("tenant", "acme")
	logger.Info("request")
	logger.Warn("refused")
	if got := dest.String(); got != "" {
		t.Fatalf("Info and Warn lines were written at once: %q", got)
	}
	logger.Error("giving up")
	got := dest.String()
	for _, msg := range []string{"request", "refused", "giving up"} {
		if !strings.Contains(got, `"msg":"`+msg+`"`) {
			t.Fatalf("after Error returned, the destination holds %q; want every line", got)
		}
	}
	if strings.Index(got, "refused") > strings.Index(got, "giving up") {
		t.Fatalf("lines out of order: %q", got)
	}
	logger.WithGroup("g").Error("failed")
	if !strings.Contains(dest.String(), `"msg":"failed"`) {
		t.Fatalf("an Error line through WithGroup was not written at once: %q", dest.String())
	}
}

func TestAsyncWriterWritesOnItsOwn(t *testing.T) {
	dest := &recorder{}
	a := NewAsyncWriter(dest)
	defer a.Close()
	start := time.Now()
	io.WriteString(a, "line\n")
	for dest.String() == "" {
		if time.Since(start) > 5*time.Second {
			t.Fatal("a queued line was not written without Flush or Close")
		}
		time.Sleep(time.Millisecond)
	}
	if took := time.Since(start); took < linger {
		t.Errorf("written after %v, before the linger (%v) was over", took, linger)
	}
}

func TestAsyncWriterClose(t *testing.T) {
	dest := &recorder{}
	a := NewAsyncWriter(dest)
	io.WriteString(a, "queued\n")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.exit:
	case <-time.After(5 * time.Second):
		t.Fatal("the goroutine did not stop")
	}
	if got := dest.String(); got != "queued\n" {
		t.Fatalf("after Close: %q", got)
	}
	io.WriteString(a, "after\n")
	if got := dest.String(); got != "queued\nafter\n" {
		t.Fatalf("a write after Close was not written at once: %q", got)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestAsyncWriterError(t *testing.T) {
	broken := errors.New("disk full")
	a := newAsyncWriter(&recorder{err: broken}, false)
	if _, err := io.WriteString(a, "line\n"); err != nil {
		t.Fatalf("Write: %v (errors are the destination's, reported by Flush)", err)
	}
	if err := a.Flush(); !errors.Is(err, broken) {
		t.Fatalf("Flush: %v, want %v", err, broken)
	}
}

// BenchmarkAsyncWriter logs an access log line from many goroutines, as
// requests do, to /dev/null through a file (a system call a line) and
// through an AsyncWriter:
//
//	go test -run '^$' -bench AsyncWriter -count 6 ./internal/logging > a.txt && benchstat -col /w a.txt
func BenchmarkAsyncWriter(b *testing.B) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	run := func(b *testing.B, w io.Writer) {
		logger := New(w, FormatJSON, slog.LevelInfo)
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				logger.LogAttrs(b.Context(), slog.LevelInfo, "request",
					slog.String("request_id", "d4c1f0a9e2b74c3f8a61"),
					slog.String("method", "POST"),
					slog.String("path", "/graphql"),
					slog.Int("status", 200),
					slog.Int("bytes", 212),
					slog.Duration("duration", 83*time.Microsecond),
					slog.String("tenant", "acme"),
					slog.String("operation", "GoodsByID"))
			}
		})
	}
	b.Run("w=file", func(b *testing.B) { run(b, f) })
	b.Run("w=async", func(b *testing.B) {
		a := NewAsyncWriter(f)
		defer a.Close()
		run(b, a)
	})
}
