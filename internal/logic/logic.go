// Package logic runs a tenant's own logic: fields computed from the other
// fields of a goods, and rules that a goods must meet before it is
// written, both in the Common Expression Language (CEL, cel.dev), the
// sandboxed, non-Turing-complete language of Kubernetes and Envoy.
//
// A tenant writes them in its SDL:
//
//	extend type Goods @validate(expr: "self.price <= 10000.0", message: "price is at most 10000") {
//	  taxRate: Float! @default(value: 0.1)
//	    @validate(expr: "value >= 0.0 && value <= 1.0", message: "taxRate is between 0 and 1")
//	  priceWithTax: Float! @computed(expr: "self.price * (1.0 + self.taxRate)")
//	}
//
// In an expression, self is the goods, with a field for each field of the
// tenant's Goods but the computed ones and those of upstreams: Int is int, Float double, String
// and ID string, Boolean bool, DateTime timestamp, an enum string, a value
// object map(string, dyn), a list a list. A nullable field may be null:
// compare it with null, or guard it with has(self.field). In a rule of a
// field, value is the field's new value.
//
// [Compile] parses and type-checks every expression of a tenant's schema
// against the field's type (a rule's against bool) once, when the tenant
// compiles; a problem has the position of the expression. Evaluation is
// bounded by [CostLimit], CEL's runtime cost tracking, so no expression
// can burn CPU.
package logic

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	celcost "cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// The directives of a tenant's logic.
const (
	ComputedDirective = "computed"
	ValidateDirective = "validate"
)

// CostLimit bounds the cost of one evaluation, in CEL's cost units (about
// one per operation, more for operations on strings and lists): an
// expression that goes over it fails with COMPUTE_FAILED, or refuses the
// write for a rule.
const CostLimit = 10_000

var mapType = reflect.TypeFor[map[string]any]()

// Set is the logic of a tenant's schema. A nil *Set has none. A Set is
// immutable and safe for concurrent use.
type Set struct {
	schema   *ast.Schema
	computed map[string]*computed // by field of Goods
	rules    []*rule
}

type computed struct {
	field *ast.FieldDefinition
	prg   cel.Program
	// reads are the fields of self the expression reads.
	reads []string
}

// rule is a @validate of a field (field set) or of Goods.
type rule struct {
	field   *ast.FieldDefinition // nil for a rule of Goods
	message string
	prg     cel.Program
}

// Problem is an expression that does not compile, or a directive of the
// tenant's logic used wrongly, at Pos.
type Problem struct {
	Pos     *ast.Position
	Message string
}

// Compile compiles the @computed and @validate expressions of the Goods
// type of schema, and returns the Set and every problem found. With
// problems, the Set holds what did compile, for further checks; it must
// not serve. A schema without logic has a nil Set.
func Compile(schema *ast.Schema) (*Set, []Problem) {
	goods := schema.Types["Goods"]
	if goods == nil || !hasLogic(goods) {
		return nil, nil // no CEL environment for tenants without logic
	}
	c := &compiler{schema: schema, set: &Set{schema: schema, computed: map[string]*computed{}}}
	var readable []*ast.FieldDefinition
	for _, f := range goods.Fields {
		// Computed fields and those of upstreams are not values of the
		// goods: self has the stored fields.
		if !strings.HasPrefix(f.Name, "__") && f.Directives.ForName(ComputedDirective) == nil && f.Directives.ForName("upstream") == nil {
			readable = append(readable, f)
		}
	}
	provider, err := newGoodsProvider(schema, readable)
	if err != nil {
		return nil, []Problem{{Message: "logic: " + err.Error()}}
	}
	c.env, err = cel.NewEnv(
		cel.CustomTypeProvider(provider),
		cel.Variable("self", cel.ObjectType(goodsTypeName)),
		ext.Strings(),
		ext.Math(),
		// self.price > 0 compares a double with an int, as a tenant
		// would expect.
		cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		return nil, []Problem{{Message: "logic: " + err.Error()}}
	}
	for _, dir := range goods.Directives.ForNames(ValidateDirective) {
		c.rule(dir, nil, c.env)
	}
	for _, f := range goods.Fields {
		if dir := f.Directives.ForName(ComputedDirective); dir != nil {
			c.computed(f, dir)
		}
		rules := f.Directives.ForNames(ValidateDirective)
		if len(rules) == 0 {
			continue
		}
		env, err := c.env.Extend(cel.Variable("value", celType(schema, f.Type)))
		if err != nil {
			c.problem(f.Position, "logic: %v", err)
			continue
		}
		for _, dir := range rules {
			c.rule(dir, f, env)
		}
	}
	return c.set, c.problems
}

