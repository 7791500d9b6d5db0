// Package dcl is the data connectivity layer: it consumes a tenant's
// canonical events ([canonical.Event]) from the aam stream, materializes
// them in a warehouse, one table per ontology entity, and builds unified
// views across sources with deterministic entity resolution.
//
// # Getting started
//
//	store, err := duckstore.Open("/var/lib/aos/warehouse.duckdb", nil) // "" is in memory
//	w, err := dcl.New(store, nil) // w owns store: w.Close closes it
//	engine, err := dcl.NewEngine(w, nil)
//	sub, err := broker.NewSubscriber(tenant, "dcl", nil) // an aam/stream subscriber
//	err = engine.Run(ctx, tenant, sub)
//	res, err := w.Query(ctx, tenant, "SELECT name, sources FROM account_unified")
//
// # Warehouse and drivers
//
// [Warehouse] is the portable type; a backend implements the small
// interface of package dcl/driver. dcl/duckstore is the DuckDB driver
// (embedded default, and a single-replica server); dcl/pgstore is the
// PostgreSQL driver for replicas sharing one warehouse (shared tables under
// row-level security). dcl/warehousetest holds the conformance suite every
// driver runs.
//
// Each tenant has its own namespace (in DuckDB a schema named from the
// tenant UUID, never from user text) with one table per entity of the
// ontology ([Config.Ontology], ontology v1 by default). Columns are typed
// from the field types: text types as VARCHAR, integer BIGINT, decimal
// and percent DECIMAL(38,9) (exact; a value with more than 9 fractional
// or 29 integer digits is rejected rather than rounded), boolean, DATE,
// TIMESTAMPTZ. Lineage columns come first: _key (the record's identity:
// source system, connection, object and source key), _source_system,
// _connection_id, _source_object, _source_key, _event_id, _occurred_at,
// _ingested_at, _version_at and _deleted (a delete is kept as a
// tombstone, so that a late older upsert cannot bring the record back).
//
// # Writes
//
// [Warehouse.Write] validates every event against the ontology (tenant,
// entity, fields, Go types of values as documented in package
// canonical), keeps the newest version of each record within the batch
// and hands the batch to the driver, which upserts it in one
// transaction. Versions order by occurred_at (ingested_at when unknown),
// then ingested_at, then event ID: the same event twice is one row, and
// an older version never overwrites a newer one, whatever the order of
// arrival. Invalid events are skipped and reported in a
// [*RejectedEventsError]; the rest is committed.
//
// # Engine and the stream
//
// [Engine.Handler] is an aam/stream handler that returns only after the
// batch committed, so the stream acknowledges only stored events. A
// consumer that dies between commit and acknowledgement gets the batch
// delivered again, and since writes are idempotent this neither loses
// nor duplicates anything; replaying a whole stream leaves the tables
// unchanged. Invalid events come back to the stream as a
// [stream.BatchError], which retries them and finally dead-letters them.
// [Engine.Materialize] is the same path for callers that read connectors
// directly (USE_AAM_AS_SOURCE off).
//
// # Unified views and entity resolution
//
// For accounts, contacts and leads each tenant has two views:
//
//   - <entity>_members: every live record with its cluster_id and the
//     match_rule that placed it. Accounts cluster by normalized domain;
//     an account without a domain joins the domain cluster of accounts
//     with the same normalized name (lower case, punctuation and legal
//     suffixes such as Inc, GmbH, Ltd removed) when that name has exactly
//     one domain (rule name_to_domain), else clusters by name. Contacts
//     and leads cluster by lower-cased e-mail. A record with nothing to
//     match on is its own cluster.
//   - <entity>_unified: one golden record per cluster: each field's most
//     recent non-null value, member_count, sources (the contributing
//     source systems) and connections.
//
// Query <entity>_members for a cluster_id to see why records were merged.
//
// # Graph
//
// [Warehouse.BuildGraph] draws the tenant's graph (package graphstore)
// from the warehouse's lineage: source connections, their objects,
// ontology entities, views and agents ([DefaultAgents]: RevOps reads
// accounts, contacts and opportunities; FinOps accounts and invoices),
// with row counts and mapping confidences on the edges. It is
// deterministic, and [SyncGraph] saves it only when its content changed,
// so building twice gives one graph version.
//
// # Read-only queries and tenant isolation
//
// [Warehouse.Query] runs one SELECT over the tenant's own tables and
// views, with [Config.QueryTimeout] and [Config.MaxRows]. Anything else
// is refused with a [*QueryRefusedError] (errors.Is [ErrQueryRefused])
// naming the reason: DDL, DML, COPY, ATTACH, PRAGMA, SET, several
// statements, table functions (read_csv, read_parquet, ...), files used
// as tables, system catalogs, another tenant's schema. The DuckDB driver
// checks the query on DuckDB's own parse tree and runs the tree rebuilt
// with every table qualified by the tenant's schema; the database itself
// runs with external access off and its configuration locked.
//
// # Errors
//
// [ErrInvalidConfig], [ErrInvalidEvent] ([*InvalidEventError]),
// [ErrQueryRefused] ([*QueryRefusedError]), [ErrQueryTimeout] and
// [ErrClosed]; driver failures are wrapped once with the tenant. Error
// texts name events, fields and the parts of a query, never values of
// other tenants.
//
// # Concurrency
//
// A Warehouse and an Engine are safe for concurrent use. One Subscriber
// per consumer; several consumers of one group may write the same
// tenant concurrently: the driver keeps the newest version of each
// record (duckstore serializes a tenant's writes; on PostgreSQL a failed
// transaction fails the batch and the stream delivers it again).
//
// # Testing
//
// Use duckstore.Open("", nil) for an in-memory warehouse and memstream
// for the stream, as the examples do. A new driver runs
// warehousetest.RunConformanceTests.
package dcl
