package loader_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
	"github.com/tenantgraph/tenantgraph/loader"
)

// countingRegistry returns a registry of dir holding at most maxResident
// tenants, and the number of compilations it has done.
func countingRegistry(t *testing.T, dir string, maxResident int) (*loader.Registry, *atomic.Int64) {
	t.Helper()
	var compiles atomic.Int64
	opts := plainOptions(dir)
	opts.MaxResident = maxResident
	opts.OnLoad = func(string, time.Duration, error) { compiles.Add(1) }
	reg, err := loader.New(opts)
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	return reg, &compiles
}

// writeFieldTenant writes a tenant whose Goods has one field of its own,
// named after it.
func writeFieldTenant(t *testing.T, dir, id string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, id, "tenant.yaml"), "name: Tenant "+id+"\n")
	writeFile(t, filepath.Join(dir, id, "goods.graphqls"), fmt.Sprintf("extend type Goods {\n  %sCode: String\n}\n", id))
}

// goodsFields returns the fields of Goods that the tenants' own fields
// are named like (ending in Code).
func ownFields(tn *loader.Tenant) []string {
	var out []string
	for _, f := range tn.Runtime.Schema.AST.Types["Goods"].Fields {
		if n := f.Name; len(n) > 4 && n[len(n)-4:] == "Code" {
			out = append(out, n)
		}
	}
	return out
}

func TestRegistryCompilesOnFirstLookupOnce(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	writeFieldTenant(t, dir, "b")
	reg, compiles := countingRegistry(t, dir, 0)
	require.Zero(t, compiles.Load(), "New reads the tenants directory only")

	var wg sync.WaitGroup
	got := make([]*loader.Tenant, 32)
	for i := range got {
		wg.Go(func() {
			tn, ok := reg.Lookup("a")
			require.True(t, ok)
			got[i] = tn
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, compiles.Load(), "a burst of first lookups compiles once")
	for _, tn := range got {
		require.Same(t, got[0], tn)
	}
	require.Equal(t, []string{"aCode"}, ownFields(got[0]))

	st := reg.States()
	require.True(t, st[0].Resident)
	require.False(t, st[1].Resident)
	require.True(t, st[1].Serving)
}

func TestRegistryEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"a", "b", "c", "d", "e"}
	for _, id := range ids {
		writeFieldTenant(t, dir, id)
	}
	reg, compiles := countingRegistry(t, dir, 2)
	for round := range 3 {
		for _, id := range ids {
			tn, ok := reg.Lookup(id)
			require.True(t, ok, id)
			require.Equal(t, []string{id + "Code"}, ownFields(tn), "round %d: %s sees exactly its own fields", round, id)
			require.LessOrEqual(t, len(reg.Tenants()), 2)
		}
	}
	require.EqualValues(t, 15, compiles.Load(), "each lookup of an evicted tenant compiles it again")

	// A tenant in use stays resident.
	a, _ := reg.Lookup("a")
	for _, id := range ids[1:] {
		reg.Lookup(id)
		again, _ := reg.Lookup("a")
		require.Same(t, a, again)
	}
}

func TestRegistryReloadOfTenantNotResident(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	writeFieldTenant(t, dir, "b")
	reg, compiles := countingRegistry(t, dir, 1)
	_, ok := reg.Lookup("a")
	require.True(t, ok)
	reg.Lookup("b") // evicts a
	require.False(t, reg.States()[0].Resident)

	// A good edit of a tenant not resident is compiled on its next lookup,
	// not by the reload.
	writeFile(t, filepath.Join(dir, "a", "goods.graphqls"), "extend type Goods {\n  aCode: String\n  aNewCode: Int\n}\n")
	before := compiles.Load()
	require.NoError(t, reg.Reload())
	require.Equal(t, before, compiles.Load())
	a, ok := reg.Lookup("a")
	require.True(t, ok)
	require.Equal(t, []string{"aCode", "aNewCode"}, ownFields(a))

	// A broken edit of a tenant not resident: its next lookup finds the
	// error, and serves the last version that compiled.
	reg.Lookup("b")
	writeFile(t, filepath.Join(dir, "a", "goods.graphqls"), "extend type Goods {\n  aCode: Nope\n}\n")
	require.NoError(t, reg.Reload(), "the reload compiles nothing, so it knows no problem yet")
	a, ok = reg.Lookup("a")
	require.True(t, ok)
	require.Equal(t, []string{"aCode", "aNewCode"}, ownFields(a))
	st := reg.States()[0]
	require.True(t, st.Serving)
	require.Contains(t, st.Error, "Nope")
	require.ErrorContains(t, reg.Problems(), filepath.Join(dir, "a", "goods.graphqls")+":2:")

	// A tenant broken from the start is not served, and is not compiled
	// again on every lookup.
	writeFile(t, filepath.Join(dir, "c", "tenant.yaml"), "name: C\n")
	writeFile(t, filepath.Join(dir, "c", "goods.graphqls"), "extend type Goods {\n  cCode: Nope\n}\n")
	require.ErrorContains(t, reg.Reload(), "aCode", "a's problem is still known")
	_, ok = reg.Lookup("c")
	require.False(t, ok)
	require.True(t, reg.Known("c"))
	before = compiles.Load()
	_, ok = reg.Lookup("c")
	require.False(t, ok)
	require.Equal(t, before, compiles.Load())
	require.False(t, reg.States()[2].Serving)
}

