package dynamic

import "slices"

// schemaKeys are the keys each schema holds in a cache that executable
// schemas share (the plan cache, the introspection cache), oldest first:
// so that a schema past its quota makes room from its own entries, not
// from those of the tenants sharing the cache, and so that a schema's
// entries can be found to be dropped. Its user holds its own lock.
type schemaKeys[K comparable] map[uint64][]K

// add records that schema holds k, its newest.
func (s schemaKeys[K]) add(schema uint64, k K) {
	s[schema] = append(s[schema], k)
}

// remove records that schema no longer holds k.
func (s schemaKeys[K]) remove(schema uint64, k K) {
	keys := s[schema]
	if i := slices.Index(keys, k); i >= 0 {
		keys = slices.Delete(keys, i, i+1)
	}
	if len(keys) == 0 {
		delete(s, schema)
	} else {
		s[schema] = keys
	}
}

// full returns schema's oldest key if it holds quota keys or more: the
// one to make room for a new one.
func (s schemaKeys[K]) full(schema uint64, quota int) (oldest K, ok bool) {
	if keys := s[schema]; len(keys) >= quota {
		return keys[0], true
	}
	return oldest, false
}

// of returns a copy of the keys schema holds.
func (s schemaKeys[K]) of(schema uint64) []K {
	return slices.Clone(s[schema])
}
