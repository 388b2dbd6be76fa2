package loader_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/loader"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	start time.Time
	ns    atomic.Int64
}

func newFakeClock() *fakeClock { return &fakeClock{start: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time          { return c.start.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// idleOptions are the options of a registry of dir whose tenants expire
// after idleTimeout.
func idleOptions(dir string, idleTimeout time.Duration) loader.Options {
	opts := plainOptions(dir)
	opts.IdleTimeout = idleTimeout
	return opts
}

// idleRegistry returns a registry made with opts whose idle expiry reads
// the returned clock and whose sweeper wakes every sweepEvery (tests that
// sweep themselves pass an hour), and the number of compilations it has
// done.
func idleRegistry(t *testing.T, opts loader.Options, sweepEvery time.Duration) (*loader.Registry, *fakeClock, *atomic.Int64) {
	t.Helper()
	var compiles atomic.Int64
	onLoad := opts.OnLoad
	opts.OnLoad = func(id string, d time.Duration, err error) {
		compiles.Add(1)
		if onLoad != nil {
			onLoad(id, d, err)
		}
	}
	reg, err := loader.New(opts)
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	clock := newFakeClock()
	reg.SetClock(clock.Now, sweepEvery)
	return reg, clock, &compiles
}

// resident reports whether reg holds the compiled schema of tenant id.
func resident(t *testing.T, reg *loader.Registry, id string) bool {
	t.Helper()
	for _, st := range reg.States() {
		if st.ID == id {
			require.True(t, st.Serving, "%s is served, resident or not", id)
			return st.Resident
		}
	}
	t.Fatalf("no tenant %s", id)
	return false
}

func TestIdleTenantIsEvictedAndCompiledAgain(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	reg, clock, compiles := idleRegistry(t, idleOptions(dir, time.Minute), time.Hour)

	first, ok := reg.Lookup("a")
	require.True(t, ok)
	require.EqualValues(t, 1, compiles.Load())

	clock.Advance(59 * time.Second)
	reg.Sweep()
	require.True(t, resident(t, reg, "a"), "idle for less than the timeout")

	clock.Advance(2 * time.Second)
	reg.Sweep()
	require.False(t, resident(t, reg, "a"), "idle for longer than the timeout")
	require.Empty(t, reg.Tenants())

	again, ok := reg.Lookup("a")
	require.True(t, ok)
	require.EqualValues(t, 2, compiles.Load(), "its next lookup compiles it again")
	require.NotSame(t, first, again)
	require.Equal(t, []string{"aCode"}, ownFields(again))
	require.True(t, resident(t, reg, "a"))

	clock.Advance(59 * time.Second)
	reg.Sweep()
	require.True(t, resident(t, reg, "a"), "the lookup that compiled it counts as a use")
}

func TestTenantInUseStaysResident(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "busy")
	writeFieldTenant(t, dir, "idle")
	reg, clock, compiles := idleRegistry(t, idleOptions(dir, time.Minute), time.Hour)
	busy, _ := reg.Lookup("busy")
	reg.Lookup("idle")

	for elapsed := 10 * time.Second; elapsed <= 3*time.Minute; elapsed += 10 * time.Second {
		clock.Advance(10 * time.Second)
		again, ok := reg.Lookup("busy")
		require.True(t, ok)
		require.Same(t, busy, again, "after %v", elapsed)
		reg.Sweep()
		require.True(t, resident(t, reg, "busy"), "after %v", elapsed)
		require.Equal(t, elapsed <= time.Minute, resident(t, reg, "idle"), "after %v", elapsed)
	}
	require.EqualValues(t, 2, compiles.Load())
	require.Equal(t, []*loader.Tenant{busy}, reg.Tenants())
}

func TestTenantHeldThroughIdleEviction(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	opts := productionOptions(dir)
	opts.IdleTimeout = time.Minute
	reg, clock, _ := idleRegistry(t, opts, time.Hour)

	// A request in flight holds the tenant it looked up.
	held, ok := reg.Lookup("a")
	require.True(t, ok)
	clock.Advance(2 * time.Minute)
	reg.Sweep()
	require.False(t, resident(t, reg, "a"))

	var got struct {
		Data struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
	}
	body := post(t, held.Runtime.Handler, `{ __type(name: "Goods") { fields { name } } }`)
	require.NoError(t, json.Unmarshal(body, &got), string(body))
	var fields []string
	for _, f := range got.Data.Type.Fields {
		fields = append(fields, f.Name)
	}
	require.Contains(t, fields, "aCode", "the evicted tenant still serves: %s", body)
	require.Equal(t, []string{"aCode"}, ownFields(held))
}

func TestNegativeIdleTimeoutNeverEvicts(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	reg, clock, compiles := idleRegistry(t, idleOptions(dir, -1), time.Millisecond)
	first, _ := reg.Lookup("a")
	clock.Advance(1000 * time.Hour)
	reg.Sweep()
	require.True(t, resident(t, reg, "a"))
	again, _ := reg.Lookup("a")
	require.Same(t, first, again)
	require.EqualValues(t, 1, compiles.Load())
	require.Nil(t, reg.SweeperDone(), "no sweeper runs")
}

func TestReloadDoesNotRefreshLastUse(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	reg, clock, compiles := idleRegistry(t, idleOptions(dir, time.Minute), time.Hour)
	reg.Lookup("a")
	clock.Advance(30 * time.Second)
	reg.Lookup("a") // last used at 30s

	clock.Advance(50 * time.Second)
	writeFile(t, filepath.Join(dir, "a", "goods.graphqls"), "extend type Goods {\n  aCode: String\n  aNewCode: Int\n}\n")
	require.NoError(t, reg.Reload())
	require.EqualValues(t, 2, compiles.Load(), "the reload compiled a, which is resident")

	clock.Advance(5 * time.Second)
	reg.Sweep()
	require.True(t, resident(t, reg, "a"), "the new version keeps the old one's last use, 55s ago")

	clock.Advance(6 * time.Second)
	reg.Sweep()
	require.False(t, resident(t, reg, "a"), "idle since its lookup, 61s ago, though compiled 11s ago")
	a, ok := reg.Lookup("a")
	require.True(t, ok)
	require.Equal(t, []string{"aCode", "aNewCode"}, ownFields(a))
	require.EqualValues(t, 3, compiles.Load())
}

func TestCloseStopsSweeper(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	reg, clock, compiles := idleRegistry(t, idleOptions(dir, time.Minute), time.Millisecond)
	require.Nil(t, reg.SweeperDone(), "nothing resident, no sweeper")

	reg.Lookup("a")
	done := reg.SweeperDone()
	require.NotNil(t, done, "the first compile starts the sweeper")
	clock.Advance(2 * time.Minute)
	require.Eventually(t, func() bool { return len(reg.Tenants()) == 0 }, 5*time.Second, time.Millisecond,
		"the sweeper evicts the idle tenant on its own")
	select {
	case <-done:
		t.Fatal("the sweeper ended before Close")
	default:
	}

	reg.Close()
	select {
	case <-done:
	default:
		t.Fatal("Close returned before the sweeper ended")
	}
	reg.Close() // again: a no-op

	// A registry closed goes on serving, and evicts nothing for idleness.
	_, ok := reg.Lookup("a")
	require.True(t, ok)
	require.EqualValues(t, 2, compiles.Load())
	clock.Advance(2 * time.Minute)
	time.Sleep(5 * time.Millisecond) // five sweep intervals, had it not stopped
	require.True(t, resident(t, reg, "a"))
	require.Equal(t, done, reg.SweeperDone(), "no sweeper started again")

	// Close of a registry that never compiled a tenant.
	idle, _, _ := idleRegistry(t, idleOptions(dir, time.Minute), time.Millisecond)
	idle.Close()
	require.Nil(t, idle.SweeperDone())
}

// TestIdleEvictionUnderLoad races the sweeper, on a clock running fast,
// against lookups and reloads (which compile b again): every lookup gets
// its tenant, with exactly its own fields.
func TestIdleEvictionUnderLoad(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"a", "b", "c", "d"}
	for _, id := range ids {
		writeFieldTenant(t, dir, id)
	}
	var compilesOfA atomic.Int64
	opts := idleOptions(dir, time.Minute)
	opts.OnLoad = func(id string, _ time.Duration, _ error) {
		if id == "a" {
			compilesOfA.Add(1)
		}
	}
	reg, clock, _ := idleRegistry(t, opts, time.Millisecond)

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
				clock.Advance(7 * time.Second)
			}
		}
	})
	bg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			// Replaced by rename, so that a reload never reads it half
			// written.
			tmp := filepath.Join(dir, ".tenant.yaml")
			if err := os.WriteFile(tmp, fmt.Appendf(nil, "name: Tenant b, edit %d\n", i), 0o644); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(tmp, filepath.Join(dir, "b", "tenant.yaml")); err != nil {
				t.Error(err)
				return
			}
			if err := reg.Reload(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			for i := range 300 {
				// Now and then, no lookup until the sweeper has
				// evicted the tenant.
				if i%10 == 9 {
					if !evicted(reg, id) {
						t.Errorf("%s was not evicted", id)
						return
					}
				}
				tn, ok := reg.Lookup(id)
				if !ok {
					t.Errorf("lookup of %s failed", id)
					return
				}
				if got := ownFields(tn); len(got) != 1 || got[0] != id+"Code" {
					t.Errorf("%s serves %v", id, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	require.GreaterOrEqual(t, compilesOfA.Load(), int64(31), "a was evicted and compiled again, at least every tenth lookup")
}

// evicted waits, for up to 5 seconds, until tenant id is not resident.
func evicted(reg *loader.Registry, id string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !slices.ContainsFunc(reg.Tenants(), func(tn *loader.Tenant) bool { return tn.ID == id }) {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}
