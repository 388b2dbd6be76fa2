package dynamic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// execute runs the operation of oc on the root type and returns the
// response's data. Errors go to ctx's response context.
//
// Values are written straight into a buffer as JSON. Fields read from
// their parent run inline; resolver-backed fields of an object run after
// its other fields (as generated code dispatches them), concurrently when
// there are several, each into a buffer of its own that is spliced into
// its place. A null in a non-null position truncates the text back to the
// nearest nullable value, which becomes null.
func (e *ExecutableSchema) execute(ctx context.Context, oc *graphql.OperationContext, root *objectType) []byte {
	ex := &execution{es: e, oc: oc, serial: oc.Operation.Operation == ast.Mutation}
	if a := accessFrom(ctx); a != nil {
		ex.access, ex.restricted = a, e.restrictedEnums(a)
	}
	ctx = withFieldContext(ctx, rootFieldContext(root.name))
	p := e.plan(ex, root)

	w := getWriter(nil)
	if hint := e.sizeHint.Load(); int64(cap(w.buf)) < hint {
		w.buf = make([]byte, 0, hint)
	}
	ex.completeObject(ctx, 0, w, p, nil)
	for _, le := range w.late {
		addError(ctx, le.err)
	}
	data := make([]byte, len(w.buf))
	copy(data, w.buf)
	e.sizeHint.Store(int64(len(data)))
	putWriter(w)
	return data
}

// completeObject writes obj, a value of p's type, as the JSON object of
// p's fields. ctx carries the graphql.FieldContext of the first cd
// elements of w's path (the path down to the nearest resolver-backed
// field). It returns false, having written null, if a non-null field of
// the object was null.
func (ex *execution) completeObject(ctx context.Context, cd int, w *writer, p *plan, obj any) bool {
	return ex.completeObjectWith(ctx, cd, w, p, obj, nil, 0)
}

// completeObjectWith is completeObject for an object whose batches a
// prefetch may have resolved: obj is the parent k of pre, if pre is not
// nil.
func (ex *execution) completeObjectWith(ctx context.Context, cd int, w *writer, p *plan, obj any, pre *prefetched, k int) bool {
	start := len(w.buf)
	w.buf = append(w.buf, '{')
	st := objectState{valid: true, parent: parentOf(obj), pre: pre, k: k}
	concurrent := p.resolvers > 0 && !(p.root && ex.serial)
	for i := 0; i < len(p.fields); {
		i = ex.writeFields(ctx, cd, w, p, i, &st, concurrent)
	}
	if len(st.holes) > 0 && !ex.resolveHoles(ctx, cd, w, p, st.holes, obj) {
		st.valid = false
	}
	w.buf = append(w.buf, '}')
	if !st.valid {
		w.truncate(start)
		w.null()
	}
	return st.valid
}

// objectState is the state of completeObject, shared with writeFields.
type objectState struct {
	parent parentValue
	valid  bool
	// cur is the field being written, valAt the offset of its value and
	// depth the length of the path, for recovering from a panic.
	cur   int
	valAt int
	depth int
	holes []hole
	// The object is the parent k of the prefetch pre, if pre is not
	// nil; batchResult is what batch resolved for it otherwise, once a
	// field of it has been written.
	batch       *batchPlan
	batchResult batchResult
	pre         *prefetched
	k           int
}

// parentValue is an object value, with its kind found once for all its
// fields.
type parentValue struct {
	v   any
	obj Object
	m   map[string]any
}

func parentOf(v any) parentValue {
	p := parentValue{v: v}
	switch x := v.(type) {
	case Object:
		p.obj = x
	case map[string]any:
		p.m = x
	}
	return p
}

