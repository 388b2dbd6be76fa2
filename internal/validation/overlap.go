package validation

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// OverlappingFieldsCanBeMerged is the specification's "Field Selection
// Merging" rule (FieldsInSetCanMerge), checked in time near-linear in the
// size of the document with every fragment spread expanded, where
// gqlparser's port of graphql-js's algorithm compares every pair of fields
// sharing a response name at every selection set, fragments included.
//
// It runs once per document, from each operation and each fragment
// definition, and checks the two halves of the rule separately, as Simon
// Adameit's algorithm (Sangria, graphql-java) does:
//
//   - SameResponseShape: the fields that share a response path, whatever
//     their names, arguments and parent types, have one shape (list and
//     non-null wrappers, and leaf type). Each group is compared with the
//     first field of each shape seen, and the union of the group's
//     subselections is checked once, as one group per response name.
//   - SameForCommonParents: fields that share a response path, whose
//     ancestors have the same names and arguments, and whose parent types
//     are equal or not both object types at every level below the
//     selection set they meet in, have the same name and arguments.
//     Adameit's algorithm partitions a group by parent object type and
//     recurses into each partition, which is exponential in the nesting of
//     abstract types; this rule instead records for each field the parent
//     types of its ancestors (an interned path with a wildcard for
//     abstract and unknown types), splits a group by name and arguments,
//     and compares those paths only between fields of different names or
//     arguments. Without abstract types the paths are compared by
//     identity.
//
// A group holding a single field node, the common case, is the field's own
// selection set checked on its own: that check is made once per node and
// document, so a fragment spread by many operations is checked once. In a
// document without fragment cycles, the fields of each fragment are
// collected once.
//
// Errors follow graphql-js 16: one error per pair of fields that conflict,
// at the nearest pair of their ancestors below the selection set where
// they meet, naming both sides' fields; the package documentation lists
// where they differ. The rule reports about as many conflicts as the
// document has fields at most, which bounds its work on documents that
// conflict everywhere.
var OverlappingFieldsCanBeMerged = core.Rule{
	Name: "OverlappingFieldsCanBeMerged",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		// The check runs once the walker has annotated every field with
		// its definition and parent type.
		atEnd(observers, func(w *core.Walker) {
			c := newChecker(w.Schema, w.Document)
			c.check()
			c.emit(addError)
		})
	},
}

// item is one occurrence of a field in the expansion of a selection set.
type item struct {
	field  *ast.Field
	parent int32 // the item whose selection set holds it, or -1 at a root
	sig    int32 // its ancestors' parent types (sigNode)
	class  int32 // its ancestors' names and arguments: items compared for SameForCommonParents share it
	sub    int32 // the class of its subselections, set by class
	frame  int32 // the fragments expanded on its path, in a cyclic document
	spread bool  // it is in its parent's selection set through a fragment spread
}

// sigNode is a path of parent types: a field's sig is its parent's sig
// extended by its own parent type, nil when that is not an object type.
type sigNode struct {
	parent int32
	typ    *ast.Definition
	star   bool // some type on the path is nil
}

type sigKey struct {
	parent int32
	typ    *ast.Definition
}

// frame is a fragment expanded on the path to an item, in a document
// whose fragments form a cycle.
type frame struct {
	name   string
	parent int32
}

// visitKey is a fragment spread into the selection set of an item.
type visitKey struct {
	name   string
	parent int32
}

// checker checks one document. Items, groups and scratch space are kept
// in slices used as stacks, so that the work allocates little beyond its
// memos.
type checker struct {
	schema    *ast.Schema
	doc       *ast.QueryDocument
	fragments map[string]*ast.FragmentDefinition
	cyclic    bool // some fragment spreads itself, directly or not

	items    []item
	stack    []int32 // groups of item indices, by response name
	order    []int32 // scratch: each item's group, while grouping
	names    map[string]int32
	spreads  []*ast.FragmentSpread
	visited  map[visitKey]struct{}
	frames   []frame
	sigs     []sigNode
	sigIndex map[sigKey]int32
	last     struct { // extend's last call
		sig, id int32
		typ     *ast.Definition
		ok      bool
	}
	classes int32

	fragFields map[*ast.FragmentDefinition][]*ast.Field
	seen       map[*ast.Field]uint32 // fields collected, by stamp
	built      map[*ast.Field]uint32 // fields of a fragment, by stamp
	stamp      uint32
	maxItems   int // in a cyclic document, the items collected before giving up

	done       map[*ast.Field]struct{}
	kappa      map[*ast.Field]int32
	kappaIndex map[string]int32
	buf        []byte
	args       []*ast.Argument

	// Scratch space of shapes, namesAndArguments and crossPairs.
	reps     []int32
	bk       []int32
	run      []int32
	sorted   []int32
	members  [][]int32
	pending  [][2]int32 // the conflicts of a group, reported by flush
	kappas   []int32
	bucketOf map[int32]int32

	conflicts
}

