package breaker_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/breaker"
)

// entry is a logged record, with its attributes resolved.
type entry struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

// recorder is a slog.Handler that keeps what it is given. Its methods may
// be called concurrently.
type recorder struct {
	mu      sync.Mutex
	entries []entry
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { panic("not used") }
func (r *recorder) WithGroup(string) slog.Handler            { panic("not used") }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	e := entry{level: rec.Level, msg: rec.Message, attrs: map[string]slog.Value{}}
	rec.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.Resolve()
		return true
	})
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return nil
}

// all returns what was logged so far.
func (r *recorder) all() []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]entry(nil), r.entries...)
}

// messages returns the messages logged so far.
func (r *recorder) messages() []string {
	var msgs []string
	for _, e := range r.all() {
		msgs = append(msgs, e.msg)
	}
	return msgs
}

// newBreaker returns a Breaker of cfg, named "test", logging to a recorder.
func newBreaker(cfg breaker.Config) (*breaker.Breaker, *recorder) {
	rec := &recorder{}
	cfg.Name = "test"
	cfg.Logger = slog.New(rec)
	return breaker.New(cfg), rec
}

var (
	errDown  = errors.New("connection refused")
	errLater = errors.New("i/o timeout")
)

// canceled returns a context that has ended.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestMessages checks the messages both owners' operators and tests look
// for, as each owner configures its Breaker.
func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		name                                string
		cfg                                 breaker.Config
		unavailable, stillUnavailable, back string
	}{
		{
			name: "cache",
			cfg:  breaker.Config{Name: "cache", Fallback: "serving from process memory and the source"},

			unavailable:      "cache: redis unavailable; serving from process memory and the source",
			stillUnavailable: "cache: redis still unavailable; serving from process memory and the source",
			back:             "cache: redis available again",
		},
		{
			name: "ratelimit",
			cfg: breaker.Config{Name: "ratelimit", Fallback: "limiting in process, each replica at the full rate",
				Restored: "limits are shared again"},

			unavailable:      "ratelimit: redis unavailable; limiting in process, each replica at the full rate",
			stillUnavailable: "ratelimit: redis still unavailable; limiting in process, each replica at the full rate",
			back:             "ratelimit: redis available again; limits are shared again",
		},
		{
			name:             "neither fallback nor restored",
			cfg:              breaker.Config{Name: "x"},
			unavailable:      "x: redis unavailable",
			stillUnavailable: "x: redis still unavailable",
			back:             "x: redis available again",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			cfg := tc.cfg
			cfg.Threshold, cfg.WarnInterval, cfg.Logger = 1, time.Second, slog.New(rec)
			b := breaker.New(cfg)

			b.Record(context.Background(), errDown)
			b.WarnIfDue(b.Status().Since.Add(time.Second))
			b.Recover()
			b.Trip(errDown)

			require.Equal(t, []string{tc.unavailable, tc.stillUnavailable, tc.back, tc.unavailable}, rec.messages())
			levels := []slog.Level{slog.LevelWarn, slog.LevelWarn, slog.LevelInfo, slog.LevelWarn}
			for i, e := range rec.all() {
				require.Equal(t, levels[i], e.level, e.msg)
			}
		})
	}
}

// event is one call in TestRecord.
type event int

const (
	ok          event = iota // Record of a success
	fail                     // Record of errDown
	failLater                // Record of errLater
	failEnded                // Record of errDown under a context that has ended
	failExpired              // Record of errDown under a context past its deadline
	trip                     // Trip(errDown)
	probeOK                  // Recover
)

