package cache

import (
	"bytes"
	"sync"
	"time"
)

// entry is a resolved value, or the answer that there is none, as held in
// process. Entries are never modified once stored.
type entry struct {
	value    []byte // nil when notFound
	notFound bool
	text     string // the value of a QueryCache entry
	// expires is when the entry stops being fresh. Until staleUntil it
	// may still be served while Redis cannot be reached.
	expires    time.Time
	staleUntil time.Time
	// epoch is the store's epoch when the entry was stored; an entry of an
	// earlier epoch is not fresh (see local.expireAll).
	epoch uint64
}

// result returns what Get returns for e: a copy of the value, or
// ErrNotFound.
func (e *entry) result() ([]byte, error) {
	if e.notFound {
		return nil, ErrNotFound
	}
	return bytes.Clone(e.value), nil
}

// local is the in-process level: entries by namespace and key, at most max
// of them. Its methods may be called concurrently.
type local struct {
	max int

	mu     sync.RWMutex
	spaces map[string]map[string]*entry
	n      int
	epoch  uint64
	// invalidations counts the calls of delete, deleteSpace and
	// expireAll: putIf stores nothing resolved before one of them.
	invalidations uint64
}

func newLocal(max int) *local {
	return &local{max: max, spaces: map[string]map[string]*entry{}}
}

// get returns the entry of key in ns, fresh or not, or nil, and whether it
// is fresh at now.
func (l *local) get(ns, key string, now time.Time) (e *entry, fresh bool) {
	l.mu.RLock()
	e = l.spaces[ns][key]
	epoch := l.epoch
	l.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	return e, e.epoch == epoch && now.Before(e.expires)
}

// seq returns the number of invalidations so far, for putIf.
func (l *local) seq() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.invalidations
}

// putIf stores e as the entry of key in ns, unless an invalidation happened
// since seq returned seq: then e may predate it.
func (l *local) putIf(ns, key string, e *entry, seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.invalidations == seq {
		l.putLocked(ns, key, e)
	}
}

// put stores e as the entry of key in ns, evicting an arbitrary entry when
// the store is full.
func (l *local) put(ns, key string, e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.putLocked(ns, key, e)
}

func (l *local) putLocked(ns, key string, e *entry) {
	e.epoch = l.epoch
	space := l.spaces[ns]
	if space == nil {
		space = map[string]*entry{}
		l.spaces[ns] = space
	}
	if _, ok := space[key]; !ok {
		if l.n >= l.max {
			l.evictOne()
			// evictOne may have removed the last entry of ns.
			if l.spaces[ns] == nil {
				l.spaces[ns] = space
			}
		}
		l.n++
	}
	space[key] = e
}

// evictOne removes one entry, chosen by map iteration order.
func (l *local) evictOne() {
	for ns, space := range l.spaces {
		for key := range space {
			delete(space, key)
			l.n--
			if len(space) == 0 {
				delete(l.spaces, ns)
			}
			return
		}
	}
}

// delete removes the entries of keys in ns.
func (l *local) delete(ns string, keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invalidations++
	space := l.spaces[ns]
	for _, key := range keys {
		if _, ok := space[key]; ok {
			delete(space, key)
			l.n--
		}
	}
	if space != nil && len(space) == 0 {
		delete(l.spaces, ns)
	}
}

// deleteSpace removes every entry of ns.
func (l *local) deleteSpace(ns string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invalidations++
	l.n -= len(l.spaces[ns])
	delete(l.spaces, ns)
}

// expireAll makes every entry stored so far not fresh, while keeping it for
// serving stale. It is used when invalidations may have been missed.
func (l *local) expireAll() {
	l.mu.Lock()
	l.epoch++
	l.invalidations++
	l.mu.Unlock()
}

// sweep removes the entries that may no longer be served at all at now.
func (l *local) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ns, space := range l.spaces {
		for key, e := range space {
			if !now.Before(e.staleUntil) {
				delete(space, key)
				l.n--
			}
		}
		if len(space) == 0 {
			delete(l.spaces, ns)
		}
	}
}