func newChecker(schema *ast.Schema, doc *ast.QueryDocument) *checker {
	c := &checker{
		schema:   schema,
		doc:      doc,
		sigs:     []sigNode{{parent: -1}},
		sigIndex: make(map[sigKey]int32),
		done:     make(map[*ast.Field]struct{}),
		seen:     make(map[*ast.Field]uint32),
		built:    make(map[*ast.Field]uint32),
	}
	c.fragFields = make(map[*ast.FragmentDefinition][]*ast.Field, len(doc.Fragments))
	c.fragments = make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, ok := c.fragments[f.Name]; !ok {
			c.fragments[f.Name] = f
		}
	}
	c.scan()
	return c
}

// scan counts the document's fields, which bound the conflicts reported,
// and finds whether its fragments form a cycle, in which case the
// expansion of fragments must be cut.
func (c *checker) scan() {
	fields := 0
	var spreads func(set ast.SelectionSet, out []string) []string
	spreads = func(set ast.SelectionSet, out []string) []string {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				fields++
				out = spreads(sel.SelectionSet, out)
			case *ast.InlineFragment:
				out = spreads(sel.SelectionSet, out)
			case *ast.FragmentSpread:
				out = append(out, sel.Name)
			}
		}
		return out
	}
	for _, op := range c.doc.Operations {
		spreads(op.SelectionSet, nil)
	}
	edges := make(map[string][]string, len(c.fragments))
	for _, f := range c.doc.Fragments {
		out := spreads(f.SelectionSet, nil)
		if c.fragments[f.Name] == f {
			edges[f.Name] = out
		}
	}
	c.budget = fields + 16
	c.maxItems = 64 * (fields + 16)

	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int, len(edges))
	var visit func(name string) bool
	visit = func(name string) bool {
		color[name] = grey
		for _, next := range edges[name] {
			if _, ok := edges[next]; !ok {
				continue
			}
			switch color[next] {
			case grey:
				return true
			case white:
				if visit(next) {
					return true
				}
			}
		}
		color[name] = black
		return false
	}
	for _, f := range c.doc.Fragments {
		if color[f.Name] == white && visit(f.Name) {
			c.cyclic = true
			return
		}
	}
}

// check checks every operation and fragment definition.
func (c *checker) check() {
	for _, op := range c.doc.Operations {
		c.rootPos = op.Position
		c.root(op.SelectionSet, -1)
	}
	for _, f := range c.doc.Fragments {
		fr := int32(-1)
		if c.cyclic {
			c.frames = append(c.frames, frame{name: f.Name, parent: -1})
			fr = int32(len(c.frames) - 1)
		}
		c.rootPos = f.Position
		c.root(f.SelectionSet, fr)
	}
}

func (c *checker) root(set ast.SelectionSet, fr int32) {
	if c.exhausted {
		return
	}
	mark := len(c.items)
	c.collect(-1, set, 0, 0, fr, false)
	c.endUnion()
	c.children(mark, len(c.items))
	c.items = c.items[:mark]
}

