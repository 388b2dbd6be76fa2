package validation_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/validation"
	"github.com/tenantgraph/tenantgraph/loader"
)

// tokenLimit is the gateway's default parser token limit
// (gateway.HandlerOptions.ParserTokenLimit).
const tokenLimit = 15000

// worstDocument is a document built to make validation slow that the
// default limits accept.
type worstDocument struct {
	name  string
	query string
}

// worstDocuments are the slowest documents to validate that were found
// among those that pass limits.Defaults() and the parser's token limit:
// each aims at a rule, or at gqlparser's walker, with the most of what the
// limits leave room for.
func worstDocuments() []worstDocument {
	var docs []worstDocument
	add := func(name string, write func(b *strings.Builder)) {
		var b strings.Builder
		write(&b)
		docs = append(docs, worstDocument{name, b.String()})
	}
	// addLargest adds build(n) for the largest n up to hi that the default
	// limits accept.
	addLargest := func(name string, hi int, build func(n int) string) {
		lo := 1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if accepted(build(mid)) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		docs = append(docs, worstDocument{fmt.Sprintf("%s x%d", name, lo), build(lo)})
	}

	// OverlappingFieldsCanBeMerged: one response name, many fields.
	add("typename x996", func(b *strings.Builder) {
		b.WriteString("{ goodsList { nodes {" + strings.Repeat(" __typename", 996) + " } } }")
	})
	add("id x996", func(b *strings.Builder) {
		b.WriteString("{ goodsList { nodes {" + strings.Repeat(" id", 996) + " } } }")
	})
	// The first denial of service within the limits: nested inline
	// fragments, each with the same fields, at the root and below.
	add("nested inline fragments", func(b *strings.Builder) {
		b.WriteString("{\n")
		for range 19 {
			b.WriteString("... on Query { goodsList(first: 100) { nodes {")
			b.WriteString(strings.Repeat(" ... on Goods { id", 23))
			b.WriteString(strings.Repeat(" }", 23) + " } }\n")
		}
		b.WriteString(strings.Repeat("}", 19) + "\n}")
	})
	add("nested inline fragments x498", func(b *strings.Builder) {
		b.WriteString("{ goodsList(first: 100) { nodes {\n")
		b.WriteString(strings.Repeat("... on Goods { id\n", 498))
		b.WriteString(strings.Repeat("}", 498) + "} } }")
	})
	// Fragments spread in many places, and spreading one another.
	add("fragment DAG", func(b *strings.Builder) {
		b.WriteString("{ goodsList { nodes { ...F7 } edges { node { ...F6 } } } }\n")
		b.WriteString("fragment F0 on Goods { id name }\n")
		for i := 1; i <= 7; i++ {
			fmt.Fprintf(b, "fragment F%d on Goods { id ...F%d ...F%d }\n", i, i-1, i-1)
		}
	})
	// Two fragments spreading the same one at every level: the same
	// field nodes meet again and again under different parents.
	add("fragment diamonds", func(b *strings.Builder) {
		b.WriteString("{ __schema { types { ...D0 } } }\n")
		for i := range 6 {
			fmt.Fprintf(b, "fragment D%d on __Type { ...A%d ...B%d }\n", i, i, i)
			fmt.Fprintf(b, "fragment A%d on __Type { name ofType { ...D%d } }\n", i, i+1)
			fmt.Fprintf(b, "fragment B%d on __Type { kind ofType { ...D%d } }\n", i, i+1)
		}
		b.WriteString("fragment D6 on __Type { name }\n")
	})
	// Operations and fragments that each reach much of the document:
	// validation walks every one of them, so the limits bound their sum
	// (Measures.Total). Each takes the most of it that the limits accept.
	addLargest("fragment chain", 2000, fragmentChain)
	addLargest("operations spreading 990 fields", 3000, func(n int) string { return operationsSpreading(n, " id", 990) })
	addLargest("operations spreading a list of 1400 objects", 3000, func(n int) string {
		return operationsSpreadingList(n, "{field: NAME} ", 1400)
	})
	// The same, with errors: gqlparser reported each once per operation.
	addLargest("operations spreading 990 unknown fields", 3000, func(n int) string { return operationsSpreading(n, " x", 990) })
	addLargest("operations spreading 1400 wrong enum values", 3000, func(n int) string {
		return operationsSpreadingList(n, "{field: NAMEX} ", 1400)
	})
	// Values and variables.
	add("variables x2000", func(b *strings.Builder) {
		b.WriteString("query(")
		for i := range 2000 {
			fmt.Fprintf(b, "$v%d: GoodsOrder! ", i)
		}
		b.WriteString(") { goodsList(orderBy: [")
		for i := range 2000 {
			fmt.Fprintf(b, "$v%d ", i)
		}
		b.WriteString("]) { totalCount } }")
	})
	add("input object of 4900 fields", func(b *strings.Builder) {
		b.WriteString("{ goodsList(filter: {price: {" + strings.Repeat("gt: 1 ", 4900) + "}}) { totalCount } }")
	})
	add("list of 2900 objects", func(b *strings.Builder) {
		b.WriteString("{ goodsList(orderBy: [" + strings.Repeat("{field: NAME} ", 2900) + "]) { totalCount } }")
	})
	add("list nested 990 deep", func(b *strings.Builder) {
		b.WriteString("{ goodsList(orderBy: " + strings.Repeat("[", 990) + strings.Repeat("]", 990) + ") { totalCount } }")
	})
	// Introspection.
	add("introspection ofType x18", func(b *strings.Builder) {
		b.WriteString("{ __schema { types {" + strings.Repeat(" ofType {", 17) + " name" + strings.Repeat(" }", 17) + " } } }")
	})
	add("introspection DAG", func(b *strings.Builder) {
		b.WriteString("{ __schema { types { ...T3 } } }\n")
		b.WriteString("fragment T0 on __Type { name kind }\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(b, "fragment T%d on __Type { name ofType { ...T%d } interfaces { ...T%d } possibleTypes { ...T%d } fields { name type { ...T%d } args { type { ...T%d } } } }\n",
				i, i-1, i-1, i-1, i-1, i-1)
		}
	})
	add("fields with 500 different arguments", func(b *strings.Builder) {
		b.WriteString("query(")
		for i := range 498 {
			fmt.Fprintf(b, "$v%d: Boolean ", i)
		}
		b.WriteString(") { __schema { types {")
		for i := range 498 {
			fmt.Fprintf(b, " fields(includeDeprecated: $v%d) { name }", i)
		}
		b.WriteString(" } } }")
	})
	return docs
}