// writeFields writes the fields of p from the one at index from, and
// returns the index after the last one it wrote: len(p.fields), or, if
// reading a field's value panicked, the index after that field, whose
// value it has written as null with the panic's error, as generated code
// does. With concurrent set, resolver-backed fields are left as holes for
// resolveHoles.
func (ex *execution) writeFields(ctx context.Context, cd int, w *writer, p *plan, from int, st *objectState, concurrent bool) (next int) {
	st.depth = len(w.path)
	defer func() {
		if r := recover(); r != nil {
			next = ex.fieldPanicked(ctx, w, p, st, r)
		}
	}()
	for i := from; i < len(p.fields); i++ {
		pf := &p.fields[i]
		st.cur = i
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, pf.key...)
		st.valAt = len(w.buf)
		switch pf.op {
		case opValue:
			if pf.leaf {
				if !ex.leafField(ctx, cd, w, pf, &st.parent) {
					st.valid = false
				}
				continue
			}
			w.pushField(pf)
			if !ex.valueField(ctx, cd, w, pf, &st.parent) {
				st.valid = false
			}
			w.pop()
		case opResolver:
			if concurrent && pf.info.root == rootNone {
				st.holes = append(st.holes, hole{field: i, at: len(w.buf)})
				continue
			}
			w.pushField(pf)
			if !ex.resolveField(ctx, cd, w, pf, st.parent.v) {
				st.valid = false
			}
			w.pop()
		case opTypename:
			w.buf = append(w.buf, p.typ.typename...)
		case opBatch:
			if pf.verbatimRun > 0 {
				if n := ex.writeVerbatim(ctx, w, p, i, st); n > 0 {
					i += n - 1
					continue
				}
			}
			if !ex.batchField(ctx, cd, w, pf, st) {
				st.valid = false
			}
		case opForbidden:
			w.pushField(pf)
			addError(ctx, fieldErrorAt(pf, w.astPath(), pf.forbidden))
			w.pop()
			w.null()
			if pf.nonNull {
				st.valid = false
			}
		case opUnknown:
			w.pushField(pf)
			ex.fieldError(ctx, w, fmt.Errorf("dynamic: %s has no field %q", p.typ.name, pf.cf.Name))
			w.pop()
			w.null()
		}
	}
	return len(p.fields)
}

// fieldPanicked handles a panic while writing field st.cur: its value
// becomes null and the panic an error at its path, through the server's
// recover function.
func (ex *execution) fieldPanicked(ctx context.Context, w *writer, p *plan, st *objectState, r any) int {
	pf := &p.fields[st.cur]
	w.truncate(st.valAt)
	w.path = w.path[:st.depth]
	w.pushField(pf)
	addError(ctx, errorOnPath(w.astPath(), ex.oc.RecoverFunc(ctx, r)))
	w.pop()
	w.null()
	if pf.nonNull {
		st.valid = false
	}
	return st.cur + 1
}

// valueField writes the value of a field read from its parent, which is
// on top of w's path. It returns false if the field is non-null and its
// value null.
func (ex *execution) valueField(ctx context.Context, cd int, w *writer, pf *planField, parent *parentValue) bool {
	args, argsErr := ex.fieldArgs(pf)
	if argsErr {
		addError(ctx, ex.argsError(pf, w.astPath(), func(r any) error { return ex.oc.RecoverFunc(ctx, r) }))
		w.null()
		return !pf.nonNull
	}
	var v any
	switch {
	case pf.info.compute != nil:
		var err error
		if v, err = pf.info.compute(parent.v); err != nil {
			addError(ctx, fieldErrorAt(pf, w.astPath(), err))
			w.null()
			return !pf.nonNull
		}
	case pf.info.get != nil:
		v = pf.info.get(parent.v, args)
	case parent.obj != nil:
		v = parent.obj.FieldValue(pf.info.name)
	case parent.m != nil:
		v = parent.m[pf.info.name]
	default:
		ex.fieldError(ctx, w, fmt.Errorf("dynamic: no resolver for %s.%s, and its parent is no object but %T", pf.info.object, pf.info.name, parent.v))
		w.null()
		return !pf.nonNull
	}
	return ex.completeValue(ctx, cd, w, pf, pf.info.typ, v)
}

// leafField is valueField for a field of a scalar type (pf.leaf), whose
// parent is on top of w's path: the field goes on the path only for a
// value that completeValue has to check, as the path is needed for an
// error alone.
func (ex *execution) leafField(ctx context.Context, cd int, w *writer, pf *planField, parent *parentValue) bool {
	args, argsErr := pf.args, pf.argsErr
	if pf.varArgs {
		args, argsErr = ex.fieldArgs(pf)
	}
	if pf.info.compute == nil && !argsErr {
		switch {
		case pf.info.get != nil:
			return ex.completeLeaf(ctx, cd, w, pf, pf.info.get(parent.v, args))
		case parent.obj != nil:
			return ex.completeLeaf(ctx, cd, w, pf, parent.obj.FieldValue(pf.info.name))
		case parent.m != nil:
			return ex.completeLeaf(ctx, cd, w, pf, parent.m[pf.info.name])
		}
	}
	w.pushField(pf)
	valid := ex.valueField(ctx, cd, w, pf, parent)
	w.pop()
	return valid
}

