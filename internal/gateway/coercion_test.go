package gateway_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestCoercion holds variables and literals to the spec's coercion rules
// where gqlparser is looser: each case is refused before anything runs,
// as graphql-js refuses it, never with a 500 or an internal error.
func TestCoercion(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	tok := g.customerA(t, "editor", "buyer")
	id := g.create(t, g.token(t, "acme"), "Kettle", 1).ID
	acme := g.token(t, "acme")

	for _, tt := range []struct {
		name, query string
		vars        map[string]any
		want        string // in the message
	}{
		{"a string for a Float", `query($v: Float) { goodsList(filter: {price: {gt: $v}}) { totalCount } }`, map[string]any{"v": "1"}, "Float cannot represent"},
		{"a string for an Int", `query($v: Int) { goodsList(first: $v) { totalCount } }`, map[string]any{"v": "5"}, "Int cannot represent"},
		{"an Int out of 32 bits", `query($v: Int) { goodsList(first: $v) { totalCount } }`, map[string]any{"v": 2147483648}, "32-bit"},
		{"a number for a String", `query($v: String) { goodsList(filter: {nameContains: $v}) { totalCount } }`, map[string]any{"v": 5}, "String cannot represent"},
		{"a fraction for an ID", `query($v: ID!) { goods(id: $v) { id } }`, map[string]any{"v": 1.5}, "ID cannot represent"},
		{"a lower-case enum value", `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, map[string]any{"v": []any{map[string]any{"field": "name"}}}, `Enum "GoodsSortField"`},
		{"null for a non-null input field with a default", `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, map[string]any{"v": []any{map[string]any{"field": "NAME", "direction": nil}}}, `null`},
		{"null for @include(if:) through a variable with a default", `query($v: Boolean = true) { goodsList { totalCount @include(if: $v) } }`, map[string]any{"v": nil}, `Argument "if" of non-null type "Boolean!" must not be null.`},
		{"an object for a list of strings", `{ goodsList(filter: {categoryCode: {in: [{}]}}) { totalCount } }`, nil, "String cannot represent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, resp := g.post(t, tok, tt.query, tt.vars)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), rec.Body.String())
			require.Contains(t, resp.Errors[0].Message, tt.want)
			require.JSONEq(t, `null`, orNull(resp.Data), "nothing ran")
		})
	}

	t.Run("the error is at the path of the value within the variable", func(t *testing.T) {
		vars := map[string]any{"v": []any{map[string]any{"field": "NAME"}, map[string]any{"field": "price"}}}
		_, resp := g.post(t, tok, `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, vars)
		require.NotEmpty(t, resp.Errors)
		require.Equal(t, []any{"variable", "v", 1.0, "field"}, resp.Errors[0].Path)
	})

	t.Run("what the spec accepts still passes", func(t *testing.T) {
		for _, c := range []struct {
			query string
			vars  map[string]any
		}{
			{`query($v: Float) { goodsList(filter: {price: {gt: $v}}) { totalCount } }`, map[string]any{"v": 1}},
			{`query($v: ID!) { goods(id: $v) { id } }`, map[string]any{"v": 12}},
			{`query($v: ID!) { goods(id: $v) { id } }`, map[string]any{"v": id}},
			{`query($v: Boolean = true) { goodsList { totalCount @include(if: $v) } }`, nil},
			{`query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, map[string]any{"v": map[string]any{"field": "NAME"}}},
		} {
			rec, resp := g.post(t, acme, c.query, c.vars)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Empty(t, resp.Errors, "%s: %s", c.query, rec.Body.String())
		}
	})
}

func orNull(b []byte) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}