// collect appends the fields of set, a selection set of the item parent,
// with fragments expanded: the fields reached through inline fragments in
// document order, then the fields of each fragment spread in order, each
// fragment expanded the same way. That is the order in which graphql-js
// compares them, which decides the order of the two fields in a message.
func (c *checker) collect(parent int32, set ast.SelectionSet, sig, class, fr int32, spread bool) {
	start := len(c.spreads)
	c.collectFields(parent, set, sig, class, fr, spread)
	end := len(c.spreads)
	expanded, from, stamp := 0, len(c.items), uint32(0)
	for i := start; i < end; i++ {
		s := c.spreads[i]
		def := c.fragments[s.Name]
		if def == nil {
			continue
		}
		// A fragment spread twice into the same selection set adds the
		// same fields twice: pairs of a field with itself are never
		// compared.
		key := visitKey{name: s.Name, parent: parent}
		if _, ok := c.visited[key]; ok {
			continue
		}
		if c.visited == nil {
			c.visited = make(map[visitKey]struct{})
		}
		c.visited[key] = struct{}{}
		if c.cyclic {
			// Expand the fragment on this path only, and cut the cycle.
			if c.onPath(fr, s.Name) {
				continue // a cycle, which NoFragmentCycles reports
			}
			c.frames = append(c.frames, frame{name: s.Name, parent: fr})
			c.collect(parent, def.SelectionSet, sig, class, int32(len(c.frames)-1), true)
			if len(c.items) > c.maxItems {
				c.exhausted = true // the document is invalid: stop
			}
			continue
		}
		fields := c.fragmentFields(def)
		if expanded++; expanded == 2 {
			// Two fragments may share fields: add each field once.
			c.stamp++
			stamp = c.stamp
			for _, it := range c.items[from:] {
				c.seen[it.field] = stamp
			}
		}
		for _, f := range fields {
			if expanded > 1 {
				if c.seen[f] == stamp {
					continue
				}
				c.seen[f] = stamp
			}
			c.items = append(c.items, item{
				field:  f,
				parent: parent,
				sig:    c.extend(sig, f.ObjectDefinition),
				class:  class,
				frame:  fr,
				spread: true,
			})
		}
	}
	c.spreads = c.spreads[:start]
}

// fragmentFields returns the fields of a fragment definition with its
// inline fragments and fragment spreads expanded, as collect collects
// them, each field once. It is computed once per fragment of an acyclic
// document.
func (c *checker) fragmentFields(def *ast.FragmentDefinition) []*ast.Field {
	if fields, ok := c.fragFields[def]; ok {
		return fields
	}
	var fields []*ast.Field
	var spreads []*ast.FragmentDefinition
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				fields = append(fields, sel)
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				if d := c.fragments[sel.Name]; d != nil && !slices.Contains(spreads, d) {
					spreads = append(spreads, d)
				}
			}
		}
	}
	walk(def.SelectionSet)
	switch {
	case len(spreads) == 1 && len(fields) == 0:
		fields = c.fragmentFields(spreads[0]) // shared, as in a chain of fragments
	case len(spreads) > 0:
		lists := make([][]*ast.Field, len(spreads))
		for i, d := range spreads {
			lists[i] = c.fragmentFields(d)
		}
		c.stamp++
		stamp := c.stamp
		for _, f := range fields {
			c.built[f] = stamp
		}
		for _, l := range lists {
			for _, f := range l {
				if c.built[f] != stamp {
					c.built[f] = stamp
					fields = append(fields, f)
				}
			}
		}
	}
	c.fragFields[def] = fields
	return fields
}

func (c *checker) collectFields(parent int32, set ast.SelectionSet, sig, class, fr int32, spread bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			c.items = append(c.items, item{
				field:  sel,
				parent: parent,
				sig:    c.extend(sig, sel.ObjectDefinition),
				class:  class,
				frame:  fr,
				spread: spread,
			})
		case *ast.InlineFragment:
			c.collectFields(parent, sel.SelectionSet, sig, class, fr, spread)
		case *ast.FragmentSpread:
			c.spreads = append(c.spreads, sel)
		}
	}
}

// endUnion forgets the fragments expanded into the union just collected.
func (c *checker) endUnion() {
	if len(c.visited) > 64 {
		c.visited = nil
	} else {
		clear(c.visited)
	}
}

func (c *checker) onPath(fr int32, name string) bool {
	for ; fr >= 0; fr = c.frames[fr].parent {
		if c.frames[fr].name == name {
			return true
		}
	}
	return false
}

// extend returns sig extended by a field's parent type.
func (c *checker) extend(sig int32, parent *ast.Definition) int32 {
	if parent != nil && parent.Kind != ast.Object {
		parent = nil
	}
	if c.last.ok && c.last.sig == sig && c.last.typ == parent {
		return c.last.id
	}
	key := sigKey{parent: sig, typ: parent}
	id, ok := c.sigIndex[key]
	if !ok {
		id = int32(len(c.sigs))
		c.sigs = append(c.sigs, sigNode{parent: sig, typ: parent, star: parent == nil || c.sigs[sig].star})
		c.sigIndex[key] = id
	}
	c.last.sig, c.last.id, c.last.typ, c.last.ok = sig, id, parent, true
	return id
}

