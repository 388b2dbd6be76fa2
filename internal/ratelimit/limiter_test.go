package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// backends runs test against a Limiter that shares its buckets through
// Redis and against one that keeps them in process: both follow the same
// algorithm, so a Result must mean the same.
func backends(t *testing.T, test func(t *testing.T, l *ratelimit.Limiter, local bool)) {
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		opts, _ := redisOptions(t, testenv.RedisURL)
		test(t, newLimiter(t, opts), false)
	})
	t.Run("local", func(t *testing.T) {
		t.Parallel()
		test(t, newLimiter(t, ratelimit.Options{}), true)
	})
}

// near checks that got is within (want-slack, want]: a bucket refills as
// time passes, so what a test measures is a little less than the exact
// figure.
func near(t *testing.T, want, got time.Duration, msgAndArgs ...any) {
	t.Helper()
	const slack = 2 * time.Second // -race on a shared machine
	require.LessOrEqual(t, got, want, msgAndArgs...)
	require.Greater(t, got, want-slack, msgAndArgs...)
}

func TestAllowNAtTheLimit(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l *ratelimit.Limiter, local bool) {
		rate := limits.Rate{Requests: 10, Per: time.Minute} // one every 6s
		for i := 1; i <= 10; i++ {
			res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
			require.True(t, res.Allowed, "request %d", i)
			require.Equal(t, local, res.Local)
			require.Equal(t, 10-i, res.Remaining, "request %d", i)
			require.Zero(t, res.RetryAfter)
			near(t, time.Duration(i)*6*time.Second, res.ResetAfter, "request %d", i)
		}
		res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
		require.False(t, res.Allowed, "one past the limit")
		require.Equal(t, local, res.Local)
		require.Zero(t, res.Remaining)
		near(t, 6*time.Second, res.RetryAfter)
		near(t, time.Minute, res.ResetAfter)

		// Other tenants and other buckets are not touched.
		require.True(t, l.AllowN(t.Context(), "globex", "requests", rate, 1).Allowed)
		require.True(t, l.AllowN(t.Context(), "acme", "cost", rate, 1).Allowed)
	})
}

func TestAllowNBurst(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l *ratelimit.Limiter, local bool) {
		rate := limits.Rate{Requests: 1, Per: time.Minute, Burst: 5}
		for i := 1; i <= 5; i++ {
			res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
			require.True(t, res.Allowed, "request %d of the burst", i)
			require.Equal(t, 5-i, res.Remaining)
		}
		res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
		require.False(t, res.Allowed)
		near(t, time.Minute, res.RetryAfter)
		near(t, 5*time.Minute, res.ResetAfter)
	})
}

// TestAllowNCost takes several units at once, as a cost-per-minute
// budget does with an operation's cost.
func TestAllowNCost(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l *ratelimit.Limiter, local bool) {
		rate := limits.Rate{Requests: 100, Per: time.Minute} // 0.6s per unit
		for i, want := range []int{70, 40, 10} {
			res := l.AllowN(t.Context(), "acme", "cost", rate, 30)
			require.True(t, res.Allowed, "operation %d", i)
			require.Equal(t, want, res.Remaining)
		}

		res := l.AllowN(t.Context(), "acme", "cost", rate, 30)
		require.False(t, res.Allowed, "30 units with 10 left")
		require.Equal(t, 10, res.Remaining, "a refusal reports what is left")
		near(t, 12*time.Second, res.RetryAfter, "20 more units take 12s")
		near(t, 54*time.Second, res.ResetAfter)

		res = l.AllowN(t.Context(), "acme", "cost", rate, 10)
		require.True(t, res.Allowed, "10 units with 10 left")
		require.Zero(t, res.Remaining)

		res = l.AllowN(t.Context(), "acme", "cost", rate, 0)
		require.True(t, res.Allowed, "0 units take nothing")
		require.Zero(t, res.Remaining)
		near(t, time.Minute, res.ResetAfter)

		// More than the burst never passes, whatever the bucket holds.
		res = l.AllowN(t.Context(), "acme", "cost", rate, 101)
		require.False(t, res.Allowed)
		require.Equal(t, time.Duration(-1), res.RetryAfter)
		res = l.AllowN(t.Context(), "initech", "cost", rate, 101)
		require.False(t, res.Allowed, "101 units from a full bucket of 100")
		require.Equal(t, time.Duration(-1), res.RetryAfter)
		require.Equal(t, 100, res.Remaining, "and nothing was taken")
		require.Zero(t, res.ResetAfter)
		require.True(t, l.AllowN(t.Context(), "initech", "cost", rate, 100).Allowed)

		// A negative cost takes nothing, and gives nothing back.
		res = l.AllowN(t.Context(), "initech", "cost", rate, -50)
		require.True(t, res.Allowed)
		require.Zero(t, res.Remaining)
	})
}