// hasLogic reports whether goods or one of its fields has a directive of
// the tenant's logic.
func hasLogic(goods *ast.Definition) bool {
	if goods.Directives.ForName(ValidateDirective) != nil {
		return true
	}
	for _, f := range goods.Fields {
		if f.Directives.ForName(ComputedDirective) != nil || f.Directives.ForName(ValidateDirective) != nil {
			return true
		}
	}
	return false
}

type compiler struct {
	schema   *ast.Schema
	env      *cel.Env
	set      *Set
	problems []Problem
}

func (c *compiler) problem(pos *ast.Position, format string, args ...any) {
	c.problems = append(c.problems, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// arg returns the string argument name of dir, reporting a missing one.
func (c *compiler) arg(dir *ast.Directive, name string, required bool) (string, *ast.Position, bool) {
	a := dir.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		if required {
			c.problem(dir.Position, "@%s needs %s, a string", dir.Name, name)
		}
		return "", dir.Position, false
	}
	if a.Value.Kind != ast.StringValue && a.Value.Kind != ast.BlockValue {
		c.problem(a.Value.Position, "@%s(%s:) must be a string", dir.Name, name)
		return "", a.Value.Position, false
	}
	return a.Value.Raw, a.Value.Position, true
}

// compile compiles expr, the argument of a directive at pos, in env, and
// checks that its type is assignable to want.
func (c *compiler) compile(env *cel.Env, expr string, pos *ast.Position, want *cel.Type, wantName, what string) (*cel.Ast, cel.Program, bool) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			c.problem(exprPos(pos, e.Location.Line(), e.Location.Column()), "%s: %s", what, e.Message)
		}
		return nil, nil, false
	}
	out := checked.OutputType()
	if !assignable(want, out) {
		c.problem(pos, "%s: the expression is of CEL type %s, not %s", what, celName(out), wantName)
		return nil, nil, false
	}
	// An expression whose worst case, estimated statically, is within
	// the limit runs without CEL's runtime cost tracking, which costs
	// several allocations per evaluation; any other is tracked and
	// stopped at the limit.
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if est, err := env.EstimateCost(checked, defaultSizes{}); err != nil || est.Max > CostLimit {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	prg, err := env.Program(checked, opts...)
	if err != nil {
		c.problem(pos, "%s: %v", what, err)
		return nil, nil, false
	}
	return checked, prg, true
}

// celName returns the name of a CEL type as a tenant writes it: int for
// the wrapper of a nullable Int.
func celName(t *cel.Type) string {
	name := t.String()
	if inner, ok := strings.CutPrefix(name, "wrapper("); ok {
		return strings.TrimSuffix(inner, ")")
	}
	return name
}

// assignable reports whether a value of CEL type out may be given where
// want is due. A dyn result is checked when it is converted.
func assignable(want, out *cel.Type) bool {
	if out.Kind() == types.DynKind || want.IsAssignableType(out) {
		return true
	}
	// A nullable type takes its wrapped type and null.
	if want.Kind() == types.OpaqueKind || len(want.Parameters()) == 0 {
		return false
	}
	return false
}

func (c *compiler) computed(f *ast.FieldDefinition, dir *ast.Directive) {
	expr, pos, ok := c.arg(dir, "expr", true)
	if !ok {
		return
	}
	want := celType(c.schema, f.Type)
	if !f.Type.NonNull && f.Type.Elem == nil {
		// A nullable field may be computed as null, or as its type.
		want = celType(c.schema, &ast.Type{NamedType: f.Type.NamedType, NonNull: false})
	}
	checked, prg, ok := c.compile(c.env, expr, pos, want, f.Type.String()+" ("+celName(want)+")", "@computed of Goods."+f.Name)
	if !ok {
		return
	}
	c.set.computed[f.Name] = &computed{field: f, prg: prg, reads: selfReads(checked)}
}

func (c *compiler) rule(dir *ast.Directive, f *ast.FieldDefinition, env *cel.Env) {
	what := "@validate of Goods"
	if f != nil {
		what += "." + f.Name
	}
	expr, pos, ok := c.arg(dir, "expr", true)
	message, _, mok := c.arg(dir, "message", true)
	if !ok || !mok {
		return
	}
	if message == "" {
		c.problem(dir.Position, "%s: message must not be empty: it is what the client is told", what)
		return
	}
	_, prg, ok := c.compile(env, expr, pos, cel.BoolType, "bool", what)
	if !ok {
		return
	}
	c.set.rules = append(c.set.rules, &rule{field: f, message: message, prg: prg})
}

