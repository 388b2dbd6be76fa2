package validation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/validation"
)

// schemaOnly is an executable schema that is only ever validated against.
type schemaOnly struct{ schema *ast.Schema }

var _ graphql.ExecutableSchema = schemaOnly{}

func (e schemaOnly) Schema() *ast.Schema { return e.schema }

func (schemaOnly) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}

func (schemaOnly) Exec(context.Context) graphql.ResponseHandler {
	panic("schemaOnly does not execute")
}

// TestGQLGenKeepsRules validates through gqlgen's executor, which swaps
// its own FieldsOnCorrectType and ScalarLeafs into the rules it is given:
// this package's must stay. With gqlparser's, the fragment below would be
// reported once per operation that spreads it.
func TestGQLGenKeepsRules(t *testing.T) {
	var b strings.Builder
	b.WriteString("fragment G on Goods { x y { z } name { n } }\n")
	for i := range 50 {
		fmt.Fprintf(&b, "query Q%d { goods(id: 1) { ...G } }\n", i)
	}
	exec := executor.New(schemaOnly{baseSchema(t)})
	exec.SetDefaultRulesFn(validation.Rules)
	ctx := graphql.StartOperationTrace(context.Background())
	_, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: b.String(), OperationName: "Q0"})
	count := map[string]int{}
	for _, e := range errs {
		count[e.Rule]++
	}
	require.Equal(t, map[string]int{"FieldsOnCorrectType": 3, "ScalarLeafs": 1}, count, "%v", errs)
}
