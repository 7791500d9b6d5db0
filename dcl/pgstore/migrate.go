package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/internal/pgmigrate"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations returns the embedded goose migrations of the warehouse
// schema.
func Migrations() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists: a build error otherwise
	}
	return sub
}

// Schema is the PostgreSQL schema holding the entity tables and unified
// views that all tenants share.
const Schema = "dcl"

// The goose bookkeeping tables of this package, apart from other
// packages' migrations in the same database.
const (
	versionTable = "dcl_goose_version"
	lockTable    = "dcl_goose_lock"
)

// MigrateConfig configures [Migrate]. The zero value is usable.
type MigrateConfig struct {
	// Ontology gives the entity tables and their typed columns; use the
	// same one as the dcl.Warehouse. Defaults to canonical.V1().
	Ontology *canonical.Ontology
	// AppRole is the role the application connects as; it is granted
	// USAGE on the schema, SELECT, INSERT and UPDATE on the tables and
	// SELECT on the views (never DELETE, never ownership). Empty grants
	// nothing. Defaults to "".
	AppRole string
	// Logger receives one line per applied goose migration. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Tables returns the entity tables of ontology o (nil means
// canonical.V1()), as dcl.Warehouse gives them to the driver.
func Tables(o *canonical.Ontology) []driver.Table {
	if o == nil {
		o = canonical.V1()
	}
	var out []driver.Table
	for _, e := range o.Entities() {
		t := driver.Table{Entity: e.Name}
		for _, f := range e.Fields {
			t.Columns = append(t.Columns, driver.Column{Name: f.Name, Type: f.Type})
		}
		out = append(out, t)
	}
	return out
}

// Migrate brings the warehouse schema of the database behind pool up to
// date: the embedded goose migrations (the schema), then, in one
// transaction, one table per entity of the ontology (created, or given
// the columns the ontology gained), row-level security on each (ENABLE,
// FORCE and the pgtenant policy), the unified views and the grants to
// cfg.AppRole. Running it again changes nothing; concurrent calls
// (several replicas starting) are serialized.
//
// Run it as the role that owns the tables, never as the application
// role, which [Open] refuses if it owns them.
func Migrate(ctx context.Context, pool *pgxpool.Pool, cfg *MigrateConfig) error {
	var c MigrateConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	tables := Tables(c.Ontology)
	err := pgmigrate.Up(ctx, pool, pgmigrate.Config{
		Migrations: Migrations(), VersionTable: versionTable, LockTable: lockTable, Logger: c.Logger, Name: "pgstore",
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	stmts, err := ontologyDDL(tables, c.AppRole)
	if err != nil {
		return err
	}
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// one ontology migration at a time across replicas
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('aos.dcl.pgstore.migrate'))"); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", firstLine(s), err)
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgstore: migrate tables: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// ident quotes an SQL identifier.
func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// qualified returns the schema-qualified, quoted name of a relation.
func qualified(name string) string { return pgx.Identifier{Schema, name}.Sanitize() }

func sqlType(t canonical.ValueType) string {
	switch t {
	case canonical.TypeInteger:
		return "bigint"
	case canonical.TypeDecimal, canonical.TypePercent:
		return "numeric(38,9)"
	case canonical.TypeBoolean:
		return "boolean"
	case canonical.TypeDate:
		return "date"
	case canonical.TypeTimestamp:
		return "timestamptz"
	}
	return "text"
}

// lineage columns after tenant_id, in table order, with their types.
// _key and _event_id compare bytewise (COLLATE "C"), as Go strings do,
// so that the newest-wins order is the same as the portable type's.
var lineage = []struct{ name, typ string }{
	{"_key", `text COLLATE "C" NOT NULL`},
	{"_source_system", "text NOT NULL"},
	{"_connection_id", "text NOT NULL"},
	{"_source_object", "text NOT NULL"},
	{"_source_key", "text NOT NULL"},
	{"_event_id", `text COLLATE "C" NOT NULL`},
	{"_occurred_at", "timestamptz"},
	{"_ingested_at", "timestamptz NOT NULL"},
	{"_version_at", "timestamptz NOT NULL"},
	{"_deleted", "boolean NOT NULL"},
}

// ontologyDDL returns the statements that create or extend the entity
// tables, guard them with row-level security, (re)create the unified
// views and grant the application role its privileges.
func ontologyDDL(tables []driver.Table, appRole string) ([]string, error) {
	var stmts []string
	var views []string // in creation order
	for _, t := range tables {
		tbl := qualified(t.Entity)
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n  %s", tbl, pgtenant.ColumnDDL)
		for _, l := range lineage {
			fmt.Fprintf(&b, ",\n  %s %s", l.name, l.typ)
		}
		for _, c := range t.Columns {
			fmt.Fprintf(&b, ",\n  %s %s", ident(c.Name), sqlType(c.Type))
		}
		b.WriteString(",\n  PRIMARY KEY (tenant_id, _key)\n)")
		stmts = append(stmts, b.String())
		for _, c := range t.Columns {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", tbl, ident(c.Name), sqlType(c.Type)))
		}
		if hasNormName(t) {
			// computed once per write rather than at every view query:
			// PostgreSQL's regular expressions are the cost of the view
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s text GENERATED ALWAYS AS (%s) STORED",
				tbl, normNameColumn, normName(ident("name"))))
		}
		pol, err := pgtenant.PolicySQL(Schema + "." + t.Entity)
		if err != nil {
			return nil, fmt.Errorf("pgstore: entity %q: %w", t.Entity, err)
		}
		stmts = append(stmts, pol...)
		if v := viewStatements(t); v != nil {
			// dropped first: a view cannot change its columns in place
			stmts = append(stmts,
				"DROP VIEW IF EXISTS "+qualified(t.Entity+"_unified"),
				"DROP VIEW IF EXISTS "+qualified(t.Entity+"_members"))
			stmts = append(stmts, v...)
			views = append(views, t.Entity+"_members", t.Entity+"_unified")
		}
	}
	if appRole != "" {
		r := ident(appRole)
		stmts = append(stmts, "GRANT USAGE ON SCHEMA "+ident(Schema)+" TO "+r)
		for _, t := range tables {
			stmts = append(stmts, "GRANT SELECT, INSERT, UPDATE ON "+qualified(t.Entity)+" TO "+r)
		}
		for _, v := range views {
			stmts = append(stmts, "GRANT SELECT ON "+qualified(v)+" TO "+r)
		}
	}
	return stmts, nil
}