// compatible reports whether fields with sigs s and t may share a parent
// object: at every level their parent types are equal or one is not an
// object type. s and t have the same length.
func (c *checker) compatible(s, t int32) bool {
	if s == t {
		return true
	}
	if !c.sigs[s].star && !c.sigs[t].star {
		return false
	}
	for s != t {
		a, b := c.sigs[s], c.sigs[t]
		if a.typ != nil && b.typ != nil && a.typ != b.typ {
			return false
		}
		s, t = a.parent, b.parent
	}
	return true
}

// children checks the items [lo, hi), the union of the subselections of
// one group, as one group per response name.
func (c *checker) children(lo, hi int) {
	n := hi - lo
	if n == 0 || c.exhausted {
		return
	}
	mark := len(c.stack)
	for i := lo; i < hi; i++ {
		c.stack = append(c.stack, int32(i))
	}
	ids := c.stack[mark:]
	if n > 1 {
		c.order = slices.Grow(c.order[:0], n)[:n]
		if n <= 16 {
			for i := range n {
				c.order[i] = int32(i)
				name := responseName(c.items[lo+i].field)
				for j := range i {
					if c.order[j] == int32(j) && responseName(c.items[lo+j].field) == name {
						c.order[i] = int32(j)
						break
					}
				}
			}
		} else {
			if c.names == nil {
				c.names = make(map[string]int32)
			}
			for i := range n {
				name := responseName(c.items[lo+i].field)
				g, ok := c.names[name]
				if !ok {
					g = int32(i)
					c.names[name] = g
				}
				c.order[i] = g
			}
			if len(c.names) > 256 {
				c.names = nil
			} else {
				clear(c.names)
			}
		}
		slices.SortStableFunc(ids, func(a, b int32) int {
			return int(c.order[int(a)-lo] - c.order[int(b)-lo])
		})
	}
	for s := 0; s < n && !c.exhausted; {
		e := s + 1
		name := responseName(c.items[c.stack[mark+s]].field)
		for e < n && responseName(c.items[c.stack[mark+e]].field) == name {
			e++
		}
		c.group(c.stack[mark+s : mark+e])
		s = e
	}
	c.stack = c.stack[:mark]
}

// group checks ids, the items sharing a response path.
func (c *checker) group(ids []int32) {
	x := c.items[ids[0]].field
	single := true
	for _, id := range ids[1:] {
		if c.items[id].field != x {
			single = false
			break
		}
	}
	if single {
		// One field node: what remains to check is its own selection set,
		// the same wherever the node appears, so it is checked once.
		if _, ok := c.done[x]; ok {
			return
		}
		c.done[x] = struct{}{}
		if len(x.SelectionSet) == 0 {
			return
		}
		mark := len(c.items)
		c.collect(ids[0], x.SelectionSet, 0, 0, c.items[ids[0]].frame, false)
		c.endUnion()
		c.children(mark, len(c.items))
		c.items = c.items[:mark]
		return
	}

	c.shapes(ids)
	c.namesAndArguments(ids)
	c.flush()
	mark := len(c.items)
	for _, id := range ids {
		it := c.items[id]
		if len(it.field.SelectionSet) > 0 {
			c.collect(id, it.field.SelectionSet, it.sig, it.sub, it.frame, false)
		}
	}
	c.endUnion()
	c.children(mark, len(c.items))
	c.items = c.items[:mark]
}

// shapes checks SameResponseShape for a group: each field whose type is
// known is compared with the first field of each shape seen so far, and
// conflicts with every field of every other shape.
func (c *checker) shapes(ids []int32) {
	reps := c.reps[:0]
	bk := c.bk[:0]
	for _, id := range ids {
		t := c.typeOf(c.items[id].field)
		if t == nil {
			continue
		}
		b := -1
		for i, r := range reps {
			if !c.typesConflict(c.typeOf(c.items[r].field), t) {
				b = i
				break
			}
		}
		if b < 0 {
			b = len(reps)
			reps = append(reps, id)
		}
		c.run = append(c.run, id)
		bk = append(bk, int32(b))
	}
	if len(reps) > 1 {
		c.crossPairs(c.run, bk, len(reps))
	}
	c.reps, c.bk, c.run = reps[:0], bk[:0], c.run[:0]
}

