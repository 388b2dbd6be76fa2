package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestClientSchema checks that clients see the API, not the language it
// was written in: no authoring directive, no DefaultValue, no @defer, in
// introspection, /schema.graphql and validation; and the introspection
// answers the spec gives where generated code deviates.
func TestClientSchema(t *testing.T) {
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	tok := g.customerA(t, "editor", "buyer")

	code, sdl := getSchema(g, tok)
	require.Equal(t, http.StatusOK, code)
	var introspected struct {
		Schema struct {
			Directives []struct{ Name string }
			Types      []struct{ Name string }
		} `json:"__schema"`
	}
	g.mustData(t, tok, `{ __schema { directives { name } types { name } } }`, nil, &introspected)
	var names []string
	for _, d := range introspected.Schema.Directives {
		names = append(names, d.Name)
	}
	require.ElementsMatch(t, []string{"include", "skip", "deprecated", "specifiedBy", "oneOf"}, names)
	for _, ty := range introspected.Schema.Types {
		require.NotEqual(t, "DefaultValue", ty.Name)
	}
	for _, authoring := range []string{"@cost", "@listSize", "@default", "@filterable", "@sortable", "@requiresScopes", "@computed", "@validate", "@upstream", "@defer", "DefaultValue"} {
		require.NotContains(t, sdl, authoring)
	}
	require.Contains(t, sdl, "purchasePrice: Float")

	_, resp := g.post(t, tok, `{ goodsList { ... @defer { totalCount } } }`, nil)
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code(), "@defer is not advertised, so not accepted")
	require.True(t, strings.Contains(resp.Errors[0].Message, "defer"), resp.Errors[0].Message)
	_, resp = g.post(t, tok, `{ goodsList @cost(weight: "1") { totalCount } }`, nil)
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.code())

	var types struct {
		Scalar struct {
			Fields, Interfaces, PossibleTypes, EnumValues, InputFields []any
			IsOneOf                                                    *bool
		}
		Input struct{ IsOneOf *bool }
	}
	g.mustData(t, tok, `{
		scalar: __type(name: "DateTime") { fields { name } interfaces { name } possibleTypes { name } enumValues { name } inputFields { name } isOneOf }
		input: __type(name: "GoodsFilter") { isOneOf }
	}`, nil, &types)
	require.Nil(t, types.Scalar.Fields, "null, as the spec says, not []")
	require.Nil(t, types.Scalar.Interfaces)
	require.Nil(t, types.Scalar.PossibleTypes)
	require.Nil(t, types.Scalar.EnumValues)
	require.Nil(t, types.Scalar.InputFields)
	require.Nil(t, types.Scalar.IsOneOf)
	require.NotNil(t, types.Input.IsOneOf)
	require.False(t, *types.Input.IsOneOf)
}
