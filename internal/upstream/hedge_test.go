package upstream_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// The timings of these tests leave wide margins: the machines that run
// them are small and shared, and the race detector slows them. A slow
// stub answers after a second; a hedged call that does not wait for it
// ends well within that.

// fetch calls c for goods "a" and "b" within 10s, and checks the answer
// when there is one.
func fetch(t *testing.T, c *upstream.Client) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Entities(ctx, "Goods", []string{"a", "b"}, selection(t, stockAndWarehouse), nil)
	if err == nil {
		require.Equal(t, want("a"), upstream.AsMap(res[0].Data))
		require.Equal(t, want("b"), upstream.AsMap(res[1].Data))
	}
	return err
}

// TestHedgeSlowFirstURL checks that a call whose first URL is slow also
// asks the second after the hedge, answers with the second's answer well
// before the first's, cancels the first's request, and logs the hedge at
// Debug without the URL's query.
func TestHedgeSlowFirstURL(t *testing.T) {
	slowURL, fast := newStub(t, slow), newStub(t, serve)
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{
		URLs:    []string{slowURL.URL(), fast.URL() + "?key=hunter2"},
		Timeout: 5 * time.Second,
		Hedge:   50 * time.Millisecond,
	}, upstream.Options{
		Logger:    slog.New(logs),
		RequestID: func(context.Context) string { return "req-7" },
	})

	start := time.Now()
	require.NoError(t, fetch(t, c))
	require.Less(t, time.Since(start), 600*time.Millisecond, "the fast URL's answer, not the slow one's (1s)")
	require.Zero(t, upstream.AttemptsRunning(), "an attempt outlived its call")
	require.Equal(t, 1, slowURL.Hits())
	require.Equal(t, 1, fast.Hits())
	// The call has ended, and its slow request with it: the stub sees
	// the connection close soon after.
	testenv.Eventually(t, 5*time.Second, func() bool { return slowURL.Canceled() == 1 },
		"the slow URL's request is cancelled")

	log := logs.Text()
	require.Contains(t, log, "DEBUG upstream attempt hedged")
	hedgeLine := lineWith(log, "upstream attempt hedged")
	require.Contains(t, hedgeLine, "request_id=req-7")
	require.Contains(t, hedgeLine, "url="+fast.URL()+" ")
	require.Contains(t, hedgeLine, "slow_url="+slowURL.URL())
	require.NotContains(t, log, "hunter2", "the URL's query is never logged")
	require.NotContains(t, log, "upstream attempt failed", "a cancelled attempt is no failure")
}

// A call whose context ends while its first attempt is slow starts no
// hedge: it ends with the context, and no second request is sent.
func TestHedgeNotAfterContextEnds(t *testing.T) {
	slowURL, fast := newStub(t, slow), newStub(t, serve)
	c := newClient(t, upstream.Spec{
		URLs:    []string{slowURL.URL(), fast.URL()},
		Timeout: 5 * time.Second,
		Hedge:   300 * time.Millisecond,
	}, upstream.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.Zero(t, upstream.AttemptsRunning(), "an attempt outlived its call")
	time.Sleep(400 * time.Millisecond) // past the hedge
	require.Equal(t, 0, fast.Hits(), "a hedge after the call's context ended")
}

// lineWith returns the first line of text that holds s.
func lineWith(text, s string) string {
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// TestHedgeFastFirstURL checks that a call whose first URL answers
// within the hedge sends nothing to the second.
func TestHedgeFastFirstURL(t *testing.T) {
	first, second := newStub(t, serve), newStub(t, serve)
	c := newClient(t, upstream.Spec{
		URLs:    []string{first.URL(), second.URL()},
		Timeout: 5 * time.Second,
		Hedge:   time.Second,
	}, upstream.Options{})
	for range 5 {
		require.NoError(t, fetch(t, c))
	}
	require.Equal(t, 5, first.Hits())
	require.Zero(t, second.Hits(), "no hedge for an answer within the hedge")
}

// TestHedgeOff checks that without a hedge a slow URL is waited for and
// a failed one failed over from, one URL after the other, as ever.
func TestHedgeOff(t *testing.T) {
	first, second := newStub(t, slow), newStub(t, serve)
	first.SetDelay(300 * time.Millisecond)
	c := newClient(t, upstream.Spec{URLs: []string{first.URL(), second.URL()}, Timeout: 5 * time.Second}, upstream.Options{})

	start := time.Now()
	require.NoError(t, fetch(t, c))
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "the slow URL's answer")
	require.Equal(t, 1, first.Hits())
	require.Zero(t, second.Hits())
	require.Zero(t, first.Canceled())

	first.Set(slow500)
	require.NoError(t, fetch(t, c))
	require.Equal(t, 2, first.Hits())
	require.Equal(t, 1, second.Hits(), "failed over once the first failed")
}

// TestHedgeOneFails checks that when one of two attempts in flight
// fails, the call waits for the other and takes its answer, rather than
// going on to the next URL.
func TestHedgeOneFails(t *testing.T) {
	for name, tc := range map[string]struct {
		first, second mode
	}{
		"the first fails": {first: slow500, second: slow},
		"the hedge fails": {first: slow, second: slow500},
	} {
		t.Run(name, func(t *testing.T) {
			a, b, third := newStub(t, tc.first), newStub(t, tc.second), newStub(t, serve)
			// The failure comes at 400ms, the answer at 1s: the hedge
			// (50ms) is in flight by then.
			for _, s := range []*stub{a, b} {
				if mode(s.mode.Load()) == slow500 {
					s.SetDelay(400 * time.Millisecond)
				}
			}
			logs := &logRecorder{}
			c := newClient(t, upstream.Spec{
				URLs:    []string{a.URL(), b.URL(), third.URL()},
				Timeout: 5 * time.Second,
				Hedge:   50 * time.Millisecond,
			}, upstream.Options{Logger: slog.New(logs)})

			require.NoError(t, fetch(t, c))
			require.Equal(t, 1, a.Hits())
			require.Equal(t, 1, b.Hits())
			require.Zero(t, third.Hits(), "the call waits for the attempt in flight")
			require.Contains(t, logs.Text(), "upstream attempt failed")
		})
	}
}

// TestHedgeBothFail checks that when both attempts fail the call fails
// over to the remaining URLs, and fails with ErrUnavailable when none is
// left.
func TestHedgeBothFail(t *testing.T) {
	a, b, third := newStub(t, slow500), newStub(t, slow500), newStub(t, serve)
	a.SetDelay(200 * time.Millisecond)
	b.SetDelay(200 * time.Millisecond)
	c := newClient(t, upstream.Spec{
		URLs:    []string{a.URL(), b.URL(), third.URL()},
		Timeout: 5 * time.Second,
		Hedge:   50 * time.Millisecond,
	}, upstream.Options{})

	require.NoError(t, fetch(t, c))
	require.Equal(t, 1, a.Hits())
	require.Equal(t, 1, b.Hits())
	require.Equal(t, 1, third.Hits())

	third.Set(fail500)
	err := fetch(t, c)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.Equal(t, `upstream "inventory" unavailable`, err.Error())
	var ue *upstream.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 3, ue.Attempts)
	require.Equal(t, 2, third.Hits())
	require.Equal(t, 2, c.Status()[0].Failures, "failures of hedged calls count as ever")
}

