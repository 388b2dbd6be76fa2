package authz

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// Policy is a tenant's authorization over its compiled schema: what each
// field, input field and enum value requires (@requiresScopes, and the
// operations of the tenant's Config for the root fields), the scopes of
// its roles, and what a caller without a requirement's scopes sees. It is
// built with [NewPolicy]. A Policy is immutable and safe for concurrent
// use.
type Policy struct {
	schema *ast.Schema
	mode   Mode
	roles  map[string][]string
	// reqs are the distinct requirements, each a bit of a Grant.
	reqs []Requirement
	// members maps a type's name to its restricted fields, input fields
	// or enum values, and each to the index of its requirement in reqs.
	members map[string]map[string]int
	// relevant holds every scope some requirement names: the others make
	// no difference to what a caller may use.
	relevant map[string]bool
}

// NewPolicy returns the policy of a tenant's schema under its authorization
// Config, which may be nil. It returns nil when nothing is restricted: a
// nil *Policy grants everything (see [Policy.Grant]).
//
// A @requiresScopes that does not parse (the loader refuses such schemas)
// restricts its member to no one.
func NewPolicy(schema *ast.Schema, cfg *Config) *Policy {
	p := &Policy{
		schema:   schema,
		mode:     cfg.ModeOrDefault(),
		members:  map[string]map[string]int{},
		relevant: map[string]bool{},
	}
	if cfg != nil {
		p.roles = cfg.Roles
	}
	index := map[string]int{}
	restrict := func(typ, member string, req Requirement) {
		k := req.key()
		i, ok := index[k]
		if !ok {
			i = len(p.reqs)
			index[k] = i
			p.reqs = append(p.reqs, req)
			for _, alt := range req {
				for _, s := range alt {
					p.relevant[s] = true
				}
			}
		}
		if p.members[typ] == nil {
			p.members[typ] = map[string]int{}
		}
		p.members[typ][member] = i
	}
	directive := func(typ, member string, dirs ast.DirectiveList) {
		dir := dirs.ForName(DirectiveName)
		if dir == nil {
			return
		}
		req, _, err := ParseDirective(dir)
		if err != nil {
			req = Requirement{{unmeetable}}
		}
		restrict(typ, member, req)
	}
	for _, name := range slices.Sorted(maps.Keys(schema.Types)) {
		def := schema.Types[name]
		if def.BuiltIn {
			continue
		}
		for _, f := range def.Fields {
			directive(name, f.Name, f.Directives)
		}
		for _, v := range def.EnumValues {
			directive(name, v.Name, v.Directives)
		}
	}
	if cfg != nil {
		for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
			if root == nil {
				continue
			}
			for _, op := range slices.Sorted(maps.Keys(cfg.Operations)) {
				if root.Fields.ForName(op) != nil {
					restrict(root.Name, op, cfg.Operations[op])
				}
			}
		}
	}
	if len(p.reqs) == 0 {
		return nil
	}
	return p
}

// unmeetable is a scope no caller holds: it is not a scope token.
const unmeetable = " "

// Mode returns what callers are served of members they may not use.
func (p *Policy) Mode() Mode { return p.mode }

// Scopes returns the scopes of a caller: those of its token, and those
// its roles map to. Only scopes some requirement of p names are kept, so
// that callers who may use the same members have the same Scopes.
func (p *Policy) Scopes(token, roles []string) Scopes {
	var kept []string
	keep := func(s string) {
		if p.relevant[s] {
			kept = append(kept, s)
		}
	}
	for _, s := range token {
		keep(s)
	}
	for _, r := range roles {
		for _, s := range p.roles[r] {
			keep(s)
		}
	}
	return NewScopes(kept)
}

// Grant is what a caller may use of a Policy: the requirements its scopes
// meet. A Grant of a nil Policy grants everything. Grants compare equal
// with == when they grant the same.
type Grant struct {
	p *Policy
	// met has bit i set when the caller meets requirement i; 64 bits
	// per word, as a string so that Grant is comparable.
	met string
	all bool
}

// Grant returns what a caller holding scopes may use.
func (p *Policy) Grant(scopes Scopes) Grant {
	if p == nil {
		return Grant{all: true}
	}
	words := make([]uint64, (len(p.reqs)+63)/64)
	all := true
	for i, r := range p.reqs {
		if r.MetBy(scopes) {
			words[i/64] |= 1 << (i % 64)
		} else {
			all = false
		}
	}
	var b strings.Builder
	b.Grow(8 * len(words))
	for _, w := range words {
		for k := range 8 {
			b.WriteByte(byte(w >> (8 * k)))
		}
	}
	return Grant{p: p, met: b.String(), all: all}
}

// All reports whether g grants every member of its Policy.
func (g Grant) All() bool { return g.all }

// Key identifies what g grants, for caches of what a Grant sees: two
// Grants of one Policy with the same Key grant the same.
func (g Grant) Key() string { return g.met }

// Met returns the number of requirements g meets, and of its Policy's.
func (g Grant) Met() (met, of int) {
	if g.p == nil {
		return 0, 0
	}
	for i := range len(g.met) {
		met += bits.OnesCount8(g.met[i])
	}
	return met, len(g.p.reqs)
}

// allows reports whether g allows the member of the type typ.
func (g Grant) allows(typ, member string) bool {
	if g.all {
		return true
	}
	i, ok := g.p.members[typ][member]
	return !ok || g.met[i/8]&(1<<(i%8)) != 0
}

// restricts reports whether g denies some member of typ.
func (g Grant) restricts(typ string) bool {
	if g.all {
		return false
	}
	for _, i := range g.p.members[typ] {
		if g.met[i/8]&(1<<(i%8)) == 0 {
			return true
		}
	}
	return false
}

// Access is what a caller may use, for the executor: each method returns
// nil when the caller may use the member, and a FORBIDDEN *apperr.Error
// when it may not. It implements dynamic.Access. An Access is immutable
// and safe for concurrent use.
type Access struct {
	g Grant
}

// Access returns the Access of g, or nil when g grants everything.
func (g Grant) Access() *Access {
	if g.all {
		return nil
	}
	return &Access{g: g}
}

// Field reports whether the caller may select the field of the object
// type object.
func (a *Access) Field(object, field string) error {
	if a.g.allows(object, field) {
		return nil
	}
	return forbidden(fmt.Sprintf("not authorized to use %s.%s: it requires scopes the caller does not hold", object, field))
}

// InputField reports whether the caller may give the field of the input
// type input.
func (a *Access) InputField(input, field string) error {
	if a.g.allows(input, field) {
		return nil
	}
	return forbidden(fmt.Sprintf("not authorized to use %s.%s: it requires scopes the caller does not hold", input, field))
}

// EnumValue reports whether the caller may use the value of the enum, in
// an argument or in a result. The error does not name the value: a result
// of a value the caller may not see must not tell it.
func (a *Access) EnumValue(enum, value string) error {
	if a.g.allows(enum, value) {
		return nil
	}
	return forbidden("not authorized to see this value of " + enum + ": it requires scopes the caller does not hold")
}

// RestrictsEnum reports whether the caller may not use some value of the
// enum, so that the executor checks its values only then.
func (a *Access) RestrictsEnum(enum string) bool { return a.g.restricts(enum) }

func forbidden(msg string) error {
	return &apperr.Error{Code: apperr.Forbidden, Message: msg}
}
