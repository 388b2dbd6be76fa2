package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// MaxScopeLen is the longest scope or role name accepted, in bytes.
const MaxScopeLen = 128

// maxClaimEntries is the most scopes or roles one claim may hold. A token
// with more is refused rather than cut short.
const maxClaimEntries = 256

// The claims that scopes are read from when Config.ScopesClaim is empty.
const (
	scopeClaim = "scope" // a space-separated string (RFC 8693, section 4.2)
	scpClaim   = "scp"   // an array of strings (Okta), or a space-separated string (Microsoft Entra ID)
)

// defaultRolesClaim is the claim that roles are read from when
// VerifierOptions.RolesClaim names none.
const defaultRolesClaim = "roles"

// registeredClaims are the claims of RFC 7519, section 4.1, whose values
// are defined and cannot hold scopes or roles.
var registeredClaims = []string{
	jwt.IssuerKey, jwt.SubjectKey, jwt.AudienceKey, jwt.ExpirationKey,
	jwt.NotBeforeKey, jwt.IssuedAtKey, jwt.JwtIDKey,
}

// CheckScope reports why s is not a scope token of RFC 6749, section 3.3
// (printable ASCII but space, '"' and '\'), at most [MaxScopeLen] bytes, or
// nil if it is one. Role names follow the same grammar.
func CheckScope(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	if len(s) > MaxScopeLen {
		return fmt.Errorf("is longer than %d bytes", MaxScopeLen)
	}
	for i := range len(s) {
		switch c := s[i]; {
		case c >= 0x80:
			return errors.New("is not ASCII")
		case c < 0x21 || c > 0x7e || c == '"' || c == '\\':
			return fmt.Errorf("has %q, which a scope may not contain", c)
		}
	}
	return nil
}

// scopesOf returns the scopes of tok: those of the claim name, or when name
// is empty the union of those of the scope and scp claims. A claim that is
// present but malformed (see claimTokens) is ErrScopesClaim.
func scopesOf(tok jwt.Token, name string) ([]string, *apperr.Error) {
	names := []string{name}
	if name == "" {
		names = []string{scopeClaim, scpClaim}
	}
	var scopes []string
	for _, n := range names {
		s, err := claimTokens(tok, n, true)
		if err != nil {
			return nil, unauthenticated(ErrScopesClaim, fmt.Errorf("claim %q %w", n, err))
		}
		scopes = append(scopes, s...)
	}
	return normalize(scopes), nil
}

// rolesOf returns the roles of tok's claim name. A claim that is present
// but malformed (see claimTokens) is ErrRolesClaim.
func rolesOf(tok jwt.Token, name string) ([]string, *apperr.Error) {
	roles, err := claimTokens(tok, name, false)
	if err != nil {
		return nil, unauthenticated(ErrRolesClaim, fmt.Errorf("claim %q %w", name, err))
	}
	return normalize(roles), nil
}

// claimTokens returns the scope tokens of tok's claim name, or nil if tok
// has no such claim. The claim must be an array of at most maxClaimEntries
// strings, each a scope token (see CheckScope), or a string: of scope
// tokens separated by spaces if spaced, of one scope token otherwise. Any
// other value (a number, an object, null, an array holding anything but
// strings) is an error that says what is wrong without quoting the value.
func claimTokens(tok jwt.Token, name string, spaced bool) ([]string, error) {
	if !tok.Has(name) {
		return nil, nil
	}
	var v any
	if err := tok.Get(name, &v); err != nil || v == nil {
		return nil, errors.New("is null")
	}
	switch v := v.(type) {
	case string:
		if !spaced {
			if err := CheckScope(v); err != nil {
				return nil, err
			}
			return []string{v}, nil
		}
		var list []string
		for s := range strings.SplitSeq(v, " ") {
			if s == "" {
				continue // "", and runs of spaces, separate nothing
			}
			if len(list) == maxClaimEntries {
				return nil, fmt.Errorf("has more than %d entries", maxClaimEntries)
			}
			if err := CheckScope(s); err != nil {
				return nil, fmt.Errorf("entry %d %w", len(list)+1, err)
			}
			list = append(list, s)
		}
		return list, nil
	case []string:
		return arrayTokens(len(v), func(i int) (string, bool) { return v[i], true })
	case []any:
		return arrayTokens(len(v), func(i int) (string, bool) { s, ok := v[i].(string); return s, ok })
	default:
		return nil, fmt.Errorf("is %s, not a string or an array of strings", jsonKind(v))
	}
}

// arrayTokens returns a copy of the n entries of an array that entry
// returns (with whether each is a string), each checked to be a scope
// token.
func arrayTokens(n int, entry func(i int) (string, bool)) ([]string, error) {
	if n > maxClaimEntries {
		return nil, fmt.Errorf("has %d entries, more than %d", n, maxClaimEntries)
	}
	list := make([]string, n)
	for i := range n {
		s, ok := entry(i)
		if !ok {
			return nil, fmt.Errorf("entry %d is not a string", i+1)
		}
		if err := CheckScope(s); err != nil {
			return nil, fmt.Errorf("entry %d %w", i+1, err)
		}
		list[i] = s
	}
	return list, nil
}

// normalize sorts list and drops its duplicates, in place; it returns nil
// for an empty list.
func normalize(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return slices.Clip(slices.Compact(list))
}

// jsonKind names the JSON kind of v, a value decoded from JSON.
func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
