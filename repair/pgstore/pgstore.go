package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/internal/pgmigrate"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationsTable is the goose version table of this package's
// migrations, kept apart from other packages' migrations in the same
// database.
const MigrationsTable = "repair_goose_db_version"

// Migrations returns the embedded SQL migrations (goose format), for
// tools that run migrations themselves.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// Migrate brings the schema up to date. Run it as the role that owns the
// tables; it is safe to run again and from several processes at once
// (a lock table serializes them).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgmigrate.Up(ctx, pool, pgmigrate.Config{
		Migrations: Migrations(), VersionTable: MigrationsTable, LockTable: migrationsLockTable, Name: "pgstore",
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err) // a cancelled ctx matches errors.Is(err, ctx.Err())
	}
	return nil
}

// migrationsLockTable serializes Migrate across processes (replicas
// starting at once).
const migrationsLockTable = "repair_goose_lock"

// Store is the PostgreSQL [repair.Driver]. It does not own the pool: Close
// leaves it open. A Store is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ repair.Driver = (*Store)(nil)

// New returns a store on pool. Migrate must have run.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Close implements [repair.Driver]; the pool stays open (the caller owns
// it).
func (s *Store) Close() error { return nil }

// InTx implements [repair.Driver] with tenancy/pgtenant.RunTx.
func (s *Store) InTx(ctx context.Context, tenant tenancy.ID, fn func(ctx context.Context, tx repair.DriverTx) error) error {
	t := &tx{tenant: tenant}
	err := pgtenant.RunTx(ctx, s.pool, tenant, func(ptx pgx.Tx) error {
		t.tx = ptx
		return fn(ctx, t)
	})
	t.tx = nil
	return err
}

type tx struct {
	tenant tenancy.ID
	tx     pgx.Tx
}

var _ repair.DriverTx = (*tx)(nil)

func (t *tx) use() (pgx.Tx, error) {
	if t.tx == nil {
		return nil, fmt.Errorf("pgstore: transaction used after it ended: %w", repair.ErrInvalidInput)
	}
	return t.tx, nil
}