func TestRecord(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	for _, tc := range []struct {
		name      string
		threshold int
		events    []event
		want      breaker.State
		wantErr   error
		opened    int   // "unavailable" messages
		failures  int64 // consecutive_failures of the last one
	}{
		{name: "fresh", threshold: 3, want: breaker.Closed},
		{name: "below the threshold", threshold: 3, events: []event{fail, fail}, want: breaker.Closed},
		{name: "at the threshold", threshold: 3, events: []event{fail, fail, fail},
			want: breaker.Open, wantErr: errDown, opened: 1, failures: 3},
		{name: "zero threshold means one", threshold: 0, events: []event{fail},
			want: breaker.Open, wantErr: errDown, opened: 1, failures: 1},
		{name: "a success ends the run", threshold: 3, events: []event{fail, fail, ok, fail, fail}, want: breaker.Closed},
		{name: "failures after the caller's context ended do not count", threshold: 3,
			events: []event{fail, failEnded, failExpired, failEnded, fail}, want: breaker.Closed},
		{name: "nor do they end the run", threshold: 3, events: []event{fail, failEnded, fail, failExpired, fail},
			want: breaker.Open, wantErr: errDown, opened: 1, failures: 3},
		{name: "the opening failure is the error", threshold: 2, events: []event{fail, failLater},
			want: breaker.Open, wantErr: errLater, opened: 1, failures: 2},
		{name: "later failures while open are the error, and not logged", threshold: 2,
			events: []event{fail, fail, failLater, fail, failLater}, want: breaker.Open, wantErr: errLater, opened: 1, failures: 2},
		{name: "a success while open does not close", threshold: 2, events: []event{fail, fail, ok, ok},
			want: breaker.Open, wantErr: errDown, opened: 1, failures: 2},
		{name: "a failure after Trip is the error", threshold: 3, events: []event{trip, failLater},
			want: breaker.Open, wantErr: errLater, opened: 1},
		{name: "Trip while open does nothing", threshold: 1, events: []event{failLater, trip},
			want: breaker.Open, wantErr: errLater, opened: 1, failures: 1},
		{name: "Recover while closed does nothing", threshold: 3, events: []event{fail, fail, probeOK, fail},
			want: breaker.Open, wantErr: errDown, opened: 1, failures: 3},
		{name: "Recover closes and ends the run", threshold: 2, events: []event{fail, fail, fail, probeOK, fail},
			want: breaker.Closed, opened: 1, failures: 2},
		{name: "and it opens again", threshold: 2, events: []event{fail, fail, probeOK, fail, failLater},
			want: breaker.Open, wantErr: errLater, opened: 2, failures: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, rec := newBreaker(breaker.Config{Threshold: tc.threshold, WarnInterval: time.Hour})
			for _, ev := range tc.events {
				switch ev {
				case ok:
					b.Record(context.Background(), nil)
				case fail:
					b.Record(context.Background(), errDown)
				case failLater:
					b.Record(context.Background(), errLater)
				case failEnded:
					b.Record(canceled(), errDown)
				case failExpired:
					b.Record(expired, errDown)
				case trip:
					b.Trip(errDown)
				case probeOK:
					b.Recover()
				}
			}
			st := b.Status()
			require.Equal(t, tc.want, st.State)
			require.Equal(t, tc.want == breaker.Closed, b.Allow())
			require.Equal(t, tc.wantErr, st.Err)

			var opened []entry
			for _, e := range rec.all() {
				if e.msg == "test: redis unavailable" {
					opened = append(opened, e)
				}
			}
			require.Len(t, opened, tc.opened)
			if tc.failures > 0 {
				last := opened[len(opened)-1]
				require.Equal(t, tc.failures, last.attrs["consecutive_failures"].Int64())
			}
		})
	}
}

func TestStatusSince(t *testing.T) {
	before := time.Now()
	b, rec := newBreaker(breaker.Config{Threshold: 1, WarnInterval: time.Hour})
	made := b.Status()
	require.Equal(t, breaker.Status{State: breaker.Closed, Since: made.Since}, made)
	require.False(t, made.Since.Before(before), "Since is when the breaker was made")

	b.Trip(errDown)
	opened := b.Status()
	require.False(t, opened.Since.Before(made.Since))
	require.Equal(t, breaker.Status{State: breaker.Open, Since: opened.Since, Err: errDown}, opened)
	require.Equal(t, errDown, rec.all()[0].attrs["error"].Any())

	b.ProbeFailed(errLater)
	require.Equal(t, breaker.Status{State: breaker.Open, Since: opened.Since, Err: errLater}, b.Status(),
		"a failed probe changes the error, not Since")

	b.Recover()
	closed := b.Status()
	require.False(t, closed.Since.Before(opened.Since))
	require.Equal(t, breaker.Status{State: breaker.Closed, Since: closed.Since}, closed)
	back := rec.all()[1]
	require.Equal(t, closed.Since.Sub(opened.Since).Round(time.Millisecond), back.attrs["unavailable_for"].Duration())
}

