// Package duckstore is the DuckDB driver of the dcl warehouse
// ([github.com/autonomos/autonomos/dcl/driver.Warehouse]), built on
// github.com/duckdb/duckdb-go/v2 (cgo).
//
//	store, err := duckstore.Open("warehouse.duckdb", nil) // "" for in memory
//	w, err := dcl.New(store, nil)
//
// Each tenant's tables and views live in the schema [SchemaName] gives
// ("t_" and the tenant UUID in hex). A write streams rows through
// DuckDB's query appender into one MERGE ... WHEN MATCHED AND <newer>
// THEN UPDATE ... WHEN NOT MATCHED THEN INSERT per entity, inside one
// transaction per batch. Tables have no primary key (keeping DuckDB's
// ART index was the largest cost of a write); MERGE keeps _key unique,
// and a Store serializes the writes of each tenant. Decimals
// are appended as integers in units of 10^-9 rather than as text
// (DuckDB's parsing of DECIMAL(38,9) text was the largest cost of a
// write). The account table also has _norm_name, the normalized name the
// unified views match on, written with each row (and filled in for older
// rows when a tenant is prepared), so that the views' regular
// expressions do not run over every account on every query.
//
// The database is opened with enable_external_access=false, extension
// auto-install and auto-load off, community extensions off, and
// lock_configuration=true: no statement can read or write files, reach
// the network, load code or change these settings. Read-only queries are
// parsed by DuckDB (json_serialize_sql), checked on the parse tree
// (one SELECT; base tables, joins, subqueries and VALUES only; no table
// functions; no schema but the tenant's; a few catalog and setting
// functions refused), every table is qualified with the tenant's schema,
// and the tree rebuilt by json_deserialize_sql is what runs.
//
// A Store is safe for concurrent use. A DuckDB file belongs to one
// process: several replicas need the PostgreSQL driver.
package duckstore
