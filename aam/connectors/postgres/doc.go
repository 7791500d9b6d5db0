// Package postgres is the PostgreSQL connector of the AAM: it reads the
// tables of a PostgreSQL database, Supabase's included, as
// [aam.Connector] objects. Importing it registers the kind "postgres"
// in [aam.DefaultRegistry]:
//
//	c, err := aam.Open("postgres", json.RawMessage(`{"url": "postgres://reader:...@db.example.com:5432/app", "schemas": ["public", "sales"]}`))
//
// # Objects and schemas
//
// Every table (and, with [Config.IncludeViews], view) of the configured
// schemas that the session may SELECT from is an object named
// "schema.table". [Source.Discover] reads columns, types, nullability
// and primary keys from pg_catalog, so the schemas are declared, not
// inferred; a small sample of rows (ordered by the key) is profiled
// with [drift.ProfileField] for the matcher. Types map to drift types:
// int2/int4/int8 are integers, numeric and floats numbers, bool
// booleans, date dates, timestamp and timestamptz timestamps, json and
// jsonb objects, arrays arrays, and everything else (text, varchar,
// uuid, time, interval, enums, ...) strings. Domains take their base
// type.
//
// # Values
//
// Values are converted exactly: integers as int64; numeric as
// [json.Number] holding PostgreSQL's own decimal text (never a float;
// NaN and ±Infinity as strings); floats as float64; dates as
// "2006-01-02"; timestamps as RFC 3339 in UTC (a timestamp without time
// zone is taken as UTC); json and jsonb decoded with numbers as
// json.Number; arrays as []any through to_json; uuid and all other
// types as their text form.
//
// # Reads
//
// A read is a series of keyset queries, one per batch: ordered by the
// primary key (composite keys compare as rows, (a, b) > ($1, $2)) and
// starting after the cursor's key, so a batch costs an index range scan
// however deep the read. When an object has an update-time column
// (configured in [Config.CursorColumns], or detected: a NOT NULL
// timestamp named updated_at or the like), reads go by that column with
// the key as tie-break, so a resumed read also sees rows updated since
// the cursor. That is the usual updated_at caveat: a row committed
// later with an older update time than the cursor's is missed, and rows
// whose cursor column is NULL are never read. An object without a
// primary key (a view) needs its key columns in [Config.Keys].
//
// Every identifier comes from the catalog and is quoted with
// pgx.Identifier.Sanitize; cursor values are query parameters. The URL
// is a secret: errors name only host, port and database, and the
// password and URL are scrubbed from driver errors. Behind PgBouncer in
// transaction mode (Supabase's pooler) set [Config.ExecMode] to "exec"
// or "simple_protocol".
package postgres
