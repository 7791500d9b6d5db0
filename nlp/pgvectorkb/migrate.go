package pgvectorkb

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/internal/pgmigrate"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations returns the embedded migrations of the knowledge-base schema.
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
	versionTable = "nlp_kb_goose_version"
	lockTable    = "nlp_kb_goose_lock"
)

// Migrate brings the knowledge-base schema of the database behind pool up
// to date with pressly/goose: tables kb_documents and kb_chunks (vector
// dimension [Dimension]; partitioned by tenant, see [Dedicate]), the HNSW
// and GIN indexes and the row-level security policies. Concurrent calls are serialized by a lock table.
// Run it as the role that owns the tables (it may need to create the
// vector extension), not the application role the [Store] uses; logger
// may be nil.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	err := pgmigrate.Up(ctx, pool, pgmigrate.Config{
		Migrations: Migrations(), VersionTable: versionTable, LockTable: lockTable, Logger: logger, Name: "pgvectorkb",
	})
	if err != nil {
		return fmt.Errorf("pgvectorkb: %w", err) // a cancelled ctx matches errors.Is(err, ctx.Err())
	}
	return nil
}
