// Package pgtenant isolates tenants in PostgreSQL with row-level security.
//
// Every tenant table has a column "tenant_id uuid NOT NULL" ([ColumnDDL])
// and one policy ([PolicySQL]) that compares it with the tenant of the
// current transaction, read from the setting app.tenant_id:
//
//	ALTER TABLE users ENABLE ROW LEVEL SECURITY;
//	ALTER TABLE users FORCE ROW LEVEL SECURITY;
//	CREATE POLICY tenant_isolation ON users AS PERMISSIVE FOR ALL
//	    USING      (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
//	    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
//
// The application then reaches tenant data only through [RunTx], which
// opens a transaction and first runs
//
//	select set_config('app.tenant_id', $1, true)
//
// (transaction-local: the setting ends with the transaction, so a pooled
// connection never carries one tenant's id into another's work; it works
// behind PgBouncer in transaction mode too). Inside, every statement is
// bound to that tenant, even one that forgets its WHERE clause:
//
//	err := pgtenant.RunTx(ctx, pool, tenant, func(tx pgx.Tx) error {
//		rows, err := tx.Query(ctx, "select id, email from users") // this tenant's users only
//		...
//	})
//
// A query run outside [RunTx] has no tenant: it sees no rows (not an
// error) and cannot insert any.
//
// # The role matters
//
// Row-level security never binds a superuser or a role with BYPASSRLS,
// and a table's owner can turn it off (FORCE makes the policy bind the
// owner's own queries, but the owner may ALTER the table). So the
// application connects as a role that is none of these, and migrations
// run as another role that owns the tables. [CheckRole] verifies this at
// start-up and returns an [*UnsafeRoleError] (matching [ErrUnsafeRole])
// otherwise; refuse to serve on it. [CheckTables] finds tables that have
// a tenant_id column but that row-level security does not guard (no
// ENABLE, no FORCE or no policy): run it after migrations.
//
// # Errors
//
// [ErrUnsafeRole] / [*UnsafeRoleError] from [CheckRole];
// [ErrUnprotected] / [*UnprotectedError] from [CheckTables];
// [ErrInvalidTable] and [ErrTenantColumn] from [PolicySQL] and
// [ApplyPolicy]; [tenancy.ErrInvalidID] for the nil tenant and
// [tenancy.ErrNoTenant] from [RunTxFromContext] without a tenant. An
// error returned by the function given to [RunTx] comes back unchanged;
// context errors come back as they are; database errors are wrapped once.
// A violated policy (an INSERT with another tenant's id) is PostgreSQL's
// error 42501, insufficient_privilege.
//
// # Concurrency
//
// The functions hold no state; they are as safe for concurrent use as the
// pool or connection they are given (a *pgxpool.Pool is).
//
// # Testing
//
// Tests need a real PostgreSQL and two roles: one that owns the tables and
// one that does not. internal/testenv.PostgresRoles gives both on a fresh
// database; see this package's tests.
package pgtenant
