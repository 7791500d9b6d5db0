// Package tenancy names tenants and keeps each tenant's data apart.
//
// Every piece of data in AutonomOS belongs to exactly one tenant, named
// by an [ID] (a UUID). A request carries its tenant in its context:
//
//	ctx = tenancy.WithTenant(ctx, id)
//	...
//	id, err := tenancy.FromContext(ctx) // tenancy.ErrNoTenant if none
//
// Stores take the tenant from the context (or as an argument) and scope
// every query and key by it. This package holds the portable pieces and
// imports no database client:
//
//   - [ID], [Parse], [New]: tenant ids; the nil UUID is never a tenant.
//   - [WithTenant], [FromContext]: the tenant of a request.
//   - [Keyspace], [RedisKey]: Redis keys of the form
//     "{prefix}:{tenant_id}:{part}...", with parts checked so that no key
//     can pose as another tenant's and no SCAN pattern can widen.
//
// PostgreSQL isolation lives in the subpackage
// [github.com/autonomos/autonomos/tenancy/pgtenant]: row-level security
// on every tenant table, a transaction helper that sets the tenant
// transaction-locally, and a start-up check that the application's role
// cannot bypass it.
//
// # Errors
//
// [ErrNoTenant] (no tenant in a context), [ErrInvalidID] (a malformed or
// nil tenant id) and [ErrInvalidKey] (a key part that cannot be used),
// matched with errors.Is; the wrapping message says what and where.
//
// # Concurrency
//
// All types are values, safe to copy and to use from many goroutines.
package tenancy
