package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHedgedAttemptPanicReachesTheCaller checks that a panic in a hedged
// attempt, which runs on a goroutine of its own, is raised on the
// caller's goroutine, where the executor recovers it, after the other
// attempt has ended; on the attempt's goroutine it would end the process.
func TestHedgedAttemptPanicReachesTheCaller(t *testing.T) {
	answer := func(delay time.Duration) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"data":{"n":1}}`))
		}))
		t.Cleanup(s.Close)
		return s
	}
	// The first URL is slow, so that a second attempt is in flight when
	// the first to answer panics.
	slow, fast := answer(2*time.Second), answer(0)
	c, err := New("inventory", Spec{URLs: []string{slow.URL, fast.URL}, Timeout: 5 * time.Second, Hedge: 20 * time.Millisecond}, Options{})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	var got any
	func() {
		defer func() { got = recover() }()
		call(c, ctx, []byte(`{"query":"{ n }"}`), c.hedge, func(*map[string]any) error { panic("boom in check") })
	}()
	require.NotNil(t, got, "the panic reaches the caller")
	msg, _ := got.(string)
	require.True(t, strings.HasPrefix(msg, "boom in check\n"), "the panic's value: %v", got)
	require.Contains(t, msg, "goroutine of the upstream attempt", "and its stack")
	require.Less(t, time.Since(start), 1500*time.Millisecond, "the slow attempt was cancelled, not waited out")
	require.Zero(t, attemptsRunning(), "the other attempt ended before the panic went on")
}

// attemptsRunning returns the number of goroutines running an attempt
// of a call: none once every call has returned, since a call waits for
// the attempts it started.
func attemptsRunning() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "internal/upstream.run[") {
			n++
		}
	}
	return n
}

// TestPanickingProbeFreesItsURL checks that a half-open probe whose
// attempt panics, made in turn on the caller's goroutine, leaves its URL
// to be probed again rather than refused for good.
func TestPanickingProbeFreesItsURL(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"n":1}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New("inventory", Spec{URLs: []string{srv.URL}, Timeout: 5 * time.Second},
		Options{Breaker: BreakerConfig{Threshold: 1, Cooldown: 20 * time.Millisecond}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	body := []byte(`{"query":"{ n }"}`)
	fine := func(*map[string]any) error { return nil }

	_, err = call(c, t.Context(), body, 0, fine)
	require.Error(t, err, "the 500 opens the breaker")
	time.Sleep(50 * time.Millisecond) // past the cooldown: the next call probes
	func() {
		defer func() { require.NotNil(t, recover(), "the probe's panic reaches the caller") }()
		call(c, t.Context(), body, 0, func(*map[string]any) error { panic("boom in the probe's check") })
	}()
	require.Equal(t, Open, c.Status()[0].State, "a panic says nothing of the URL: not healthy, not half-open for good")
	_, err = call(c, t.Context(), body, 0, fine)
	require.NoError(t, err, "the URL is probed again, not refused for good")
}
