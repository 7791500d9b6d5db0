package pgtenant

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

const (
	// Column is the tenant column every tenant table has, declared as
	// [ColumnDDL].
	Column = "tenant_id"
	// ColumnDDL declares [Column] in a CREATE TABLE.
	ColumnDDL = Column + " uuid NOT NULL"
	// PolicyName names the policy [PolicySQL] creates.
	PolicyName = "tenant_isolation"
	// TenantExpr is the SQL value of the current transaction's tenant:
	// NULL when none is set (current_setting(..., true) gives NULL before
	// the first set_config of a session and '' after a transaction-local
	// one ended), so a comparison with it is never true.
	TenantExpr = "NULLIF(current_setting('" + Setting + "', true), '')::uuid"
)

// PolicySQL returns the statements that put table under tenant isolation:
//
//	ALTER TABLE t ENABLE ROW LEVEL SECURITY
//	ALTER TABLE t FORCE ROW LEVEL SECURITY
//	DROP POLICY IF EXISTS tenant_isolation ON t
//	CREATE POLICY tenant_isolation ON t AS PERMISSIVE FOR ALL
//	    USING (tenant_id = TenantExpr) WITH CHECK (tenant_id = TenantExpr)
//
// USING filters what SELECT, UPDATE and DELETE see; WITH CHECK refuses an
// INSERT or UPDATE that writes another tenant's id. FORCE makes the policy
// bind the table's owner too (superusers and BYPASSRLS roles still escape:
// see [CheckRole]). Running the statements again is harmless. Use them in
// a migration, or run them with [ApplyPolicy].
//
// table is a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63
// bytes), optionally qualified by a schema of the same form; anything else
// gives an error wrapping [ErrInvalidTable].
func PolicySQL(table string) ([]string, error) {
	t, err := quoteTable(table)
	if err != nil {
		return nil, err
	}
	cond := "(" + Column + " = " + TenantExpr + ")"
	return []string{
		"ALTER TABLE " + t + " ENABLE ROW LEVEL SECURITY",
		"ALTER TABLE " + t + " FORCE ROW LEVEL SECURITY",
		"DROP POLICY IF EXISTS " + PolicyName + " ON " + t,
		"CREATE POLICY " + PolicyName + " ON " + t + " AS PERMISSIVE FOR ALL USING " + cond + " WITH CHECK " + cond,
	}, nil
}

// ApplyPolicy checks that table has a "tenant_id uuid NOT NULL" column
// (else an error wrapping [ErrTenantColumn]) and runs [PolicySQL]'s
// statements in one transaction on db. The role of db must own the table.
func ApplyPolicy(ctx context.Context, db Beginner, table string) error {
	stmts, err := PolicySQL(table)
	if err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var found, isUUID, notNull bool
		err := tx.QueryRow(ctx, `
			select exists (select 1 from pg_class where oid = to_regclass($1)),
			       coalesce(bool_or(a.atttypid = 'uuid'::regtype), false),
			       coalesce(bool_or(a.attnotnull), false)
			from pg_attribute a
			where a.attrelid = to_regclass($1) and a.attname = $2 and not a.attisdropped`,
			table, Column).Scan(&found, &isUUID, &notNull)
		if err != nil {
			return fmt.Errorf("pgtenant: apply policy to %s: %w", table, err)
		}
		switch {
		case !found:
			return fmt.Errorf("%w: %s does not exist", ErrInvalidTable, table)
		case !isUUID || !notNull:
			return fmt.Errorf("%w: %s (uuid: %v, NOT NULL: %v)", ErrTenantColumn, table, isUUID, notNull)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("pgtenant: apply policy to %s: %w", table, err)
			}
		}
		return nil
	})
}

// quoteTable checks a [schema.]table name and returns it quoted.
func quoteTable(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("%w: %q has more than one dot", ErrInvalidTable, name)
	}
	for _, p := range parts {
		if !isPlainIdent(p) {
			return "", fmt.Errorf("%w: %q is not a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 bytes)", ErrInvalidTable, p)
		}
	}
	return pgx.Identifier(parts).Sanitize(), nil
}

func isPlainIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
