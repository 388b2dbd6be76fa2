package dynamic

import (
	"context"
	"fmt"
	"reflect"
	"slices"

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
	// aliases appears twice. Resolve must not modify parents; it may be
	// called concurrently.
	Resolve func(ctx context.Context, parents []any, fields []graphql.CollectedField) (values []Object, errs []error)
}

// batchPlan is a batch whose fields a plan selects. Like its plan, it may
// be shared by executions: what the batch resolved is the execution's
// (execution.resolved).
type batchPlan struct {
	batch  *Batch
	fields []graphql.CollectedField
	// index is the batch plan's position in its plan's batches.
	index int
}

// batchResult is what a batch resolved for one parent.
type batchResult struct {
	values Object
	err    error
}

// batchCall is one call of a batch: its distinct parents, and what
// Resolve returned for them.
type batchCall struct {
	bp      *batchPlan
	parents []any
	values  []Object
	errs    []error
}

// result returns what the call resolved for its parent i.
func (c *batchCall) result(i int) batchResult {
	switch {
	case i < len(c.errs) && c.errs[i] != nil:
		return batchResult{err: c.errs[i]}
	case i < len(c.values):
		return batchResult{values: c.values[i]}
	}
	return batchResult{err: fmt.Errorf("dynamic: batch of %s resolved %d of %d values", c.bp.batch.Type, len(c.values), len(c.parents))}
}

// prefetched is what a prefetch resolved for its parents, by position:
// the call of each batch of the plan, and where each parent is among the
// call's parents.
type prefetched struct {
	calls []*batchCall
	// at[b][k] is the index of the parent k among the parents of
	// calls[b], or -1 if it was left out; a nil at[b] is the identity.
	at [][]int32
}

// result returns what the batch b resolved for the parent k, if it did.
func (pre *prefetched) result(b, k int) (batchResult, bool) {
	c := pre.calls[b]
	if c == nil {
		return batchResult{}, false
	}
	i := k
	if at := pre.at[b]; at != nil {
		if i = int(at[k]); i < 0 {
			return batchResult{}, false
		}
	}
	return c.result(i), true
}

// prefetch resolves the batches of plan p, and of the plans below it that
// single objects read from their parents reach (a connection's edges'
// nodes), for the objects parents (nil ones are skipped), each batch in
// one call. It returns what p's own batches resolved for parents, for
// completeObjectWith; a parent left out (one that is not comparable) is
// resolved alone by completeObject. The results of the plans below wait
// in their batch plans, for batchResultOf.
func (ex *execution) prefetch(ctx context.Context, p *plan, parents []any) *prefetched {
	if p == nil || !p.batchesBelow || len(parents) == 0 {
		return nil
	}
	var pre *prefetched
	if nb := len(p.batches); nb > 0 {
		pre = &prefetched{calls: make([]*batchCall, nb), at: make([][]int32, nb)}
		for b, bp := range p.batches {
			pre.calls[b], pre.at[b] = resolveBatch(ctx, bp, parents)
		}
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
		ex.keep(pf.child, kids, ex.prefetch(ctx, pf.child, kids))
	}
	return pre
}

// keep records what prefetch resolved for the objects parents of p's
// batch plans, pre, for batchResultOf.
func (ex *execution) keep(p *plan, parents []any, pre *prefetched) {
	if pre == nil {
		return
	}
	ex.batchMu.Lock()
	defer ex.batchMu.Unlock()
	for b, bp := range p.batches {
		resolved := ex.resolvedBy(bp, len(parents))
		for k, parent := range parents {
			if r, ok := pre.result(b, k); ok {
				resolved[parent] = r
			}
		}
	}
}

