package validation_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
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

// TestRulesReplace checks that Rules holds every rule of gqlparser's
// defaults, and this package's in place of gqlparser's where it has one:
// ReplaceRule ignores a name it does not know, so a rule renamed by
// gqlparser would silently stay the old one.
func TestRulesReplace(t *testing.T) {
	defaults := rules.NewDefaultRules().GetInner()
	ours := validation.Rules().GetInner()
	require.Len(t, ours, len(defaults))
	replaced := map[string]bool{}
	for _, r := range []struct {
		name string
		fn   any
	}{
		{validation.OverlappingFieldsCanBeMerged.Name, validation.OverlappingFieldsCanBeMerged.RuleFunc},
		{validation.FieldsOnCorrectType.Name, validation.FieldsOnCorrectType.RuleFunc},
		{validation.ScalarLeafs.Name, validation.ScalarLeafs.RuleFunc},
		{validation.KnownArgumentNames.Name, validation.KnownArgumentNames.RuleFunc},
		{validation.ProvidedRequiredArguments.Name, validation.ProvidedRequiredArguments.RuleFunc},
		{validation.UniqueArgumentNames.Name, validation.UniqueArgumentNames.RuleFunc},
		{validation.KnownDirectives.Name, validation.KnownDirectives.RuleFunc},
		{validation.UniqueDirectivesPerLocation.Name, validation.UniqueDirectivesPerLocation.RuleFunc},
		{validation.ValuesOfCorrectType.Name, validation.ValuesOfCorrectType.RuleFunc},
		{validation.UniqueInputFieldNames.Name, validation.UniqueInputFieldNames.RuleFunc},
		{validation.PossibleFragmentSpreads.Name, validation.PossibleFragmentSpreads.RuleFunc},
		{validation.KnownFragmentNames.Name, validation.KnownFragmentNames.RuleFunc},
		{validation.FragmentsOnCompositeTypes.Name, validation.FragmentsOnCompositeTypes.RuleFunc},
		{validation.KnownTypeNames.Name, validation.KnownTypeNames.RuleFunc},
		{validation.NoFragmentCycles.Name, validation.NoFragmentCycles.RuleFunc},
		{validation.MaxIntrospectionDepth.Name, validation.MaxIntrospectionDepth.RuleFunc},
		{validation.NoUndefinedVariables.Name, validation.NoUndefinedVariables.RuleFunc},
		{validation.VariablesInAllowedPosition.Name, validation.VariablesInAllowedPosition.RuleFunc},
		{validation.NoUnusedFragments.Name, validation.NoUnusedFragments.RuleFunc},
	} {
		require.Contains(t, defaults, r.name)
		require.Equal(t, reflect.ValueOf(r.fn).Pointer(), reflect.ValueOf(ours[r.name]).Pointer(), r.name)
		replaced[r.name] = true
	}
	for name, fn := range defaults {
		if !replaced[name] {
			require.Equal(t, reflect.ValueOf(fn).Pointer(), reflect.ValueOf(ours[name]).Pointer(), name)
		}
	}
}

// errorSet returns errs as a set of strings, one per distinct error, with
// the names a message suggests in sorted order: gqlparser orders names
// that are as close to what was written in no particular order.
func errorSet(errs gqlerror.List, rule string) []string {
	var set []string
	for _, e := range errs {
		if rule != "" && e.Rule != rule {
			continue
		}
		s := e.Rule + ": " + sortSuggestions(e.Message) + " @"
		for _, l := range e.Locations {
			s += fmt.Sprintf(" %d:%d", l.Line, l.Column)
		}
		if !slices.Contains(set, s) {
			set = append(set, s)
		}
	}
	slices.Sort(set)
	return set
}

var suggestion = regexp.MustCompile(`Did you mean (.*)\?$`)

func sortSuggestions(msg string) string {
	m := suggestion.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	names := strings.FieldsFunc(strings.ReplaceAll(msg[m[2]:m[3]], " or ", ","), func(r rune) bool { return r == ',' || r == ' ' })
	slices.Sort(names)
	return msg[:m[2]] + strings.Join(names, ",") + "?"
}

// TestImportedSpecs runs graphql-js's cases of every rule, as gqlparser
// exports them, with Rules and with gqlparser's default rules, and
// requires the same errors from every rule but OverlappingFieldsCanBeMerged
// (see TestOverlapGraphQLJS), each error counted once: gqlparser's rules
// report an error in a fragment again for each operation that spreads it.
func TestImportedSpecs(t *testing.T) {
	dir := importedSpecDir(t)
	schemas := specSchemas(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.spec.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	cases := 0
	for _, file := range files {
		var specs []spec
		readYAML(t, file, &specs)
		t.Run(strings.TrimSuffix(filepath.Base(file), ".spec.yml"), func(t *testing.T) {
			for i, sp := range specs {
				var schema *ast.Schema
				if idx, err := strconv.Atoi(sp.Schema); err == nil {
					schema = schemas[idx]
				} else if schema, err = gqlparser.LoadSchema(&ast.Source{Input: sp.Schema}); err != nil {
					continue // a case of the schema's validation
				}
				if _, err := parser.ParseQuery(&ast.Source{Input: sp.Query}); err != nil {
					continue // a case of SDL in a query, which gqlparser does not parse
				}
				cases++
				want := validate(schema, sp.Query, rules.NewDefaultRules())
				got := validate(schema, sp.Query, validation.Rules())
				for _, rule := range slices.Sorted(func(yield func(string) bool) {
					for name := range rules.NewDefaultRules().GetInner() {
						if !yield(name) {
							return
						}
					}
				}) {
					if rule == validation.OverlappingFieldsCanBeMerged.Name {
						continue
					}
					if w, g := errorSet(want, rule), errorSet(got, rule); !sameErrors(rule, sp.Query, w, g) {
						t.Errorf("case %d %q, rule %s:\n%s\ngqlparser: %q\nRules:     %q", i, sp.Name, rule, sp.Query, w, g)
					}
				}
			}
		})
	}
	t.Logf("%d cases", cases)
}

// sameErrors reports whether a rule of Rules reported the errors got
// where gqlparser's reported want (see errorSet) for query, allowing for
// where the package documentation says they differ.
func sameErrors(rule, query string, want, got []string) bool {
	if slices.Equal(want, got) {
		return true
	}
	switch rule {
	case validation.NoUnusedFragments.Name:
		// gqlparser counts the fragments that the first fragment
		// definition reaches as used, whether it is used or not.
		if !isSubset(want, got) {
			return false
		}
		reached := reachedFromFirstFragment(query)
		for _, e := range minus(got, want) {
			name := strings.Split(e, `"`)[1]
			if !reached[name] {
				return false
			}
		}
		return true
	}
	return false
}

// reachedFromFirstFragment returns the fragments that the first fragment
// definition of query spreads, directly or not.
func reachedFromFirstFragment(query string) map[string]bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Fragments) == 0 {
		return nil
	}
	reached := map[string]bool{}
	var visit func(set ast.SelectionSet)
	visit = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				visit(sel.SelectionSet)
			case *ast.InlineFragment:
				visit(sel.SelectionSet)
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(sel.Name); f != nil && !reached[sel.Name] {
					reached[sel.Name] = true
					visit(f.SelectionSet)
				}
			}
		}
	}
	visit(doc.Fragments[0].SelectionSet)
	return reached
}

func validate(schema *ast.Schema, query string, r *rules.Rules) gqlerror.List {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		panic(err)
	}
	return validator.ValidateWithRules(schema, doc, r)
}
