package store_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// TestMemoryStoppedClock checks, with a clock that stands still, what the
// conformance suite can only hope to see: times are cut to the microsecond
// and kept in UTC, and each update's UpdatedAt is strictly later than the
// one before, as the Postgres trigger makes it.
func TestMemoryStoppedClock(t *testing.T) {
	now := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("UTC+1", 3600))
	m := store.NewMemoryWith(store.MemoryOptions{
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return now },
	})

	g, err := m.Create(t.Context(), "acme", store.NewGoods{Name: "Widget"})
	require.NoError(t, err)
	created := time.Date(2024, 2, 29, 22, 59, 59, 123456000, time.UTC)
	require.Equal(t, created, g.CreatedAt)
	require.Equal(t, created, g.UpdatedAt)
	for i := 1; i <= 3; i++ {
		g, err = m.Update(t.Context(), "acme", g.ID, store.GoodsPatch{})
		require.NoError(t, err)
		require.Equal(t, created, g.CreatedAt)
		require.Equal(t, created.Add(time.Duration(i)*time.Microsecond), g.UpdatedAt, "update %d", i)
	}
}
