package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// gcra is a limit in the terms of the generic cell rate algorithm: one
// unit every emission nanoseconds, at most burst units at once. It is the
// algorithm of redis_rate's script, which the in-process level follows
// step for step so that a Result means the same in both.
type gcra struct {
	emission float64 // nanoseconds per unit
	burst    int
}

// decide returns the outcome of taking n units at now from a bucket whose
// theoretical arrival time is tat (0 for a bucket never used), and the
// bucket's new tat. Times are nanoseconds on one monotonic clock.
func (g gcra) decide(tat, now int64, n int) (newTAT int64, res Result) {
	tat = max(tat, now)
	newTAT = tat + int64(g.emission*float64(n))
	allowAt := newTAT - int64(g.emission*float64(g.burst))
	if diff := now - allowAt; diff < 0 || n > g.burst {
		res = Result{
			Remaining:  g.remaining(tat - now),
			RetryAfter: time.Duration(-diff),
			ResetAfter: time.Duration(tat - now),
		}
		if n > g.burst {
			res.RetryAfter = -1
		}
		return tat, res
	}
	return newTAT, Result{
		Allowed:    true,
		Remaining:  g.remaining(newTAT - now),
		ResetAfter: time.Duration(newTAT - now),
	}
}

// remaining returns the units a bucket holds when it is full again after
// resetAfter nanoseconds.
func (g gcra) remaining(resetAfter int64) int {
	// The epsilon absorbs rounding, as in 10 - 0.3/0.1 = 6.999...
	r := math.Floor(float64(g.burst) - float64(resetAfter)/g.emission + 1e-6)
	return int(max(0, min(r, float64(g.burst))))
}

// localShards is the number of independently locked parts of the
// in-process level.
const localShards = 32

// local is the in-process level: the tat of each bucket, keyed by tenant
// and bucket name. A bucket whose tat has passed is full, the same as one
// never used, so such entries are dropped. Its methods may be called
// concurrently.
type local struct {
	epoch    time.Time // the origin of the monotonic clock
	seed     maphash.Seed
	maxShard int // entries per shard
	shards   [localShards]localShard
}

type localShard struct {
	mu   sync.Mutex
	tats map[bucketKey]int64
}

type bucketKey struct{ tenant, bucket string }

func newLocal(maxEntries int) *local {
	l := &local{epoch: time.Now(), seed: maphash.MakeSeed(), maxShard: max(1, (maxEntries+localShards-1)/localShards)}
	for i := range l.shards {
		l.shards[i].tats = map[bucketKey]int64{}
	}
	return l
}

// now returns the current time on l's clock.
func (l *local) now() int64 { return int64(time.Since(l.epoch)) }

func (l *local) shard(k bucketKey) *localShard {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(k.tenant)
	h.WriteByte(0)
	h.WriteString(k.bucket)
	return &l.shards[h.Sum64()%localShards]
}

// allowN takes n units from the bucket of tenant and bucket under g.
func (l *local) allowN(tenant, bucket string, g gcra, n int) Result {
	k := bucketKey{tenant, bucket}
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := l.now()
	tat, ok := s.tats[k]
	newTAT, res := g.decide(tat, now, n)
	switch {
	case newTAT <= now:
		// Full: nothing to remember (n was 0 on a full bucket).
		if ok {
			delete(s.tats, k)
		}
	case ok:
		s.tats[k] = newTAT
	default:
		if len(s.tats) >= l.maxShard {
			s.evictLocked(now)
		}
		s.tats[k] = newTAT
	}
	res.Local = true
	return res
}

// evictLocked makes room for one entry: it drops every full bucket, or if
// there is none, the bucket nearest to full.
func (s *localShard) evictLocked(now int64) {
	var oldest bucketKey
	oldestTAT := int64(math.MaxInt64)
	dropped := false
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
			dropped = true
		} else if tat < oldestTAT {
			oldest, oldestTAT = k, tat
		}
	}
	if !dropped {
		delete(s.tats, oldest)
	}
}

// sweep drops the buckets that are full again.
func (l *local) sweep() {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		now := l.now()
		for k, tat := range s.tats {
			if tat <= now {
				delete(s.tats, k)
			}
		}
		s.mu.Unlock()
	}
}

// len returns the number of buckets held.
func (l *local) len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}
