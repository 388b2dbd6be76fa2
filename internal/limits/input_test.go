package limits_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/limits"
)

func TestCheckInputs(t *testing.T) {
	l := limits.Limits{MaxStringLength: 10, MaxFilterLength: 4, MaxListLength: 3}
	tests := []struct {
		name    string
		query   string
		vars    map[string]any
		wantArg string // "" for no error
		wantMsg string
	}{
		{"string at the limit", `mutation { createGoods(input: {name: "0123456789", price: 1}) { id } }`, nil, "", ""},
		{"string one past", `mutation { createGoods(input: {name: "0123456789x", price: 1}) { id } }`, nil, "input.name", "at most 10 characters"},
		{"characters, not bytes", `mutation { createGoods(input: {name: "éééééééééé", price: 1}) { id } }`, nil, "", ""},
		{"filter at the limit", `{ goodsList(filter: {nameContains: "abcd"}) { totalCount } }`, nil, "", ""},
		{"filter one past", `{ goodsList(filter: {nameContains: "abcde"}) { totalCount } }`, nil, "filter.nameContains", "at most 4 characters in a filter"},
		{"filter variable one past", `query($f: GoodsFilter) { goodsList(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"nameContains": "abcde"}}, "filter.nameContains", "in a filter"},
		{"variable used outside and inside a filter", `query($q: String) { goods(id: $q) { id } goodsList(filter: {nameContains: $q}) { totalCount } }`,
			map[string]any{"q": "abcdefg"}, "filter.nameContains", "in a filter"},
		{"list at the limit", `{ goodsList(filter: {categoryCode: {in: ["a", "b", "c"]}}) { totalCount } }`, nil, "", ""},
		{"list one past", `{ goodsList(filter: {categoryCode: {in: ["a", "b", "c", "d"]}}) { totalCount } }`, nil, "filter.categoryCode.in", "at most 3 items"},
		{"list variable one past", `query($tags: [String!]) { createGoods(input: {name: "x", price: 1, tags: $tags}) { id } }`,
			map[string]any{"tags": []any{"a", "b", "c", "d"}}, "input.tags", "at most 3 items"},
		{"NUL in a literal", `mutation { createGoods(input: {name: "a\u0000b", price: 1}) { id } }`, nil, "input.name", "control characters"},
		{"escape in a variable", `mutation($n: String!) { createGoods(input: {name: $n, price: 1}) { id } }`,
			map[string]any{"n": "bell\a"}, "input.name", "control characters"},
		{"list item path", `mutation { createGoods(input: {name: "x", price: 1, tags: ["ok", "b\u001bc"]}) { id } }`, nil, "input.tags[1]", "control characters"},
		{"tab, newline and return are text", "mutation { createGoods(input: {name: \"x\", description: \"a\\tb\\nc\\r\", price: 1}) { id } }", nil, "", ""},
		{"DEL", `mutation { createGoods(input: {name: "a\u007f", price: 1}) { id } }`, nil, "input.name", "control characters"},
		{"inside a named fragment", `{ ...F } fragment F on Query { goods(id: "0123456789abc") { id } }`, nil, "id", "at most 10"},
		{"inside an inline fragment", `{ ... on Query { goods(id: "0123456789abc") { id } } }`, nil, "id", "at most 10"},
		{"nested field argument", `{ goodsList { nodes { id } } goods(id: "1") { id } }`, nil, "", ""},
		{"block string", "mutation { createGoods(input: {name: \"\"\"0123456789x\"\"\", price: 1}) { id } }", nil, "input.name", "at most 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			require.NoError(t, err)
			err = l.CheckInputs(doc, doc.Operations[0], tt.vars)
			if tt.wantArg == "" {
				require.NoError(t, err)
				return
			}
			ae, ok := apperr.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, apperr.BadUserInput, ae.Code)
			require.Equal(t, tt.wantArg, ae.Argument)
			require.Contains(t, ae.Message, tt.wantMsg)
		})
	}
}

func TestCheckInputsZeroLimits(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ goodsList(filter: {nameContains: "` + strings.Repeat("x", 1<<16) + `"}) { totalCount } }`})
	require.NoError(t, err)
	require.NoError(t, limits.Limits{}.CheckInputs(doc, doc.Operations[0], nil), "zero limits bound nothing but control characters")
}

// BenchmarkCheckInputs checks a variable of 100 KB used by 500 fields:
// each variable is checked once, so this costs one scan of it.
func BenchmarkCheckInputs(b *testing.B) {
	var q strings.Builder
	q.WriteString(`query($q: String) {`)
	for range 500 {
		q.WriteString(` goods(id: $q) { id }`)
	}
	q.WriteString(`}`)
	doc, err := parser.ParseQuery(&ast.Source{Input: q.String()})
	require.NoError(b, err)
	vars := map[string]any{"q": strings.Repeat("x", 100_000)}
	l := limits.Defaults()
	l.MaxStringLength = 1 << 20
	b.ReportAllocs()
	for b.Loop() {
		if err := l.CheckInputs(doc, doc.Operations[0], vars); err != nil {
			b.Fatal(err)
		}
	}
}
