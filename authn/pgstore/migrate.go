package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/autonomos/autonomos/authn/pgstore/migsafe"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations returns the embedded migrations of the authn schema.
func Migrations() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists: a build error otherwise
	}
	return sub
}

// The goose bookkeeping tables of this package, apart from other
// packages' migrations in the same database.
const (
	versionTable = "authn_goose_version"
	lockTable    = "authn_goose_lock"
)

// MigrateConfig configures [Migrate]. The zero value is usable.
type MigrateConfig struct {
	// AllowDestructive is the operator's explicit permission to run a
	// pending migration that drops or truncates tables or columns, or
	// deletes without WHERE. Even then, such a migration runs only when it
	// is marked with a "-- +aos destructive" line (see package migsafe).
	// Defaults to false.
	AllowDestructive bool
	// Migrations is the migration directory. Defaults to [Migrations]
	// (the embedded ones); tests set others.
	Migrations fs.FS
	// Logger receives one line per applied migration. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Migrate brings the authn schema of the database behind pool up to
// date, with pressly/goose. Pending migrations are checked by
// [migsafe.Check] first, and none runs when one is refused (the error
// wraps [migsafe.ErrDestructive]). Concurrent Migrate calls (several
// replicas starting) are serialized by a lock table, which unlike an
// advisory lock also works through PgBouncer in transaction mode.
//
// Run it as the role that owns the tables, not the application role the
// store uses.
func Migrate(ctx context.Context, pool *pgxpool.Pool, cfg *MigrateConfig) error {
	var c MigrateConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Migrations == nil {
		c.Migrations = Migrations()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresTableLocker(lock.WithTableName(lockTable))
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, c.Migrations,
		goose.WithTableName(versionTable),
		goose.WithLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: status: %w", err)
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
	if err := migsafe.CheckFS(c.Migrations, pending, c.AllowDestructive); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			c.Logger.Info("pgstore: migration applied", "file", r.Source.Path, "duration", r.Duration)
		}
	}
	if err != nil && !errors.Is(err, goose.ErrNoNextVersion) {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}
