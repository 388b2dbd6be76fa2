package dynamic

import (
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A plan is a selection set collected for one object type: the fields to
// write, in order, with their arguments coerced. An operation's plans are
// built once, before execution, and shared by every value they apply to
// (all goods of a list use the same plan), where generated code collects
// fields and coerces arguments again for each value.
//
// Plans hold nothing of one execution: what batches resolve, and the
// arguments of shared plans that depend on variables, are kept in the
// execution. So a plan may be kept in the schema's plan cache and used by
// concurrent executions of its operation (see planCache).
type plan struct {
	typ    *objectType
	fields []planField
	// resolvers is the number of fields resolved by resolveField, which
	// may run concurrently.
	resolvers int
	// root marks the plan of the operation's root selection set.
	root bool
	// batches are the batches whose fields the plan selects;
	// batchesBelow is set when it has some, or a plan of a single object
	// read from its values has (see prefetch).
	batches      []*batchPlan
	batchesBelow bool
	// verbatim marks a plan whose fields are all read from the object
	// and may be written from a JSONObject's text (see markVerbatim).
	verbatim bool
}

// fieldOp is how a planned field gets its value.
type fieldOp uint8

const (
	opValue     fieldOp = iota // read from the parent value
	opResolver                 // a FieldResolver, or __schema and __type
	opTypename                 // __typename
	opUnknown                  // not a field of the type: validation let through what it should not have
	opForbidden                // the caller may not use the field or its arguments (Access)
	opBatch                    // resolved with others by a Batch
)

// planField is a field of a plan.
type planField struct {
	cf graphql.CollectedField
	// key is the response name as a JSON string and a colon.
	key  []byte
	info *fieldInfo // nil for __typename
	op   fieldOp
	// nonNull is whether a null of the field nulls its parent.
	nonNull bool
	// root marks a field of the operation's root type, which goes
	// through the root field middleware.
	root bool
	// leaf marks a field read from its parent or a batch whose type is
	// a built-in scalar (see leafField).
	leaf bool

	args    map[string]any
	argsErr bool // coercing the arguments failed: see argsError
	// varArgs marks a field of a shared plan whose arguments refer to
	// variables: args and argsErr are unset, and each execution coerces
	// the arguments itself (see execution.fieldArgs).
	varArgs bool
	// forbidden is the Access's error for an opForbidden field.
	forbidden error
	// batch is the batch of an opBatch field.
	batch *batchPlan
	// verbatimRun is, for an opBatch field, how many fields from this one
	// on are fields of its batch whose values may be written from the
	// texts of a JSONObject's members (see writeVerbatim).
	verbatimRun int32

	// child is the plan of the field's selection set, when its named type
	// is an object type.
	child *plan
	// abstract holds the plans of the field's selection set by concrete
	// type, when its named type is an interface or union.
	abstract *abstractPlans
}

// abstractPlans are plans built on demand, concurrently: by the
// executions that share the plan holding them, if it is shared.
type abstractPlans struct {
	mu    sync.Mutex
	plans map[*objectType]*plan
}

// execution is the state of one operation.
type execution struct {
	es *ExecutableSchema
	oc *graphql.OperationContext
	// serial is set for mutations, whose root fields run one after
	// another.
	serial bool
	// access is what the caller may use, or nil for everything;
	// restricted holds the enums whose values it may refuse in results.
	access     Access
	restricted map[string]bool
	// shared is set when the plans are, or are going to be, shared with
	// other executions of the operation (see planCache): arguments that
	// refer to variables are then left to fieldArgs.
	shared bool

	// argsMu guards args, the arguments that fieldArgs coerced: a few
	// fields' as a rule, looked up in a list (or in argsByField, once
	// there are more than maxArgsList).
	argsMu      sync.Mutex
	args        []coercedArgs
	argsByField map[*planField]coercedArgs
	// batchMu guards what the plans' batches resolved, kept for lookups
	// by batch plan and object (see keep and batchResultOf).
	batchMu  sync.Mutex
	resolved map[*batchPlan]map[any]batchResult
}

// coercedArgs are the arguments of the field pf as planArgs returns
// them.
type coercedArgs struct {
	pf     *planField
	args   map[string]any
	failed bool
}

// maxArgsList is the most fields whose arguments an execution looks up
// in a list (execution.args).
const maxArgsList = 8

// newPlan collects the selection set sel for the object type t and plans
// its fields, and those of every object type below them.
func (ex *execution) newPlan(t *objectType, sel ast.SelectionSet, root bool) *plan {
	fields := collectFields(ex.oc, sel, t.satisfies)
	p := &plan{typ: t, fields: make([]planField, 0, len(fields)), root: root}
	keys := 0
	for i := range fields {
		keys += len(fields[i].Alias) + 3
	}
	keyBuf := make([]byte, 0, keys)
outer:
	for _, cf := range fields {
		// gqlgen writes the first of fields with the same response name
		// (fieldset.go); validation leaves such only for fields of
		// unrelated abstract types.
		for i := range p.fields {
			if p.fields[i].cf.Alias == cf.Alias {
				continue outer
			}
		}
		start := len(keyBuf)
		keyBuf = append(appendQuoted(keyBuf, cf.Alias), ':')
		pf := planField{cf: cf, key: keyBuf[start:len(keyBuf):len(keyBuf)], root: root}
		if cf.Name == "__typename" {
			pf.op = opTypename
			p.fields = append(p.fields, pf)
			continue
		}
		info := t.fields.get(cf.Name)
		if info == nil {
			pf.op = opUnknown
			p.fields = append(p.fields, pf)
			continue
		}
		pf.info = info
		pf.nonNull = info.typ.nonNull
		switch {
		case info.batch != nil && info.resolve == nil && info.root == rootNone:
			pf.op = opBatch
			pf.batch = p.batchPlan(info.batch, cf)
		case info.root == rootSchema:
			// Generated code resolves __schema as nullable, although the
			// spec has it non-null: when introspection is disabled, data
			// is {"__schema":null}, not null.
			pf.op = opResolver
			pf.nonNull = false
		case info.root == rootType || info.resolve != nil:
			pf.op = opResolver
		}
		if pf.op == opResolver {
			p.resolvers++
		}
		pf.leaf = (pf.op == opValue || pf.op == opBatch) && info.typ.kind == kindScalar && info.typ.scalar != scalarCustom
		if len(info.def.Arguments) > 0 {
			if ex.shared && refersToVariables(cf.Arguments) {
				pf.varArgs = true
			} else {
				pf.args, pf.argsErr = ex.planArgs(&pf)
			}
		}
		if ex.access != nil && info.root == rootNone && !t.introspection {
			if err := ex.checkAccess(t, &pf); err != nil {
				if pf.op == opResolver {
					p.resolvers--
				}
				pf.op, pf.forbidden = opForbidden, err
				p.fields = append(p.fields, pf)
				continue
			}
		}
		switch named := namedOf(info.typ); named.kind {
		case kindObject:
			pf.child = ex.newPlan(named.object, cf.Selections, false)
		case kindAbstract:
			pf.abstract = &abstractPlans{plans: make(map[*objectType]*plan)}
		}
		p.fields = append(p.fields, pf)
	}
	p.batchesBelow = len(p.batches) > 0
	for i := range p.fields {
		if pf := &p.fields[i]; pf.op == opValue && pf.child != nil && pf.child.batchesBelow && pf.info.typ.kind == kindObject {
			p.batchesBelow = true
		}
	}
	p.markVerbatim()
	return p
}

// batchPlan returns the plan's part of batch b, with cf added to its
// fields.
func (p *plan) batchPlan(b *Batch, cf graphql.CollectedField) *batchPlan {
	for _, bp := range p.batches {
		if bp.batch == b {
			bp.fields = append(bp.fields, cf)
			return bp
		}
	}
	bp := &batchPlan{batch: b, fields: []graphql.CollectedField{cf}, index: len(p.batches)}
	p.batches = append(p.batches, bp)
	return bp
}

// planFor returns the plan of pf's selection set for the concrete type o
// of an abstract-typed value.
func (ex *execution) planFor(pf *planField, o *objectType) *plan {
	a := pf.abstract
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.plans[o]
	if p == nil {
		p = ex.newPlan(o, pf.cf.Selections, false)
		a.plans[o] = p
	}
	return p
}

// namedOf returns the named type of t, under its lists.
func namedOf(t *typeRef) *typeRef {
	for t.kind == kindList {
		t = t.elem
	}
	return t
}

// fieldArgs returns pf's coerced arguments, and whether coercing them
// failed: the plan's, or, for a field whose arguments refer to variables
// in a shared plan, this execution's, coerced on first use. Every use of
// the field in the execution gets the same map.
func (ex *execution) fieldArgs(pf *planField) (map[string]any, bool) {
	if !pf.varArgs {
		return pf.args, pf.argsErr
	}
	ex.argsMu.Lock()
	a, ok := ex.coercedArgs(pf)
	ex.argsMu.Unlock()
	if ok {
		return a.args, a.failed
	}
	a = coercedArgs{pf: pf}
	a.args, a.failed = ex.planArgs(pf)
	ex.argsMu.Lock()
	defer ex.argsMu.Unlock()
	if prev, ok := ex.coercedArgs(pf); ok {
		return prev.args, prev.failed // coerced concurrently
	}
	switch {
	case ex.argsByField != nil:
		ex.argsByField[pf] = a
	case len(ex.args) < maxArgsList:
		ex.args = append(ex.args, a)
	default:
		ex.argsByField = make(map[*planField]coercedArgs, 2*maxArgsList)
		for _, a := range ex.args {
			ex.argsByField[a.pf] = a
		}
		ex.argsByField[pf] = a
		ex.args = nil
	}
	return a.args, a.failed
}

// coercedArgs returns the arguments of pf that fieldArgs coerced, if it
// did. ex.argsMu must be held.
func (ex *execution) coercedArgs(pf *planField) (coercedArgs, bool) {
	if ex.argsByField != nil {
		a, ok := ex.argsByField[pf]
		return a, ok
	}
	for _, a := range ex.args {
		if a.pf == pf {
			return a, true
		}
	}
	return coercedArgs{}, false
}

// refersToVariables reports whether a value of args refers to a
// variable.
func refersToVariables(args ast.ArgumentList) bool {
	for _, a := range args {
		if valueRefersToVariables(a.Value) {
			return true
		}
	}
	return false
}

func valueRefersToVariables(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, c := range v.Children {
		if valueRefersToVariables(c.Value) {
			return true
		}
	}
	return false
}

// planArgs coerces pf's arguments. If that fails, argsError reports the
// failure when (and each time) the field is executed, at its path.
func (ex *execution) planArgs(pf *planField) (args map[string]any, failed bool) {
	defer func() {
		if recover() != nil {
			args, failed = nil, true
		}
	}()
	args, err := ex.coerceArgs(pf, nil)
	return args, err != nil
}

// argsError returns the error of coercing pf's arguments, whose path is
// the field's path, path: the error generated code reports.
func (ex *execution) argsError(pf *planField, path ast.Path, recoverFunc func(any) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorOnPath(path, recoverFunc(r))
		}
	}()
	if _, err := ex.coerceArgs(pf, path); err != nil {
		return err
	}
	return fmt.Errorf("dynamic: the arguments of %s.%s failed to coerce once only", pf.info.object, pf.info.name)
}

// coerceArgs coerces the arguments of pf, in the order of their
// definitions, as generated code does; errors carry path, extended by the
// argument's name and the path within its value.
func (ex *execution) coerceArgs(pf *planField, path ast.Path) (map[string]any, error) {
	raw := pf.cf.ArgumentMap(ex.oc.Variables)
	args := make(map[string]any, len(raw))
	root := inputPath{base: path, index: -1}
	for _, ad := range pf.info.def.Arguments {
		v, ok := raw[ad.Name]
		if !ok {
			continue
		}
		c, err := ex.coerceInput(v, ad.Type, &inputPath{parent: &root, name: ad.Name, index: -1})
		if err != nil {
			return nil, err
		}
		args[ad.Name] = c
	}
	return args, nil
}