// completeLeaf writes v, the value of pf, a field of a scalar type whose
// parent is on top of w's path, as completeValue does, putting the field
// on the path only if v is not one that writeLeaf writes.
func (ex *execution) completeLeaf(ctx context.Context, cd int, w *writer, pf *planField, v any) bool {
	if w.writeLeaf(pf.info.typ, v) {
		return true
	}
	w.pushField(pf)
	valid := ex.completeValue(ctx, cd, w, pf, pf.info.typ, v)
	w.pop()
	return valid
}

// resolveHoles resolves the fields of obj left as holes by writeFields,
// after the object's other fields: inline if there is one, concurrently if
// there are more, the first in this goroutine, as generated code's
// FieldSet.Dispatch does. It returns false if a non-null one was null.
func (ex *execution) resolveHoles(ctx context.Context, cd int, w *writer, p *plan, holes []hole, obj any) bool {
	if len(holes) == 1 && holes[0].at == len(w.buf) {
		// The last field: its value goes at the end, where it belongs.
		pf := &p.fields[holes[0].field]
		w.pushField(pf)
		valid := ex.resolveField(ctx, cd, w, pf, obj)
		w.pop()
		return valid
	}
	kids := make([]*writer, len(holes))
	valid := make([]bool, len(holes))
	run := func(k int) {
		pf := &p.fields[holes[k].field]
		kw := kids[k]
		defer func() {
			if r := recover(); r != nil {
				// A panic outside the field's own recovery: in a root field
				// middleware, say.
				kw.truncate(0)
				kw.path = append(kw.path[:len(w.path)], pathElem{field: pf})
				kw.null()
				addError(ctx, errorOnPath(kw.astPath(), ex.oc.RecoverFunc(ctx, r)))
				valid[k] = !pf.nonNull
			}
		}()
		kw.pushField(pf)
		valid[k] = ex.resolveField(ctx, cd, kw, pf, obj)
	}
	for k := range holes {
		kids[k] = getWriter(w.path)
	}
	var wg sync.WaitGroup
	for k := 1; k < len(holes); k++ {
		wg.Go(func() { run(k) })
	}
	run(0)
	wg.Wait()
	w.splice(holes, kids)
	ok := true
	for k := range kids {
		ok = ok && valid[k]
		putWriter(kids[k])
	}
	return ok
}

// resolveField resolves a resolver-backed field, which is on top of w's
// path, and writes its value, as generated code's ResolveField does: with
// the field's FieldContext, through the operation's field middleware (and
// root field middleware for a root field), recovering from a panic. It
// returns false if the field is non-null and its value null.
func (ex *execution) resolveField(ctx context.Context, cd int, w *writer, pf *planField, parent any) bool {
	if !pf.root {
		return ex.resolve(ctx, cd, w, pf, parent)
	}
	start := len(w.buf)
	valid := true
	rctx := withRootFieldContext(ctx, pf.cf)
	res := ex.oc.RootResolverMiddleware(rctx, func(ctx context.Context) graphql.Marshaler {
		w.truncate(start)
		valid = ex.resolve(ctx, cd, w, pf, parent)
		return written
	})
	if res != written {
		// The middleware answered itself.
		w.truncate(start)
		res.MarshalGQL(w)
		valid = !(pf.nonNull && res == graphql.Null) && res != graphql.RequiredNull
	}
	return valid
}

// written is what resolveField's root field middleware gets for a value
// already written.
var written graphql.Marshaler = writtenMarshaler{}

type writtenMarshaler struct{}

func (writtenMarshaler) MarshalGQL(io.Writer) {}

