package ratelimit_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
)

// sfItem matches one member of the fields' Structured Field Lists (RFC
// 9651) as draft-ietf-httpapi-ratelimit-headers-11 defines them: a
// String naming the policy, then parameters with Integer values.
var sfItem = regexp.MustCompile(`^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"(?:;[a-z*][a-z0-9_.*-]*=-?[0-9]{1,15})*$`)

func TestHeaders(t *testing.T) {
	t.Parallel()
	perMinute := limits.Rate{Requests: 100, Per: time.Minute}
	tests := []struct {
		name   string
		res    ratelimit.Result
		policy string
		limit  limits.Rate
		want   http.Header // nil: no fields
	}{{
		name:   "allowed",
		res:    ratelimit.Result{Allowed: true, Remaining: 43, ResetAfter: 11*time.Second + time.Millisecond},
		policy: "requests",
		limit:  perMinute,
		want: http.Header{
			"Ratelimit-Policy": {`"requests";q=100;w=60`},
			"Ratelimit":        {`"requests";r=43;t=12`},
		},
	}, {
		name:   "full bucket",
		res:    ratelimit.Result{Allowed: true, Remaining: 100},
		policy: "requests",
		limit:  perMinute,
		want: http.Header{
			"Ratelimit-Policy": {`"requests";q=100;w=60`},
			"Ratelimit":        {`"requests";r=100;t=0`},
		},
	}, {
		name:   "refused: t is the moment of Retry-After",
		res:    ratelimit.Result{Remaining: 10, RetryAfter: 11*time.Second + time.Nanosecond, ResetAfter: 54 * time.Second},
		policy: "cost",
		limit:  limits.Rate{Requests: 1000, Per: time.Minute},
		want: http.Header{
			"Ratelimit-Policy": {`"cost";q=1000;w=60`},
			"Ratelimit":        {`"cost";r=10;t=12`},
			"Retry-After":      {"12"},
		},
	}, {
		name:   "refused for less than a second: Retry-After is at least 1",
		res:    ratelimit.Result{RetryAfter: 20 * time.Millisecond, ResetAfter: 100 * time.Millisecond},
		policy: "requests",
		limit:  limits.Rate{Requests: 5, Per: 100 * time.Millisecond},
		want: http.Header{
			"Ratelimit-Policy": {`"requests";q=50;w=1`},
			"Ratelimit":        {`"requests";r=0;t=1`},
			"Retry-After":      {"1"},
		},
	}, {
		name:   "refused for good: no Retry-After",
		res:    ratelimit.Result{Remaining: 100, RetryAfter: -1},
		policy: "cost",
		limit:  limits.Rate{Requests: 100, Per: time.Minute},
		want: http.Header{
			"Ratelimit-Policy": {`"cost";q=100;w=60`},
			"Ratelimit":        {`"cost";r=100;t=0`},
		},
	}, {
		name:   "window of a fraction of seconds",
		res:    ratelimit.Result{Allowed: true, Remaining: 4, ResetAfter: time.Second},
		policy: "requests",
		limit:  limits.Rate{Requests: 5, Per: 1500 * time.Millisecond},
		want: http.Header{
			"Ratelimit-Policy": {`"requests";q=6;w=2`},
			"Ratelimit":        {`"requests";r=4;t=1`},
		},
	}, {
		name:   "policy name escaped",
		res:    ratelimit.Result{Allowed: true, Remaining: 1},
		policy: "a \"b\" \\ c\u00e9\n",
		limit:  limits.Rate{Requests: 1, Per: time.Hour},
		want: http.Header{
			"Ratelimit-Policy": {`"a \"b\" \\ c";q=1;w=3600`},
			"Ratelimit":        {`"a \"b\" \\ c";r=1;t=0`},
		},
	}, {
		name:   "no limit",
		res:    ratelimit.Result{Allowed: true},
		policy: "requests",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			tt.res.Headers(h, tt.policy, tt.limit)
			if tt.want == nil {
				require.Empty(t, h)
				return
			}
			require.Equal(t, tt.want, h)
			checkSyntax(t, h)
		})
	}
}

// TestHeadersTwoPolicies sets the fields of a request refused by one
// policy and allowed by another.
func TestHeadersTwoPolicies(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	ratelimit.Result{Remaining: 0, RetryAfter: 5 * time.Second, ResetAfter: time.Minute}.
		Headers(h, "requests", limits.Rate{Requests: 10, Per: time.Minute})
	ratelimit.Result{Remaining: 3, RetryAfter: 30 * time.Second, ResetAfter: 50 * time.Second}.
		Headers(h, "cost", limits.Rate{Requests: 100, Per: time.Minute})
	require.Equal(t, http.Header{
		"Ratelimit-Policy": {`"requests";q=10;w=60`, `"cost";q=100;w=60`},
		"Ratelimit":        {`"requests";r=0;t=5`, `"cost";r=3;t=30`},
		"Retry-After":      {"30"},
	}, h, "one field line per policy; Retry-After the later")
	checkSyntax(t, h)
}

// TestHeadersOfResults checks the syntax of the fields of real results.
func TestHeadersOfResults(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l *ratelimit.Limiter, local bool) {
		rate := limits.Rate{Requests: 3, Per: 10 * time.Second}
		for i, n := range []int{1, 1, 1, 1, 4} {
			h := http.Header{}
			res := l.AllowN(t.Context(), "acme", "requests", rate, n)
			res.Headers(h, "requests", rate)
			checkSyntax(t, h)
			require.Equal(t, []string{`"requests";q=3;w=10`}, h.Values("RateLimit-Policy"))
			switch i {
			case 0:
				require.Regexp(t, `^"requests";r=2;t=(3|4)$`, h.Get("RateLimit"))
				require.Empty(t, h.Get("Retry-After"))
			case 3:
				require.Regexp(t, `^"requests";r=0;t=(3|4)$`, h.Get("RateLimit"))
				require.Equal(t, h.Get("Retry-After"), h.Get("RateLimit")[len(`"requests";r=0;t=`):])
			case 4:
				require.Empty(t, h.Get("Retry-After"), "4 units never fit a burst of 3")
			}
		}
	})
}

func checkSyntax(t *testing.T, h http.Header) {
	t.Helper()
	for _, name := range []string{"RateLimit-Policy", "RateLimit"} {
		for _, v := range h.Values(name) {
			require.Regexp(t, sfItem, v, name)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		require.Regexp(t, `^[1-9][0-9]*$`, v, "Retry-After: delay-seconds")
	}
}
