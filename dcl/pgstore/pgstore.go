package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// Store is the PostgreSQL warehouse driver: entity tables shared by all
// tenants under row-level security, written and read only through
// pgtenant transactions. It is safe for concurrent use, and several
// replicas may share one database.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
}

var _ driver.Warehouse = (*Store)(nil)

// Open returns a Store over pool, which must connect as the application
// role: Open fails with a pgtenant.ErrUnsafeRole error when that role is
// a superuser, has BYPASSRLS or owns a tenant table, since row-level
// security would not bind it. The tables come from [Migrate], run
// beforehand as the owner. The caller keeps ownership of pool: Close
// does not close it.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrInvalidConfig)
	}
	if err := pgtenant.CheckRole(ctx, pool); err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close marks the store closed; later calls fail with dcl.ErrClosed. The
// pool stays open.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) check() error {
	if s.closed.Load() {
		return dcl.ErrClosed
	}
	return nil
}

// EnsureTenant implements [driver.Warehouse]. Tables are shared, so there
// is nothing to create per tenant: it checks that every table, column
// and unified view of tables exists and that the application role may
// use them, and otherwise returns an error wrapping [ErrNotMigrated]
// that names what is missing.
func (s *Store) EnsureTenant(ctx context.Context, tenant tenancy.ID, tables []driver.Table) error {
	if err := s.check(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `
SELECT c.relname, a.attname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v') AND has_table_privilege(c.oid, 'SELECT')`, Schema)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgstore: check tables: %w", err)
	}
	have := map[string]map[string]bool{}
	var rel, col string
	_, err = pgx.ForEachRow(rows, []any{&rel, &col}, func() error {
		if have[rel] == nil {
			have[rel] = map[string]bool{}
		}
		have[rel][col] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: check tables: %w", err)
	}
	for _, t := range tables {
		cols, ok := have[t.Entity]
		if !ok {
			return fmt.Errorf("%w: no table %s.%s readable by this role", ErrNotMigrated, Schema, t.Entity)
		}
		for _, c := range t.Columns {
			if !cols[c.Name] {
				return fmt.Errorf("%w: table %s.%s lacks column %s", ErrNotMigrated, Schema, t.Entity, c.Name)
			}
		}
		if viewStatements(t) != nil {
			for _, v := range []string{t.Entity + "_members", t.Entity + "_unified"} {
				if _, ok := have[v]; !ok {
					return fmt.Errorf("%w: no view %s.%s readable by this role", ErrNotMigrated, Schema, v)
				}
			}
		}
	}
	return nil
}

// stageName is the temporary staging table of a table: its name carries
// a hash of the column list, so a session never reuses a staging table
// of an older ontology.
func stageName(t *driver.Table) string {
	h := fnv.New32a()
	for _, c := range t.Columns {
		h.Write([]byte(c.Name))
		h.Write([]byte{0})
		h.Write([]byte(c.Type))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("aos_stage_%s_%08x", t.Entity, h.Sum32())
}

// columnNames returns the staged columns: lineage, then fields.
func columnNames(t *driver.Table) []string {
	out := make([]string, 0, len(lineage)+len(t.Columns))
	for _, l := range lineage {
		out = append(out, l.name)
	}
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}

// stageSQL creates the session's staging table of t, emptied at every
// commit.
func stageSQL(t *driver.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TEMP TABLE IF NOT EXISTS %s (", ident(stageName(t)))
	for i, l := range lineage {
		if i > 0 {
			b.WriteString(", ")
		}
		typ, _, _ := strings.Cut(l.typ, " NOT NULL")
		fmt.Fprintf(&b, "%s %s", l.name, typ)
	}
	for _, c := range t.Columns {
		fmt.Fprintf(&b, ", %s %s", ident(c.Name), sqlType(c.Type))
	}
	b.WriteString(") ON COMMIT DELETE ROWS")
	return b.String()
}

// upsertSQL moves the staged rows into the table: new records are
// inserted, a stored record is replaced only by a newer version
// (version time, then ingestion time, then event ID). Rows go in key
// order, so that replicas writing overlapping batches at once lock rows
// in the same order and wait for each other instead of deadlocking.
func upsertSQL(t *driver.Table) string {
	var cols, set []string
	for _, n := range columnNames(t) {
		q := ident(n)
		cols = append(cols, q)
		if n != "_key" {
			set = append(set, q+" = excluded."+q)
		}
	}
	list := strings.Join(cols, ", ")
	return fmt.Sprintf(`INSERT INTO %s AS cur (tenant_id, %s)
SELECT $1::uuid, %s FROM %s ORDER BY _key
ON CONFLICT (tenant_id, _key) DO UPDATE SET %s
WHERE (excluded._version_at, excluded._ingested_at, excluded._event_id) > (cur._version_at, cur._ingested_at, cur._event_id)`,
		qualified(t.Entity), list, list, ident(stageName(t)), strings.Join(set, ", "))
}

// Write implements [driver.Warehouse]: one pgtenant transaction for all
// batches; each batch is copied (COPY, binary) into a session-local
// staging table and moved by one INSERT ... SELECT ... ON CONFLICT DO
// UPDATE ... WHERE newer.
func (s *Store) Write(ctx context.Context, tenant tenancy.ID, batches []driver.Batch) error {
	if err := s.check(); err != nil {
		return err
	}
	err := pgtenant.RunTx(ctx, s.pool, tenant, func(tx pgx.Tx) error {
		for i := range batches {
			b := &batches[i]
			if len(b.Rows) == 0 {
				continue
			}
			if err := writeBatch(ctx, tx, tenant, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func writeBatch(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, b *driver.Batch) error {
	t := &b.Table
	if _, err := tx.Exec(ctx, stageSQL(t)); err != nil {
		return fmt.Errorf("pgstore: %s: staging table: %w", t.Entity, err)
	}
	for i := range b.Rows {
		if n := len(b.Rows[i].Values); n != len(t.Columns) {
			return fmt.Errorf("pgstore: %s: row %d has %d values for %d columns", t.Entity, i, n, len(t.Columns))
		}
	}
	nl := len(lineage)
	src := &rowSource{rows: b.Rows, vals: make([]any, nl+len(t.Columns)), i: -1}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageName(t)}, columnNames(t), src); err != nil {
		return fmt.Errorf("pgstore: %s: copy: %w", t.Entity, err)
	}
	if _, err := tx.Exec(ctx, upsertSQL(t), tenant.String()); err != nil {
		return fmt.Errorf("pgstore: %s: upsert: %w", t.Entity, err)
	}
	return nil
}

// rowSource feeds driver rows to CopyFrom.
type rowSource struct {
	rows []driver.Row
	vals []any
	i    int
}

func (r *rowSource) Next() bool {
	r.i++
	return r.i < len(r.rows)
}

func (r *rowSource) Values() ([]any, error) {
	row := &r.rows[r.i]
	v := r.vals
	v[0], v[1], v[2], v[3], v[4], v[5] = row.Key, row.SourceSystem, row.ConnectionID, row.SourceObject, row.SourceKey, row.EventID
	if row.OccurredAt.IsZero() {
		v[6] = nil
	} else {
		v[6] = row.OccurredAt
	}
	v[7], v[8], v[9] = row.IngestedAt, row.VersionAt(), row.Deleted
	for j, x := range row.Values {
		switch d := x.(type) {
		case canonical.Decimal:
			x = pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
		case time.Time:
			x = d.UTC()
		}
		v[len(lineage)+j] = x
	}
	return v, nil
}

func (r *rowSource) Err() error { return nil }