func baseSchema(t testing.TB) *ast.Schema {
	t.Helper()
	s, err := loader.Compile(nil)
	require.NoError(t, err)
	return s.AST
}

func parseAccepted(t testing.TB, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, tokenLimit)
	require.NoError(t, err)
	return doc
}

// fragmentChain is n fragments, each spreading the next.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n-1)
	return b.String()
}

// operationsSpreading is n operations spreading a fragment of size
// selections sel.
func operationsSpreading(n int, sel string, size int) string {
	var b strings.Builder
	b.WriteString("fragment H on Query { goods(id: 1) { ...G } }\n")
	b.WriteString("fragment G on Goods {" + strings.Repeat(sel, size) + " }\n")
	for i := range n {
		fmt.Fprintf(&b, "query Q%d { ...H }\n", i)
	}
	return b.String()
}

// operationsSpreadingList is n operations spreading a fragment with a list
// of size items item.
func operationsSpreadingList(n int, item string, size int) string {
	var b strings.Builder
	b.WriteString("fragment G on Query { goodsList(orderBy: [" + strings.Repeat(item, size) + "]) { totalCount } }\n")
	for i := range n {
		fmt.Fprintf(&b, "query Q%d { ...G }\n", i)
	}
	return b.String()
}

// accepted reports whether query parses within the token limit and body
// limit and passes the default limits.
func accepted(query string) bool {
	if len(query) > 1<<20 {
		return false
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, tokenLimit)
	return err == nil && limits.Defaults().Check(limits.Measure(doc)) == nil
}

