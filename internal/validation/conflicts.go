package validation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// Reasons two fields conflict, by the precedence graphql-js gives them:
// a pair of fields that may share a parent object and differ in name is
// reported as different fields whatever else differs.
const (
	noReason = iota
	conflictingTypes
	differingArguments
	differentFields
)

// finding is a conflict between two fields as found in one place: the
// chain of pairs of fields from the pair nearest the selection set where
// they meet down to the pair that conflicts for a reason of its own.
type finding struct {
	chain  []*ast.Field // pairs, top first: a0, b0, a1, b1, ...
	rank   int
	reason string
	where  *ast.Position // the selection set where the chain meets
}

// conflicts records the conflicts of a document. The same pair of fields
// may be found in several places (a fragment spread in several selection
// sets, a field compared within its own selection set and with a cousin's
// selection set); graphql-js compares selection sets in the order of the
// document and memoizes comparisons, so it reports such a pair once, where
// it first compares it. emit does the same with the findings.
type conflicts struct {
	findings  []finding
	chain     [][2]int32
	rootPos   *ast.Position
	budget    int
	reports   int
	exhausted bool
}

// report records that items a and b, a < b, of one group conflict. The
// finding starts at the nearest pair of their ancestors below the
// selection set they meet in, and stops at the first pair on the way down
// that conflicts for a reason of its own, as graphql-js does: it does not
// look into the subfields of fields that conflict.
func (c *checker) report(a, b int32) {
	c.reports++
	chain := c.chain[:0]
	for {
		chain = append(chain, [2]int32{a, b})
		pa, pb := c.items[a].parent, c.items[b].parent
		if pa == pb || pa < 0 || pb < 0 || c.items[pa].field == c.items[pb].field {
			break
		}
		a, b = pa, pb
	}
	c.chain = chain
	where := c.rootPos
	if p := c.items[chain[len(chain)-1][0]].parent; p >= 0 {
		where = c.items[p].field.Position
	}

	// Orient each pair as graphql-js does. The top pair is in one
	// selection set, where graphql-js compares fields before fragments and
	// fragments in order, as items are collected. Below it, graphql-js
	// compares the subselections of a pair side by side, except that it
	// compares the fields of the second side with the fragments of the
	// first with the second side first.
	for i := len(chain) - 2; i >= 0; i-- {
		p, q := chain[i][0], chain[i][1]
		if c.items[p].parent != chain[i+1][0] {
			p, q = q, p
		}
		if c.items[p].spread && !c.items[q].spread {
			p, q = q, p
		}
		chain[i] = [2]int32{p, q}
	}

	f := finding{where: where}
	for i := len(chain) - 1; i >= 0; i-- {
		p, q := chain[i][0], chain[i][1]
		f.chain = append(f.chain, c.items[p].field, c.items[q].field)
		if f.rank, f.reason = c.reason(p, q); f.rank != noReason {
			c.findings = append(c.findings, f)
			return
		}
	}
}

// reason returns the reason items p and q conflict on their own, as
// graphql-js's findConflict gives it, or noReason.
func (c *checker) reason(p, q int32) (int, string) {
	fa, fb := c.items[p].field, c.items[q].field
	if c.compatible(c.items[p].sig, c.items[q].sig) {
		if fa.Name != fb.Name {
			return differentFields, fmt.Sprintf(`"%s" and "%s" are different fields`, fa.Name, fb.Name)
		}
		if c.kappaOf(fa) != c.kappaOf(fb) {
			return differingArguments, "they have differing arguments"
		}
	}
	ta, tb := c.typeOf(fa), c.typeOf(fb)
	if ta != nil && tb != nil && c.typesConflict(ta, tb) {
		return conflictingTypes, fmt.Sprintf(`they return conflicting types "%s" and "%s"`, ta, tb)
	}
	return noReason, ""
}

// conflict is a pair of fields that conflict, as graphql-js reports it:
// for a reason of their own, or because of conflicts between their
// subfields.
type conflict struct {
	a, b   *ast.Field
	rank   int // the reason's precedence, noReason if the conflict is in subs
	reason string
	subs   []*conflict
}

type conflictKey struct {
	parent *conflict
	a, b   *ast.Field
}

type pairKey struct {
	a, b *ast.Field
	rank int
}

// emit reports the conflicts found, each pair of fields once: where the
// selection set it was found in starts first in the document.
func (c *checker) emit(addError core.AddErrFunc) {
	if len(c.findings) == 0 {
		return
	}
	best := make(map[pairKey]int, len(c.findings))
	for i, f := range c.findings {
		key := pairKey{a: f.chain[len(f.chain)-2], b: f.chain[len(f.chain)-1], rank: f.rank}
		if _, ok := best[key]; !ok {
			if _, ok := best[pairKey{a: key.b, b: key.a, rank: key.rank}]; ok {
				key.a, key.b = key.b, key.a
			}
		}
		if j, ok := best[key]; !ok || before(f.where, c.findings[j].where) {
			best[key] = i
		}
	}
	kept := make(map[int]bool, len(best))
	for _, i := range best {
		kept[i] = true
	}

	var tops []*conflict
	index := make(map[conflictKey]*conflict)
	for i, f := range c.findings {
		if !kept[i] {
			continue
		}
		var parent *conflict
		for j := 0; j < len(f.chain); j += 2 {
			key := conflictKey{parent: parent, a: f.chain[j], b: f.chain[j+1]}
			node := index[key]
			if node == nil {
				node = index[conflictKey{parent: parent, a: key.b, b: key.a}]
			}
			if node == nil {
				node = &conflict{a: key.a, b: key.b}
				index[key] = node
				if parent == nil {
					tops = append(tops, node)
				} else {
					parent.subs = append(parent.subs, node)
				}
			}
			if node.rank != noReason {
				break // a pair that conflicts on its own hides its subfields
			}
			if j == len(f.chain)-2 {
				node.rank, node.reason = f.rank, f.reason
			}
			parent = node
		}
	}

	for _, top := range tops {
		var reason strings.Builder
		var fields1, fields2 []*ast.Field
		render(top, &reason, &fields1, &fields2)
		opts := make([]core.ErrorOption, 0, 1+len(fields1)+len(fields2))
		opts = append(opts, core.Message(
			`Fields "%s" conflict because %s. Use different aliases on the fields to fetch both if this was intentional.`,
			responseName(top.a), reason.String(),
		))
		for _, f := range slices.Concat(fields1, fields2) {
			opts = append(opts, core.At(f.Position))
		}
		addError(opts...)
	}
}

// before reports whether a comes before b in the document; a missing
// position comes last.
func before(a, b *ast.Position) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	case a.Line != b.Line:
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

// render writes k's reason as graphql-js words it, and appends the fields
// of each side: k's own, then those of its sub-conflicts in order.
func render(k *conflict, reason *strings.Builder, fields1, fields2 *[]*ast.Field) {
	*fields1 = append(*fields1, k.a)
	*fields2 = append(*fields2, k.b)
	if k.rank != noReason {
		reason.WriteString(k.reason)
		return
	}
	for i, sub := range k.subs {
		if i > 0 {
			reason.WriteString(" and ")
		}
		reason.WriteString(`subfields "`)
		reason.WriteString(responseName(sub.a))
		reason.WriteString(`" conflict because `)
		render(sub, reason, fields1, fields2)
	}
}
