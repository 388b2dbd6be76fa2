package logging

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// linger is how long an AsyncWriter lets lines gather before it writes
// them: short enough that nobody watching a log sees it, long enough that
// its goroutine wakes at most a hundred times a second. Waking it for
// every line cost more than the lines' writes when requests wait on I/O
// and CPUs are idle.
const linger = 10 * time.Millisecond

// maxQueued is how many bytes an AsyncWriter queues before a Write waits
// for them to be written: a bound on its memory when the destination is
// slower than the logging.
const maxQueued = 1 << 20

// AsyncWriter queues what is written to it and writes it to its
// destination from a goroutine of its own, in one write for everything
// queued meanwhile.
//
// The gateway logs a line for every request. Written straight to stderr,
// each line is a system call made under the handler's lock, which the
// requests of every CPU wait for: 5.0 µs a line in parallel on a 2-CPU
// machine against 2.0 µs queued (BenchmarkAsyncWriter). The goroutine
// writes what gathered within linger of the first line, in one write.
//
// Lines still queued when the process dies are lost: a logger made by
// New on an AsyncWriter writes every record of level Error or above before
// Handle returns (with all queued before it), and the server calls Close
// before it exits. What a crash loses is the lines of its last 10 ms or
// so: an unrecovered panic, or the runtime's fatal error, writes its own
// report to stderr at once, and the process ends with up to a linger's
// lines still queued. (Warnings are not written at once: refusals under
// overload are logged at Warn, one a request, and each would again wait
// for a system call.)
type AsyncWriter struct {
	w io.Writer

	// writing serializes writes to w, in the order bytes were queued.
	writing sync.Mutex
	mu      sync.Mutex
	queued  []byte
	spare   []byte // a written buffer, for reuse
	closed  bool
	err     error // the first error of w

	wake chan struct{} // one pending signal: bytes were queued
	stop sync.Once
	done chan struct{} // closed by Close
	exit chan struct{} // closed when the goroutine returns
}

// NewAsyncWriter returns an AsyncWriter writing to w, and starts its
// goroutine; Close stops it.
func NewAsyncWriter(w io.Writer) *AsyncWriter {
	return newAsyncWriter(w, true)
}

// newAsyncWriter returns an AsyncWriter writing to w, with its goroutine
// if start is set.
func newAsyncWriter(w io.Writer, start bool) *AsyncWriter {
	a := &AsyncWriter{
		w:    w,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		exit: make(chan struct{}),
	}
	if start {
		go a.run()
	} else {
		close(a.exit)
	}
	return a
}

// Write queues a copy of p, and returns len(p) and nil; after Close, it
// writes p before it returns. When maxQueued bytes or more wait, it
// writes them before it returns.
func (a *AsyncWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.writing.Lock()
		defer a.writing.Unlock()
		return a.w.Write(p)
	}
	wasEmpty := len(a.queued) == 0
	a.queued = append(a.queued, p...)
	full := len(a.queued) >= maxQueued
	a.mu.Unlock()
	switch {
	case full:
		a.Flush()
	case wasEmpty:
		select {
		case a.wake <- struct{}{}:
		default: // a signal is pending already
		}
	}
	return len(p), nil
}

// Flush writes everything queued before it was called, and returns the
// first error the destination returned, if any.
func (a *AsyncWriter) Flush() error {
	a.writing.Lock()
	defer a.writing.Unlock()
	return a.flushLocked(false)
}

// flushLocked writes what is queued, with a.writing held, and marks a
// closed if closing is set: from then on, Write writes at once, after what
// was queued.
func (a *AsyncWriter) flushLocked(closing bool) error {
	a.mu.Lock()
	a.closed = a.closed || closing
	b := a.queued
	a.queued, a.spare = a.spare[:0], nil
	a.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = a.w.Write(b)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil && a.err == nil {
		a.err = err
	}
	if cap(b) <= 2*maxQueued {
		a.spare = b
	}
	return a.err
}

// Close stops the goroutine, writes what is queued, and returns Flush's
// error. Writes after Close go straight to the destination.
func (a *AsyncWriter) Close() error {
	a.stop.Do(func() { close(a.done) })
	<-a.exit
	a.writing.Lock()
	defer a.writing.Unlock()
	return a.flushLocked(true)
}

func (a *AsyncWriter) run() {
	defer close(a.exit)
	for {
		select {
		case <-a.wake:
			// Let lines gather, so that the goroutine wakes at most once
			// a linger however many lines are logged.
			t := time.NewTimer(linger)
			select {
			case <-t.C:
			case <-a.done:
				t.Stop()
			}
			a.Flush()
		case <-a.done:
			return
		}
	}
}

// flushingHandler is a slog.Handler that writes everything queued in its
// AsyncWriter after each record of level Error or above: those are the
// lines that tell why a process is about to stop.
type flushingHandler struct {
	slog.Handler
	w *AsyncWriter
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelError {
		h.w.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.w}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.w}
}