// TestWorstDocumentsPassLimits keeps BenchmarkWorstAcceptedDocument
// honest: its documents are accepted by the default limits, the parser's
// token limit and the body limit of 1 MiB.
func TestWorstDocumentsPassLimits(t *testing.T) {
	for _, d := range worstDocuments() {
		t.Run(d.name, func(t *testing.T) {
			require.LessOrEqual(t, len(d.query), 1<<20)
			m := limits.Measure(parseAccepted(t, d.query))
			require.NoError(t, limits.Defaults().Check(m))
		})
	}
}

// BenchmarkWorstAcceptedDocument validates each of worstDocuments against
// the base schema with Rules, and with gqlparser's own rules for
// comparison (-bench 'WorstAcceptedDocument/.*/gqlparser'; some take
// seconds an operation).
func BenchmarkWorstAcceptedDocument(b *testing.B) {
	schema := baseSchema(b)
	sets := []struct {
		name  string
		rules func() *rules.Rules
	}{
		{"validation", validation.Rules},
		{"gqlparser", rules.NewDefaultRules},
		{"walker", func() *rules.Rules { return rules.NewRules() }},
	}
	for _, d := range worstDocuments() {
		doc := parseAccepted(b, d.query)
		for _, set := range sets {
			b.Run(d.name+"/"+set.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					validator.ValidateWithRules(schema, doc, set.rules())
				}
			})
		}
	}
}

// TestWorstDocumentsAreFast is the benchmark's budget as a test, with
// room for slow and shared machines: Rules may add at most 20 ms to the
// time gqlparser's walker takes alone on any accepted document (the
// target, measured by the benchmark on two cores, is 5 ms in all). The
// walker's own time, which no rule can change, is logged: it grows with
// the number of operations and fragments times the size of the fragments
// they reach.
func TestWorstDocumentsAreFast(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("times validation")
	}
	schema := baseSchema(t)
	for _, d := range worstDocuments() {
		t.Run(d.name, func(t *testing.T) {
			doc := parseAccepted(t, d.query)
			walker := fastest(3, func() { validator.ValidateWithRules(schema, doc, rules.NewRules()) })
			all := fastest(3, func() { validator.ValidateWithRules(schema, doc, validation.Rules()) })
			t.Logf("Rules %v, of which the walker alone %v", all, walker)
			require.Less(t, all-walker, 20*time.Millisecond)
		})
	}
}

func fastest(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// TestBombs checks the documents that took the gateway down before limits
// and this package: each is refused by the default limits or validated
// fast.
func TestBombs(t *testing.T) {
	schema := baseSchema(t)
	nested := func(n int) string {
		return "{\n" + strings.Repeat("... on Query { goodsList(first: 100) { nodes { id } }\n", n) + strings.Repeat("}", n) + "\n}"
	}
	tests := []struct {
		name  string
		query string
	}{
		// 28 KB, 28 s of gqlparser's validation.
		{"600 nested inline fragments", nested(600)},
		// 72 s of gqlparser's validation.
		{"14990 __typename", "{" + strings.Repeat(" __typename", 14990) + " }"},
		{"20 nested inline fragments", nested(20)},
		// Tens of milliseconds in gqlparser's walker alone, before any
		// rule: refused for their sum of selections (Measures.Total).
		{"998 chained fragments", fragmentChain(998)},
		{"2250 operations spreading 990 fields", operationsSpreading(2250, " id", 990)},
		{"1000 __typename", "{" + strings.Repeat(" __typename", 1000) + " }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseAccepted(t, tt.query)
			if err := limits.Defaults().Check(limits.Measure(doc)); err != nil {
				t.Logf("refused: %v", err)
				return
			}
			took := fastest(1, func() { validator.ValidateWithRules(schema, doc, validation.Rules()) })
			t.Logf("accepted, validated in %v", took)
			if !raceEnabled {
				require.Less(t, took, 50*time.Millisecond)
			}
		})
	}
}

// TestIntrospectionValidates checks that the introspection query GraphiQL
// sends is valid against the base schema with Rules.
func TestIntrospectionValidates(t *testing.T) {
	query, err := os.ReadFile(filepath.Join("..", "limits", "testdata", "introspection.graphql"))
	require.NoError(t, err)
	doc := parseAccepted(t, string(query))
	require.Empty(t, validator.ValidateWithRules(baseSchema(t), doc, validation.Rules()))
}
