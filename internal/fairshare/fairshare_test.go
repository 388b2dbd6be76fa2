package fairshare_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/fairshare"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/store"
)

func TestTenantShare(t *testing.T) {
	l := fairshare.New(0)
	ctx := t.Context()
	var held []fairshare.Slot
	for range 2 {
		slot, err := l.Acquire(ctx, "b", 2, 0)
		require.NoError(t, err)
		held = append(held, slot)
	}
	_, err := l.Acquire(ctx, "b", 2, 0)
	require.ErrorIs(t, err, fairshare.ErrTenantOverloaded, "one past the share, without waiting")

	began := time.Now()
	_, err = l.Acquire(ctx, "b", 2, 30*time.Millisecond)
	require.ErrorIs(t, err, fairshare.ErrTenantOverloaded)
	require.GreaterOrEqual(t, time.Since(began), 30*time.Millisecond, "it waited")

	slot, err := l.Acquire(ctx, "a", 2, 0)
	require.NoError(t, err, "another tenant has a share of its own")
	slot.Release()

	n, _ := l.InUse("b")
	require.Equal(t, 2, n)
	held[0].Release()
	n, _ = l.InUse("b")
	require.Equal(t, 1, n)
	slot, err = l.Acquire(ctx, "b", 2, 0)
	require.NoError(t, err, "a slot given back is free again")
	slot.Release()
	held[1].Release()
}

func TestWaiterGetsFreedSlot(t *testing.T) {
	l := fairshare.New(0)
	slot, err := l.Acquire(t.Context(), "b", 1, 0)
	require.NoError(t, err)
	const after = 50 * time.Millisecond
	time.AfterFunc(after, slot.Release)
	began := time.Now()
	s, err := l.Acquire(t.Context(), "b", 1, 5*time.Second)
	require.NoError(t, err, "the slot given back while it waited")
	require.GreaterOrEqual(t, time.Since(began), after, "it waited for the slot")
	s.Release()
}

// TestFirstUseRace starts many acquirers of a new tenant at once: however
// they race to make its semaphore, no more than the limit hold a slot.
func TestFirstUseRace(t *testing.T) {
	for range 50 {
		l := fairshare.New(0)
		var held atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if s, err := l.Acquire(t.Context(), "new", 2, 0); err == nil {
					held.Add(1)
					t.Cleanup(s.Release)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(2), held.Load(), "exactly the limit hold a slot")
	}
}

func TestTotal(t *testing.T) {
	l := fairshare.New(3)
	ctx := t.Context()
	var held []fairshare.Slot
	for _, tenant := range []string{"a", "b", "c"} {
		s, err := l.Acquire(ctx, tenant, 10, 0)
		require.NoError(t, err)
		held = append(held, s)
	}
	_, err := l.Acquire(ctx, "d", 10, 10*time.Millisecond)
	require.ErrorIs(t, err, fairshare.ErrOverloaded)
	n, total := l.InUse("d")
	require.Zero(t, n, "a refused request gives its tenant slot back")
	require.Equal(t, 3, total)
	for _, s := range held {
		s.Release()
	}
	_, total = l.InUse("a")
	require.Zero(t, total)
}

func TestContextEndsWait(t *testing.T) {
	l := fairshare.New(0)
	slot, err := l.Acquire(t.Context(), "b", 1, 0)
	require.NoError(t, err)
	defer slot.Release()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = l.Acquire(ctx, "b", 1, -1)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a negative wait lasts as long as the context")
}

func TestLimitChange(t *testing.T) {
	l := fairshare.New(0)
	old, err := l.Acquire(t.Context(), "b", 1, 0)
	require.NoError(t, err)
	r, err := l.Acquire(t.Context(), "b", 2, 0)
	require.NoError(t, err, "a raised limit takes effect at once")
	r2, err := l.Acquire(t.Context(), "b", 2, 0)
	require.NoError(t, err)
	_, err = l.Acquire(t.Context(), "b", 2, 0)
	require.ErrorIs(t, err, fairshare.ErrTenantOverloaded)
	old.Release() // gives back to the old semaphore, without freeing a new slot
	_, err = l.Acquire(t.Context(), "b", 2, 0)
	require.ErrorIs(t, err, fairshare.ErrTenantOverloaded)
	r.Release()
	r2.Release()
}

// blockingStore is the memory store with Get held until release is
// closed, counting the Gets in progress per tenant.
type blockingStore struct {
	store.Store
	release chan struct{}
	mu      sync.Mutex
	active  map[string]int
	peak    map[string]int
}

func (s *blockingStore) Get(ctx context.Context, tenantID, id string) (*model.Goods, error) {
	s.mu.Lock()
	s.active[tenantID]++
	s.peak[tenantID] = max(s.peak[tenantID], s.active[tenantID])
	s.mu.Unlock()
	<-s.release
	s.mu.Lock()
	s.active[tenantID]--
	s.mu.Unlock()
	return s.Store.Get(ctx, tenantID, id)
}

func (s *blockingStore) activeOf(tenant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[tenant]
}

func TestStoreShare(t *testing.T) {
	inner := &blockingStore{Store: store.NewMemory(nil), release: make(chan struct{}), active: map[string]int{}, peak: map[string]int{}}
	s := fairshare.Store(inner, fairshare.New(0))
	ctxB := limits.NewContext(t.Context(), &limits.Limits{MaxConcurrent: 2})

	// Tenant B starts 6 calls at once: two run, four wait.
	var wg sync.WaitGroup
	var done atomic.Int32
	for range 6 {
		wg.Go(func() {
			_, err := s.Get(ctxB, "b", "00000000-0000-7000-8000-000000000001")
			require.ErrorIs(t, err, store.ErrNotFound)
			done.Add(1)
		})
	}
	waitUntil(t, func() bool { return inner.activeOf("b") == 2 })

	// Tenant A is not held up by B's queue.
	ctxA := limits.NewContext(t.Context(), &limits.Limits{MaxConcurrent: 2})
	aDone := make(chan struct{})
	go func() {
		s.Get(ctxA, "a", "00000000-0000-7000-8000-000000000001")
		close(aDone)
	}()
	waitUntil(t, func() bool { return inner.activeOf("a") == 1 })

	close(inner.release)
	wg.Wait()
	<-aDone
	require.Equal(t, int32(6), done.Load())
	require.Equal(t, 2, inner.peak["b"], "B never held more than its share")
}

func TestStoreShareDeadline(t *testing.T) {
	inner := &blockingStore{Store: store.NewMemory(nil), release: make(chan struct{}), active: map[string]int{}, peak: map[string]int{}}
	defer close(inner.release)
	s := fairshare.Store(inner, fairshare.New(0))
	ctx := limits.NewContext(t.Context(), &limits.Limits{MaxConcurrent: 1})
	go s.Get(ctx, "b", "x")
	waitUntil(t, func() bool { return inner.activeOf("b") == 1 })
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := s.Get(short, "b", "x")
	require.ErrorIs(t, err, context.DeadlineExceeded, "a call waits for a slot only within its deadline")
}

// waitUntil polls cond until it holds, for up to 5 seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition not reached")
		time.Sleep(time.Millisecond)
	}
}
