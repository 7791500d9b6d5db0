package pgtenant

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/tenancy"
)

// Setting is the PostgreSQL run-time setting that carries the tenant of a
// transaction; the policies of [PolicySQL] read it.
const Setting = "app.tenant_id"

// Beginner starts transactions: *pgxpool.Pool and *pgx.Conn satisfy it.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// setTenantSQL sets [Setting] for the current transaction only
// (is_local = true): at COMMIT or ROLLBACK it reverts, so a pooled
// connection never carries a tenant into its next use. A session-level
// SET would.
const setTenantSQL = "select set_config('" + Setting + "', $1, true)"

// BeginTx starts a transaction on db with opts and sets the tenant for it.
// The caller commits or rolls back. Prefer [RunTx], which cannot forget
// to.
func BeginTx(ctx context.Context, db Beginner, id tenancy.ID, opts pgx.TxOptions) (pgx.Tx, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("pgtenant: begin: %w", err)
	}
	if _, err := tx.Exec(ctx, setTenantSQL, id.String()); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("pgtenant: set %s: %w", Setting, err)
	}
	return tx, nil
}

// RunTx runs fn in a transaction on db in which row-level security sees
// tenant id, and commits when fn returns nil. When fn returns an error or
// panics, the transaction is rolled back and the error (unchanged) or the
// panic goes on to the caller. fn must not keep tx after it returns.
//
// Every statement fn runs, including a bare "SELECT * FROM t", sees only
// id's rows of tables under [PolicySQL]'s policy, and an INSERT or UPDATE
// that would write another tenant's id fails.
func RunTx(ctx context.Context, db Beginner, id tenancy.ID, fn func(pgx.Tx) error) error {
	return RunTxOptions(ctx, db, id, pgx.TxOptions{}, fn)
}

// RunTxOptions is [RunTx] with transaction options (isolation level,
// read-only).
func RunTxOptions(ctx context.Context, db Beginner, id tenancy.ID, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	tx, err := BeginTx(ctx, db, id, opts)
	if err != nil {
		return err
	}
	if err := runFn(tx, fn); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pgtenant: commit: %w", err)
	}
	return nil
}

// runFn calls fn and, if it panics, rolls back tx before the panic goes
// on.
func runFn(tx pgx.Tx, fn func(pgx.Tx) error) error {
	panicking := true
	defer func() {
		if panicking {
			_ = tx.Rollback(context.Background())
		}
	}()
	err := fn(tx)
	panicking = false
	return err
}

// RunTxFromContext is [RunTx] for the tenant that ctx carries
// ([tenancy.FromContext]); without one it returns [tenancy.ErrNoTenant]
// and runs nothing.
func RunTxFromContext(ctx context.Context, db Beginner, fn func(pgx.Tx) error) error {
	id, err := tenancy.FromContext(ctx)
	if err != nil {
		return err
	}
	return RunTx(ctx, db, id, fn)
}
