package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/limits"
)

// TestGCRA steps the in-process algorithm on a clock of its own.
func TestGCRA(t *testing.T) {
	g := limitOf(limits.Rate{Requests: 10, Per: time.Second, Burst: 3}).local // 100ms per unit
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	type step struct {
		at   int64 // ms
		n    int
		want Result
	}
	steps := []step{
		{0, 1, Result{Allowed: true, Remaining: 2, ResetAfter: 100 * time.Millisecond}},
		{0, 2, Result{Allowed: true, Remaining: 0, ResetAfter: 300 * time.Millisecond}},
		{0, 1, Result{Remaining: 0, RetryAfter: 100 * time.Millisecond, ResetAfter: 300 * time.Millisecond}},
		{50, 1, Result{Remaining: 0, RetryAfter: 50 * time.Millisecond, ResetAfter: 250 * time.Millisecond}},
		{100, 1, Result{Allowed: true, Remaining: 0, ResetAfter: 300 * time.Millisecond}},
		{250, 2, Result{Remaining: 1, RetryAfter: 50 * time.Millisecond, ResetAfter: 150 * time.Millisecond}},
		{250, 4, Result{Remaining: 1, RetryAfter: -1, ResetAfter: 150 * time.Millisecond}},
		{250, 0, Result{Allowed: true, Remaining: 1, ResetAfter: 150 * time.Millisecond}},
		{1000, 3, Result{Allowed: true, Remaining: 0, ResetAfter: 300 * time.Millisecond}},
	}
	var tat int64
	for i, s := range steps {
		var got Result
		tat, got = g.decide(tat, ms(s.at), s.n)
		require.Equal(t, s.want, got, "step %d: %d units at %dms", i, s.n, s.at)
	}
}

// TestLocalBounded fills the in-process level with more buckets than it
// may hold.
func TestLocalBounded(t *testing.T) {
	const max = 64
	l := newLocal(max)
	g := limitOf(limits.Rate{Requests: 1, Per: time.Hour}).local
	for i := range 10_000 {
		res := l.allowN(fmt.Sprintf("tenant-%d", i), "requests", g, 1)
		require.True(t, res.Allowed)
		require.True(t, res.Local)
		require.LessOrEqual(t, l.len(), max)
	}
	require.Equal(t, max, l.len())
	// The newest are kept: the evicted were nearest to full.
	require.False(t, l.allowN("tenant-9999", "requests", g, 1).Allowed)
}

// TestLocalSweep drops the buckets that are full again.
func TestLocalSweep(t *testing.T) {
	l := newLocal(1000)
	fast := limitOf(limits.Rate{Requests: 1000, Per: 10 * time.Millisecond}).local
	slow := limitOf(limits.Rate{Requests: 1, Per: time.Hour}).local
	for i := range 100 {
		l.allowN(fmt.Sprintf("tenant-%d", i), "requests", fast, 1)
	}
	l.allowN("acme", "requests", slow, 1)
	require.Equal(t, 101, l.len())
	deadline := time.Now().Add(5 * time.Second)
	for l.sweep(); l.len() != 1; l.sweep() {
		require.True(t, time.Now().Before(deadline), "full buckets are dropped")
		time.Sleep(time.Millisecond) // polling interval
	}
	require.False(t, l.allowN("acme", "requests", slow, 1).Allowed, "the other bucket is kept")
	// A request for no units on a full bucket keeps nothing.
	l.allowN("globex", "requests", slow, 0)
	require.Equal(t, 1, l.len())
}
