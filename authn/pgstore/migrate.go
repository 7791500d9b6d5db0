package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/autonomos/autonomos/authn/pgstore/migsafe"
	"github.com/autonomos/autonomos/internal/pgmigrate"
	"github.com/jackc/pgx/v5/pgxpool"
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
	err := pgmigrate.Up(ctx, pool, pgmigrate.Config{
		Migrations: c.Migrations, VersionTable: versionTable, LockTable: lockTable, Logger: c.Logger, Name: "pgstore",
		Check: func(pending []string) error { return migsafe.CheckFS(c.Migrations, pending, c.AllowDestructive) },
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}
