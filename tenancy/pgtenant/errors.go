package pgtenant

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrUnsafeRole is matched (errors.Is) by every [*UnsafeRoleError]:
	// the database role would bypass row-level security.
	ErrUnsafeRole = errors.New("pgtenant: role bypasses row-level security")
	// ErrInvalidTable is returned for a table name that is not a plain
	// lower-case SQL identifier (optionally schema-qualified), or a table
	// that does not exist.
	ErrInvalidTable = errors.New("pgtenant: invalid table")
	// ErrTenantColumn is returned by [ApplyPolicy] for a table without a
	// "tenant_id uuid NOT NULL" column.
	ErrTenantColumn = errors.New("pgtenant: table lacks tenant_id uuid NOT NULL")
)

// UnsafeRoleError is returned by [CheckRole] when the role a connection
// uses could see or change other tenants' rows: row-level security never
// applies to a superuser or a BYPASSRLS role, and a table's owner (or a
// member of the owning role) can switch it off. It matches [ErrUnsafeRole].
type UnsafeRoleError struct {
	// Role is the checked role (current_user).
	Role string
	// Superuser is true when Role is a superuser.
	Superuser bool
	// BypassRLS is true when Role has the BYPASSRLS attribute.
	BypassRLS bool
	// OwnedTables lists, as "schema.table", the tenant tables (a tenant_id
	// column and row-level security enabled) that Role owns or whose
	// owning role it is a member of.
	OwnedTables []string
}

// Error says what makes the role unsafe; it lists at most five tables.
func (e *UnsafeRoleError) Error() string {
	var why []string
	if e.Superuser {
		why = append(why, "is a superuser")
	}
	if e.BypassRLS {
		why = append(why, "has BYPASSRLS")
	}
	if n := len(e.OwnedTables); n > 0 {
		shown := e.OwnedTables[:min(n, 5)]
		s := "owns tenant table(s) " + strings.Join(shown, ", ")
		if n > len(shown) {
			s += fmt.Sprintf(" and %d more", n-len(shown))
		}
		why = append(why, s)
	}
	return fmt.Sprintf("pgtenant: role %q would bypass row-level security: it %s; "+
		"connect as a role that is neither superuser nor BYPASSRLS and owns no tenant table",
		e.Role, strings.Join(why, ", "))
}

// Is reports whether target is [ErrUnsafeRole].
func (e *UnsafeRoleError) Is(target error) bool { return target == ErrUnsafeRole }

// ErrUnprotected is matched (errors.Is) by every [*UnprotectedError]: a
// table has a tenant_id column but row-level security does not guard it.
var ErrUnprotected = errors.New("pgtenant: tenant table without row-level security")

// UnprotectedTable is a table with a tenant_id column and what it lacks.
type UnprotectedTable struct {
	// Table is "schema.table".
	Table string
	// Enabled, Forced and HasPolicy tell whether the table has ENABLE ROW
	// LEVEL SECURITY, FORCE ROW LEVEL SECURITY and at least one policy.
	Enabled, Forced, HasPolicy bool
}

func (u UnprotectedTable) String() string {
	var lacks []string
	if !u.Enabled {
		lacks = append(lacks, "ENABLE")
	}
	if !u.Forced {
		lacks = append(lacks, "FORCE")
	}
	if !u.HasPolicy {
		lacks = append(lacks, "a policy")
	}
	return u.Table + " (lacks " + strings.Join(lacks, ", ") + ")"
}

// UnprotectedError is returned by [CheckTables]. It matches
// [ErrUnprotected].
type UnprotectedError struct {
	// Tables are the unprotected tables, ordered by name.
	Tables []UnprotectedTable
}

// Error names at most five tables and what each lacks.
func (e *UnprotectedError) Error() string {
	shown := make([]string, 0, 5)
	for _, t := range e.Tables[:min(len(e.Tables), 5)] {
		shown = append(shown, t.String())
	}
	s := "pgtenant: tenant tables without row-level security: " + strings.Join(shown, ", ")
	if n := len(e.Tables) - len(shown); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s + "; apply pgtenant.PolicySQL to each"
}

// Is reports whether target is [ErrUnprotected].
func (e *UnprotectedError) Is(target error) bool { return target == ErrUnprotected }
