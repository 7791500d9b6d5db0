package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	dcldriver "github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a [Store]. The zero value is usable.
type Config struct {
	// Threads is DuckDB's worker thread count. Defaults to the number of
	// CPUs.
	Threads int
	// MemoryLimit is DuckDB's memory limit, e.g. "2GB". Defaults to
	// DuckDB's default (80% of RAM).
	MemoryLimit string
}

// Store is the DuckDB warehouse driver. It is safe for concurrent use;
// the caller (or the [dcl.Warehouse] it is given to) closes it.
type Store struct {
	connector *duckdb.Connector
	db        *sql.DB

	// writers serializes the writes and schema changes of each tenant
	// (schema name -> *sync.Mutex): tables have no primary key, so two
	// transactions inserting the same new record would both succeed.
	writers sync.Map

	// Close waits for the operations in flight, after cancelling them:
	// DuckDB closed under a running statement can keep the database
	// instance alive, and a later Open of the same file then spins
	// forever in DuckDB's instance cache (duckdb/duckdb#25965).
	mu       sync.Mutex
	closed   bool
	inFlight sync.WaitGroup
	stopCtx  context.Context
	stop     context.CancelFunc
}

var _ dcldriver.Warehouse = (*Store)(nil)

// begin registers an operation; end must be called when it is done. The
// returned context is cancelled by Close.
func (s *Store) begin(ctx context.Context) (_ context.Context, end func(), err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, dcl.ErrClosed
	}
	s.inFlight.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(s.stopCtx, cancel)
	return ctx, func() { unhook(); cancel(); s.inFlight.Done() }, nil
}

// Open opens the DuckDB database at path, or an in-memory database when
// path is "" or ":memory:". The database is opened with external file
// and network access disabled, extension auto-install and auto-load off,
// and its configuration locked, so that no statement can reach outside
// the database or loosen these settings. A nil cfg means defaults.
func Open(path string, cfg *Config) (*Store, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Threads < 0 {
		return nil, fmt.Errorf("%w: Threads %d is negative", dcl.ErrInvalidConfig, c.Threads)
	}
	if c.Threads == 0 {
		c.Threads = runtime.NumCPU()
	}
	if path == ":memory:" {
		path = ""
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%w: database path %q must not contain ? or #", dcl.ErrInvalidConfig, path)
	}
	q := url.Values{}
	q.Set("enable_external_access", "false")
	q.Set("autoinstall_known_extensions", "false")
	q.Set("autoload_known_extensions", "false")
	q.Set("allow_community_extensions", "false")
	q.Set("threads", fmt.Sprint(c.Threads))
	if c.MemoryLimit != "" {
		q.Set("memory_limit", c.MemoryLimit)
	}
	q.Set("lock_configuration", "true")
	connector, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("duckstore: open: %w", err)
	}
	stopCtx, stop := context.WithCancel(context.Background())
	return &Store{connector: connector, db: sql.OpenDB(connector), stopCtx: stopCtx, stop: stop}, nil
}

// DB returns the underlying database handle for read access in tests
// and tools. Statements run on it bypass the tenant checks.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.inFlight.Wait()
	return s.db.Close()
}

