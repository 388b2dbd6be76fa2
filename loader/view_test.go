package loader_test

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/dynamic"
	"github.com/tenantgraph/tenantgraph/loader"
)

func TestTenantViews(t *testing.T) {
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
	shop, ok := reg.Lookup("shop")
	require.True(t, ok)
	require.NotNil(t, shop.Policy)
	built.Store(0)
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

	_, err = shop.View(shop.Policy.Grant(authz.NewScopes([]string{"a", "b"})))
	require.ErrorIs(t, err, loader.ErrNoAccess, "no field of Query")
}
