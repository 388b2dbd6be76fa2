package authz

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantgraph/tenantgraph/internal/auth"
)

// CheckScope reports why s is not a scope token of RFC 6749, section 3.3,
// of at most auth.MaxScopeLen bytes, or nil if it is one: the grammar the
// gateway holds the scopes and roles of tokens to. Role names follow it
// too.
func CheckScope(s string) error { return auth.CheckScope(s) }

// Requirement is what a field requires, in the shape of Apollo's
// @requiresScopes: a list of alternatives, each a list of scopes that must
// all be held. [[a, b], [c]] is met by a caller holding a and b, or c.
type Requirement [][]string

// Check reports why r is not a well-formed requirement: it must have at
// least one alternative, each with at least one scope token.
func (r Requirement) Check() error {
	if len(r) == 0 {
		return errors.New("needs at least one list of scopes, such as [[goods:read]]")
	}
	var errs []error
	for i, alt := range r {
		if len(alt) == 0 {
			errs = append(errs, fmt.Errorf("alternative %d is empty: it would be met by every caller", i+1))
		}
		for _, s := range alt {
			if err := CheckScope(s); err != nil {
				errs = append(errs, fmt.Errorf("scope %q %v", s, err))
			}
		}
	}
	return errors.Join(errs...)
}

// MetBy reports whether a caller holding scopes meets r.
func (r Requirement) MetBy(scopes Scopes) bool {
	for _, alt := range r {
		ok := true
		for _, s := range alt {
			if !scopes.Has(s) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Implies reports whether every caller who meets r meets need too: each
// alternative of r holds all the scopes of some alternative of need. A nil
// (or empty) r, met by everyone, implies only an empty need.
func (r Requirement) Implies(need Requirement) bool {
	if len(need) == 0 {
		return true
	}
	if len(r) == 0 {
		return false
	}
	for _, alt := range r {
		held := NewScopes(alt)
		if !need.MetBy(held) {
			return false
		}
	}
	return true
}

// key returns a canonical form of r: alternatives with their scopes sorted
// and deduplicated, in sorted order.
func (r Requirement) key() string {
	alts := make([]string, 0, len(r))
	for _, alt := range r {
		a := slices.Clone(alt)
		slices.Sort(a)
		alts = append(alts, strings.Join(slices.Compact(a), " "))
	}
	slices.Sort(alts)
	return strings.Join(slices.Compact(alts), "|")
}

// Scopes is a set of scopes. The zero Scopes is empty. A Scopes is
// immutable and safe for concurrent use.
type Scopes struct {
	sorted []string
}

// NewScopes returns the set of the scopes in lists.
func NewScopes(lists ...[]string) Scopes {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	all := make([]string, 0, n)
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.Sort(all)
	return Scopes{sorted: slices.Compact(all)}
}

// Has reports whether s is in the set.
func (s Scopes) Has(scope string) bool {
	_, ok := slices.BinarySearch(s.sorted, scope)
	return ok
}

// List returns the scopes in sorted order. It must not be modified.
func (s Scopes) List() []string { return s.sorted }
