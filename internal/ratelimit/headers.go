package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/limits"
)

// Headers adds to h the RateLimit-Policy and RateLimit fields of the
// IETF draft "RateLimit header fields for HTTP"
// (draft-ietf-httpapi-ratelimit-headers-11, May 2026, the latest whose
// text was at hand), for the policy named policy with the limit the
// result was decided under:
//
//	RateLimit-Policy: "requests";q=100;w=60
//	RateLimit: "requests";r=43;t=12
//
// and, when r is a refusal that waiting can cure, Retry-After in whole
// seconds, rounded up and at least 1. Both fields are Structured Field
// Lists; Headers adds one field line to each, so a response may carry
// several policies (call Headers once per policy, such as "requests" and
// "cost"); Retry-After keeps the latest of the values set.
//
// The fields say:
//   - q and w: limit.Requests per limit.Per, with w in whole seconds (the
//     draft has no sub-second windows: 10 per 100ms is q=100;w=1). The
//     quota unit is the draft's default, requests; for a budget in other
//     units, name the policy after them (such as "cost"): the draft's
//     registry of units has none for it.
//   - r: the units available now (Result.Remaining).
//   - t: the effective window, in whole seconds rounded up. When allowed,
//     the time until the bucket is full again (Result.ResetAfter): the
//     bucket refills continuously, so it is a conservative value. When
//     refused, the same moment as Retry-After, which the draft asks not
//     to be earlier than the end of the effective window.
//
// Retry-After is not set for a refusal with RetryAfter -1 (the units
// asked for exceed the burst): no retry of the same request can pass. A
// zero limit (no limit) adds nothing.
func (r Result) Headers(h http.Header, policy string, limit limits.Rate) {
	if limit.Requests <= 0 || limit.Per <= 0 {
		return
	}
	name := sfString(policy)
	q, w := window(limit)
	h.Add("RateLimit-Policy", name+";q="+strconv.FormatInt(q, 10)+";w="+strconv.FormatInt(w, 10))

	t := ceilSeconds(r.ResetAfter)
	retry := int64(0)
	if !r.Allowed && r.RetryAfter >= 0 {
		retry = max(1, ceilSeconds(r.RetryAfter))
		t = retry
	}
	h.Add("RateLimit", name+";r="+strconv.Itoa(max(0, r.Remaining))+";t="+strconv.FormatInt(t, 10))
	if retry > 0 {
		if old, err := strconv.ParseInt(h.Get("Retry-After"), 10, 64); err != nil || old < retry {
			h.Set("Retry-After", strconv.FormatInt(retry, 10))
		}
	}
}

// window returns limit as a quota q per a window of w whole seconds:
// limit.Per rounded up to a second, and limit.Requests scaled to it
// (rounded down).
func window(limit limits.Rate) (q, w int64) {
	w = max(1, ceilSeconds(limit.Per))
	if time.Duration(w)*time.Second == limit.Per {
		return int64(limit.Requests), w
	}
	return int64(float64(limit.Requests) * float64(time.Duration(w)*time.Second) / float64(limit.Per)), w
}

// ceilSeconds returns d in whole seconds, rounded up; 0 for d <= 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// sfString returns s as a Structured Field String (RFC 9651 section
// 3.3.3): quoted, with '"' and '\' escaped. Bytes a String cannot hold
// (controls and non-ASCII) are left out.
func sfString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch >= 0x20 && ch <= 0x7e:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