func TestRegistryPreload(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"a", "b", "c", "d"} {
		writeFieldTenant(t, dir, id)
	}
	writeFile(t, filepath.Join(dir, "e", "tenant.yaml"), "name: E\n")
	writeFile(t, filepath.Join(dir, "e", "goods.graphqls"), "extend type Goods {\n  eCode: Nope\n}\n")

	reg, _ := countingRegistry(t, dir, 0)
	require.NoError(t, reg.Problems())
	reg.Preload(context.Background())
	require.Len(t, reg.Tenants(), 4)
	require.ErrorContains(t, reg.Problems(), "Nope", "preloading finds broken tenants")

	small, compiles := countingRegistry(t, dir, 2)
	small.Preload(context.Background())
	require.Len(t, small.Tenants(), 2, "preloading stops when the registry is full")
	require.EqualValues(t, 2, compiles.Load())
}

// TestRegistryReloadRetriesFailedCompile checks that a tenant whose
// compile failed for a reason outside its files (here, its upstream's
// client could not be made) is compiled again after a reload, though its
// files did not change.
func TestRegistryReloadRetriesFailedCompile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shop", "tenant.yaml"), `name: Shop
upstreams:
  inventory:
    urls: [http://127.0.0.1:1/graphql]
`)
	writeFile(t, filepath.Join(dir, "shop", "goods.graphqls"), `extend type Goods { stock: Int @upstream(name: "inventory") }`)
	var fail atomic.Bool
	fail.Store(true)
	reg, err := loader.New(loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			return dynamic.New(dynamic.Config{Schema: s.AST})
		},
		NewHandler: func(string, graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:     slog.New(slog.DiscardHandler),
		NewUpstream: func(_ string, _ map[string]string, name string, spec upstream.Spec) (*upstream.Client, error) {
			if fail.Load() {
				return nil, errors.New("no client today")
			}
			return upstream.New(name, spec, upstream.Options{})
		},
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	_, ok := reg.Lookup("shop")
	require.False(t, ok)
	require.Contains(t, reg.States()[0].Error, "no client today")

	fail.Store(false)
	_, ok = reg.Lookup("shop")
	require.False(t, ok, "without a reload, a failed compile is not tried on every lookup")
	require.ErrorContains(t, reg.Reload(), "no client today", "shown until it compiles")
	_, ok = reg.Lookup("shop")
	require.True(t, ok, "a reload tries the same files again")
	require.Empty(t, reg.States()[0].Error)
}

func TestRegistryLookupGivesUpWhenContextEnds(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	reg, compiles := countingRegistry(t, dir, 0)

	release := reg.HoldCompileSlots()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	tn, ok := reg.LookupContext(ctx, "a")
	require.False(t, ok, "every compile slot is busy until after the deadline")
	require.Nil(t, tn)
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.Zero(t, compiles.Load())
	st := reg.States()[0]
	require.Empty(t, st.Error, "giving up is not a failure of the tenant")
	require.True(t, st.Serving)
	require.False(t, st.Resident)

	// A lookup waiting for a slot gets one when it frees up.
	done := make(chan *loader.Tenant)
	go func() {
		tn, _ := reg.LookupContext(t.Context(), "a")
		done <- tn
	}()
	select {
	case <-done:
		t.Fatal("compiled without a slot")
	case <-time.After(20 * time.Millisecond):
	}
	release()
	tn = <-done
	require.NotNil(t, tn)
	require.Equal(t, []string{"aCode"}, ownFields(tn))
	require.EqualValues(t, 1, compiles.Load())
}

func TestRegistryReloadDoesNotEvictOthers(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "a")
	writeFieldTenant(t, dir, "b")
	reg, compiles := countingRegistry(t, dir, 2)
	for _, id := range []string{"a", "b", "a"} { // b is the least recently used
		_, ok := reg.Lookup(id)
		require.True(t, ok)
	}

	writeFile(t, filepath.Join(dir, "a", "goods.graphqls"), "extend type Goods {\n  aCode: String\n  a2Code: String\n}\n")
	require.NoError(t, reg.Reload())
	require.EqualValues(t, 3, compiles.Load(), "the reload recompiled a, which is resident")
	for _, st := range reg.States() {
		require.True(t, st.Resident, "%s stays resident: the registry holds 2 tenants", st.ID)
	}
	a, _ := reg.Lookup("a")
	require.Equal(t, []string{"aCode", "a2Code"}, ownFields(a))
	_, _ = reg.Lookup("b")
	require.EqualValues(t, 3, compiles.Load(), "b was not evicted and compiled again")
}

// TestRegistryIsCollected checks that a registry no longer referred to is
// collected with its resident tenants, as tests and benchmarks that make
// many registries need: nothing the runtime keeps for its own purposes,
// such as the cleanups of shared runtimes, may keep it alive.
func TestRegistryIsCollected(t *testing.T) {
	for _, closed := range []bool{true, false} {
		t.Run(fmt.Sprintf("closed=%v", closed), func(t *testing.T) {
			dir := t.TempDir()
			writeFieldTenant(t, dir, "a")
			writeFieldTenant(t, dir, "b")
			gone := func() weak.Pointer[loader.Registry] {
				reg, err := loader.New(plainOptions(dir))
				require.NoError(t, err)
				for _, id := range []string{"a", "b"} {
					_, ok := reg.Lookup(id)
					require.True(t, ok, "tenant %s: %v", id, reg.Problems())
				}
				require.Len(t, reg.Tenants(), 2)
				if closed {
					reg.Close()
				}
				return weak.Make(reg)
			}()
			for range 10 {
				runtime.GC()
				if gone.Value() == nil {
					return
				}
			}
			t.Fatal("a registry holding resident tenants was never collected")
		})
	}
}

// TestCompilePanicIsTheTenantsError checks that a panic while compiling
// one tenant, here in NewExecutable, on Preload's goroutine as on a
// lookup, is that tenant's load error, logged with its stack, and leaves
// the process and the other tenants serving.
func TestCompilePanicIsTheTenantsError(t *testing.T) {
	dir := t.TempDir()
	writeFieldTenant(t, dir, "good")
	writeFieldTenant(t, dir, "bad")
	// shop panics later in its load, when its upstream's client is made.
	writeFile(t, filepath.Join(dir, "shop", "tenant.yaml"), "name: Shop\nupstreams:\n  inventory:\n    urls: [http://127.0.0.1:1/graphql]\n")
	writeFile(t, filepath.Join(dir, "shop", "goods.graphqls"), `extend type Goods { stock: Int @upstream(name: "inventory") }`)
	logs := &testenv.Buffer{}
	opts := plainOptions(dir)
	newExecutable := opts.NewExecutable
	opts.NewExecutable = func(s *loader.Schema) graphql.ExecutableSchema {
		if s.AST.Types["Goods"].Fields.ForName("badCode") != nil {
			panic("boom in bad's executable")
		}
		return newExecutable(s)
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	opts.NewUpstream = func(string, map[string]string, string, upstream.Spec) (*upstream.Client, error) {
		panic("boom in shop's upstream")
	}
	reg, err := loader.New(opts)
	require.NoError(t, err)
	t.Cleanup(reg.Close)

	done := make(chan struct{})
	go func() {
		defer close(done)
		reg.Preload(t.Context())
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Preload did not return")
	}
	_, ok := reg.Lookup("good")
	require.True(t, ok, "the other tenant serves: %v", reg.Problems())
	for range 2 { // and a second lookup does not wait on the first
		_, ok = reg.Lookup("bad")
		require.False(t, ok)
	}
	_, ok = reg.Lookup("shop")
	require.False(t, ok)
	errs := map[string]string{}
	for _, st := range reg.States() {
		errs[st.ID] = st.Error
	}
	badErr := errs["bad"]
	require.Contains(t, badErr, "internal error while compiling the tenant (panic: boom in bad's executable)")
	require.Contains(t, errs["shop"], "internal error while compiling the tenant (panic: boom in shop's upstream)")
	require.Empty(t, errs["good"])
	require.NotContains(t, badErr, "goroutine", "the stack is for the log, not the tenant's state")
	require.Contains(t, logs.String(), "panic while compiling the tenant")
	require.Contains(t, logs.String(), "resident_test.go", "the log has the stack")
}