// resolvedBy returns what bp resolved in the execution, by object, made
// with room for n objects if there is none yet. ex.batchMu must be held.
func (ex *execution) resolvedBy(bp *batchPlan, n int) map[any]batchResult {
	m := ex.resolved[bp]
	if m == nil {
		if ex.resolved == nil {
			ex.resolved = make(map[*batchPlan]map[any]batchResult)
		}
		m = make(map[any]batchResult, n)
		ex.resolved[bp] = m
	}
	return m
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

// resolveBatch resolves the batch bp for parents, each distinct one
// once, in one call, and returns the call and where each of parents is
// among its parents (see prefetched). Parents that are nil or not
// comparable are left out; if all are, there is no call.
func resolveBatch(ctx context.Context, bp *batchPlan, parents []any) (*batchCall, []int32) {
	distinct, at := distinctParents(parents)
	if len(distinct) == 0 {
		return nil, nil
	}
	c := &batchCall{bp: bp, parents: distinct}
	c.values, c.errs = bp.batch.Resolve(ctx, distinct, bp.fields)
	return c, at
}

// distinctParents returns the distinct comparable values of parents, in
// the order they first appear, and for each of parents the index of its
// value among them, or -1 for one that is nil or not comparable. When
// they are parents itself, at is nil.
func distinctParents(parents []any) (distinct []any, at []int32) {
	if distinctPointers(parents) {
		if !slices.Contains(parents, nil) {
			return parents, nil
		}
		distinct = make([]any, 0, len(parents))
		at = make([]int32, len(parents))
		for k, p := range parents {
			if p == nil {
				at[k] = -1
				continue
			}
			at[k] = int32(len(distinct))
			distinct = append(distinct, p)
		}
		return distinct, at
	}
	distinct = make([]any, 0, len(parents))
	at = make([]int32, len(parents))
	index := make(map[any]int32, len(parents))
	for k, p := range parents {
		if !canKey(p) {
			at[k] = -1
			continue
		}
		i, seen := index[p]
		if !seen {
			i = int32(len(distinct))
			index[p] = i
			distinct = append(distinct, p)
		}
		at[k] = i
	}
	return distinct, at
}

// distinctPointers reports whether the values of parents other than nil
// are pointers to distinct addresses, as the goods of a list are: then
// they are distinct values, found so without hashing them. (Pointers of
// different types to one address are told apart by distinctParents'
// map.)
func distinctPointers(parents []any) bool {
	var buf [128]uintptr
	addrs := buf[:0]
	for _, p := range parents {
		if p == nil {
			continue
		}
		v := reflect.ValueOf(p)
		if v.Kind() != reflect.Pointer {
			return false
		}
		addrs = append(addrs, v.Pointer())
	}
	if !slices.IsSorted(addrs) {
		slices.Sort(addrs)
	}
	for i := 1; i < len(addrs); i++ {
		if addrs[i] == addrs[i-1] {
			return false
		}
	}
	return true
}

// batchResultOf returns what bp resolved for parent, resolving it now if
// no prefetch did.
func (ex *execution) batchResultOf(ctx context.Context, bp *batchPlan, parent any) batchResult {
	key := canKey(parent)
	if key {
		ex.batchMu.Lock()
		r, ok := ex.resolved[bp][parent]
		ex.batchMu.Unlock()
		if ok {
			return r
		}
	}
	var r batchResult
	values, errs := bp.batch.Resolve(ctx, []any{parent}, bp.fields)
	switch {
	case len(errs) > 0 && errs[0] != nil:
		r.err = errs[0]
	case len(values) > 0:
		r.values = values[0]
	default:
		r.err = fmt.Errorf("dynamic: batch of %s resolved no value", bp.batch.Type)
	}
	if key {
		ex.batchMu.Lock()
		ex.resolvedBy(bp, 0)[parent] = r
		ex.batchMu.Unlock()
	}
	return r
}

// canKey reports whether v can key a map: a pointer to a goods can,
// a value object (a map) cannot.
func canKey(v any) bool {
	return v != nil && reflect.TypeOf(v).Comparable()
}

// batchField writes the value of pf, a field of a batch, of the object
// of st, which is on top of w's path. It returns false if the field is
// non-null and its value null.
func (ex *execution) batchField(ctx context.Context, cd int, w *writer, pf *planField, st *objectState) bool {
	v, err := ex.batchValue(ctx, pf, st)
	if err == nil && pf.leaf {
		return ex.completeLeaf(ctx, cd, w, pf, v)
	}
	w.pushField(pf)
	defer w.pop()
	if err != nil {
		addError(ctx, fieldErrorAt(pf, w.astPath(), err))
		w.null()
		return !pf.nonNull
	}
	return ex.completeValue(ctx, cd, w, pf, pf.info.typ, v)
}

// batchValue returns the value of pf, a field of a batch, of the object
// of st, or its error.
func (ex *execution) batchValue(ctx context.Context, pf *planField, st *objectState) (any, error) {
	r := ex.batchResultFor(ctx, pf, st)
	if r.err != nil {
		return nil, r.err
	}
	var v any
	if r.values != nil {
		v = r.values.FieldValue(pf.info.name)
	}
	if err, ok := v.(error); ok {
		return nil, err
	}
	return v, nil
}

// batchResultFor returns what the batch of pf, a field of a batch,
// resolved for the object of st: what prefetch handed to
// completeObjectWith, or else looked up, once for the fields of the
// batch that follow one another.
func (ex *execution) batchResultFor(ctx context.Context, pf *planField, st *objectState) batchResult {
	if st.pre != nil {
		if r, ok := st.pre.result(pf.batch.index, st.k); ok {
			return r
		}
	}
	if st.batch != pf.batch {
		st.batch, st.batchResult = pf.batch, ex.batchResultOf(ctx, pf.batch, st.parent.v)
	}
	return st.batchResult
}
