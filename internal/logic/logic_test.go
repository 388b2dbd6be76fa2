package logic_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/graph/model"
	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/logic"
)

// testSchema is a Goods with fields of every kind and the directives of
// the tenant's logic, loaded without the loader's policy so that the
// package is tested on its own.
const testSchema = `
directive @computed(expr: String!) on FIELD_DEFINITION
directive @validate(expr: String!, message: String!) repeatable on FIELD_DEFINITION | OBJECT
scalar DateTime
enum Shipping { PARCEL FREIGHT }
type Dimensions { width: Float! unit: String }
type Goods %s {
  id: ID!
  name: String!
  price: Float!
  description: String
  createdAt: DateTime!
  taxRate: Float!
  quantity: Int
  shipping: Shipping
  tags: [String!]!
  dimensions: Dimensions
  %s
}
type Query { goods: Goods }
`

func compile(t *testing.T, goodsDirectives, fields string) (*logic.Set, []logic.Problem) {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "tenants/t/goods.graphqls", Input: strings.Replace(strings.Replace(testSchema, "%s", goodsDirectives, 1), "%s", fields, 1)})
	require.NoError(t, err)
	return logic.Compile(s)
}

func goods() *model.Goods {
	d := "a teapot"
	return &model.Goods{
		ID: "g1", Name: "Teapot", Price: 20, Description: &d,
		CreatedAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		Ext: map[string]any{
			"taxRate": 0.25, "quantity": float64(3), "shipping": "FREIGHT",
			"tags": []any{"kitchen", "gift"}, "dimensions": map[string]any{"width": float64(12), "unit": "cm"},
		},
	}
}

func TestComputed(t *testing.T) {
	for _, tt := range []struct {
		name, field string
		want        any
	}{
		{"float", `v: Float! @computed(expr: "self.price * (1.0 + self.taxRate)")`, 25.0},
		{"int", `v: Int @computed(expr: "self.quantity * 2")`, 6},
		{"string", `v: String! @computed(expr: "self.name.upperAscii() + ' ' + self.id")`, "TEAPOT g1"},
		{"nullable string", `v: String @computed(expr: "self.description")`, "a teapot"},
		{"bool", `v: Boolean! @computed(expr: "'gift' in self.tags")`, true},
		{"enum", `v: Shipping! @computed(expr: "self.shipping == 'FREIGHT' ? 'PARCEL' : 'FREIGHT'")`, "PARCEL"},
		{"timestamp", `v: DateTime! @computed(expr: "self.createdAt + duration('1h')")`, time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)},
		{"value object", `v: Float @computed(expr: "self.dimensions.width / 2.0")`, 6.0},
		{"list", `v: [String!]! @computed(expr: "self.tags.map(t, t + '!')")`, []any{"kitchen!", "gift!"}},
		{"null", `v: String @computed(expr: "has(self.description) ? dyn(null) : 'none'")`, nil},
		{"a null field is not set", `v: String! @computed(expr: "has(self.quantity) ? 'q' : 'none'")`, "q"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, problems := compile(t, "", tt.field)
			require.Empty(t, problems)
			got, err := set.Computed()["Goods.v"](goods())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestComputedFails(t *testing.T) {
	for _, tt := range []struct{ name, field, want string }{
		{"division by zero", `v: Int @computed(expr: "self.quantity / (self.quantity - 3)")`, "division by zero"},
		{"null where a value is due", `v: Float! @computed(expr: "self.price + self.dimensions.height")`, "no such key"},
		{"cost limit", `v: Int! @computed(expr: "` + nested(14) + `.size()")`, "cost limit"},
		{"out of Int range", `v: Int @computed(expr: "self.quantity * 10000000000")`, "out of the range of Int"},
		{"not an enum value", `v: Shipping @computed(expr: "'BOAT'")`, "no value of Shipping"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, problems := compile(t, "", tt.field)
			require.Empty(t, problems)
			_, err := set.Computed()["Goods.v"](goods())
			ae, ok := apperr.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, apperr.ComputeFailed, ae.Code)
			require.Contains(t, ae.Message, tt.want)
		})
	}
}

func TestCompileProblems(t *testing.T) {
	for _, tt := range []struct{ name, field, want string }{
		{"syntax", `v: Float @computed(expr: "self.price *")`, "tenants/t/goods.graphqls:18"},
		{"unknown field", `v: Float @computed(expr: "self.cost")`, "undefined field 'cost'"},
		{"wrong type", `v: Float! @computed(expr: "self.quantity")`, "of CEL type int, not Float! (double)"},
		{"reads a computed field", `v: Float @computed(expr: "self.v")`, "undefined field 'v'"},
		{"rule not bool", `v: Float @validate(expr: "value", message: "m")`, "not bool"},
		{"empty message", `v: Float @validate(expr: "value > 0.0", message: "")`, "message must not be empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := compile(t, "", tt.field)
			require.NotEmpty(t, problems)
			msg := problems[0].Pos.Src.Name + ":" + strconv.Itoa(problems[0].Pos.Line) + " " + problems[0].Message
			require.Contains(t, msg, tt.want)
		})
	}
}

// nested returns depth maps over self.tags nested in each other: 2^depth
// evaluations of the innermost.
func nested(depth int) string {
	if depth == 0 {
		return "1"
	}
	return "self.tags.map(x" + strconv.Itoa(depth) + ", " + nested(depth-1) + ")"
}

func TestRules(t *testing.T) {
	set, problems := compile(t, `@validate(expr: "self.price >= 1.0", message: "price is at least 1")`,
		`rate: Float @validate(expr: "value >= 0.0 && value <= 1.0", message: "rate is between 0 and 1")`)
	require.Empty(t, problems)
	all := func(string) bool { return true }

	g := goods()
	require.NoError(t, set.Check(context.Background(), g, all))

	g.Ext["rate"] = 1.5
	err := set.Check(context.Background(), g, all)
	ae, ok := apperr.As(err)
	require.True(t, ok)
	require.Equal(t, apperr.BadUserInput, ae.Code)
	require.Equal(t, "rate is between 0 and 1", ae.Message)
	require.Equal(t, "rate", ae.Field)
	require.NoError(t, set.Check(context.Background(), g, func(f string) bool { return f != "rate" }), "a field's rule runs when the field is given")

	g = goods()
	g.Price = 0.5
	ae, _ = apperr.As(set.Check(context.Background(), g, all))
	require.Equal(t, "price is at least 1", ae.Message)
	require.Empty(t, ae.Field)
}
