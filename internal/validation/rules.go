package validation

import (
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// replaced are the rules of this package that replace gqlparser's rules
// of the same names.
var replaced = []core.Rule{
	OverlappingFieldsCanBeMerged,
	FieldsOnCorrectType,
	ScalarLeafs,
	KnownArgumentNames,
	ProvidedRequiredArguments,
	UniqueArgumentNames,
	KnownDirectives,
	UniqueDirectivesPerLocation,
	ValuesOfCorrectType,
	UniqueInputFieldNames,
	PossibleFragmentSpreads,
	KnownFragmentNames,
	FragmentsOnCompositeTypes,
	KnownTypeNames,
	NoFragmentCycles,
	MaxIntrospectionDepth,
	NoUndefinedVariables,
	VariablesInAllowedPosition,
	NoUnusedFragments,
}

// Rules returns the validation rules the gateway runs: gqlparser's default
// rules (rules.NewDefaultRules), with all but those that check operations
// and fragment definitions themselves replaced by this package's rules of
// the same names (see the package documentation). It returns a new set on every
// call, as gqlgen's executor.SetDefaultRulesFn expects.
//
// gqlgen adds its own FieldsOnCorrectType and ScalarLeafs only where a
// rule of that name is missing, unless the server is told
// SetDisableSuggestion(true): then it replaces them with gqlparser's,
// which check a fragment again for every operation that spreads it.
func Rules() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, rule := range replaced {
		r.ReplaceRule(rule.Name, rule.RuleFunc)
	}
	return r
}