// resolve is resolveField without the root field middleware.
func (ex *execution) resolve(ctx context.Context, cd int, w *writer, pf *planField, parent any) (valid bool) {
	fctx := ex.parentContext(ctx, cd, w)
	args, argsErr := ex.fieldArgs(pf)
	fc := resolverFieldContext(pf.info.object, pf.cf, args, pf.info.resolve != nil)
	fctx = withFieldContext(fctx, fc)
	start, depth := len(w.buf), len(w.path)
	if argsErr {
		ex.oc.Error(fctx, ex.argsError(pf, w.astPath(), func(r any) error { return ex.oc.RecoverFunc(fctx, r) }))
		w.null()
		return !pf.nonNull
	}
	defer func() {
		if r := recover(); r != nil {
			ex.oc.Error(fctx, ex.oc.Recover(fctx, r))
			w.truncate(start)
			w.path = w.path[:depth]
			w.null()
			valid = !pf.nonNull
		}
	}()
	if err := ctx.Err(); err != nil {
		// The request's deadline passed or its client went away: no
		// resolver starts any more, so a mutation stops before its next
		// root field.
		ex.oc.Error(fctx, addFieldLocation(fctx, err))
		w.null()
		return !(pf.nonNull || fc.NonNull)
	}
	resolver := pf.info.resolve
	if resolver == nil {
		resolver = ex.introspectionResolver(pf.info.root)
	}
	res, err := ex.oc.ResolverMiddleware(fctx, func(rctx context.Context) (any, error) {
		fctx = rctx // children see the middleware's context, as in generated code
		return resolver(rctx, parent, fc.Args)
	})
	nonNull := pf.nonNull || fc.NonNull
	if err != nil {
		ex.oc.Error(fctx, addFieldLocation(fctx, err))
		w.null()
		return !nonNull
	}
	if res == nil {
		if nonNull && !hasFieldError(fctx, fc) {
			addError(fctx, errors.New(msgMustNotBeNull))
		}
		w.null()
		return !nonNull
	}
	fc.Result = res
	return ex.completeValue(fctx, len(w.path), w, pf, pf.info.typ, res)
}

// parentContext returns ctx with FieldContexts for the path elements
// between the first cd of w's path and the field on top of it, so that
// the field's FieldContext has the parents it has in generated code.
func (ex *execution) parentContext(ctx context.Context, cd int, w *writer) context.Context {
	for i := cd; i < len(w.path)-1; i++ {
		if e := w.path[i]; e.field != nil {
			ctx = withFieldContext(ctx, valueFieldContext(e.field.info.object, e.field.cf))
		} else {
			ctx = withFieldContext(ctx, indexFieldContext(e.index))
		}
	}
	return ctx
}

// completeValue writes v, a value of type t for the field pf (or an
// element of its list value), whose path is w's. It returns false if t is
// non-null and what it wrote is null.
func (ex *execution) completeValue(ctx context.Context, cd int, w *writer, pf *planField, t *typeRef, v any) bool {
	if v == nil {
		return ex.writeNull(ctx, w, t)
	}
	switch t.kind {
	case kindScalar:
		return ex.writeScalar(ctx, w, t, v)
	case kindEnum:
		return ex.writeEnum(ctx, w, t, v)
	case kindObject:
		if !t.object.introspection && !isObject(v) {
			return ex.unfit(ctx, w, t, v)
		}
		return ex.completeObject(ctx, cd, w, pf.child, v) || !t.nonNull
	case kindAbstract:
		o, err := concreteType(t, v)
		if err != nil {
			ex.fieldError(ctx, w, err)
			w.null()
			return !t.nonNull
		}
		return ex.completeObject(ctx, cd, w, ex.planFor(pf, o), v) || !t.nonNull
	case kindList:
		return ex.completeList(ctx, cd, w, pf, t, v)
	}
	panic("dynamic: unknown type kind")
}

func isObject(v any) bool {
	switch v.(type) {
	case Object, map[string]any:
		return true
	}
	return false
}

// concreteType returns the object type of v, a value of the abstract type
// t.
func concreteType(t *typeRef, v any) (*objectType, error) {
	var name string
	switch x := v.(type) {
	case TypeNamer:
		name = x.TypeName()
	case map[string]any:
		name, _ = x["__typename"].(string)
	}
	o := t.possible[name]
	if o == nil {
		return nil, fmt.Errorf("dynamic: a value of type %T is no object type of %s (TypeName %q)", v, t.name, name)
	}
	return o, nil
}

