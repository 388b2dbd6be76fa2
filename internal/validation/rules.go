package validation

import (
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Rules returns the validation rules the gateway runs: gqlparser's default
// rules, with OverlappingFieldsCanBeMerged replaced by this package's
// near-linear rule of the same name. It returns a new set on every call,
// as gqlgen's executor.SetDefaultRulesFn expects: gqlgen then swaps its
// own variants of FieldsOnCorrectType and ScalarLeafs in.
func Rules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.ReplaceRule(OverlappingFieldsCanBeMerged.Name, OverlappingFieldsCanBeMerged.RuleFunc)
	return r
}
