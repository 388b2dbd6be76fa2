package store_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// BenchmarkPostgresGet measures what the store adds to a point read:
// store.Get (its tenant statement and SELECT in one batch, on its own
// pool), the same batch sent by hand on a plain pgxpool, and the SELECT
// alone on that pool, interleaved. Compare with
//
//	go test -run '^$' -bench PostgresGet -count 10 ./internal/store > get.txt && benchstat -col /part get.txt
func BenchmarkPostgresGet(b *testing.B) {
	url := databaseURL(b)
	s := openPostgres(b, url)
	g, err := s.Create(b.Context(), "t1", store.NewGoods{Name: "Teapot", Price: 1})
	require.NoError(b, err)
	pool, err := pgxpool.New(b.Context(), url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)

	const sel = "SELECT id, name, price, description, created_at, updated_at, ext FROM goods WHERE tenant_id = $1 AND id = $2"
	scan := func(row pgx.Row) error {
		var (
			id, name string
			price    float64
			desc     *string
			at, upd  time.Time
			ext      map[string]any
		)
		return row.Scan(&id, &name, &price, &desc, &at, &upd, &ext)
	}
	b.Run("part=store", func(b *testing.B) {
		for b.Loop() {
			_, err := s.Get(b.Context(), "t1", g.ID)
			require.NoError(b, err)
		}
	})
	b.Run("part=batch", func(b *testing.B) {
		for b.Loop() {
			batch := &pgx.Batch{}
			batch.Queue("SELECT set_config('app.tenant_id', $1, true), set_config('role', 'tenantgraph_app', true), "+
				"set_config('statement_timeout', COALESCE($2, current_setting('statement_timeout')), true)", "t1", nil)
			batch.Queue(sel, "t1", g.ID).QueryRow(scan)
			require.NoError(b, pool.SendBatch(b.Context(), batch).Close())
		}
	})
	b.Run("part=select", func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, scan(pool.QueryRow(b.Context(), sel, "t1", g.ID)))
		}
	})
}