// defaultSizes leaves every estimate to CEL's defaults: the size of a
// string or list of self is unknown, so an expression that iterates over
// one, or whose cost grows with one, is tracked at run time.
type defaultSizes struct{}

func (defaultSizes) EstimateCallCost(string, string, *celcost.AstNode, []celcost.AstNode) *celcost.CallEstimate {
	return nil
}

func (defaultSizes) EstimateSize(celcost.AstNode) *celcost.SizeEstimate { return nil }

// exprPos returns the position of the character at line and column (CEL's
// 1-based line, 0-based column) of an expression whose string literal
// starts at pos: exact for an expression on the literal's line without
// escapes, the literal's own position otherwise.
func exprPos(pos *ast.Position, line, column int) *ast.Position {
	if pos == nil {
		return nil
	}
	p := *pos
	if line <= 1 {
		p.Column = pos.Column + 1 + column
	} else {
		p.Line = pos.Line + line - 1
		p.Column = column + 1
	}
	return &p
}

// selfReads returns the fields of self that a checked expression selects.
func selfReads(checked *cel.Ast) []string {
	var reads []string
	celast.PostOrderVisit(checked.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.SelectKind {
			return
		}
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "self" {
			if !slices.Contains(reads, sel.FieldName()) {
				reads = append(reads, sel.FieldName())
			}
		}
	}))
	slices.Sort(reads)
	return reads
}

// Reads returns the fields of Goods that the @computed field reads, so
// that the loader can hold it to their permissions.
func (s *Set) Reads(field string) []string {
	if s == nil || s.computed[field] == nil {
		return nil
	}
	return s.computed[field].reads
}

// activation binds self, and value for a rule of a field.
type activation struct {
	self  any
	value any
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "self":
		return a.self, true
	case "value":
		return a.value, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Computed returns the computations of the tenant's @computed fields for
// the executor (dynamic.Config.Computed), keyed "Goods.field": each takes
// a goods (a FieldReader) and returns the field's value, or a
// COMPUTE_FAILED *apperr.Error when the expression fails at run time (a
// division by zero, a null where a value is due, the cost limit).
func (s *Set) Computed() map[string]func(obj any) (any, error) {
	if s == nil {
		return nil
	}
	out := make(map[string]func(any) (any, error), len(s.computed))
	for name, c := range s.computed {
		out["Goods."+name] = func(obj any) (any, error) { return s.compute(c, obj) }
	}
	return out
}

func (s *Set) compute(c *computed, obj any) (any, error) {
	out, _, err := c.prg.Eval(&activation{self: obj})
	if err == nil {
		var v any
		if v, err = toGo(s.schema, c.field.Type, out); err == nil {
			return v, nil
		}
	}
	return nil, &apperr.Error{
		Code:    apperr.ComputeFailed,
		Message: fmt.Sprintf("Goods.%s could not be computed: %v", c.field.Name, err),
		Err:     err,
	}
}

// Any reports whether s has a computed field or a rule.
func (s *Set) Any() bool { return s != nil && (len(s.computed) > 0 || len(s.rules) > 0) }

// HasRules reports whether the tenant has @validate rules, so that a
// write needs the goods as it will be stored before it is made.
func (s *Set) HasRules() bool { return s != nil && len(s.rules) > 0 }

// Check runs the tenant's rules on goods, a goods as it will be stored:
// the rules of Goods, and those of each field that given reports as given
// in the input and goods has a value for. It returns a BAD_USER_INPUT
// *apperr.Error with the message of the first rule goods does not meet, and
// extensions.field naming the field of a field's rule; a rule that fails
// to evaluate refuses the write too. ctx bounds nothing yet: evaluations
// are bounded by CostLimit.
func (s *Set) Check(_ context.Context, goods FieldReader, given func(field string) bool) error {
	if s == nil {
		return nil
	}
	for _, r := range s.rules {
		act := &activation{self: goods}
		if r.field != nil {
			if !given(r.field.Name) {
				continue
			}
			v := fromGo(s.schema, r.field.Type, goods.FieldValue(r.field.Name))
			if v == nil {
				continue // null is the field's type's business
			}
			act.value = v
		}
		out, _, err := r.prg.Eval(act)
		if err == nil && out == types.True {
			continue
		}
		e := &apperr.Error{Code: apperr.BadUserInput, Message: r.message}
		if err != nil {
			e.Err = fmt.Errorf("rule could not be evaluated: %w", err)
		} else if out != types.False {
			e.Err = errors.New("rule did not evaluate to a bool")
		}
		if r.field != nil {
			e.Field = r.field.Name
			e.Argument = "input." + r.field.Name
		}
		return e
	}
	return nil
}