// SchemaName returns the DuckDB schema holding tenant's tables: "t_"
// followed by the tenant UUID in hex, never derived from user text.
func SchemaName(tenant tenancy.ID) string {
	return "t_" + hex.EncodeToString(tenant[:])
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlType(t canonical.ValueType) string {
	switch t {
	case canonical.TypeInteger:
		return "BIGINT"
	case canonical.TypeDecimal, canonical.TypePercent:
		return "DECIMAL(38,9)"
	case canonical.TypeBoolean:
		return "BOOLEAN"
	case canonical.TypeDate:
		return "DATE"
	case canonical.TypeTimestamp:
		return "TIMESTAMPTZ"
	}
	return "VARCHAR"
}

// lineage columns, in table order, and their types.
var lineage = []struct{ name, typ string }{
	{"_key", "VARCHAR"},
	{"_source_system", "VARCHAR"},
	{"_connection_id", "VARCHAR"},
	{"_source_object", "VARCHAR"},
	{"_source_key", "VARCHAR"},
	{"_event_id", "VARCHAR"},
	{"_occurred_at", "TIMESTAMPTZ"},
	{"_ingested_at", "TIMESTAMPTZ"},
	{"_version_at", "TIMESTAMPTZ"},
	{"_deleted", "BOOLEAN"},
}

// lockTenant takes the write lock of a tenant's schema and returns its
// unlock.
func (s *Store) lockTenant(schema string) (unlock func()) {
	mu, _ := s.writers.LoadOrStore(schema, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// EnsureTenant implements [dcldriver.Warehouse].
func (s *Store) EnsureTenant(ctx context.Context, tenant tenancy.ID, tables []dcldriver.Table) error {
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	// DuckDB fails concurrent CREATE SCHEMA IF NOT EXISTS of one schema
	// with a write-write conflict
	defer s.lockTenant(SchemaName(tenant))()
	schema := ident(SchemaName(tenant))
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + schema}
	for _, t := range tables {
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", schema, ident(t.Entity))
		for _, l := range lineage {
			fmt.Fprintf(&b, "%s %s, ", l.name, l.typ)
		}
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", ident(c.Name), sqlType(c.Type))
		}
		// No PRIMARY KEY: maintaining DuckDB's ART index cost more than
		// the rest of a write, and MERGE keeps _key unique without it
		// (writes of a tenant are serialized, see Store.writers).
		// Tables made by earlier versions keep theirs; MERGE works on
		// both.
		b.WriteString(")")
		stmts = append(stmts, b.String())
		// fields the ontology gained since the table was made
		for _, c := range t.Columns {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN IF NOT EXISTS %s %s", schema, ident(t.Entity), ident(c.Name), sqlType(c.Type)))
		}
		if hasNormName(&t) {
			// written with each row; rows stored before the column
			// existed get it here, once
			tbl := schema + "." + ident(t.Entity)
			stmts = append(stmts,
				fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s VARCHAR", tbl, normNameColumn),
				fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL AND name IS NOT NULL AND %s IS NOT NULL", tbl, normNameColumn, normName("name"), normNameColumn, normName("name")))
		}
		stmts = append(stmts, viewStatements(schema, t)...)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckstore: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("duckstore: begin: %w", err)
	}
	defer tx.Rollback()
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("duckstore: prepare schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("duckstore: commit schema: %w", err)
	}
	return nil
}

// mergeSQL is the statement the query appender runs over each chunk of
// appended rows (the "batch" table): insert new records, replace stored
// ones only by a newer version (by version time, then ingestion time,
// then event id, as [dcldriver.Row.Newer]). MERGE joins the batch to the
// table by _key; it needs no index, and was faster than INSERT ... ON
// CONFLICT even where the table has one. The batch holds each _key once
// (dcl de-duplicates a batch), as MERGE requires.
func mergeSQL(schema string, t *dcldriver.Table) string {
	var cols, sel, set []string
	add := func(name, expr string) {
		cols = append(cols, name)
		sel = append(sel, expr+" AS "+name)
		if name != "_key" {
			set = append(set, name+" = b."+name)
		}
	}
	for _, l := range lineage {
		add(l.name, l.name)
	}
	for _, c := range t.Columns {
		add(ident(c.Name), ident(c.Name))
	}
	if hasNormName(t) {
		add(normNameColumn, normName("name"))
	}
	vals := make([]string, len(cols))
	for i, c := range cols {
		vals[i] = "b." + c
	}
	return fmt.Sprintf(`MERGE INTO %s.%s AS cur USING (SELECT %s FROM batch) AS b ON cur._key = b._key
WHEN MATCHED AND (b._version_at > cur._version_at
   OR (b._version_at = cur._version_at AND (b._ingested_at > cur._ingested_at
   OR (b._ingested_at = cur._ingested_at AND b._event_id > cur._event_id)))) THEN UPDATE SET %s
WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)`,
		schema, ident(t.Entity), strings.Join(sel, ", "), strings.Join(set, ", "), strings.Join(cols, ", "), strings.Join(vals, ", "))
}

func appendTypes(t *dcldriver.Table) ([]duckdb.TypeInfo, []string, error) {
	var infos []duckdb.TypeInfo
	var names []string
	add := func(name string, typ duckdb.Type) error {
		var ti duckdb.TypeInfo
		var err error
		if typ == duckdb.TYPE_DECIMAL {
			ti, err = duckdb.NewDecimalInfo(38, decimalScale)
		} else {
			ti, err = duckdb.NewTypeInfo(typ)
		}
		if err != nil {
			return err
		}
		infos = append(infos, ti)
		names = append(names, name)
		return nil
	}
	for _, l := range lineage {
		typ := duckdb.TYPE_VARCHAR
		switch l.typ {
		case "TIMESTAMPTZ":
			typ = duckdb.TYPE_TIMESTAMP_TZ
		case "BOOLEAN":
			typ = duckdb.TYPE_BOOLEAN
		}
		if err := add(l.name, typ); err != nil {
			return nil, nil, err
		}
	}
	for _, c := range t.Columns {
		typ := duckdb.TYPE_VARCHAR
		switch c.Type {
		case canonical.TypeDecimal, canonical.TypePercent:
			typ = duckdb.TYPE_DECIMAL // as units of 10^-9, see decimalUnits
		case canonical.TypeInteger:
			typ = duckdb.TYPE_BIGINT
		case canonical.TypeBoolean:
			typ = duckdb.TYPE_BOOLEAN
		case canonical.TypeDate:
			typ = duckdb.TYPE_DATE
		case canonical.TypeTimestamp:
			typ = duckdb.TYPE_TIMESTAMP_TZ
		}
		if err := add(c.Name, typ); err != nil {
			return nil, nil, err
		}
	}
	return infos, names, nil
}

// Write implements [dcldriver.Warehouse]: one transaction for all
// batches, rows streamed through DuckDB's query appender into one MERGE
// per chunk. Writes of one tenant wait for each other.
func (s *Store) Write(ctx context.Context, tenant tenancy.ID, batches []dcldriver.Batch) (err error) {
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	name := SchemaName(tenant)
	schema := ident(name)
	defer s.lockTenant(name)()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckstore: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("duckstore: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i := range batches {
		b := &batches[i]
		if len(b.Rows) == 0 {
			continue
		}
		if err := s.writeBatch(ctx, conn, schema, b); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("duckstore: commit: %w", err)
	}
	return nil
}

func (s *Store) writeBatch(ctx context.Context, conn *sql.Conn, schema string, b *dcldriver.Batch) error {
	infos, names, err := appendTypes(&b.Table)
	if err != nil {
		return fmt.Errorf("duckstore: %s: %w", b.Table.Entity, err)
	}
	query := mergeSQL(schema, &b.Table)
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewQueryAppender(dc.(driver.Conn), query, "batch", infos, names)
		if err != nil {
			return fmt.Errorf("duckstore: %s: appender: %w", b.Table.Entity, err)
		}
		vals := make([]driver.Value, len(lineage)+len(b.Table.Columns))
		for i := range b.Rows {
			if i%4096 == 0 && ctx.Err() != nil {
				_ = a.Close()
				return ctx.Err()
			}
			r := &b.Rows[i]
			if len(r.Values) != len(b.Table.Columns) {
				_ = a.Close()
				return fmt.Errorf("duckstore: %s: row %d has %d values for %d columns", b.Table.Entity, i, len(r.Values), len(b.Table.Columns))
			}
			vals[0], vals[1], vals[2], vals[3], vals[4], vals[5] = r.Key, r.SourceSystem, r.ConnectionID, r.SourceObject, r.SourceKey, r.EventID
			if r.OccurredAt.IsZero() {
				vals[6] = nil
			} else {
				vals[6] = r.OccurredAt
			}
			vals[7], vals[8], vals[9] = r.IngestedAt, r.VersionAt(), r.Deleted
			for j, v := range r.Values {
				if d, ok := v.(canonical.Decimal); ok {
					if v, err = decimalUnits(d.Decimal); err != nil {
						_ = a.Close()
						return fmt.Errorf("duckstore: %s: row %d: %s: %w", b.Table.Entity, i, b.Table.Columns[j].Name, err)
					}
				}
				vals[len(lineage)+j] = v
			}
			if err := a.AppendRow(vals...); err != nil {
				_ = a.Close()
				return fmt.Errorf("duckstore: %s: row %d: %w", b.Table.Entity, i, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("duckstore: %s: merge: %w", b.Table.Entity, err)
		}
		return nil
	})
}

// convert turns a scanned DuckDB value into the portable Go types.
func convert(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return canonical.Decimal{Decimal: decimalFromBig(x)}
	case time.Time:
		return x.UTC()
	case []any:
		for i := range x {
			x[i] = convert(x[i])
		}
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	}
	return v
}
