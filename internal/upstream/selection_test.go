package upstream_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// TestSelection checks that the fields CollectFields gives become a
// selection that forwards every occurrence's subfields.
func TestSelection(t *testing.T) {
	doc, errs := gqlparser.LoadQuery(tenantSchema, `query($no: Boolean!) {
	  goodsList(ids: []) {
	    name
	    warehouse { code }
	    warehouse { city }
	    stock @skip(if: $no)
	    ... on Goods { w: warehouse { code } }
	  }
	}`)
	require.Empty(t, errs)
	vars := map[string]any{"no": true}
	opCtx := &graphql.OperationContext{Doc: doc, Variables: vars}
	goods := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
	var fields []graphql.CollectedField
	for _, f := range graphql.CollectFields(opCtx, goods, []string{"Goods"}) {
		if f.Name != "name" { // not the upstream's
			fields = append(fields, f)
		}
	}
	require.Len(t, fields, 2, "warehouse, w")

	s := newStub(t, empty)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})
	_, err := c.Entities(context.Background(), "Goods", []string{"a"}, upstream.Selection(fields), vars)
	require.NoError(t, err)
	req, _ := s.Last()
	require.Equal(t, `query($representations:[_Any!]!){_entities(representations:$representations){...on Goods{warehouse{code city}}}}`, req.Query)
}
