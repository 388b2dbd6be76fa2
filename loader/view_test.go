package loader_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/loader"
)

// viewTenant returns the tenant "shop", compiled, whose Goods has a field
// a that only scope a may see and b that only b may, and a count of the
// executable schemas made since (one per view built).
func viewTenant(t *testing.T) (*loader.Registry, *loader.Tenant, *atomic.Int64) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shop", "tenant.yaml"), `name: Shop
authorization:
  operations:
    goods: [[read]]
    goodsList: [[read]]
    createGoods: [[write]]
    updateGoods: [[write]]
    deleteGoods: [[write]]
`)
	writeFile(t, filepath.Join(dir, "shop", "goods.graphqls"), `extend type Goods {
  a: Int @requiresScopes(scopes: [["a"]])
  b: Int @requiresScopes(scopes: [["b"]])
}`)
	var built atomic.Int64
	reg, err := loader.New(loader.Options{
		Dir: dir,
		NewExecutable: func(s *loader.Schema) graphql.ExecutableSchema {
			built.Add(1)
			return dynamic.New(dynamic.Config{Schema: s.AST})
		},
		NewHandler: func(string, graphql.ExecutableSchema) http.Handler { return http.NotFoundHandler() },
		Logger:     slog.New(slog.DiscardHandler),
		MaxViews:   2,
	})
	require.NoError(t, err)
	t.Cleanup(reg.Close)
	shop, ok := reg.Lookup("shop")
	require.True(t, ok)
	require.NotNil(t, shop.Policy)
	built.Store(0)
	return reg, shop, &built
}

func TestTenantViews(t *testing.T) {
	_, shop, built := viewTenant(t)
	view := func(scopes ...string) loader.View {
		t.Helper()
		v, err := shop.View(shop.Policy.Grant(shop.Policy.Scopes(scopes, nil)))
		require.NoError(t, err)
		return v
	}

	all := view("read", "write", "a", "b")
	require.Same(t, shop.Runtime, all.Runtime, "a caller granted everything is served the tenant's runtime")
	require.Nil(t, all.Access)
	require.Zero(t, built.Load())

	var wg sync.WaitGroup
	views := make([]loader.View, 8)
	for i := range views {
		wg.Go(func() { views[i] = view("read", "a") })
	}
	wg.Wait()
	for _, v := range views {
		require.Same(t, views[0].Runtime, v.Runtime, "callers granted the same share a view")
	}
	require.EqualValues(t, 1, built.Load(), "a burst builds a view once")
	require.NotNil(t, views[0].Access)
	require.Nil(t, views[0].Runtime.Schema.AST.Mutation, "the view has no mutations")
	require.Same(t, views[0].Runtime, view("read", "a", "unrelated").Runtime, "scopes no requirement names make no difference")

	view("read", "b")
	view("read")
	require.Equal(t, 2, shop.Views(), "at most MaxViews")
	require.NotSame(t, views[0].Runtime, view("read", "a").Runtime, "the least recently used view was dropped and is built again")

	_, err := shop.View(shop.Policy.Grant(authz.NewScopes([]string{"a", "b"})))
	require.ErrorIs(t, err, loader.ErrNoAccess, "no field of Query")
}

// grant returns the grant of shop's callers with the given scopes.
func grant(shop *loader.Tenant, scopes ...string) authz.Grant {
	return shop.Policy.Grant(shop.Policy.Scopes(scopes, nil))
}

// TestViewWaitsForCompileSlot: a view is built holding a compile slot of
// its tenant's registry; a caller gives up waiting for one when its
// context ends, and nothing is cached for its grant.
func TestViewWaitsForCompileSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, shop, built := viewTenant(t)
		release := reg.HoldCompileSlots()

		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := shop.ViewContext(ctx, grant(shop, "read", "a"))
		require.ErrorIs(t, err, context.DeadlineExceeded, "every compile slot is busy until after the deadline")
		require.Zero(t, built.Load())
		require.Zero(t, shop.Views(), "giving up caches nothing")

		done := make(chan error, 1)
		go func() {
			_, err := shop.ViewContext(t.Context(), grant(shop, "read", "a"))
			done <- err
		}()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("built a view without a compile slot (err %v)", err)
		default:
		}
		// A caller waiting for that caller's build gives up at its own
		// deadline.
		ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err = shop.ViewContext(ctx, grant(shop, "read", "a"))
		require.ErrorIs(t, err, context.DeadlineExceeded, "a follower waits no longer than its own deadline")
		release()
		require.NoError(t, <-done)
		require.EqualValues(t, 1, built.Load())
		require.Equal(t, 1, shop.Views())

		// A view that is cached needs no slot.
		release = reg.HoldCompileSlots()
		defer release()
		_, err = shop.ViewContext(t.Context(), grant(shop, "read", "a"))
		require.NoError(t, err)
		// Nor does a caller granted everything.
		_, err = shop.ViewContext(t.Context(), grant(shop, "read", "write", "a", "b"))
		require.NoError(t, err)
	})
}

// TestViewFollowerOutlivesLeader: a caller waiting for another's build of
// the same view gets its view even when that other caller gives up
// before it got a compile slot.
func TestViewFollowerOutlivesLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, shop, built := viewTenant(t)
		release := reg.HoldCompileSlots()
		g := grant(shop, "read", "b")

		leaderCtx, cancelLeader := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() {
			_, err := shop.ViewContext(leaderCtx, g)
			leader <- err
		}()
		synctest.Wait() // the leader waits for a slot
		follower := make(chan loader.View, 1)
		go func() {
			v, err := shop.ViewContext(t.Context(), g)
			assert.NoError(t, err, "a follower fails because its leader gave up")
			follower <- v
		}()
		synctest.Wait() // the follower waits for the leader's build
		cancelLeader()
		require.ErrorIs(t, <-leader, context.Canceled)
		synctest.Wait()
		require.Zero(t, built.Load())
		release()
		v := <-follower
		require.NotNil(t, v.Runtime)
		goods := v.Runtime.Schema.AST.Types["Goods"]
		require.NotNil(t, goods.Fields.ForName("b"), "the view of scope b")
		require.Nil(t, goods.Fields.ForName("a"), "the view of scope b")
		require.EqualValues(t, 1, built.Load())
		require.Equal(t, 1, shop.Views())
	})
}
