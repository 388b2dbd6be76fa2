// Package fairshare keeps one tenant from taking what the gateway shares
// between all of them: request slots and Postgres connections.
//
// A Limiter holds a semaphore per tenant, sized by the tenant's limit, and
// one for all tenants together. A request over its tenant's share, or over
// the gateway's capacity, waits briefly for a slot and is then refused, so
// a tenant that floods the gateway queues behind itself, not in front of
// others:
//
//	slot, err := l.Acquire(ctx, "acme", 8, 100*time.Millisecond)
//	if err != nil {
//		return err // ErrOverloaded: answer 503 with Retry-After
//	}
//	defer slot.Release()
package fairshare

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrTenantOverloaded is returned by Acquire when the tenant's share stayed
// taken for the whole wait.
var ErrTenantOverloaded = errors.New("fairshare: the tenant's share is taken")

// ErrOverloaded is returned by Acquire when the gateway's capacity stayed
// taken for the whole wait.
var ErrOverloaded = errors.New("fairshare: the gateway is at capacity")

// Limiter bounds concurrent work per tenant and in total. Its methods may
// be called concurrently. The zero value is not usable; use New.
type Limiter struct {
	total chan struct{} // nil: no total bound

	tenants sync.Map // tenant ID -> semaphore
}

// semaphore is a counting semaphore of a fixed size. Blocked senders on a
// channel are served in the order they came, so waiters are too.
type semaphore chan struct{}

// New returns a Limiter that admits at most total holders at once, of all
// tenants; zero or less means no bound but the tenants' own.
func New(total int) *Limiter {
	l := &Limiter{}
	if total > 0 {
		l.total = make(chan struct{}, total)
	}
	return l
}

// Acquire takes a slot of tenant, whose share is limit slots (zero or less:
// no share of its own), and a slot of the gateway's total, waiting for
// them up to wait in all and within ctx (a negative wait: as long as ctx
// lasts; zero: not at all). It returns the Slot that gives both back; or
// ErrTenantOverloaded, ErrOverloaded, or ctx's error.
//
// When a tenant's limit changes (its tenant.yaml was edited), new requests
// use a new semaphore; holders of the old one give their slots back to it.
func (l *Limiter) Acquire(ctx context.Context, tenant string, limit int, wait time.Duration) (Slot, error) {
	w := waiter{wait: wait}
	defer w.stop()
	var sem semaphore
	if limit > 0 {
		sem = l.semaphore(tenant, limit)
		if err := w.take(ctx, sem, ErrTenantOverloaded); err != nil {
			return Slot{}, err
		}
	}
	if l.total != nil {
		if err := w.take(ctx, l.total, ErrOverloaded); err != nil {
			if sem != nil {
				<-sem
			}
			return Slot{}, err
		}
	}
	return Slot{total: l.total, tenant: sem}, nil
}

// Slot is a slot taken by Acquire. Its Release must be called exactly
// once; the zero Slot releases nothing.
type Slot struct {
	total, tenant semaphore
}

// Release gives the slot back.
func (s Slot) Release() {
	if s.total != nil {
		<-s.total
	}
	if s.tenant != nil {
		<-s.tenant
	}
}

// waiter is one Acquire's wait, shared by the semaphores it takes.
type waiter struct {
	wait    time.Duration
	timer   *time.Timer
	expired bool
}

// take takes a slot of sem, waiting while the waiter's time lasts; it
// returns overloaded when the time is up.
func (w *waiter) take(ctx context.Context, sem semaphore, overloaded error) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	if w.expired || w.wait == 0 {
		return overloaded
	}
	if w.wait < 0 {
		select {
		case sem <- struct{}{}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if w.timer == nil {
		w.timer = time.NewTimer(w.wait)
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-w.timer.C:
		w.expired = true
		return overloaded
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *waiter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// semaphore returns tenant's semaphore of size limit. Its lookup takes no
// lock, so tenants do not queue behind each other for it; when callers
// race to make a tenant's first semaphore, or its next after its limit
// changed, one wins and all use it.
func (l *Limiter) semaphore(tenant string, limit int) semaphore {
	v, ok := l.tenants.Load(tenant)
	for {
		if ok && cap(v.(semaphore)) == limit {
			return v.(semaphore)
		}
		s := make(semaphore, limit)
		if !ok {
			if v, ok = l.tenants.LoadOrStore(tenant, s); !ok {
				return s
			}
			continue
		}
		if l.tenants.CompareAndSwap(tenant, v, s) {
			return s
		}
		v, ok = l.tenants.Load(tenant)
	}
}

// InUse returns the slots tenant holds now, and the slots held in total.
func (l *Limiter) InUse(tenant string) (tenantSlots, total int) {
	if s, ok := l.tenants.Load(tenant); ok {
		tenantSlots = len(s.(semaphore))
	}
	return tenantSlots, len(l.total)
}
