package pgtenant

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Querier runs queries: *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ownedTenantTablesSQL lists the tenant tables (a live tenant_id column,
// row-level security enabled) that current_user owns or whose owner it is
// a member of: a member may SET ROLE to the owner, and the owner may turn
// row-level security off.
const ownedTenantTablesSQL = `
select n.nspname || '.' || c.relname
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and c.relrowsecurity
  and n.nspname not in ('pg_catalog', 'information_schema')
  and exists (select 1 from pg_attribute a
              where a.attrelid = c.oid and a.attname = $1 and not a.attisdropped)
  and pg_has_role(current_user, c.relowner, 'MEMBER')
order by 1`

// CheckRole refuses the role that db connects as when row-level security
// would not hold it: it returns an [*UnsafeRoleError] (matching
// [ErrUnsafeRole]) if the role is a superuser, has BYPASSRLS, or owns a
// tenant table of the database (directly or through membership of the
// owning role). Call it at start-up with the application's pool and stop
// on an error; run migrations with another role, the owner.
//
// It reads pg_roles and pg_class, which every role may read, and changes
// nothing. Any other error (the database does not answer) is wrapped.
func CheckRole(ctx context.Context, db Querier) error {
	var f roleFacts
	err := db.QueryRow(ctx,
		"select current_user, rolsuper, rolbypassrls from pg_roles where rolname = current_user").
		Scan(&f.role, &f.superuser, &f.bypassRLS)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgtenant: check role: %w", err)
	}
	rows, err := db.Query(ctx, ownedTenantTablesSQL, Column)
	if err == nil {
		f.owned, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgtenant: check role %q: list owned tenant tables: %w", f.role, err)
	}
	return f.verdict()
}

// roleFacts is what CheckRole learns about a role.
type roleFacts struct {
	role                 string
	superuser, bypassRLS bool
	owned                []string
}

// verdict is CheckRole's decision, apart from the queries.
func (f roleFacts) verdict() error {
	if !f.superuser && !f.bypassRLS && len(f.owned) == 0 {
		return nil
	}
	return &UnsafeRoleError{Role: f.role, Superuser: f.superuser, BypassRLS: f.bypassRLS, OwnedTables: f.owned}
}

// tenantTablesSQL lists every table with a live tenant_id column and
// whether row-level security guards it.
const tenantTablesSQL = `
select n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity,
       exists (select 1 from pg_policy p where p.polrelid = c.oid)
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_toast%'
  and exists (select 1 from pg_attribute a
              where a.attrelid = c.oid and a.attname = $1 and not a.attisdropped)
order by 1`

// CheckTables returns an [*UnprotectedError] (matching [ErrUnprotected])
// listing the tables that have a tenant_id column but lack ENABLE or FORCE
// ROW LEVEL SECURITY or any policy, apart from those named in except (as
// "schema.table"). Run it after migrations, in a test or at start-up: a
// tenant table that row-level security does not guard shows every
// tenant's rows to every query. It changes nothing.
func CheckTables(ctx context.Context, db Querier, except ...string) error {
	rows, err := db.Query(ctx, tenantTablesSQL, Column)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgtenant: check tables: %w", err)
	}
	var bad []UnprotectedTable
	for rows.Next() {
		var u UnprotectedTable
		if err := rows.Scan(&u.Table, &u.Enabled, &u.Forced, &u.HasPolicy); err != nil {
			rows.Close()
			return fmt.Errorf("pgtenant: check tables: %w", err)
		}
		if u.Enabled && u.Forced && u.HasPolicy || slices.Contains(except, u.Table) {
			continue
		}
		bad = append(bad, u)
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgtenant: check tables: %w", err)
	}
	if len(bad) > 0 {
		return &UnprotectedError{Tables: bad}
	}
	return nil
}
