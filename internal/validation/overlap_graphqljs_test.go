package validation_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tenantgraph/tenantgraph/internal/validation"
)

var writeQueries = flag.String("write-queries", "", "write the documents of TestOverlapGraphQLJSCorpus to this JSON file, for testdata/graphqljs/expect.js")

// corpusSize is how many random documents TestOverlapGraphQLJSCorpus
// compares with graphql-js.
const corpusSize = 600

// TestOverlapGraphQLJSCorpus compares this package's rule with graphql-js
// 16 itself on random documents over testdata/graphqljs/schema.graphql,
// whose interfaces and union make fields exclusive or not.
// testdata/graphqljs/overlap.json holds what graphql-js reports for each
// (see expect.js).
//
// Whether a document has a conflict must match in every case, and most
// documents get graphql-js's errors to the byte. The others may differ
// only as OverlappingFieldsCanBeMerged's documentation says: a pair of
// fields that graphql-js reports in several places (its memos do not
// catch every repeated comparison) is reported once, so an error or a
// part of a message may be missing; and the two fields of a pair may come
// in the other order. Every error of this rule must then be within an
// error of graphql-js: the same response name, and a subset of its
// reasons and locations.
func TestOverlapGraphQLJSCorpus(t *testing.T) {
	schema := loadFuzzSchema(t)
	if *writeQueries != "" {
		r := rand.New(rand.NewPCG(16, 0))
		queries := make([]string, corpusSize)
		for i := range queries {
			in := make([]byte, 64+r.IntN(192))
			for j := range in {
				in[j] = byte(r.Uint32())
			}
			queries[i] = (&docGen{schema: schema, in: in}).document()
		}
		b, err := json.Marshal(queries)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(*writeQueries, b, 0o644))
		return
	}

	var corpus struct {
		GraphQL string `json:"graphql"`
		Cases   []struct {
			Query  string    `json:"query"`
			Errors []jsError `json:"errors"`
		} `json:"cases"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "graphqljs", "overlap.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &corpus))
	require.Len(t, corpus.Cases, corpusSize)

	var conflicting, same, within int
	for i, c := range corpus.Cases {
		doc, err := parser.ParseQuery(&ast.Source{Input: c.Query})
		require.NoError(t, err)
		got := validator.ValidateWithRules(schema, doc, rules.NewRules(validation.OverlappingFieldsCanBeMerged))
		var want, have []string
		for _, e := range c.Errors {
			want = append(want, e.Message+" @ "+strings.Join(e.Locations, " "))
		}
		for _, e := range got {
			have = append(have, format(e))
		}
		slices.Sort(want)
		slices.Sort(have)
		if (len(want) > 0) != (len(have) > 0) {
			t.Fatalf("case %d: validity differs from graphql-js %s:\n%s\ngraphql-js: %q\nthis rule:  %q", i, corpus.GraphQL, c.Query, want, have)
		}
		if len(want) > 0 {
			conflicting++
		}
		switch {
		case slices.Equal(want, have):
			same++
		case allWithin(got, c.Errors):
			within++
		default:
			t.Errorf("case %d: errors differ from graphql-js %s:\n%s\nonly graphql-js: %s\nonly this rule:  %s",
				i, corpus.GraphQL, c.Query, strings.Join(minus(want, have), "\n\t"), strings.Join(minus(have, want), "\n\t"))
		}
	}
	t.Logf("graphql-js %s: %d documents, %d with conflicts; errors identical in %d, within graphql-js's in %d",
		corpus.GraphQL, len(corpus.Cases), conflicting, same, within)
}

// minus returns the elements of a that are not in b, as multisets.
func minus(a, b []string) []string {
	b = slices.Clone(b)
	var out []string
	for _, s := range a {
		if i := slices.Index(b, s); i >= 0 {
			b = slices.Delete(b, i, i+1)
		} else {
			out = append(out, s)
		}
	}
	return out
}

// jsError is an error as graphql-js reports it.
type jsError struct {
	Message   string   `json:"message"`
	Locations []string `json:"locations"`
}

// allWithin reports whether every error of got is within one of want's:
// the same response name, and a subset of its reasons (each pair of names
// or types in either order) and of its locations.
func allWithin(got gqlerror.List, want []jsError) bool {
	type parts struct {
		name          string
		reasons, locs []string
	}
	split := func(msg string, locs []string) parts {
		name, rest, _ := strings.Cut(strings.TrimPrefix(msg, `Fields "`), `" conflict because `)
		rest = strings.TrimSuffix(rest, ". Use different aliases on the fields to fetch both if this was intentional.")
		var reasons []string
		for _, r := range strings.Split(rest, " and subfields ") {
			if i := strings.LastIndex(r, "conflict because "); i >= 0 {
				r = r[i+len("conflict because "):]
			}
			if m := quotedPair.FindStringSubmatch(r); m != nil && m[1] > m[2] {
				r = strings.Replace(r, `"`+m[1]+`" and "`+m[2]+`"`, `"`+m[2]+`" and "`+m[1]+`"`, 1)
			}
			reasons = append(reasons, r)
		}
		return parts{name, reasons, locs}
	}
	for _, e := range got {
		var locs []string
		for _, l := range e.Locations {
			locs = append(locs, fmt.Sprintf("%d:%d", l.Line, l.Column))
		}
		g := split(e.Message, locs)
		found := slices.ContainsFunc(want, func(w jsError) bool {
			p := split(w.Message, w.Locations)
			return p.name == g.name && containsAll(p.reasons, g.reasons) && containsAll(p.locs, g.locs)
		})
		if !found {
			return false
		}
	}
	return true
}

var quotedPair = regexp.MustCompile(`"([^"]*)" and "([^"]*)"`)

func containsAll(of, sub []string) bool {
	for _, s := range sub {
		if !slices.Contains(of, s) {
			return false
		}
	}
	return true
}

// isSubset reports whether every element of sub is in of, as multisets.
func isSubset(sub, of []string) bool {
	return len(minus(sub, of)) == 0
}

func loadFuzzSchema(t testing.TB) *ast.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "graphqljs", "schema.graphql"))
	require.NoError(t, err)
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: string(b), Name: "schema.graphql"})
	require.NoError(t, err)
	return schema
}
