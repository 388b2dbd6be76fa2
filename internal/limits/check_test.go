package limits_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/limits"
)

// TestCheckDocuments measures documents at a limit and one past it, for
// every limit and through every construct that hides selections: named
// and inline fragments, nested fragments, fragment cycles, undefined
// fragments and introspection.
func TestCheckDocuments(t *testing.T) {
	tests := []struct {
		name   string
		limits limits.Limits
		at     string // a document at the limit
		past   string // a document one past it
		code   apperr.Code
	}{
		{
			"depth", limits.Limits{MaxDepth: 3},
			`{ a { b { c } } }`,
			`{ a { b { c { d } } } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth in a named fragment", limits.Limits{MaxDepth: 3},
			`{ a { ...F } } fragment F on T { b { c } }`,
			`{ a { ...F } } fragment F on T { b { c { d } } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth in an inline fragment", limits.Limits{MaxDepth: 3},
			`{ a { ... on T { b { ... { c } } } } }`,
			`{ a { ... on T { b { ... { c { d } } } } } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth through nested fragments", limits.Limits{MaxDepth: 4},
			`{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { ...H } } fragment H on T { d }`,
			`{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { ...H } } fragment H on T { d { e } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth of an unused fragment", limits.Limits{MaxDepth: 2},
			`{ a } fragment F on T { b { c } }`,
			`{ a } fragment F on T { b { c { d } } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth through a fragment cycle", limits.Limits{MaxDepth: 2},
			`{ ...A } fragment A on Query { a { ...B } } fragment B on T { b { ...A } }`,
			`{ ...A } fragment A on Query { a { ...B } } fragment B on T { b { c ...A } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth next to an undefined fragment", limits.Limits{MaxDepth: 2},
			`{ a { b ...Missing } }`,
			`{ a { b { c } ...Missing } }`,
			apperr.MaxDepthLimit,
		},
		{
			"depth of introspection", limits.Limits{MaxDepth: 6},
			`{ __schema { types { fields { type { ofType { name } } } } } }`,
			`{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`,
			apperr.MaxDepthLimit,
		},
		{
			"aliases", limits.Limits{MaxAliases: 2},
			`{ x: a y: a a }`,
			`{ x: a y: a z: a }`,
			apperr.MaxAliasesLimit,
		},
		{
			"aliases of a fragment spread 4 times", limits.Limits{MaxAliases: 12},
			`{ a { ...F } b { ...F } c { ...F } d { ...F } } fragment F on T { x: f y: f z: f }`,
			`{ a { ...F } b { ...F } c { ...F } d { ...F } w: e } fragment F on T { x: f y: f z: f }`,
			apperr.MaxAliasesLimit,
		},
		{
			"aliases in inline fragments", limits.Limits{MaxAliases: 2},
			`{ ... on Query { x: a ... { y: a } } }`,
			`{ ... on Query { x: a ... { y: a z: a } } }`,
			apperr.MaxAliasesLimit,
		},
		{
			"aliases of nested fragments", limits.Limits{MaxAliases: 12},
			`{ ...F ...F2 } fragment F on Query { a { ...G } b { ...G } c { ...G } } fragment F2 on Query { d { ...G } e { ...G } f { ...G } } fragment G on T { ...H ...H } fragment H on T { x: f }`,
			`{ ...F ...F2 } fragment F on Query { a { ...G } b { ...G } c { ...G } } fragment F2 on Query { d { ...G } e { ...G } f { ...G } w: z } fragment G on T { ...H ...H } fragment H on T { x: f }`,
			apperr.MaxAliasesLimit,
		},
		{
			"aliases of an unused fragment", limits.Limits{MaxAliases: 1},
			`{ a } fragment F on T { x: f }`,
			`{ a } fragment F on T { x: f y: f }`,
			apperr.MaxAliasesLimit,
		},
		{
			"root fields", limits.Limits{MaxRootFields: 2},
			`{ a b { c d e } }`,
			`{ a b { c d e } f }`,
			apperr.MaxRootFieldsLimit,
		},
		{
			"root fields through fragments", limits.Limits{MaxRootFields: 4},
			`{ ... on Query { a b } ...F } fragment F on Query { c ...G } fragment G on Query { d }`,
			`{ ... on Query { a b } ...F } fragment F on Query { c ...G } fragment G on Query { d e }`,
			apperr.MaxRootFieldsLimit,
		},
		{
			"root fields through a fragment cycle", limits.Limits{MaxRootFields: 2},
			`{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }`,
			`{ ...A } fragment A on Query { a ...B } fragment B on Query { b c ...A }`,
			apperr.MaxRootFieldsLimit,
		},
		{
			"root fields next to an undefined fragment", limits.Limits{MaxRootFields: 1},
			`{ a ...Missing }`,
			`{ a b ...Missing }`,
			apperr.MaxRootFieldsLimit,
		},
		{
			"fields", limits.Limits{MaxFields: 4},
			`{ a { b c } d }`,
			`{ a { b c } d e }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of a fragment expanded where it is spread", limits.Limits{MaxFields: 8},
			`{ a { ...F } b { ...F } } fragment F on T { x y }`,
			`{ a { ...F } b { ...F } c } fragment F on T { x y }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of inline fragments", limits.Limits{MaxFields: 4},
			`{ ... on Query { a ... { b } } }`,
			`{ ... on Query { a ... { b c } } }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of nested fragments", limits.Limits{MaxFields: 1 + 2*(1+1+2*2)},
			`{ ...F } fragment F on Query { a { ...G } b { ...G } } fragment G on T { ...H ...H } fragment H on T { x }`,
			`{ ...F } fragment F on Query { a { ...G } b { ...G } c } fragment G on T { ...H ...H } fragment H on T { x }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of a fragment cycle", limits.Limits{MaxFields: 5},
			`{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }`,
			`{ ...A } fragment A on Query { a ...B } fragment B on Query { b c ...A }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields next to an undefined fragment", limits.Limits{MaxFields: 2},
			`{ a ...Missing }`,
			`{ a b ...Missing }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of an unused fragment", limits.Limits{MaxFields: 3},
			`{ a } fragment F on T { x y z }`,
			`{ a } fragment F on T { x y z w }`,
			apperr.MaxHeightLimit,
		},
		{
			"fields of introspection", limits.Limits{MaxFields: 6},
			`{ __schema { types { fields { type { ofType { name } } } } } }`,
			`{ __schema { types { fields { type { ofType { name kind } } } } } }`,
			apperr.MaxHeightLimit,
		},
		{
			"directives on a field", limits.Limits{MaxDirectives: 2},
			`{ a @x @y }`,
			`{ a @x @y @z }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"directives on an inline fragment", limits.Limits{MaxDirectives: 2},
			`{ ... @x @y { a } }`,
			`{ ... @x @y @z { a } }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"directives on a fragment spread", limits.Limits{MaxDirectives: 2},
			`{ ...F @x @y } fragment F on Query { a }`,
			`{ ...F @x @y @z } fragment F on Query { a }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"directives on a fragment definition", limits.Limits{MaxDirectives: 2},
			`{ ...F } fragment F on Query @x @y { a }`,
			`{ ...F } fragment F on Query @x @y @z { a }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"directives on an operation", limits.Limits{MaxDirectives: 2},
			`query @x @y { a }`,
			`query @x @y @z { a }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"directives on a variable definition", limits.Limits{MaxDirectives: 2},
			`query ($v: Int @x @y) { a(v: $v) }`,
			`query ($v: Int @x @y @z) { a(v: $v) }`,
			apperr.MaxDirectivesLimit,
		},
		{
			"operation name", limits.Limits{MaxOperationName: 5},
			`query Abcde { a }`,
			`query Abcdef { a }`,
			apperr.MaxOperationNameLimit,
		},
		{
			"name of an operation that is not executed", limits.Limits{MaxOperationName: 5},
			`query A { a } query Abcde { a }`,
			`query A { a } query Abcdef { a }`,
			apperr.MaxOperationNameLimit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.limits.Check(limits.Measure(parse(t, tt.at))))
			err := tt.limits.Check(limits.Measure(parse(t, tt.past)))
			ae, ok := apperr.As(err)
			require.True(t, ok, "want %s, got %v", tt.code, err)
			require.Equal(t, tt.code, ae.Code)
		})
	}
}

func TestCheck(t *testing.T) {
	l := limits.Limits{MaxDepth: 20, MaxAliases: 30, MaxRootFields: 20, MaxFields: 1000, MaxDirectives: 5, MaxOperationName: 256}
	at := limits.Measures{Depth: 20, Aliases: 30, RootFields: 20, Fields: 1000, Directives: 5, OperationName: 256, Total: 10_000}
	tests := []struct {
		name    string
		limits  limits.Limits
		m       limits.Measures
		code    apperr.Code // "" for no error
		message string
	}{
		{"all at their limits", l, at, "", ""},
		{"depth", l, with(at, func(m *limits.Measures) { m.Depth = 25 }),
			apperr.MaxDepthLimit, "the operation has depth 25, more than the tenant's limit of 20"},
		{"aliases", l, with(at, func(m *limits.Measures) { m.Aliases = 31 }),
			apperr.MaxAliasesLimit, "the operation has 31 aliases, more than the tenant's limit of 30"},
		{"root fields", l, with(at, func(m *limits.Measures) { m.RootFields = 21 }),
			apperr.MaxRootFieldsLimit, "the operation has 21 root fields, more than the tenant's limit of 20"},
		{"fields", l, with(at, func(m *limits.Measures) { m.Fields = 1001 }),
			apperr.MaxHeightLimit, "the operation has 1001 selections, fragments expanded, more than the tenant's limit of 1000"},
		{"the document's total, 10 times maxFields", l, with(at, func(m *limits.Measures) { m.Total = 10_001 }),
			apperr.MaxHeightLimit, "the document's operations and fragments have 10001 selections together, fragments expanded, more than the tenant's limit of 10000"},
		{"directives", l, with(at, func(m *limits.Measures) { m.Directives = 6 }),
			apperr.MaxDirectivesLimit, "the operation has 6 directives at one location, more than the tenant's limit of 5"},
		{"operation name", l, with(at, func(m *limits.Measures) { m.OperationName = 257 }),
			apperr.MaxOperationNameLimit, "an operation name has 257 bytes, more than the tenant's limit of 256"},
		{"the first exceeded limit, in order", l, limits.Measures{Fields: 5000, RootFields: 21, OperationName: 300},
			apperr.MaxRootFieldsLimit, "the operation has 21 root fields, more than the tenant's limit of 20"},
		{"zero limits nothing", limits.Limits{}, limits.Measures{Depth: 1 << 30, Aliases: 1 << 30, RootFields: 1 << 30, Fields: 1 << 30, Directives: 1 << 30, OperationName: 1 << 30}, "", ""},
		{"one zero limit among others", limits.Limits{MaxFields: 10}, limits.Measures{Depth: 1 << 30, Fields: 11},
			apperr.MaxHeightLimit, "the operation has 11 selections, fragments expanded, more than the tenant's limit of 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.limits.Check(tt.m)
			if tt.code == "" {
				require.NoError(t, err)
				return
			}
			ae, ok := apperr.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.code, ae.Code)
			require.Equal(t, tt.message, ae.Message)
		})
	}
}

// TestCheckEchoesNoClientText checks that a refusal names no part of the
// document, however the document is named.
func TestCheckEchoesNoClientText(t *testing.T) {
	name := "Secret" + strings.Repeat("x", 300)
	err := limits.Defaults().Check(limits.Measure(parse(t, "query "+name+" { a }")))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "Secret")
}

func with(m limits.Measures, f func(*limits.Measures)) limits.Measures {
	f(&m)
	return m
}
