// Package pgstore is the PostgreSQL [mesh.Store]: connections, cursors
// and dead records in three tables (mesh_connections, mesh_cursors,
// mesh_dead_records), each with a tenant_id column under row-level
// security.
//
// Run [Migrate] once as the role that owns the tables (goose migrations,
// embedded, recorded in mesh_goose_db_version), then serve with [New] on
// a pool whose role is bound by row-level security (check it with
// tenancy/pgtenant.CheckRole at start-up):
//
//	if err := pgstore.Migrate(ctx, ownerPool); err != nil { ... }
//	m, err := mesh.New(pgstore.New(appPool), registry, publisher, nil)
//
// Every call runs in one transaction opened by tenancy/pgtenant.RunTx,
// which sets app.tenant_id transaction-locally; the queries also name
// the tenant, so isolation holds twice.
//
// A connection's configuration is stored as given, secrets included, in
// mesh_connections.config: restrict who can read the table, and encrypt
// the database at rest. (Column encryption is not done here yet.)
//
// A Store is safe for concurrent use; it does not own the pool.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/internal/pgmigrate"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationsTable is the goose version table of this package's
// migrations.
const MigrationsTable = "mesh_goose_db_version"

// Migrations returns the embedded SQL migrations (goose format).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// Migrate brings the schema up to date. Run it as the tables' owner.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgmigrate.Up(ctx, pool, pgmigrate.Config{
		Migrations: Migrations(), VersionTable: MigrationsTable, LockTable: migrationsLockTable, Name: "pgstore",
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// migrationsLockTable serializes Migrate across processes (replicas
// starting at once).
const migrationsLockTable = "mesh_goose_lock"

// Store is the PostgreSQL [mesh.Store]. It does not own the pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ mesh.Store = (*Store)(nil)

// New returns a store on pool. Migrate must have run.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func (s *Store) tx(ctx context.Context, tenant tenancy.ID, what string, fn func(pgx.Tx) error) error {
	if tenant == tenancy.Nil {
		return fmt.Errorf("pgstore: %s: %w", what, tenancy.ErrNoTenant)
	}
	err := pgtenant.RunTx(ctx, s.pool, tenant, fn)
	if err == nil || ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	var ce *mesh.ConnectionError
	if errors.Is(err, mesh.ErrNotFound) || errors.Is(err, mesh.ErrExists) || errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

const connCols = `id, name, kind, config, safe_mode, state, health, pending, created_at, updated_at`

func encode(c mesh.Connection) (health, pending []byte, err error) {
	if health, err = json.Marshal(c.Health); err != nil {
		return nil, nil, err
	}
	p := c.Pending
	if p == nil {
		p = []mesh.Proposal{}
	}
	pending, err = json.Marshal(p)
	return health, pending, err
}

func checkStorable(c mesh.Connection) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Config.IsRedacted() {
		return &mesh.ConnectionError{ID: c.ID, Field: "config", Reason: "redacted: its secrets are masked"}
	}
	return nil
}

// CreateConnection implements [mesh.ConnectionStore].
func (s *Store) CreateConnection(ctx context.Context, c mesh.Connection) error {
	if err := checkStorable(c); err != nil {
		return err
	}
	health, pending, err := encode(c)
	if err != nil {
		return fmt.Errorf("pgstore: encode %s: %w", c.ID, err)
	}
	return s.tx(ctx, c.Tenant, "create connection "+c.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO mesh_connections (tenant_id, `+connCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.Tenant.String(), c.ID, c.Name, c.Kind, string(c.Config.Raw()), c.SafeMode, string(c.State),
			string(health), string(pending), nullTime(c.CreatedAt), nullTime(c.UpdatedAt))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("pgstore: create %s: %w", c.ID, mesh.ErrExists)
		}
		return err
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanConn(tenant tenancy.ID, r scanner) (mesh.Connection, error) {
	var (
		c                       mesh.Connection
		config, health, pending []byte
		state                   string
		createdAt, updatedAt    *time.Time
	)
	if err := r.Scan(&c.ID, &c.Name, &c.Kind, &config, &c.SafeMode, &state, &health, &pending, &createdAt, &updatedAt); err != nil {
		return c, err
	}
	c.Tenant, c.State = tenant, mesh.State(state)
	c.Config = mesh.NewSourceConfig(config)
	if err := json.Unmarshal(health, &c.Health); err != nil {
		return c, fmt.Errorf("decode health of %s: %w", c.ID, err)
	}
	if err := json.Unmarshal(pending, &c.Pending); err != nil {
		return c, fmt.Errorf("decode pending of %s: %w", c.ID, err)
	}
	if len(c.Pending) == 0 {
		c.Pending = nil
	}
	if createdAt != nil {
		c.CreatedAt = createdAt.UTC()
	}
	if updatedAt != nil {
		c.UpdatedAt = updatedAt.UTC()
	}
	return c, nil
}

// Connection implements [mesh.ConnectionStore].
func (s *Store) Connection(ctx context.Context, tenant tenancy.ID, id string) (mesh.Connection, error) {
	var c mesh.Connection
	err := s.tx(ctx, tenant, "get connection "+id, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `SELECT `+connCols+` FROM mesh_connections WHERE tenant_id = $1 AND id = $2`, tenant.String(), id)
		var err error
		c, err = scanConn(tenant, row)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: connection %q: %w", id, mesh.ErrNotFound)
		}
		return err
	})
	return c, err
}

// Connections implements [mesh.ConnectionStore].
func (s *Store) Connections(ctx context.Context, tenant tenancy.ID) ([]mesh.Connection, error) {
	var out []mesh.Connection
	err := s.tx(ctx, tenant, "list connections", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+connCols+` FROM mesh_connections WHERE tenant_id = $1 ORDER BY id COLLATE "C"`, tenant.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConn(tenant, rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateConnection implements [mesh.ConnectionStore].
func (s *Store) UpdateConnection(ctx context.Context, c mesh.Connection) error {
	if err := checkStorable(c); err != nil {
		return err
	}
	health, pending, err := encode(c)
	if err != nil {
		return fmt.Errorf("pgstore: encode %s: %w", c.ID, err)
	}
	return s.tx(ctx, c.Tenant, "update connection "+c.ID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE mesh_connections SET name = $3, kind = $4, config = $5, safe_mode = $6,
			state = $7, health = $8, pending = $9, created_at = $10, updated_at = $11
			WHERE tenant_id = $1 AND id = $2`,
			c.Tenant.String(), c.ID, c.Name, c.Kind, string(c.Config.Raw()), c.SafeMode, string(c.State),
			string(health), string(pending), nullTime(c.CreatedAt), nullTime(c.UpdatedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: update %s: %w", c.ID, mesh.ErrNotFound)
		}
		return nil
	})
}