// crossPairs queues every pair of ids whose buckets (bk, parallel to ids)
// differ. It visits no pair it does not queue, so the work is bounded by
// the budget of conflicts.
func (c *checker) crossPairs(ids, bk []int32, buckets int) {
	members := c.members[:0]
	for range buckets {
		if len(members) < cap(members) {
			members = members[:len(members)+1]
			members[len(members)-1] = members[len(members)-1][:0]
		} else {
			members = append(members, nil)
		}
	}
	for i, id := range ids {
		b := bk[i]
		for other, ms := range members {
			if int32(other) == b {
				continue
			}
			for _, m := range ms {
				if c.pair(m, id); c.exhausted {
					c.members = members[:0]
					return
				}
			}
		}
		members[b] = append(members[b], id)
	}
	c.members = members[:0]
}

// pair queues items a and b to be reported as a conflict, unless they are
// the same field or the budget of conflicts is spent.
func (c *checker) pair(a, b int32) {
	if c.items[a].field == c.items[b].field {
		return
	}
	if c.reports+len(c.pending) >= c.budget {
		c.exhausted = true
		return
	}
	if a > b {
		a, b = b, a
	}
	c.pending = append(c.pending, [2]int32{a, b})
}

// flush reports the queued conflicts of a group, in the order of their
// fields, as graphql-js finds them.
func (c *checker) flush() {
	slices.SortFunc(c.pending, func(x, y [2]int32) int {
		if x[0] != y[0] {
			return int(x[0] - y[0])
		}
		return int(x[1] - y[1])
	})
	c.pending = slices.Compact(c.pending)
	for _, p := range c.pending {
		c.report(p[0], p[1])
	}
	c.pending = c.pending[:0]
}

// namesAndArguments checks SameForCommonParents for a group. Items of one
// class are split into buckets by name and arguments; fields of different
// buckets that may share a parent object conflict. Each bucket becomes the
// class of its items' subselections.
func (c *checker) namesAndArguments(ids []int32) {
	sorted := append(c.sorted[:0], ids...)
	slices.SortStableFunc(sorted, func(a, b int32) int {
		return int(c.items[a].class - c.items[b].class)
	})
	for s := 0; s < len(sorted) && !c.exhausted; {
		e := s + 1
		for e < len(sorted) && c.items[sorted[e]].class == c.items[sorted[s]].class {
			e++
		}
		c.class(sorted[s:e])
		s = e
	}
	c.sorted = sorted[:0]
}

func (c *checker) class(ids []int32) {
	// Bucket the items by name and arguments, in order of appearance.
	first := c.classes + 1
	kappas := c.kappas[:0]
	star := false
	for _, id := range ids {
		b := c.bucket(&kappas, c.kappaOf(c.items[id].field))
		c.items[id].sub = first + b
		star = star || c.sigs[c.items[id].sig].star
	}
	c.classes += int32(len(kappas))
	if len(kappas) > 1 {
		c.differences(ids, first, star)
	}
	c.kappas = kappas[:0]
	clear(c.bucketOf)
}

// bucket returns the index of k in *kappas, appending it if it is new.
func (c *checker) bucket(kappas *[]int32, k int32) int32 {
	const linear = 16
	if len(*kappas) <= linear {
		if b := slices.Index(*kappas, k); b >= 0 {
			return int32(b)
		}
	} else if b, ok := c.bucketOf[k]; ok {
		return b
	}
	b := int32(len(*kappas))
	*kappas = append(*kappas, k)
	if len(*kappas) == linear+1 {
		if c.bucketOf == nil {
			c.bucketOf = make(map[int32]int32)
		}
		for i, k := range *kappas {
			c.bucketOf[k] = int32(i)
		}
	} else if len(*kappas) > linear+1 {
		c.bucketOf[k] = b
	}
	return b
}

