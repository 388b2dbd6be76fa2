package store

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Both stores check their input the same way, so that what one stores the
// other stores too and what one refuses the other refuses. These are limits
// of storage (Postgres text holds no NUL byte, double precision columns are
// kept finite), not business rules; they are reported as internal errors.

// parseID returns the canonical form of a goods ID, or false when id is
// not a UUID in its 36-character form. A malformed ID names no goods.
func parseID(id string) (string, bool) {
	if len(id) != 36 {
		return "", false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// newID returns the ID of new goods: a UUIDv7, which sorts by creation
// time and so keeps inserts at the end of the primary key index.
func newID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("store: generate goods ID: %w", err)
	}
	return u.String(), nil
}

// truncateTime rounds t down to a microsecond, in UTC.
func truncateTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// ceilTime rounds t up to a microsecond, in UTC.
func ceilTime(t time.Time) time.Time {
	c := truncateTime(t)
	if c.Before(t) {
		c = c.Add(time.Microsecond)
	}
	return c
}

// checkRef checks the tenant ID and returns the canonical form of the goods
// ID id, or ErrNotFound if id is malformed. Get, Update and Delete of both
// stores begin with it.
func checkRef(tenantID, id string) (string, error) {
	if err := checkTenant(tenantID); err != nil {
		return "", err
	}
	id, ok := parseID(id)
	if !ok {
		return "", ErrNotFound
	}
	return id, nil
}

func checkTenant(tenantID string) error {
	if tenantID == "" {
		return errors.New("store: empty tenant ID")
	}
	return checkText("tenant ID", tenantID)
}

// checkText reports whether s can be stored in a Postgres text value.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("store: %s is not valid UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("store: %s contains a NUL byte", what)
	}
	return nil
}

func checkPrice(p float64) error {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return fmt.Errorf("store: price %v is not a finite number", p)
	}
	return nil
}

func checkNewGoods(in *NewGoods) error {
	if err := checkText("name", in.Name); err != nil {
		return err
	}
	if err := checkPrice(in.Price); err != nil {
		return err
	}
	if in.Description != nil {
		return checkText("description", *in.Description)
	}
	return nil
}

func checkPatch(p *GoodsPatch) error {
	if p.Name != nil {
		if err := checkText("name", *p.Name); err != nil {
			return err
		}
	}
	if p.Price != nil {
		if err := checkPrice(*p.Price); err != nil {
			return err
		}
	}
	if p.SetDescription && p.Description != nil {
		return checkText("description", *p.Description)
	}
	return nil
}

// checkFilter checks f and returns its conditions on extension fields.
func checkFilter(f *Filter) ([]extCond, error) {
	if err := checkText("name filter", f.NameContains); err != nil {
		return nil, err
	}
	for _, b := range []*float64{f.Price.Gt, f.Price.Gte, f.Price.Lt, f.Price.Lte} {
		if b != nil && math.IsNaN(*b) {
			return nil, errors.New("store: price filter is NaN")
		}
	}
	var conds []extCond
	for i := range f.Ext {
		c, err := compileExtCond(&f.Ext[i])
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// listPlan is a checked ListParams: the conditions on extension fields,
// the keys to sort by, and the position after which the page starts (nil
// for the first page).
type listPlan struct {
	ext   []extCond
	keys  []sortKey
	after *position
}

// planList checks the input of List. Both stores call it.
func planList(tenantID string, p *ListParams) (*listPlan, error) {
	if err := checkTenant(tenantID); err != nil {
		return nil, err
	}
	if p.First < 0 {
		return nil, fmt.Errorf("store: page size %d is negative", p.First)
	}
	ext, err := checkFilter(&p.Filter)
	if err != nil {
		return nil, err
	}
	keys, err := compileOrder(p.OrderBy)
	if err != nil {
		return nil, err
	}
	plan := &listPlan{ext: ext, keys: keys}
	if p.After != "" {
		if plan.after, err = decodeCursor(p.After, keys); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// prepareCreate checks the input of Create and returns the new goods' ID
// and normalized extension values. Both stores call it, so that they accept
// and refuse the same inputs.
func prepareCreate(tenantID string, in *NewGoods, newID func() (string, error)) (id string, ext map[string]any, err error) {
	if err := checkTenant(tenantID); err != nil {
		return "", nil, err
	}
	if err := checkNewGoods(in); err != nil {
		return "", nil, err
	}
	if ext, err = normalizeExt(in.Ext); err != nil {
		return "", nil, err
	}
	raw, err := newID()
	if err != nil {
		return "", nil, err
	}
	id, ok := parseID(raw)
	if !ok {
		return "", nil, fmt.Errorf("store: generated goods ID %q is not a UUID", raw)
	}
	return id, ext, nil
}

// prepareUpdate checks the input of Update and returns the canonical goods
// ID, and the extension values to set and the keys to remove
// (splitExtPatch). Both stores call it, so that they accept and refuse the
// same inputs.
func prepareUpdate(tenantID, rawID string, p *GoodsPatch) (id string, set map[string]any, remove []string, err error) {
	if id, err = checkRef(tenantID, rawID); err != nil {
		return "", nil, nil, err
	}
	if err := checkPatch(p); err != nil {
		return "", nil, nil, err
	}
	if set, remove, err = splitExtPatch(p.Ext); err != nil {
		return "", nil, nil, err
	}
	return id, set, remove, nil
}