// wrap wraps a database error once; context errors come back as they are.
func wrap(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

func (t *tx) LatestVersion(ctx context.Context, key repair.MappingKey) (int, error) {
	q, err := t.use()
	if err != nil {
		return 0, err
	}
	var v int
	err = q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM repair_mapping_versions
		WHERE tenant_id = $1 AND connection_id = $2 AND object = $3`, t.tenant.String(), key.Connection, key.Object).Scan(&v)
	return v, wrap(ctx, "latest version of "+key.String(), err)
}

func (t *tx) InsertVersion(ctx context.Context, v repair.MappingVersion) error {
	q, err := t.use()
	if err != nil {
		return err
	}
	m, err := json.Marshal(v.Mapping)
	if err != nil {
		return fmt.Errorf("pgstore: encode mapping %s: %w", v.Key, err)
	}
	tag, err := q.Exec(ctx, `INSERT INTO repair_mapping_versions
		(tenant_id, connection_id, object, version, mapping, actor, reason, restored_from, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		t.tenant.String(), v.Key.Connection, v.Key.Object, v.Version, m, v.Actor, v.Reason, v.RestoredFrom, v.CreatedAt)
	if err != nil {
		return wrap(ctx, "insert version of "+v.Key.String(), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: insert version %d of %s: %w", v.Version, v.Key, repair.ErrVersionConflict)
	}
	return nil
}

const versionCols = `connection_id, object, version, mapping, actor, reason, restored_from, created_at`

func (t *tx) scanVersion(row pgx.Row) (repair.MappingVersion, error) {
	var v repair.MappingVersion
	var m []byte
	if err := row.Scan(&v.Key.Connection, &v.Key.Object, &v.Version, &m, &v.Actor, &v.Reason, &v.RestoredFrom, &v.CreatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal(m, &v.Mapping); err != nil {
		return v, fmt.Errorf("decode mapping: %w", err)
	}
	v.Tenant = t.tenant
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

func (t *tx) GetVersion(ctx context.Context, key repair.MappingKey, version int) (repair.MappingVersion, error) {
	q, err := t.use()
	if err != nil {
		return repair.MappingVersion{}, err
	}
	v, err := t.scanVersion(q.QueryRow(ctx, `SELECT `+versionCols+` FROM repair_mapping_versions
		WHERE tenant_id = $1 AND connection_id = $2 AND object = $3 AND version = $4`,
		t.tenant.String(), key.Connection, key.Object, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return repair.MappingVersion{}, fmt.Errorf("pgstore: mapping %s version %d: %w", key, version, repair.ErrNotFound)
	}
	return v, wrap(ctx, fmt.Sprintf("mapping %s version %d", key, version), err)
}

func (t *tx) ListVersions(ctx context.Context, key repair.MappingKey) ([]repair.MappingVersion, error) {
	q, err := t.use()
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+versionCols+` FROM repair_mapping_versions
		WHERE tenant_id = $1 AND connection_id = $2 AND object = $3 ORDER BY version`,
		t.tenant.String(), key.Connection, key.Object)
	if err != nil {
		return nil, wrap(ctx, "history of "+key.String(), err)
	}
	defer rows.Close()
	out := []repair.MappingVersion{}
	for rows.Next() {
		v, err := t.scanVersion(rows)
		if err != nil {
			return nil, wrap(ctx, "history of "+key.String(), err)
		}
		out = append(out, v)
	}
	return out, wrap(ctx, "history of "+key.String(), rows.Err())
}

func (t *tx) ListKeys(ctx context.Context, connection string) ([]repair.MappingKey, error) {
	q, err := t.use()
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT connection_id, object FROM repair_mapping_versions
		WHERE tenant_id = $1 AND ($2 = '' OR connection_id = $2)
		GROUP BY connection_id, object ORDER BY connection_id COLLATE "C", object COLLATE "C"`, t.tenant.String(), connection)
	if err != nil {
		return nil, wrap(ctx, "list mappings", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (repair.MappingKey, error) {
		var k repair.MappingKey
		err := r.Scan(&k.Connection, &k.Object)
		return k, err
	})
	if out == nil {
		out = []repair.MappingKey{}
	}
	return out, wrap(ctx, "list mappings", err)
}

func (t *tx) GetConnection(ctx context.Context, connection string) (repair.ConnectionSettings, error) {
	q, err := t.use()
	if err != nil {
		return repair.ConnectionSettings{}, err
	}
	c := repair.ConnectionSettings{Connection: connection}
	var first, updated *time.Time
	err = q.QueryRow(ctx, `SELECT safe_mode, safe_mode_pinned, first_approved_at, updated_at
		FROM repair_connections WHERE tenant_id = $1 AND connection_id = $2`, t.tenant.String(), connection).
		Scan(&c.SafeMode, &c.SafeModePinned, &first, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return repair.ConnectionSettings{}, fmt.Errorf("pgstore: connection %q: %w", connection, repair.ErrNotFound)
	}
	if err != nil {
		return repair.ConnectionSettings{}, wrap(ctx, "connection "+connection, err)
	}
	if first != nil {
		c.FirstApprovedAt = first.UTC()
	}
	if updated != nil {
		c.UpdatedAt = updated.UTC()
	}
	return c, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (t *tx) PutConnection(ctx context.Context, c repair.ConnectionSettings) error {
	q, err := t.use()
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO repair_connections
		(tenant_id, connection_id, safe_mode, safe_mode_pinned, first_approved_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, connection_id) DO UPDATE SET safe_mode = EXCLUDED.safe_mode,
		safe_mode_pinned = EXCLUDED.safe_mode_pinned, first_approved_at = EXCLUDED.first_approved_at,
		updated_at = EXCLUDED.updated_at`,
		t.tenant.String(), c.Connection, c.SafeMode, c.SafeModePinned, nullTime(c.FirstApprovedAt), nullTime(c.UpdatedAt))
	return wrap(ctx, "store connection "+c.Connection, err)
}

func (t *tx) InsertReview(ctx context.Context, it repair.ReviewItem) error {
	q, err := t.use()
	if err != nil {
		return err
	}
	b, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("pgstore: encode review %s: %w", it.ID, err)
	}
	tag, err := q.Exec(ctx, `INSERT INTO repair_reviews (tenant_id, id, connection_id, object, status, item, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		t.tenant.String(), it.ID, it.Key.Connection, it.Key.Object, string(it.Status), b, it.CreatedAt)
	if err != nil {
		return wrap(ctx, "insert review "+it.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: review %s exists: %w", it.ID, repair.ErrInvalidInput)
	}
	return nil
}

func (t *tx) decodeReview(b []byte) (repair.ReviewItem, error) {
	var it repair.ReviewItem
	if err := json.Unmarshal(b, &it); err != nil {
		return it, fmt.Errorf("decode review: %w", err)
	}
	it.Tenant = t.tenant
	return it, nil
}

func (t *tx) GetReview(ctx context.Context, id string) (repair.ReviewItem, error) {
	q, err := t.use()
	if err != nil {
		return repair.ReviewItem{}, err
	}
	var b []byte
	err = q.QueryRow(ctx, `SELECT item FROM repair_reviews WHERE tenant_id = $1 AND id = $2`, t.tenant.String(), id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return repair.ReviewItem{}, fmt.Errorf("pgstore: review %q: %w", id, repair.ErrNotFound)
	}
	if err != nil {
		return repair.ReviewItem{}, wrap(ctx, "review "+id, err)
	}
	it, err := t.decodeReview(b)
	return it, wrap(ctx, "review "+id, err)
}

func (t *tx) UpdateReview(ctx context.Context, it repair.ReviewItem) error {
	q, err := t.use()
	if err != nil {
		return err
	}
	b, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("pgstore: encode review %s: %w", it.ID, err)
	}
	tag, err := q.Exec(ctx, `UPDATE repair_reviews SET status = $3, item = $4 WHERE tenant_id = $1 AND id = $2`,
		t.tenant.String(), it.ID, string(it.Status), b)
	if err != nil {
		return wrap(ctx, "update review "+it.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: review %q: %w", it.ID, repair.ErrNotFound)
	}
	return nil
}

func (t *tx) ListReviews(ctx context.Context, f repair.ReviewFilter) ([]repair.ReviewItem, error) {
	q, err := t.use()
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString(`SELECT item FROM repair_reviews WHERE tenant_id = $1
		AND ($2 = '' OR status = $2) AND ($3 = '' OR connection_id = $3) AND ($4 = '' OR object = $4) ORDER BY seq`)
	args := []any{t.tenant.String(), string(f.Status), f.Connection, f.Object}
	if f.Limit > 0 {
		sb.WriteString(` LIMIT $5`)
		args = append(args, f.Limit)
	}
	rows, err := q.Query(ctx, sb.String(), args...)
	if err != nil {
		return nil, wrap(ctx, "list reviews", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (repair.ReviewItem, error) {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return repair.ReviewItem{}, err
		}
		return t.decodeReview(b)
	})
	if out == nil {
		out = []repair.ReviewItem{}
	}
	return out, wrap(ctx, "list reviews", err)
}

func (t *tx) InsertAudit(ctx context.Context, e repair.AuditEntry) error {
	q, err := t.use()
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("pgstore: encode audit entry: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO repair_audit (tenant_id, id, connection_id, object, action, at, entry)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.tenant.String(), e.ID, e.Key.Connection, e.Key.Object, string(e.Action), e.At, b)
	return wrap(ctx, "insert audit entry", err)
}

func (t *tx) ListAudit(ctx context.Context, f repair.AuditFilter) ([]repair.AuditEntry, error) {
	q, err := t.use()
	if err != nil {
		return nil, err
	}
	where := `tenant_id = $1 AND ($2 = '' OR connection_id = $2) AND ($3 = '' OR object = $3) AND ($4 = '' OR action = $4)`
	args := []any{t.tenant.String(), f.Connection, f.Object, string(f.Action)}
	query := `SELECT entry FROM repair_audit WHERE ` + where + ` ORDER BY seq`
	if f.Limit > 0 {
		query = `SELECT entry FROM (SELECT entry, seq FROM repair_audit WHERE ` + where +
			` ORDER BY seq DESC LIMIT $5) newest ORDER BY seq`
		args = append(args, f.Limit)
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(ctx, "list audit", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (repair.AuditEntry, error) {
		var b []byte
		var e repair.AuditEntry
		if err := r.Scan(&b); err != nil {
			return e, err
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return e, fmt.Errorf("decode audit entry: %w", err)
		}
		e.Tenant = t.tenant
		return e, nil
	})
	if out == nil {
		out = []repair.AuditEntry{}
	}
	return out, wrap(ctx, "list audit", err)
}