// TestHedgeCancelledIsNoFailure checks that a slow URL whose attempts
// are cancelled, because hedges answered first, keeps its breaker closed
// however low the threshold, and stays first in line.
func TestHedgeCancelledIsNoFailure(t *testing.T) {
	slowURL, fast := newStub(t, slow), newStub(t, serve)
	c := newClient(t, upstream.Spec{
		URLs:    []string{slowURL.URL(), fast.URL()},
		Timeout: 5 * time.Second,
		Hedge:   50 * time.Millisecond,
	}, upstream.Options{Breaker: upstream.BreakerConfig{Threshold: 1, Cooldown: time.Hour}})
	for range 3 {
		require.NoError(t, fetch(t, c))
	}
	require.Equal(t, 3, slowURL.Hits(), "the slow URL is still tried first")
	require.Equal(t, 3, fast.Hits())
	st := c.Status()[0]
	require.Equal(t, upstream.Closed, st.State)
	require.Zero(t, st.Failures)
	testenv.Eventually(t, 5*time.Second, func() bool { return slowURL.Canceled() == 3 },
		"every slow request is cancelled")
}

// TestHedgeProbe checks that a half-open breaker's probe that a hedge
// overtakes leaves the breaker open, not half-open for ever, so that
// the next call probes again, and that a probe that answers closes it.
func TestHedgeProbe(t *testing.T) {
	flaky, good := newStub(t, fail500), newStub(t, serve)
	c := newClient(t, upstream.Spec{
		URLs:    []string{flaky.URL(), good.URL()},
		Timeout: 5 * time.Second,
		// Longer than a 500 takes, shorter than the slow mode's second.
		Hedge: 300 * time.Millisecond,
	}, upstream.Options{Breaker: upstream.BreakerConfig{Threshold: 1, Cooldown: 20 * time.Millisecond}})
	require.NoError(t, fetch(t, c))
	require.Equal(t, upstream.Open, c.Status()[0].State)

	// After the cooldown the next call probes the URL, which is slow
	// now: the hedge answers first, and the probe is cancelled.
	flaky.Set(slow)
	testenv.Eventually(t, 5*time.Second, func() bool {
		require.NoError(t, fetch(t, c))
		return flaky.Hits() == 2
	}, "the open breaker lets a probe through after its cooldown")
	require.Equal(t, upstream.Open, c.Status()[0].State, "a cancelled probe says nothing")
	require.Equal(t, 1, c.Status()[0].Failures)

	// The next call may probe at once; an answer closes the breaker.
	flaky.Set(serve)
	require.NoError(t, fetch(t, c))
	require.Equal(t, 3, flaky.Hits())
	require.Equal(t, upstream.Closed, c.Status()[0].State)
}

// TestHedgeDeadline checks that a hedged call keeps within its context's
// deadline, and that attempts ended by it count against no breaker.
func TestHedgeDeadline(t *testing.T) {
	a, b := newStub(t, hang), newStub(t, hang)
	c := newClient(t, upstream.Spec{
		URLs:    []string{a.URL(), b.URL()},
		Timeout: 10 * time.Second,
		Hedge:   20 * time.Millisecond,
	}, upstream.Options{Breaker: upstream.BreakerConfig{Threshold: 1, Cooldown: time.Hour}})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 1, a.Hits())
	require.Equal(t, 1, b.Hits(), "hedged before the deadline")
	for _, st := range c.Status() {
		require.Equal(t, upstream.Closed, st.State)
	}
}

// TestSDLIsNotHedged checks that the load check tries the URLs one after
// another.
func TestSDLIsNotHedged(t *testing.T) {
	first, second := newStub(t, slow), newStub(t, serve)
	first.SetDelay(300 * time.Millisecond)
	c := newClient(t, upstream.Spec{
		URLs:    []string{first.URL(), second.URL()},
		Timeout: 5 * time.Second,
		Hedge:   20 * time.Millisecond,
	}, upstream.Options{})
	_, err := c.SDL(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, first.Hits())
	require.Zero(t, second.Hits())
}
