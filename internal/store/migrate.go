package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationFiles holds the schema of the Postgres store, one goose SQL
// migration per file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the pending migrations to the database of pool. A
// session-level advisory lock serializes replicas that start together:
// one applies the migrations while the others wait, then find nothing to do.
func migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("store: open migrations: %w", err)
	}
	// Closing db leaves the pool open.
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()

	// Wait for the lock up to 5 minutes, trying every second.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("store: create migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("store: load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: apply migrations: %w", err)
	}
	for _, r := range results {
		logger.Info("store: applied migration", "file", r.Source.Path, "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}
