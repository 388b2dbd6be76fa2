// Package limits holds a tenant's budget on the shared gateway and the
// first check made against it: the measurement of a GraphQL document
// before its validation.
//
// Each limit is a gateway default that a tenant's tenant.yaml may lower or
// raise. The gateway resolves a tenant's Limits once per load of the
// tenant (Limits.Override), so the per-request path only compares numbers:
//
//	m := limits.Measure(doc)         // once per distinct document
//	if err := l.Check(m); err != nil { // once per request
//		return err                     // MAX_DEPTH_LIMIT, MAX_ALIASES_LIMIT, ...
//	}
package limits

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits are one tenant's limits. The zero value limits nothing; use
// Defaults for the gateway's defaults.
type Limits struct {
	// MaxDepth bounds the nesting of fields of an operation, fragments
	// expanded and introspection fields counted: { a { b } } has depth 2.
	MaxDepth int `yaml:"maxDepth"`
	// MaxAliases bounds the aliased fields of an operation, fragments
	// expanded.
	MaxAliases int `yaml:"maxAliases"`
	// MaxRootFields bounds the fields of an operation's root selection
	// set, fragments expanded.
	MaxRootFields int `yaml:"maxRootFields"`
	// MaxFields bounds the selections of an operation (fields, inline
	// fragments and fragment spreads) with every fragment spread expanded
	// where it is spread.
	MaxFields int `yaml:"maxFields"`
	// MaxDirectives bounds the directives at one location (a field, a
	// fragment, an operation, a variable definition).
	MaxDirectives int `yaml:"maxDirectives"`
	// MaxOperationName bounds the length of an operation's name, in
	// bytes, in the document and in the request's operationName.
	MaxOperationName int `yaml:"maxOperationName"`

	// MaxCost bounds the static cost of an operation (see package cost).
	MaxCost int `yaml:"maxCost"`

	// MaxStringLength bounds every string argument and input field, in
	// characters.
	MaxStringLength int `yaml:"maxStringLength"`
	// MaxFilterLength bounds the strings of goodsList's filter, in
	// characters: a filter makes Postgres compare it with every row.
	MaxFilterLength int `yaml:"maxFilterLength"`
	// MaxListLength bounds the items of every list argument and input
	// field, such as a filter's in: list.
	MaxListLength int `yaml:"maxListLength"`
	// MaxPageSize bounds goodsList's first.
	MaxPageSize int `yaml:"maxPageSize"`

	// Timeout bounds a request, from the moment its tenant is known: past
	// it the request is answered with REQUEST_TIMEOUT and its work,
	// Postgres statements included, is cancelled.
	Timeout time.Duration `yaml:"timeout"`
	// MaxConcurrent bounds the tenant's requests in flight at once, and
	// the Postgres connections they hold at once, on one replica.
	MaxConcurrent int `yaml:"maxConcurrent"`

	// Rate limits the tenant's requests, across every replica; the zero
	// Rate is no limit.
	Rate Rate `yaml:"rate"`
	// CostPerMinute limits the sum of the static costs of the tenant's
	// operations per minute, across every replica; zero is no limit.
	CostPerMinute int `yaml:"costPerMinute"`
}

