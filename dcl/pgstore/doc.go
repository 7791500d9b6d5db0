// Package pgstore is the PostgreSQL driver of the dcl warehouse
// ([github.com/autonomos/autonomos/dcl.Warehouse]): the backend for
// several replicas that share one warehouse. DuckDB (dcl/duckstore) is
// the analytical default; this driver has the same tables, lineage,
// idempotent upserts, unified views and read-only query API, and passes
// dcl/warehousetest.
//
// # Getting started
//
//	// at deployment, as the role that owns the tables:
//	err := pgstore.Migrate(ctx, ownerPool, &pgstore.MigrateConfig{AppRole: "aos_app"})
//	// in each replica, as the application role:
//	store, err := pgstore.Open(ctx, appPool)
//	w, err := dcl.New(store, nil)
//	err = w.Write(ctx, tenant, events)
//	res, err := w.Query(ctx, tenant, "SELECT name, sources FROM account_unified")
//
// # Tables and migrations
//
// All tenants share the tables of schema [Schema] ("dcl"): one table per
// ontology entity, with tenant_id uuid first, then the lineage columns
// of dcl (_key, _source_system, _connection_id, _source_object,
// _source_key, _event_id, _occurred_at, _ingested_at, _version_at,
// _deleted) and one typed column per field: text, bigint, boolean, date,
// timestamptz, and numeric(38,9) for decimals and percents (exact, never
// float). The primary key is (tenant_id, _key). The account table also
// has _norm_name, a stored generated column with the normalized name
// the unified views match on (PostgreSQL's regular expressions would
// otherwise dominate every view query). [Migrate] runs the
// embedded goose migrations (the schema), then derives the tables from
// the ontology, adds the columns a newer ontology brings, puts each
// table under row-level security, recreates the unified views and grants
// the application role SELECT, INSERT and UPDATE (never DELETE). It is
// idempotent and serialized across replicas.
//
// # Tenant isolation
//
// Every table has ENABLE and FORCE ROW LEVEL SECURITY and the policy of
// package tenancy/pgtenant (USING and WITH CHECK tenant_id equal to
// pgtenant.TenantExpr, the tenant set in app.tenant_id), and every
// statement of the driver runs in a pgtenant.RunTx transaction for the
// tenant. [Open] runs pgtenant.CheckRole and refuses an application role
// that is a superuser, has BYPASSRLS or owns the tables, since row-level
// security would not bind it. The unified views are security_invoker
// (PostgreSQL 15 or later), so the tables' policy binds whoever queries
// them.
//
// # Writes
//
// [Store.Write] runs all batches of a write in one transaction. Each
// batch is copied (COPY, binary) into a temporary staging table of the
// session (created once per connection, emptied at commit) and moved by
// one INSERT ... SELECT ... ORDER BY _key ON CONFLICT (tenant_id, _key)
// DO UPDATE ... WHERE the staged version is newer, comparing (version
// time, ingestion time, event ID) as dcl does, with the event ID in
// bytewise order (COLLATE "C"). The same event twice changes nothing; an
// older version never overwrites a newer one; key order makes replicas
// that write overlapping batches wait for each other rather than
// deadlock.
//
// # Unified views
//
// account, contact and lead have <entity>_members (every live record
// with cluster_id and match_rule) and <entity>_unified (one golden record
// per cluster: each field's most recent non-null value, member_count,
// sources, connections), with dcl's rules: accounts by normalized domain,
// then normalized name (name_to_domain when the name has exactly one
// domain), contacts and leads by lower-cased e-mail.
//
// # Read-only queries
//
// [Store.Query] runs the user's SELECT in three layers:
//
//  1. A lexical scan (PostgreSQL's rules for comments, quoted
//     identifiers, escape and dollar-quoted strings): one statement that
//     starts with SELECT, WITH, VALUES, TABLE or a parenthesis, and no
//     identifier naming a function that changes or reads settings (the
//     tenant is one: set_config, current_setting), runs SQL given as text
//     (query_to_xml, ts_stat, ...), or any pg_* or lo_* name. Unicode
//     escapes (U&) and parameters are refused.
//  2. A READ ONLY pgtenant transaction with statement_timeout from the
//     context's deadline and search_path set to the warehouse schema; the
//     query runs as SELECT * FROM (query) LIMIT maxRows+1, so only a query
//     expression parses and the row cap is the server's.
//  3. Before running, its plan (EXPLAIN VERBOSE) may read relations of
//     the warehouse schema only, and in FROM only table functions that
//     read their arguments (unnest, generate_series, json(b)_each, ...).
//
// PostgreSQL's refusals become *dcl.QueryRefusedError too: a write in
// the read-only transaction, a data-modifying WITH, a syntax error, an
// unknown function. Unqualified names are the warehouse's tables and
// views; other tenants' rows are invisible by row-level security even to
// a query the checks let through.
//
// # Errors
//
// [ErrNotMigrated] from EnsureTenant (dcl.Warehouse.EnsureTenant and
// Write) when a table, column or view is missing: run [Migrate].
// pgtenant.ErrUnsafeRole from [Open]. dcl.ErrQueryRefused and
// dcl.ErrQueryTimeout from Query. Database errors are wrapped once.
//
// # Performance
//
// BenchmarkMaterializePG writes 100k opportunity events in batches of
// 10k. The server's upsert dominates: on a quiet machine PostgreSQL
// moves 100k staged rows by INSERT ... ON CONFLICT in about 1.3-1.6 s
// against 0.6 s for a plain INSERT ... SELECT, while the client's share
// (validation, COPY encoding) is about a tenth of the wall time.
// BenchmarkWritePath compares this path with a pgx.Batch of one upsert
// per row, which is about half as fast. BenchmarkUnifiedQueryPG queries
// account_unified over 90k rows (30k clusters of 3 sources): a query
// computes the whole view, about a second on the shared test machine.
// Analytical queries at scale belong to DuckDB.
//
// # Testing
//
// Tests need PostgreSQL 15 or later and two roles:
// internal/testenv.PostgresRoles gives a fresh database, its owner (for
// Migrate) and a non-owner application role (for Open), so row-level
// security really applies.
package pgstore