// differences queues the pairs of items of one class, in different
// buckets, that may share a parent object. Without abstract types on
// their paths, two items may share a parent object only if their sigs are
// the same, and only those are compared; otherwise every pair is.
func (c *checker) differences(ids []int32, first int32, star bool) {
	if star {
		for i, id := range ids {
			for _, prev := range ids[:i] {
				if c.exhausted {
					return
				}
				if c.items[prev].sub != c.items[id].sub && c.compatible(c.items[prev].sig, c.items[id].sig) {
					c.pair(prev, id)
				}
			}
		}
		return
	}
	bySig := append(c.run[:0], ids...)
	slices.SortStableFunc(bySig, func(a, b int32) int { return int(c.items[a].sig - c.items[b].sig) })
	for s := 0; s < len(bySig) && !c.exhausted; {
		e := s + 1
		for e < len(bySig) && c.items[bySig[e]].sig == c.items[bySig[s]].sig {
			e++
		}
		run := bySig[s:e]
		bk := c.bk[:0]
		buckets := int32(0)
		for _, id := range run {
			b := c.items[id].sub - first
			bk = append(bk, b)
			buckets = max(buckets, b+1)
		}
		c.crossPairs(run, bk, int(buckets))
		c.bk = bk[:0]
		s = e
	}
	c.run = bySig[:0]
}

// typenameType is the type of __typename: String!, as the specification
// defines it. gqlparser's walker gives it String.
var typenameType = ast.NonNullNamedType("String", nil)

func (c *checker) typeOf(f *ast.Field) *ast.Type {
	if f.Name == "__typename" {
		return typenameType
	}
	if f.Definition == nil {
		return nil
	}
	return f.Definition.Type
}

// typesConflict reports whether two fields of types a and b cannot have
// the same response shape: their list and non-null wrappers differ, or
// one is a leaf type and the other is another type.
func (c *checker) typesConflict(a, b *ast.Type) bool {
	for {
		if a.NonNull != b.NonNull || (a.Elem == nil) != (b.Elem == nil) {
			return true
		}
		if a.Elem == nil {
			break
		}
		a, b = a.Elem, b.Elem
	}
	if a.NamedType == b.NamedType {
		return false
	}
	return isLeaf(c.schema.Types[a.NamedType]) || isLeaf(c.schema.Types[b.NamedType])
}

func isLeaf(d *ast.Definition) bool {
	return d != nil && (d.Kind == ast.Scalar || d.Kind == ast.Enum)
}

func responseName(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// kappaOf returns an identifier of f's name and arguments: two fields
// have the same one if they have the same name and the same arguments, in
// any order, with the fields of input objects in any order, as graphql-js
// compares them.
func (c *checker) kappaOf(f *ast.Field) int32 {
	if k, ok := c.kappa[f]; ok {
		return k
	}
	if c.kappa == nil {
		c.kappa = make(map[*ast.Field]int32)
		c.kappaIndex = make(map[string]int32)
	}
	b := append(c.buf[:0], f.Name...)
	if len(f.Arguments) > 0 {
		args := append(c.args[:0], f.Arguments...)
		slices.SortStableFunc(args, func(x, y *ast.Argument) int { return strings.Compare(x.Name, y.Name) })
		b = append(b, '(')
		for _, a := range args {
			b = appendString(b, a.Name)
			b = appendValue(b, a.Value)
		}
		b = append(b, ')')
		c.args = args[:0]
	}
	k, ok := c.kappaIndex[string(b)]
	if !ok {
		k = int32(len(c.kappaIndex))
		c.kappaIndex[string(b)] = k
	}
	c.buf = b[:0]
	c.kappa[f] = k
	return k
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// appendValue appends an encoding of v that two values share if and only
// if graphql-js prints them the same once their object fields are sorted.
func appendValue(b []byte, v *ast.Value) []byte {
	if v == nil {
		return append(b, '-')
	}
	b = append(b, byte('a'+v.Kind))
	switch v.Kind {
	case ast.ListValue:
		b = append(b, '[')
		for _, ch := range v.Children {
			b = appendValue(b, ch.Value)
		}
		return append(b, ']')
	case ast.ObjectValue:
		fields := slices.Clone(v.Children)
		slices.SortStableFunc(fields, func(x, y *ast.ChildValue) int { return strings.Compare(x.Name, y.Name) })
		b = append(b, '{')
		for _, ch := range fields {
			b = appendString(b, ch.Name)
			b = appendValue(b, ch.Value)
		}
		return append(b, '}')
	}
	return appendString(b, v.Raw)
}
