// Package pgstore is the PostgreSQL driver of [authn.Store] (pgx/v5).
//
// # Schema and isolation
//
// [Migrate] applies the embedded migrations ([Migrations], run with
// pressly/goose v3, bookkeeping in authn_goose_version and
// authn_goose_lock). The tables:
//
//   - authn_tenants and authn_users are tenant-owned: ENABLE and FORCE
//     ROW LEVEL SECURITY, with a policy tenant_isolation USING and WITH
//     CHECK comparing the row's tenant with the app.tenant_id setting
//     (tenancy/pgtenant's PolicySQL, written out in the migration). The store runs every query on them through
//     pgtenant.RunTx, which sets app.tenant_id for the transaction only,
//     so a pooled connection never carries a tenant further; a query with
//     no tenant set sees nothing.
//   - authn_emails is the global login directory (lower-cased email ->
//     tenant id, user id). Login happens before any tenant is known, so it
//     cannot be tenant-owned; it holds no secret, and its primary key
//     makes emails unique across tenants.
//
// Run Migrate as the role that owns the tables, and the store as an
// application role that is neither superuser, nor BYPASSRLS, nor the
// tables' owner, granted SELECT, INSERT, UPDATE and DELETE on them.
//
// # Deployment safety
//
// Before applying anything, Migrate checks every pending migration with
// package migsafe: one that drops or truncates tables or columns, or
// deletes without WHERE, is refused unless the file carries a
// "-- +aos destructive" line AND [MigrateConfig].AllowDestructive is set
// by the operator. One refusal stops the whole batch, so nothing is
// half-applied. Concurrent Migrate calls from several replicas are
// serialized through a lock table (not an advisory lock, which PgBouncer
// in transaction mode would break).
//
// # PgBouncer
//
// Behind PgBouncer in transaction mode, open the pool with [Open] and
// [Config].QueryExecMode set to pgx.QueryExecModeExec or
// pgx.QueryExecModeSimpleProtocol: neither leaves a named prepared
// statement on the server connection (the tests check
// pg_prepared_statements). Every store operation is one transaction, and
// the tenant setting is transaction-local, so transaction pooling is safe.
//
// # Concurrency
//
// A Store is safe for concurrent use. It does not own its pool: the
// caller closes it.
package pgstore