// completeList writes v, a value of the list type t. Lists of values that
// may call resolvers complete their elements concurrently, as generated
// code does; others inline.
func (ex *execution) completeList(ctx context.Context, cd int, w *writer, pf *planField, t *typeRef, v any) bool {
	l, isList := asList(v)
	if !isList {
		return ex.unfit(ctx, w, t, v)
	}
	if l == nil {
		return ex.writeNull(ctx, w, t)
	}
	n := l.Len()
	var pre *prefetched
	if t.elem.kind == kindObject && pf.child != nil && pf.child.batchesBelow {
		// One call per batch for all the list's objects, and the objects
		// below them.
		parents, isSlice := l.(valueList[any])
		if !isSlice {
			parents = make([]any, n)
			for i := range n {
				parents[i] = l.At(i)
			}
		}
		pre = ex.prefetch(ctx, pf.child, parents)
	}
	start := len(w.buf)
	w.buf = append(w.buf, '[')
	valid := true
	if n > 1 && t.elem.callsResolvers() {
		valid = ex.completeElementsConcurrently(ctx, cd, w, pf, t.elem, l, n, pre)
	} else {
		for i := range n {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.pushIndex(i)
			if !ex.completeElement(ctx, cd, w, pf, t.elem, l.At(i), pre, i) {
				valid = false
			}
			w.pop()
		}
	}
	w.buf = append(w.buf, ']')
	if !valid {
		w.truncate(start)
		w.null()
		return !t.nonNull
	}
	return true
}

// completeElement writes v, the element i of a list of pf, of type
// elem, whose batches the prefetch pre may have resolved.
func (ex *execution) completeElement(ctx context.Context, cd int, w *writer, pf *planField, elem *typeRef, v any, pre *prefetched, i int) bool {
	if pre != nil && v != nil && isObject(v) {
		return ex.completeObjectWith(ctx, cd, w, pf.child, v, pre, i) || !elem.nonNull
	}
	return ex.completeValue(ctx, cd, w, pf, elem, v)
}

// completeElementsConcurrently writes the n elements of l, each in a
// goroutine of its own (the first in this one) and a writer of its own,
// recovering from a panic per element, as gqlgen's
// MarshalSliceConcurrently does. It returns false if a non-null element
// was null.
func (ex *execution) completeElementsConcurrently(ctx context.Context, cd int, w *writer, pf *planField, elem *typeRef, l List, n int, pre *prefetched) bool {
	kids := make([]*writer, n)
	valid := make([]bool, n)
	run := func(i int) {
		kw := kids[i]
		defer func() {
			if r := recover(); r != nil {
				kw.truncate(0)
				kw.path = append(kw.path[:len(w.path)], pathElem{index: i})
				kw.null()
				addError(ctx, errorOnPath(kw.astPath(), ex.oc.RecoverFunc(ctx, r)))
				valid[i] = !elem.nonNull
			}
		}()
		kw.pushIndex(i)
		valid[i] = ex.completeElement(ctx, cd, kw, pf, elem, l.At(i), pre, i)
	}
	for i := range n {
		kids[i] = getWriter(w.path)
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() { run(i) })
	}
	run(0)
	wg.Wait()
	ok := true
	for i, kw := range kids {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		for _, le := range kw.late {
			w.late = append(w.late, lateError{at: len(w.buf) + le.at, err: le.err})
		}
		w.buf = append(w.buf, kw.buf...)
		ok = ok && valid[i]
		putWriter(kw)
	}
	return ok
}

// writeNull writes null for a value of type t, with an error if t is
// non-null, and returns false then.
func (ex *execution) writeNull(ctx context.Context, w *writer, t *typeRef) bool {
	if t.nonNull {
		ex.fieldError(ctx, w, errors.New(msgNullValue))
	}
	w.null()
	return !t.nonNull
}

// unfit reports that v does not fit type t, and writes null.
func (ex *execution) unfit(ctx context.Context, w *writer, t *typeRef, v any) bool {
	ex.fieldError(ctx, w, unfitError(t, v))
	w.null()
	return !t.nonNull
}

// fieldError reports err at w's path.
func (ex *execution) fieldError(ctx context.Context, w *writer, err error) {
	addError(ctx, errorOnPath(w.astPath(), err))
}
