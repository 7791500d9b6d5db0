// Package pgmigrate runs a package's embedded goose migrations against
// PostgreSQL the one way every store of this module does: its own version
// table (so packages sharing a database keep apart), a lock table that
// serializes replicas starting at once (unlike an advisory lock it also
// works through PgBouncer in transaction mode), an optional check of the
// pending files before any runs, and one log line per applied file.
package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Config says what to migrate.
type Config struct {
	// Migrations holds the goose SQL files. Required.
	Migrations fs.FS
	// VersionTable and LockTable are the package's goose bookkeeping
	// tables. Required.
	VersionTable, LockTable string
	// Check, when set, gets the paths of the pending SQL migrations
	// before any runs; its error stops them all.
	Check func(pending []string) error
	// Logger receives one line per applied migration. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Name prefixes the log lines ("authn/pgstore"). Defaults to
	// "pgmigrate".
	Name string
}

// Up applies the pending migrations in order. Run it as the role that
// owns the tables. Nothing pending is not an error; a context error comes
// back as it is.
func Up(ctx context.Context, pool *pgxpool.Pool, cfg Config) error {
	if cfg.Migrations == nil || cfg.VersionTable == "" || cfg.LockTable == "" {
		return errors.New("migrate: Migrations, VersionTable and LockTable are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		cfg.Name = "pgmigrate"
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresTableLocker(lock.WithTableName(cfg.LockTable))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, cfg.Migrations,
		goose.WithTableName(cfg.VersionTable),
		goose.WithLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.Check != nil {
		statuses, err := p.Status(ctx)
		if err != nil {
			return ctxOr(ctx, fmt.Errorf("migrate: status: %w", err))
		}
		var pending []string
		for _, s := range statuses {
			if s.State == goose.StatePending && s.Source.Type == goose.TypeSQL {
				pending = append(pending, s.Source.Path)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if err := cfg.Check(pending); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			cfg.Logger.InfoContext(ctx, cfg.Name+": migration applied", "file", r.Source.Path, "duration", r.Duration)
		}
	}
	if err != nil && !errors.Is(err, goose.ErrNoNextVersion) {
		return ctxOr(ctx, fmt.Errorf("migrate: %w", err))
	}
	return nil
}

func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
