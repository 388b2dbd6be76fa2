package dynamic

import (
	"context"
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// A Batch resolves some fields of many values of one object type in one
// call, such as the fields a tenant's upstream service adds to Goods: the
// executor calls Resolve once for all the values of the type that one
// request level holds (the elements of a list, and the objects their
// fields hold, as goodsList's nodes or its edges' nodes), not once per
// value.
type Batch struct {
	// Type is the object type, Fields the names of the fields of it that
	// the batch resolves.
	Type   string
	Fields []string
	// Resolve returns, for each of parents (values of Type, in order,
	// distinct), an Object whose FieldValue gives the values of the
	// fields, completed like values read from an object (a value that is
	// an error is that field's error; a nil Object has only nulls); or,
	// in errs, an error for that parent, which
	// is reported at the path of each of its fields that fields selects,
	// with null. fields are the batch's fields that the request selects of
	// the parents, with their selection sets; a field selected under two
	// aliases appears twice. Resolve may be called concurrently.
	Resolve func(ctx context.Context, parents []any, fields []graphql.CollectedField) (values []Object, errs []error)
}

// batchPlan is a batch whose fields a plan selects. Plans are an
// execution's own, and so is what its batch resolved.
type batchPlan struct {
	batch  *Batch
	fields []graphql.CollectedField
	// resolved holds what the batch resolved, or is resolving, for each
	// parent, under the execution's batchMu.
	resolved map[any]*batchResult
}

// batchResult is what a batch resolved for one parent; until done is
// set, under the execution's batchMu, the batch is resolving it.
type batchResult struct {
	values Object
	err    error
	done   bool
}

// prefetch resolves the batches of plan p, and of the plans below it that
// single objects read from their parents reach (a connection's edges'
// nodes), for the objects parents, each batch in one call. The results
// wait in the batch plans for completeObject.
func (ex *execution) prefetch(ctx context.Context, p *plan, parents []any) {
	if p == nil || !p.batchesBelow || len(parents) == 0 {
		return
	}
	for _, bp := range p.batches {
		ex.resolveBatch(ctx, bp, parents)
	}
	for i := range p.fields {
		pf := &p.fields[i]
		if pf.op != opValue || pf.child == nil || !pf.child.batchesBelow || pf.info.typ.kind != kindObject {
			continue
		}
		var kids []any
		for _, parent := range parents {
			if v := readField(pf, parent); v != nil {
				kids = append(kids, v)
			}
		}
		ex.prefetch(ctx, pf.child, kids)
	}
}

// readField reads the field pf, a field read from its parent, of parent.
func readField(pf *planField, parent any) any {
	switch x := parent.(type) {
	case Object:
		return x.FieldValue(pf.info.name)
	case map[string]any:
		return x[pf.info.name]
	}
	return nil
}

// resolveBatch resolves the batch bp for parents and keeps the results.
func (ex *execution) resolveBatch(ctx context.Context, bp *batchPlan, parents []any) {
	distinct := make([]any, 0, len(parents))
	results := make([]batchResult, len(parents))
	ex.batchMu.Lock()
	if bp.resolved == nil {
		bp.resolved = make(map[any]*batchResult, len(parents))
	}
	for _, parent := range parents {
		if !comparable(parent) {
			continue // resolved alone, by completeObject
		}
		if _, seen := bp.resolved[parent]; !seen {
			bp.resolved[parent] = &results[len(distinct)] // being resolved
			distinct = append(distinct, parent)
		}
	}
	ex.batchMu.Unlock()
	if len(distinct) == 0 {
		return
	}
	values, errs := bp.batch.Resolve(ctx, distinct, bp.fields)
	ex.batchMu.Lock()
	defer ex.batchMu.Unlock()
	for i := range distinct {
		r := &results[i]
		switch {
		case i < len(errs) && errs[i] != nil:
			r.err = errs[i]
		case i < len(values):
			r.values = values[i]
		default:
			r.err = fmt.Errorf("dynamic: batch of %s resolved %d of %d values", bp.batch.Type, len(values), len(distinct))
		}
		r.done = true
	}
}

// batchResultOf returns what bp resolved for parent, resolving it now if
// no prefetch did (or one is still at it).
func (ex *execution) batchResultOf(ctx context.Context, bp *batchPlan, parent any) *batchResult {
	if comparable(parent) {
		ex.batchMu.Lock()
		r := bp.resolved[parent]
		done := r != nil && r.done
		ex.batchMu.Unlock()
		if done {
			return r
		}
	}
	values, errs := bp.batch.Resolve(ctx, []any{parent}, bp.fields)
	r := &batchResult{done: true}
	switch {
	case len(errs) > 0 && errs[0] != nil:
		r.err = errs[0]
	case len(values) > 0:
		r.values = values[0]
	default:
		r.err = fmt.Errorf("dynamic: batch of %s resolved no value", bp.batch.Type)
	}
	if comparable(parent) {
		ex.batchMu.Lock()
		if bp.resolved == nil {
			bp.resolved = make(map[any]*batchResult)
		}
		bp.resolved[parent] = r
		ex.batchMu.Unlock()
	}
	return r
}

// comparable reports whether v can key a map: a pointer to a goods can,
// a value object (a map) cannot.
func comparable(v any) bool {
	return v != nil && reflect.TypeOf(v).Comparable()
}

// batchField writes the value of pf, a field of a batch, of the object
// of st, which is on top of w's path. It returns false if the field is
// non-null and its value null. What the batch resolved for the object is
// looked up once for the fields of the batch that follow one another.
func (ex *execution) batchField(ctx context.Context, cd int, w *writer, pf *planField, st *objectState) bool {
	if st.batch != pf.batch {
		st.batch, st.batchResult = pf.batch, ex.batchResultOf(ctx, pf.batch, st.parent.v)
	}
	r := st.batchResult
	if r.err != nil {
		addError(ctx, fieldErrorAt(pf, w.astPath(), r.err))
		w.null()
		return !pf.nonNull
	}
	var v any
	if r.values != nil {
		v = r.values.FieldValue(pf.info.name)
	}
	if err, ok := v.(error); ok {
		addError(ctx, fieldErrorAt(pf, w.astPath(), err))
		w.null()
		return !pf.nonNull
	}
	return ex.completeValue(ctx, cd, w, pf, pf.info.typ, v)
}
