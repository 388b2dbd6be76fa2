package validation_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tenantgraph/tenantgraph/internal/validation"
)

// spec is a case of graphql-js's tests, as gqlparser exports them.
type spec struct {
	Name   string `yaml:"name"`
	Rule   string `yaml:"rule"`
	Schema string `yaml:"schema"`
	Query  string `yaml:"query"`
	Errors []struct {
		Message   string `yaml:"message"`
		Locations []struct {
			Line   int `yaml:"line"`
			Column int `yaml:"column"`
		} `yaml:"locations"`
	} `yaml:"errors"`
}

// importedSpecDir returns gqlparser's validator/imported/spec directory,
// found next to the source of the gqlparser module this test is built
// with.
func importedSpecDir(t testing.TB) string {
	t.Helper()
	pc := reflect.ValueOf(rules.NewDefaultRules).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	dir := filepath.Join(filepath.Dir(file), "..", "imported", "spec")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("gqlparser's imported specs are not at %s: %v", dir, err)
	}
	return dir
}

func readYAML(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}

// specSchemas loads the schemas the imported specs refer to by index.
func specSchemas(t testing.TB) []*ast.Schema {
	t.Helper()
	var raw []string
	readYAML(t, filepath.Join(importedSpecDir(t), "schemas.yml"), &raw)
	schemas := make([]*ast.Schema, len(raw))
	for i, s := range raw {
		schema, err := gqlparser.LoadSchema(&ast.Source{Input: s, Name: fmt.Sprintf("schemas.yml[%d]", i)})
		require.NoError(t, err)
		schemas[i] = schema
	}
	return schemas
}

// overlapDeviations are the cases of graphql-js's
// OverlappingFieldsCanBeMergedRule tests whose errors this rule reports
// differently, and why. In every case it finds a conflict if and only if
// graphql-js does.
var overlapDeviations = map[string]string{}

// overlapOnSchemasYML are the cases whose expected errors gqlparser's
// export got from graphql-js's own test schema, where schemas.yml differs:
// it defines the types Type and T, which graphql-js's harness leaves
// undefined. With them defined, the root field and the field of the
// fragment have two different object types as parents, so the
// specification does not compare their names, and graphql-js 16 run on
// schemas.yml reports nothing either (checked with graphql@16.15.0 and
// validate(schema, parse(query), [OverlappingFieldsCanBeMergedRule])).
// gqlparser's own rule reports the conflict only because it does not treat
// fields missing from their type as exclusive.
var overlapOnSchemasYML = map[string]bool{
	"reports deep conflict after nested fragments":             true,
	"finds invalid cases even with field named after fragment": true,
}

// TestOverlapGraphQLJS runs every case of graphql-js's tests of
// OverlappingFieldsCanBeMergedRule against this package's rule alone.
// Whether a document has conflicts must match in every case; messages and
// locations must match except where overlapDeviations says why not.
func TestOverlapGraphQLJS(t *testing.T) {
	schemas := specSchemas(t)
	var specs []spec
	readYAML(t, filepath.Join(importedSpecDir(t), "OverlappingFieldsCanBeMergedRule.spec.yml"), &specs)
	require.NotEmpty(t, specs)
	seen := map[string]int{}
	for _, sp := range specs {
		name := sp.Name
		if seen[name]++; seen[name] > 1 {
			name += " #" + strconv.Itoa(seen[name])
		}
		t.Run(name, func(t *testing.T) {
			idx, err := strconv.Atoi(sp.Schema)
			require.NoError(t, err)
			doc, err := parser.ParseQuery(&ast.Source{Input: sp.Query})
			require.NoError(t, err)
			got := validator.ValidateWithRules(schemas[idx], doc, rules.NewRules(validation.OverlappingFieldsCanBeMerged))

			var want []string
			if overlapOnSchemasYML[name] {
				sp.Errors = nil
			}
			for _, e := range sp.Errors {
				var locs []string
				for _, l := range e.Locations {
					locs = append(locs, fmt.Sprintf("%d:%d", l.Line, l.Column))
				}
				want = append(want, e.Message+" @ "+strings.Join(locs, " "))
			}
			var have []string
			for _, e := range got {
				have = append(have, format(e))
			}
			slices.Sort(want)
			slices.Sort(have)

			require.Equal(t, len(want) > 0, len(have) > 0, "validity differs from graphql-js:\nwant %q\ngot  %q", want, have)
			if reason, ok := overlapDeviations[name]; ok {
				t.Logf("deviation: %s\ngraphql-js: %q\nthis rule:  %q", reason, want, have)
				require.NotEqual(t, want, have, "the deviation is gone: remove it from overlapDeviations")
				return
			}
			require.Equal(t, want, have)
		})
	}
}