// DeleteConnection implements [mesh.ConnectionStore].
func (s *Store) DeleteConnection(ctx context.Context, tenant tenancy.ID, id string) error {
	return s.tx(ctx, tenant, "delete connection "+id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM mesh_connections WHERE tenant_id = $1 AND id = $2`, tenant.String(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: delete %s: %w", id, mesh.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mesh_cursors WHERE tenant_id = $1 AND connection_id = $2`, tenant.String(), id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM mesh_dead_records WHERE tenant_id = $1 AND connection_id = $2`, tenant.String(), id)
		return err
	})
}

// Cursor implements [mesh.CursorStore].
func (s *Store) Cursor(ctx context.Context, tenant tenancy.ID, connection, object string) (aam.Cursor, error) {
	var cur string
	err := s.tx(ctx, tenant, "get cursor of "+connection, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT cursor FROM mesh_cursors WHERE tenant_id = $1 AND connection_id = $2 AND object = $3`,
			tenant.String(), connection, object).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return aam.Cursor(cur), err
}

// SaveCursor implements [mesh.CursorStore].
func (s *Store) SaveCursor(ctx context.Context, tenant tenancy.ID, connection, object string, c aam.Cursor) error {
	if connection == "" || object == "" {
		return fmt.Errorf("pgstore: save cursor: empty connection or object (%q, %q)", connection, object)
	}
	return s.tx(ctx, tenant, "save cursor of "+connection, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO mesh_cursors (tenant_id, connection_id, object, cursor) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, connection_id, object) DO UPDATE SET cursor = EXCLUDED.cursor`,
			tenant.String(), connection, object, string(c))
		return err
	})
}

// AddDeadRecords implements [mesh.DeadRecordStore].
func (s *Store) AddDeadRecords(ctx context.Context, tenant tenancy.ID, records []mesh.DeadRecord) error {
	for _, r := range records {
		if r.ID == "" || r.Connection == "" {
			return fmt.Errorf("pgstore: dead record without id or connection (ref %q)", r.Ref)
		}
	}
	if len(records) == 0 {
		return nil
	}
	return s.tx(ctx, tenant, "add dead records", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range records {
			b.Queue(`INSERT INTO mesh_dead_records (tenant_id, connection_id, id, object, ref, kind, reason, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (tenant_id, connection_id, id) DO UPDATE SET object = EXCLUDED.object, ref = EXCLUDED.ref,
					kind = EXCLUDED.kind, reason = EXCLUDED.reason`,
				tenant.String(), r.Connection, r.ID, r.Object, r.Ref, string(r.Kind), r.Reason, r.At)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// DeadRecords implements [mesh.DeadRecordStore].
func (s *Store) DeadRecords(ctx context.Context, tenant tenancy.ID, connection string, limit int) ([]mesh.DeadRecord, error) {
	var out []mesh.DeadRecord
	err := s.tx(ctx, tenant, "list dead records of "+connection, func(tx pgx.Tx) error {
		q := `SELECT id, object, ref, kind, reason, at FROM mesh_dead_records
			WHERE tenant_id = $1 AND connection_id = $2 ORDER BY seq`
		args := []any{tenant.String(), connection}
		if limit > 0 {
			q += ` LIMIT $3`
			args = append(args, limit)
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := mesh.DeadRecord{Connection: connection}
			var kind string
			if err := rows.Scan(&r.ID, &r.Object, &r.Ref, &kind, &r.Reason, &r.At); err != nil {
				return err
			}
			r.Kind, r.At = mesh.DeadRecordKind(kind), r.At.UTC()
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