// Rate is a rate limit: Requests per Per, with bursts of up to Burst
// requests at once. The zero Rate is no limit.
type Rate struct {
	Requests int           `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
	// Burst is how many requests may come at once; zero means Requests.
	Burst int `yaml:"burst"`
}

// IsZero reports whether r is no limit.
func (r Rate) IsZero() bool { return r.Requests == 0 }

// String returns r as "100/1s burst 200".
func (r Rate) String() string {
	if r.IsZero() {
		return "unlimited"
	}
	return fmt.Sprintf("%d/%s burst %d", r.Requests, r.Per, r.BurstOrRequests())
}

// BurstOrRequests returns r's burst, Requests when Burst is zero.
func (r Rate) BurstOrRequests() int {
	if r.Burst == 0 {
		return r.Requests
	}
	return r.Burst
}

// Defaults returns the gateway's default limits. The reason for each is in
// the README's Limits section.
func Defaults() Limits {
	return Limits{
		MaxDepth:         20,
		MaxAliases:       30,
		MaxRootFields:    20,
		MaxFields:        1000,
		MaxDirectives:    5,
		MaxOperationName: 256,
		MaxCost:          1000,
		MaxStringLength:  10_000,
		MaxFilterLength:  200,
		MaxListLength:    100,
		MaxPageSize:      100,
		Timeout:          10 * time.Second,
		MaxConcurrent:    8,
	}
}

// Override returns l with every non-zero limit of o in place of its own.
func (l Limits) Override(o Limits) Limits {
	set := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	set(&l.MaxDepth, o.MaxDepth)
	set(&l.MaxAliases, o.MaxAliases)
	set(&l.MaxRootFields, o.MaxRootFields)
	set(&l.MaxFields, o.MaxFields)
	set(&l.MaxDirectives, o.MaxDirectives)
	set(&l.MaxOperationName, o.MaxOperationName)
	set(&l.MaxCost, o.MaxCost)
	set(&l.MaxStringLength, o.MaxStringLength)
	set(&l.MaxFilterLength, o.MaxFilterLength)
	set(&l.MaxListLength, o.MaxListLength)
	set(&l.MaxPageSize, o.MaxPageSize)
	set(&l.MaxConcurrent, o.MaxConcurrent)
	set(&l.CostPerMinute, o.CostPerMinute)
	if o.Timeout != 0 {
		l.Timeout = o.Timeout
	}
	if !o.Rate.IsZero() {
		l.Rate = o.Rate
	}
	return l
}

// documentFieldsFactor is how many times MaxFields the operations and
// fragment definitions of one document may have together (Measures.Total):
// validation walks all of them, whichever operation runs.
const documentFieldsFactor = 10

// MaxDocumentFields bounds Measures.Total: documentFieldsFactor times
// MaxFields, or no bound without MaxFields.
func (l Limits) MaxDocumentFields() int {
	return documentFieldsFactor * l.MaxFields
}

// ChecksOperations reports whether l bounds anything of an operation
// itself: its shape, its cost or its inputs. Without such a limit the
// gateway does not look at operations at all.
func (l *Limits) ChecksOperations() bool {
	return l.MaxDepth != 0 || l.MaxAliases != 0 || l.MaxRootFields != 0 || l.MaxFields != 0 ||
		l.MaxDirectives != 0 || l.MaxOperationName != 0 || l.MaxCost != 0 || l.CostPerMinute != 0 ||
		l.MaxStringLength != 0 || l.MaxFilterLength != 0 || l.MaxListLength != 0
}

// Validate reports every limit of l that is out of range, naming it as
// name(field) does (an environment variable, or a key of tenant.yaml).
// Zero limits are valid: they mean "no limit" for the gateway's defaults
// and "the gateway's default" for a tenant's overrides.
func (l Limits) Validate(name func(field string) string) error {
	var errs []error
	check := func(field string, v, lo, hi int) {
		if v != 0 && (v < lo || v > hi) {
			errs = append(errs, fmt.Errorf("%s: %d is not between %d and %d", name(field), v, lo, hi))
		}
	}
	check("maxDepth", l.MaxDepth, 1, 1000)
	check("maxAliases", l.MaxAliases, 1, 100_000)
	check("maxRootFields", l.MaxRootFields, 1, 100_000)
	check("maxFields", l.MaxFields, 1, 100_000)
	check("maxDirectives", l.MaxDirectives, 1, 1000)
	check("maxOperationName", l.MaxOperationName, 1, 1<<20)
	check("maxCost", l.MaxCost, 1, 1<<30)
	check("maxStringLength", l.MaxStringLength, 1, 1<<30)
	check("maxFilterLength", l.MaxFilterLength, 1, 1<<30)
	check("maxListLength", l.MaxListLength, 1, 1<<30)
	check("maxPageSize", l.MaxPageSize, 1, 1000)
	check("maxConcurrent", l.MaxConcurrent, 1, 1<<20)
	check("costPerMinute", l.CostPerMinute, 1, 1<<30)
	if l.Timeout < 0 || l.Timeout > time.Hour {
		errs = append(errs, fmt.Errorf("%s: %s is not between 0s and 1h", name("timeout"), l.Timeout))
	}
	if r := l.Rate; !r.IsZero() {
		if r.Requests < 1 {
			errs = append(errs, fmt.Errorf("%s: requests must be positive", name("rate")))
		}
		if r.Per <= 0 || r.Per > 24*time.Hour {
			errs = append(errs, fmt.Errorf("%s: per %s is not between 1ns and 24h", name("rate"), r.Per))
		}
		if r.Burst < 0 {
			errs = append(errs, fmt.Errorf("%s: burst must not be negative", name("rate")))
		}
	}
	return errors.Join(errs...)
}

type contextKey struct{}

// NewContext returns a copy of ctx that carries the request's tenant's
// limits.
func NewContext(ctx context.Context, l *Limits) context.Context {
	return context.WithValue(ctx, contextKey{}, l)
}

// FromContext returns the limits stored in ctx by NewContext, or nil.
func FromContext(ctx context.Context) *Limits {
	l, _ := ctx.Value(contextKey{}).(*Limits)
	return l
}