// TestAllowNRefills waits for a fast bucket to refill.
func TestAllowNRefills(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l *ratelimit.Limiter, local bool) {
		rate := limits.Rate{Requests: 5, Per: 100 * time.Millisecond} // one every 20ms
		var res ratelimit.Result
		for res = l.AllowN(t.Context(), "acme", "requests", rate, 1); res.Allowed; {
			res = l.AllowN(t.Context(), "acme", "requests", rate, 1)
		}
		require.LessOrEqual(t, res.RetryAfter, 20*time.Millisecond)
		require.LessOrEqual(t, res.ResetAfter, 100*time.Millisecond)
		testenv.Eventually(t, 2*time.Second, func() bool {
			return l.AllowN(t.Context(), "acme", "requests", rate, 5).Allowed
		}, "the bucket to be full again")
	})
}

func TestAllowNNoLimit(t *testing.T) {
	t.Parallel()
	opts, rdb := redisOptions(t, testenv.RedisURL)
	l := newLimiter(t, opts)
	for _, rate := range []limits.Rate{{}, {Requests: 10}, {Per: time.Second}} {
		for range 100 {
			res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
			require.Equal(t, ratelimit.Result{Allowed: true}, res, "%+v", rate)
		}
	}
	require.Empty(t, bucketKeys(t, t.Context(), rdb, opts.KeyPrefix), "no limit asks nothing of Redis")
}

// TestReplicasShareOneBudget runs two Limiters, as two replicas of the
// gateway, on one Redis: together they admit the limit and no more.
func TestReplicasShareOneBudget(t *testing.T) { testReplicasShareOneBudget(t, testenv.RedisURL) }

func testReplicasShareOneBudget(t *testing.T, env redisEnv) {
	t.Parallel()
	opts, _ := redisOptions(t, env)
	replicas := []*ratelimit.Limiter{newLimiter(t, opts), newLimiter(t, opts)}
	rate := limits.Rate{Requests: 100, Per: time.Hour}

	const workers, attempts = 4, 60 // per replica: 2×4×60 = 480 attempts
	var allowed, local atomic.Int64
	var wg sync.WaitGroup
	for _, l := range replicas {
		for range workers {
			wg.Go(func() {
				for range attempts {
					res := l.AllowN(context.Background(), "acme", "requests", rate, 1)
					if res.Local {
						local.Add(1)
					}
					if res.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	require.Zero(t, local.Load(), "decisions made in process")
	total := int(allowed.Load())
	require.Equal(t, 100, total, "admitted by both replicas together")

	// Each sees the budget the other spent.
	for _, l := range replicas {
		res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
		require.False(t, res.Allowed)
		require.Zero(t, res.Remaining)
	}
}

func TestStatusWithoutRedis(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, ratelimit.Options{})
	st := l.Status()
	require.Equal(t, ratelimit.StateLocal, st.State)
	require.False(t, st.Since.IsZero())
	require.NoError(t, st.Err)
	require.True(t, l.AllowN(t.Context(), "acme", "requests", limits.Rate{Requests: 1, Per: time.Second}, 1).Local)
}

// TestCallerGaveUp checks that calls whose own context ended are decided
// in process but not held against Redis.
func TestCallerGaveUp(t *testing.T) {
	t.Parallel()
	opts, _ := redisOptions(t, testenv.RedisURL)
	l := newLimiter(t, opts)
	rate := limits.Rate{Requests: 10, Per: time.Minute}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 10 {
		res := l.AllowN(ctx, "acme", "requests", rate, 1)
		require.True(t, res.Local, "decided in process")
	}
	require.Equal(t, ratelimit.StateRedis, l.Status().State, "the breaker stayed closed")
	res := l.AllowN(t.Context(), "acme", "requests", rate, 1)
	require.False(t, res.Local)
	require.True(t, res.Allowed)
	require.Equal(t, 9, res.Remaining, "the calls in process did not spend the shared budget")
}

func TestAfterClose(t *testing.T) {
	t.Parallel()
	opts, _ := redisOptions(t, testenv.RedisURL)
	l, err := ratelimit.New(opts)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close twice")
	res := l.AllowN(t.Context(), "acme", "requests", limits.Rate{Requests: 1, Per: time.Minute}, 1)
	require.True(t, res.Allowed)
	require.True(t, res.Local)
}

func TestNewInvalidOptions(t *testing.T) {
	t.Parallel()
	_, err := ratelimit.New(ratelimit.Options{KeyPrefix: "rl:{x}:", OpTimeout: -time.Second, MaxLocalBuckets: -1})
	require.Error(t, err)
	for _, want := range []string{"KeyPrefix", "OpTimeout", "MaxLocalBuckets"} {
		require.ErrorContains(t, err, want)
	}
}