func TestWarnIfDue(t *testing.T) {
	const interval = 10 * time.Second
	for _, tc := range []struct {
		name  string
		open  bool
		after []time.Duration // calls of WarnIfDue, this long after the breaker opened
		warns []time.Duration // the calls that warn
	}{
		{name: "closed", open: false, after: []time.Duration{0, interval, 100 * interval}},
		{name: "not before the interval", open: true, after: []time.Duration{0, interval - time.Millisecond}},
		{name: "at the interval", open: true, after: []time.Duration{interval}, warns: []time.Duration{interval}},
		{name: "once per interval", open: true,
			after: []time.Duration{interval, interval + time.Second, 2*interval - time.Millisecond, 2 * interval, 5 * interval},
			warns: []time.Duration{interval, 2 * interval, 5 * interval}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, rec := newBreaker(breaker.Config{Fallback: "waiting", Threshold: 1, WarnInterval: interval})
			if tc.open {
				b.Trip(errDown)
				b.ProbeFailed(errLater)
			}
			since := b.Status().Since
			for _, d := range tc.after {
				b.WarnIfDue(since.Add(d))
			}
			var warned []time.Duration
			for _, e := range rec.all() {
				if e.msg != "test: redis still unavailable; waiting" {
					continue
				}
				require.Equal(t, slog.LevelWarn, e.level)
				require.True(t, since.Equal(e.attrs["since"].Time()), "since %v", e.attrs["since"])
				require.Equal(t, errLater, e.attrs["error"].Any(), "the latest error")
				warned = append(warned, e.attrs["unavailable_for"].Duration())
			}
			require.Equal(t, tc.warns, warned)
		})
	}
}

// TestConcurrent runs the methods at once, for the race detector, and
// checks that however many callers fail at once the breaker opens once,
// and however many probes succeed at once it closes once.
func TestConcurrent(t *testing.T) {
	b, rec := newBreaker(breaker.Config{Threshold: 3, WarnInterval: time.Nanosecond})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				b.Record(ctx, errDown)
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			_, _ = b.Allow(), b.Status()
			b.ProbeFailed(errLater)
			b.WarnIfDue(time.Now())
		}
	})
	wg.Wait()
	require.Equal(t, breaker.Open, b.Status().State)
	require.Equal(t, 1, count(rec.messages(), "test: redis unavailable"))

	for range 8 {
		wg.Go(b.Recover)
		wg.Go(func() {
			for range 200 {
				b.Record(ctx, nil)
				_, _ = b.Allow(), b.Status()
			}
		})
	}
	wg.Wait()
	require.Equal(t, breaker.Closed, b.Status().State)
	require.Equal(t, 1, count(rec.messages(), "test: redis available again"))
}

func count(msgs []string, msg string) int {
	n := 0
	for _, m := range msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// TestSuccessPath checks that the calls made for every request while Redis
// answers do not allocate.
func TestSuccessPath(t *testing.T) {
	b, _ := newBreaker(breaker.Config{Threshold: 3})
	ctx := context.Background()
	b.Record(ctx, errDown)
	allocs := testing.AllocsPerRun(1000, func() {
		if b.Allow() {
			b.Record(ctx, nil)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, breaker.Closed, b.Status().State)
}

func TestStateString(t *testing.T) {
	require.Equal(t, "closed", breaker.Closed.String())
	require.Equal(t, "open", breaker.Open.String())
}

func BenchmarkSuccess(b *testing.B) {
	br := breaker.New(breaker.Config{Threshold: 3})
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if br.Allow() {
				br.Record(ctx, nil)
			}
		}
	})
}
