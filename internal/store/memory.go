package store

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// Memory is a Store that keeps goods in the process's memory. Its data is
// lost when the process exits; it is the store of development setups and
// tests that need no database. It behaves as [Postgres] does, down to the
// order of goods, the cursors and the microsecond precision of times.
//
// Memory is safe for concurrent use. It never shares memory with its
// callers: goods are copied in and out.
type Memory struct {
	now   func() time.Time
	newID func() (string, error)

	mu sync.RWMutex
	// goods maps tenant ID, then goods ID, to the stored goods. Stored
	// goods are never modified, only replaced, so a reader may keep a
	// pointer to one after unlocking.
	goods map[string]map[string]*model.Goods
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory. It logs a warning to logger (or
// slog.Default() when logger is nil) that data is lost on exit.
func NewMemory(logger *slog.Logger) *Memory {
	return NewMemoryWith(MemoryOptions{Logger: logger})
}

// MemoryOptions configure NewMemoryWith. The zero value is the default.
type MemoryOptions struct {
	// Logger receives the warning that data is lost on exit. Default:
	// slog.Default().
	Logger *slog.Logger
	// Now returns the current time; it is truncated to microseconds.
	// Default: time.Now. Tests set it to make timestamps reproducible.
	Now func() time.Time
	// NewID returns the ID of new goods, a UUID. Default: a random
	// UUIDv7.
	NewID func() (string, error)
}

// NewMemoryWith returns an empty Memory configured by o.
func NewMemoryWith(o MemoryOptions) *Memory {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = newID
	}
	o.Logger.Warn("store: goods are kept in memory and lost when the process exits; set DATABASE_URL to keep them in PostgreSQL")
	return &Memory{now: o.Now, newID: o.NewID, goods: make(map[string]map[string]*model.Goods)}
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, tenantID, id string) (*model.Goods, error) {
	id, err := checkRef(tenantID, id)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	g := m.goods[tenantID][id]
	m.mu.RUnlock()
	if g == nil {
		return nil, ErrNotFound
	}
	return cloneGoods(g), nil
}

// List implements Store.
//
// A page costs a few allocations in all, and those of each goods' copy of
// its extension values: positions, copies of goods and their
// descriptions are allocated together.
func (m *Memory) List(ctx context.Context, tenantID string, p ListParams) (*Page, error) {
	plan, err := planList(tenantID, &p)
	if err != nil {
		return nil, err
	}
	type match struct {
		g   *model.Goods
		pos position
	}
	keep := matcher(&p.Filter, plan.ext)
	nkeys := len(plan.keys)
	m.mu.RLock()
	stored := m.goods[tenantID]
	matches := make([]match, 0, len(stored))
	values := make([]any, len(stored)*nkeys)
	for _, g := range stored {
		if !keep(g) {
			continue
		}
		n := len(matches)
		pos := position{values: values[n*nkeys : (n+1)*nkeys : (n+1)*nkeys], id: g.ID}
		pos.fill(g, plan.keys)
		if plan.after == nil || comparePositions(&pos, plan.after, plan.keys) > 0 {
			matches = append(matches, match{g, pos})
		}
	}
	m.mu.RUnlock()

	slices.SortFunc(matches, func(a, b match) int { return comparePositions(&a.pos, &b.pos, plan.keys) })
	more := len(matches) > p.First
	matches = matches[:min(p.First, len(matches))]
	page := &Page{Edges: make([]Edge, len(matches)), HasNextPage: more}
	copies := make([]model.Goods, len(matches))
	ndesc := 0
	for _, mt := range matches {
		if mt.g.Description != nil {
			ndesc++
		}
	}
	descs := make([]string, 0, ndesc)
	var enc *cursorEncoder
	if !p.NoCursors {
		if enc, err = newCursorEncoder(plan.keys); err != nil {
			return nil, err
		}
	}
	for i := range matches {
		mt := &matches[i]
		c := &copies[i]
		*c = *mt.g
		if d := mt.g.Description; d != nil {
			descs = append(descs, *d)
			c.Description = &descs[len(descs)-1]
		}
		c.Ext = cloneExt(mt.g.Ext)
		page.Edges[i].Node = c
		if enc != nil {
			if page.Edges[i].Cursor, err = enc.encode(&mt.pos); err != nil {
				return nil, err
			}
		}
	}
	return page, nil
}

// Count implements Store.
func (m *Memory) Count(ctx context.Context, tenantID string, f Filter) (int, error) {
	if err := checkTenant(tenantID); err != nil {
		return 0, err
	}
	ext, err := checkFilter(&f)
	if err != nil {
		return 0, err
	}
	keep := matcher(&f, ext)
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, g := range m.goods[tenantID] {
		if keep(g) {
			n++
		}
	}
	return n, nil
}

// Create implements Store.
func (m *Memory) Create(ctx context.Context, tenantID string, in NewGoods) (*model.Goods, error) {
	id, ext, err := prepareCreate(tenantID, &in, m.newID)
	if err != nil {
		return nil, err
	}
	g := &model.Goods{
		ID:          id,
		Name:        in.Name,
		Price:       in.Price,
		Description: cloneString(in.Description),
		Ext:         ext,
	}

	m.mu.Lock()
	g.CreatedAt = truncateTime(m.now())
	g.UpdatedAt = g.CreatedAt
	tenant := m.goods[tenantID]
	if tenant == nil {
		tenant = make(map[string]*model.Goods)
		m.goods[tenantID] = tenant
	}
	tenant[id] = g
	m.mu.Unlock()

	return cloneGoods(g), nil
}

// Update implements Store.
func (m *Memory) Update(ctx context.Context, tenantID, id string, p GoodsPatch) (*model.Goods, error) {
	id, set, remove, err := prepareUpdate(tenantID, id, &p)
	if err != nil {
		return nil, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.goods[tenantID][id]
	if old == nil {
		return nil, ErrNotFound
	}
	if p.Check != nil {
		next := cloneGoods(old)
		p.Apply(next)
		if err := p.Check(next); err != nil {
			return nil, err
		}
	}
	g := *old
	if p.Name != nil {
		g.Name = *p.Name
	}
	if p.Price != nil {
		g.Price = *p.Price
	}
	if p.SetDescription {
		g.Description = cloneString(p.Description)
	}
	g.Ext = mergeExt(old.Ext, set, remove)
	// As the Postgres trigger does: the time of the update, and strictly
	// later than the previous one.
	g.UpdatedAt = truncateTime(m.now())
	if !g.UpdatedAt.After(old.UpdatedAt) {
		g.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
	}
	m.goods[tenantID][id] = &g
	return cloneGoods(&g), nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, tenantID, id string) error {
	id, err := checkRef(tenantID, id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.goods[tenantID][id] == nil {
		return ErrNotFound
	}
	delete(m.goods[tenantID], id)
	return nil
}

// Ping implements Store. A Memory is always ready.
func (m *Memory) Ping(ctx context.Context) error {
	return nil
}

// Close implements Store. It does nothing: the goods stay until m is
// garbage collected, and m remains usable.
func (m *Memory) Close() {}

// matcher returns a function that reports whether goods match f, whose
// conditions on extension fields are ext, as Postgres's WHERE clause of the
// same filter does: names by a case-insensitive substring match (ILIKE
// lower-cases both sides too), numbers and times exactly, extension fields
// as extCond.match says.
func matcher(f *Filter, ext []extCond) func(*model.Goods) bool {
	name := strings.ToLower(f.NameContains)
	return func(g *model.Goods) bool {
		if name != "" && !strings.Contains(strings.ToLower(g.Name), name) {
			return false
		}
		r := f.Price
		if r.Gt != nil && !(g.Price > *r.Gt) ||
			r.Gte != nil && !(g.Price >= *r.Gte) ||
			r.Lt != nil && !(g.Price < *r.Lt) ||
			r.Lte != nil && !(g.Price <= *r.Lte) {
			return false
		}
		t := f.CreatedAt
		c := g.CreatedAt
		if t.Gt != nil && !c.After(*t.Gt) ||
			t.Gte != nil && c.Before(*t.Gte) ||
			t.Lt != nil && !c.Before(*t.Lt) ||
			t.Lte != nil && c.After(*t.Lte) {
			return false
		}
		for i := range ext {
			if !ext[i].match(g.Ext) {
				return false
			}
		}
		return true
	}
}

func cloneGoods(g *model.Goods) *model.Goods {
	c := *g
	c.Description = cloneString(g.Description)
	c.Ext = cloneExt(g.Ext)
	return &c
}

func cloneString(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
