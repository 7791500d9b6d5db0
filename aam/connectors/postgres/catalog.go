package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/drift"
)

// kind says how a column's values are selected and converted.
type kind uint8

const (
	kindText    kind = iota // selected as ::text, a Go string
	kindInt                 // int2, int4, int8, oid: int64
	kindFloat               // float4, float8: float64 (NaN, ±Infinity as strings)
	kindNumeric             // numeric: exact decimal text as json.Number
	kindBool                // bool
	kindDate                // date: "2006-01-02"
	kindTime                // timestamp, timestamptz: RFC 3339 in UTC
	kindJSON                // json, jsonb: decoded with UseNumber
	kindArray               // arrays: to_json, decoded with UseNumber
)

// column is one column of a relation, from pg_catalog.
type column struct {
	name     string
	sqlType  string // format_type(): a type name safe to use in a CAST
	typeName string // the base type's name (domains resolved)
	category byte   // pg_type.typcategory of the base type
	notNull  bool
	pkPos    int // 1-based position in the primary key; 0 if not in it
	kind     kind
	field    drift.FieldType
}

// relation is a table or view with its columns in attnum order.
type relation struct {
	schema, name string
	relkind      byte
	columns      []column
}

func (r *relation) object() string { return r.schema + "." + r.name }

func (r *relation) ident() string { return pgx.Identifier{r.schema, r.name}.Sanitize() }

func (r *relation) column(name string) (*column, bool) {
	for i := range r.columns {
		if r.columns[i].name == name {
			return &r.columns[i], true
		}
	}
	return nil, false
}

// primaryKey returns the catalog's primary key columns in key order.
func (r *relation) primaryKey() []string {
	var pk []*column
	for i := range r.columns {
		if r.columns[i].pkPos > 0 {
			pk = append(pk, &r.columns[i])
		}
	}
	slices.SortFunc(pk, func(a, b *column) int { return a.pkPos - b.pkPos })
	out := make([]string, len(pk))
	for i, c := range pk {
		out[i] = c.name
	}
	return out
}

// catalogQuery lists the columns of the relations the session may
// SELECT from, in the given schemas and of the given relkinds. The key
// position comes from the primary key index (pg_index.indkey is an
// int2vector; its position of attnum orders a composite key).
const catalogQuery = `
SELECT n.nspname, c.relname, c.relkind::text, a.attname,
       format_type(a.atttypid, a.atttypmod),
       bt.typname, bt.typcategory::text, a.attnotnull,
       COALESCE((SELECT array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1
                 FROM pg_catalog.pg_index i
                 WHERE i.indrelid = c.oid AND i.indisprimary), 0)::int4
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE n.nspname = ANY($1::text[])
  AND c.relkind = ANY($2::"char"[])
  AND NOT c.relispartition
  AND ($3::text IS NULL OR n.nspname || '.' || c.relname = $3::text)
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname, a.attnum`

// catalog reads the relations of the configured schemas; when only is
// not empty, just the relation whose object name it is.
func (s *Source) catalog(ctx context.Context, only string) ([]*relation, error) {
	kinds := []string{"r", "p"}
	if s.cfg.IncludeViews {
		kinds = append(kinds, "v", "m")
	}
	var onlyArg any
	if only != "" {
		onlyArg = only
	}
	rows, err := s.pool.Query(ctx, catalogQuery, s.cfg.Schemas, kinds, onlyArg)
	if err != nil {
		return nil, s.queryError("read the catalog", err)
	}
	defer rows.Close()
	var rels []*relation
	for rows.Next() {
		var (
			schema, name, relkind, typeCat string
			col                            column
			pkPos                          int32
		)
		if err := rows.Scan(&schema, &name, &relkind, &col.name, &col.sqlType, &col.typeName, &typeCat, &col.notNull, &pkPos); err != nil {
			return nil, s.queryError("read the catalog", err)
		}
		if typeCat != "" {
			col.category = typeCat[0]
		}
		col.pkPos = int(pkPos)
		col.kind, col.field = typeOf(col.typeName, col.category)
		if n := len(rels); n == 0 || rels[n-1].schema != schema || rels[n-1].name != name {
			rels = append(rels, &relation{schema: schema, name: name, relkind: relkind[0]})
		}
		r := rels[len(rels)-1]
		r.columns = append(r.columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read the catalog", err)
	}
	return rels, nil
}

// typeOf maps a PostgreSQL base type to how its values are read and to
// the drift field type.
func typeOf(typeName string, category byte) (kind, drift.FieldType) {
	if category == 'A' {
		return kindArray, drift.TypeArray
	}
	switch typeName {
	case "int2", "int4", "int8", "oid":
		return kindInt, drift.TypeInteger
	case "float4", "float8":
		return kindFloat, drift.TypeNumber
	case "numeric":
		return kindNumeric, drift.TypeNumber
	case "bool":
		return kindBool, drift.TypeBoolean
	case "date":
		return kindDate, drift.TypeDate
	case "timestamp", "timestamptz":
		return kindTime, drift.TypeTimestamp
	case "json", "jsonb":
		return kindJSON, drift.TypeObject
	}
	// text, varchar, bpchar, name, uuid, time, timetz, interval, money,
	// bytea, inet, cidr, macaddr, enums, ...: their text form.
	return kindText, drift.TypeString
}

// cursorNames are the column names taken as update times by detection.
var cursorNames = []string{"updated_at", "updatedat", "modified_at", "last_modified", "last_modified_at", "date_modified", "modified"}

// plan is how one object is read: its key columns and optional cursor
// column, resolved against the catalog.
type plan struct {
	rel    *relation
	keys   []*column
	cursor *column // nil: keyset on keys alone
}

func (s *Source) plan(rel *relation) (*plan, error) {
	p := &plan{rel: rel}
	obj := rel.object()
	keyNames := s.cfg.Keys[obj]
	if len(keyNames) == 0 {
		keyNames = rel.primaryKey()
	}
	if len(keyNames) == 0 {
		return nil, fmt.Errorf("%w: %q (set Config.Keys for it)", ErrNoKey, obj)
	}
	for _, k := range keyNames {
		c, ok := rel.column(k)
		if !ok {
			return nil, fmt.Errorf("%w: key column %q of %q does not exist", ErrNoKey, k, obj)
		}
		p.keys = append(p.keys, c)
	}
	name, configured := s.cfg.CursorColumns[obj]
	switch {
	case configured && name != "":
		c, ok := rel.column(name)
		if !ok {
			return nil, fmt.Errorf("postgres: cursor column %q of %q does not exist", name, obj)
		}
		p.cursor = c
	case !configured && !s.cfg.DisableCursorDetection:
		for _, n := range cursorNames {
			if c, ok := rel.column(n); ok && c.notNull && c.kind == kindTime {
				p.cursor = c
				break
			}
		}
	}
	if p.cursor != nil && slices.Contains(p.keys, p.cursor) {
		p.cursor = nil // already ordered by it
	}
	return p, nil
}
