package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
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
}
