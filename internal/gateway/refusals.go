package gateway

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// Refusals counts the requests the gateway refused to protect its tenants
// from each other (limits, cost, timeouts, overload, rate limits), by
// tenant and code. Each refused request is counted once, when the access
// log writes its line. The counts are bounded: tenants are those of the
// registry (a token of an unknown tenant is refused before), and codes are
// the gateway's. The zero value is ready to use; its methods may be
// called concurrently.
type Refusals struct {
	m sync.Map // refusalKey -> *atomic.Uint64
}

type refusalKey struct {
	tenant string
	code   apperr.Code
}

// Add counts one refusal of tenant's request with code.
func (r *Refusals) Add(tenant string, code apperr.Code) {
	k := refusalKey{tenant, code}
	n, ok := r.m.Load(k)
	if !ok {
		n, _ = r.m.LoadOrStore(k, new(atomic.Uint64))
	}
	n.(*atomic.Uint64).Add(1)
}

// Counts returns the refusals counted so far, by tenant and code.
func (r *Refusals) Counts() map[string]map[apperr.Code]uint64 {
	out := make(map[string]map[apperr.Code]uint64)
	r.m.Range(func(k, v any) bool {
		key := k.(refusalKey)
		if out[key.tenant] == nil {
			out[key.tenant] = make(map[apperr.Code]uint64)
		}
		out[key.tenant][key.code] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

// refuse records that the request of ctx was refused with code, for its
// access log line and the counts. A request is refused once: a later code
// does not replace the first.
func refuse(ctx context.Context, code apperr.Code) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		l.mu.Lock()
		if l.refusal == "" {
			l.refusal = code
		}
		l.mu.Unlock()
	}
}