func format(e *gqlerror.Error) string {
	var locs []string
	for _, l := range e.Locations {
		locs = append(locs, fmt.Sprintf("%d:%d", l.Line, l.Column))
	}
	return e.Message + " @ " + strings.Join(locs, " ")
}

// TestOverlapGatewaySchema checks the rule on the gateway's own schema.
func TestOverlapGatewaySchema(t *testing.T) {
	schema := baseSchema(t)
	const suffix = " Use different aliases on the fields to fetch both if this was intentional."
	tests := []struct {
		name  string
		query string
		want  []string // messages without suffix, then locations
	}{
		{"same field twice", `{ goods(id: 1) { id } goods(id: 1) { name } }`, nil},
		{"arguments in any order", `{ goodsList(first: 1, after: "a") { totalCount } goodsList(after: "a", first: 1) { totalCount } }`, nil},
		{"input fields in any order", `{ goodsList(filter: {nameContains: "a", price: {gt: 1}}) { totalCount } goodsList(filter: {price: {gt: 1}, nameContains: "a"}) { totalCount } }`, nil},
		{"differing arguments", `{ goodsList(first: 1) { totalCount } goodsList(first: 2) { totalCount } }`,
			[]string{`Fields "goodsList" conflict because they have differing arguments. @ 1:3 1:38`}},
		{"a variable and a literal", `query($n: Int) { goodsList(first: $n) { totalCount } goodsList(first: 2) { totalCount } }`,
			[]string{`Fields "goodsList" conflict because they have differing arguments. @ 1:18 1:54`}},
		{"an alias for another field", `{ goods(id: 1) { name: description name } }`,
			[]string{`Fields "name" conflict because "description" and "name" are different fields. @ 1:18 1:36`}},
		{"in nested inline fragments", `{ goodsList { nodes { ... on Goods { id ... { id: name } } } } }`,
			[]string{`Fields "id" conflict because "id" and "name" are different fields. @ 1:38 1:47`}},
		{"in fragments spread in two fields", "{ a: goods(id: 1) { ...F } a: goods(id: 1) { ...G } }\nfragment F on Goods { x: id }\nfragment G on Goods { x: name }",
			[]string{`Fields "a" conflict because subfields "x" conflict because "id" and "name" are different fields. @ 1:3 2:23 1:28 3:23`}},
		{"introspection", `{ __schema { types { name } types { name: kind } } }`,
			[]string{`Fields "types" conflict because subfields "name" conflict because "name" and "kind" are different fields. @ 1:14 1:22 1:29 1:37`}},
		{"__typename twice", `{ goods(id: 1) { __typename __typename } __typename }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			require.NoError(t, err)
			var got []string
			for _, e := range validator.ValidateWithRules(schema, doc, rules.NewRules(validation.OverlappingFieldsCanBeMerged)) {
				got = append(got, strings.Replace(format(e), suffix, "", 1))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestOverlapBudget checks that a document whose fields all conflict with
// one another, graphql-js's quadratically many errors, gets at most about
// as many as it has fields, quickly.
func TestOverlapBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("query(")
	for i := range 400 {
		fmt.Fprintf(&b, "$v%d: Boolean ", i)
	}
	b.WriteString(") { __schema { types {")
	for i := range 400 {
		fmt.Fprintf(&b, " fields(includeDeprecated: $v%d) { name }", i)
	}
	b.WriteString(" } } }")
	doc, err := parser.ParseQuery(&ast.Source{Input: b.String()})
	require.NoError(t, err)
	errs := validator.ValidateWithRules(baseSchema(t), doc, rules.NewRules(validation.OverlappingFieldsCanBeMerged))
	require.NotEmpty(t, errs)
	require.LessOrEqual(t, len(errs), 2*400+2+16)
}
