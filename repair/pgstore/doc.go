// Package pgstore is the PostgreSQL [repair.Driver]: mappings and their
// versions, connection settings, the review queue and the audit trail in
// four tables (repair_mapping_versions, repair_connections,
// repair_reviews, repair_audit), each with a tenant_id column under
// row-level security.
//
// Run [Migrate] once as the role that owns the tables (goose migrations,
// embedded, recorded in their own table repair_goose_db_version), then
// serve with [New] on a pool whose role is neither a superuser, nor
// BYPASSRLS, nor the tables' owner (check it with
// tenancy/pgtenant.CheckRole at start-up):
//
//	if err := pgstore.Migrate(ctx, ownerPool); err != nil { ... }
//	reg := repair.NewRegistry(pgstore.New(appPool), nil)
//
// # Tenancy
//
// Every table has ENABLE and FORCE ROW LEVEL SECURITY and the policy of
// tenancy/pgtenant.PolicySQL, for reads and writes:
//
//	tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
//
// Every call
// runs in one transaction opened by tenancy/pgtenant.RunTx, which first
// sets app.tenant_id transaction-locally; the queries also name the
// tenant, so isolation holds twice. Outside such a transaction the
// tables look empty.
//
// # Concurrency
//
// Versions of a mapping are rows keyed by (tenant, connection, object,
// version): of two writers that read the same latest version, the second
// insert finds the key taken and gets [repair.ErrVersionConflict] (the
// registry turns it into a [*repair.VersionConflictError]). A Store is
// safe for concurrent use; it does not own the pool, and Close leaves it
// open.
//
// # Errors
//
// Missing rows wrap [repair.ErrNotFound]; database errors are wrapped
// once with what was being done; context errors come back as they are.
//
// # Testing
//
// The tests run the repair/repairtest conformance suite and row-level
// security checks on a fresh database with an owner role and a separate
// application role (internal/testenv.PostgresRoles); without a server
// they are skipped unless AOS_TEST_REQUIRE_SERVICES=1.
package pgstore
