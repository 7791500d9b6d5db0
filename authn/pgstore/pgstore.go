package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config configures [Open]. The zero value is usable.
type Config struct {
	// QueryExecMode is how pgx runs queries. Behind PgBouncer in
	// transaction mode, set pgx.QueryExecModeExec or
	// pgx.QueryExecModeSimpleProtocol: neither uses named prepared
	// statements, which do not survive a server connection change
	// ([ParseQueryExecMode] reads the names of a setting). The zero value
	// keeps the URL's default_query_exec_mode parameter, if any. Defaults
	// to pgx.QueryExecModeCacheStatement (pgx's default).
	QueryExecMode pgx.QueryExecMode
	// MaxConns is the pool size. Defaults to pgx's (the greater of 4 and
	// the number of CPUs).
	MaxConns int32
}

// Open returns a pool on the database at url with the settings of cfg
// (nil means the defaults). The caller closes it.
func Open(ctx context.Context, url string, cfg *Config) (*pgxpool.Pool, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, errors.New("pgstore: open: cannot parse the database URL")
	}
	if c.QueryExecMode != 0 {
		pc.ConnConfig.DefaultQueryExecMode = c.QueryExecMode
	}
	if c.MaxConns > 0 {
		pc.MaxConns = c.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	return pool, nil
}

// ParseQueryExecMode maps a setting's value to a pgx query execution mode.
// It takes the names of pgx's default_query_exec_mode URL parameter:
// "cache_statement", "cache_describe", "describe_exec", "exec" and
// "simple_protocol" (the last two work behind PgBouncer in transaction
// mode).
func ParseQueryExecMode(s string) (pgx.QueryExecMode, error) {
	switch s {
	case "cache_statement":
		return pgx.QueryExecModeCacheStatement, nil
	case "cache_describe":
		return pgx.QueryExecModeCacheDescribe, nil
	case "describe_exec":
		return pgx.QueryExecModeDescribeExec, nil
	case "exec":
		return pgx.QueryExecModeExec, nil
	case "simple_protocol":
		return pgx.QueryExecModeSimpleProtocol, nil
	}
	return 0, fmt.Errorf("pgstore: query exec mode %q: want cache_statement, cache_describe, describe_exec, exec or simple_protocol", s)
}

// Store is the PostgreSQL [authn.Store]. Tenants and users live in
// tenant-owned tables under row-level security: every query on them runs
// in a transaction that first sets app.tenant_id with
// set_config(..., true), so a pooled connection never carries a tenant
// beyond its transaction. The login directory (email -> tenant, user) is
// the one global table. Store is safe for concurrent use; it does not own
// the pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ authn.Store = (*Store)(nil)

// New returns a Store on pool, whose schema [Migrate] has brought up to
// date. The pool should connect as an application role that is neither
// superuser nor BYPASSRLS nor the tables' owner, so that row-level
// security applies.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// inTenant runs fn in a transaction scoped to tenant (pgtenant.RunTx:
// transaction-local set_config of app.tenant_id).
func (s *Store) inTenant(ctx context.Context, tenant tenancy.ID, fn func(pgx.Tx) error) error {
	return pgtenant.RunTx(ctx, s.pool, tenant, fn)
}

// mapErr turns PostgreSQL errors into authn's, leaving context errors as
// they are.
func mapErr(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" { // unique_violation
		switch pg.ConstraintName {
		case "authn_emails_pkey":
			return authn.ErrEmailTaken
		case "authn_tenants_pkey":
			return authn.ErrTenantExists
		case "authn_users_id_key", "authn_users_pkey", "authn_emails_user_key":
			return fmt.Errorf("%w: user id exists", authn.ErrInvalidInput)
		}
	}
	if ctxErr := contextErr(err); ctxErr != nil {
		return ctxErr
	}
	return err
}

func contextErr(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

func wrap(op string, err error) error {
	err = mapErr(err)
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

func insertUser(ctx context.Context, tx pgx.Tx, u authn.User) error {
	if _, err := tx.Exec(ctx,
		"INSERT INTO authn_emails (email_lower, tenant_id, user_id) VALUES ($1, $2::uuid, $3::uuid)",
		strings.ToLower(u.Email), u.TenantID.String(), u.ID.String()); err != nil {
		return err
	}
	_, err := tx.Exec(ctx,
		"INSERT INTO authn_users (tenant_id, id, email, password_hash, created_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5)",
		u.TenantID.String(), u.ID.String(), u.Email, u.PasswordHash, u.CreatedAt)
	return err
}

// CreateTenant implements [authn.Store].
func (s *Store) CreateTenant(ctx context.Context, t authn.Tenant, u authn.User) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if u.TenantID != t.ID {
		return fmt.Errorf("pgstore: create tenant: %w: first user's tenant id differs from the tenant's", authn.ErrInvalidInput)
	}
	err := s.inTenant(ctx, t.ID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO authn_tenants (id, name, created_at) VALUES ($1::uuid, $2, $3)",
			t.ID.String(), t.Name, t.CreatedAt); err != nil {
			return err
		}
		return insertUser(ctx, tx, u)
	})
	if err != nil {
		return wrap("create tenant", err)
	}
	return nil
}

// CreateUser implements [authn.Store].
func (s *Store) CreateUser(ctx context.Context, u authn.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	err := s.inTenant(ctx, u.TenantID, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM authn_tenants WHERE id = $1::uuid)", u.TenantID.String()).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("tenant %s: %w", u.TenantID, authn.ErrNotFound)
		}
		return insertUser(ctx, tx, u)
	})
	if err != nil {
		return wrap("create user", err)
	}
	return nil
}

// Tenant implements [authn.Store].
func (s *Store) Tenant(ctx context.Context, id tenancy.ID) (authn.Tenant, error) {
	t := authn.Tenant{ID: id}
	err := s.inTenant(ctx, id, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT name, created_at FROM authn_tenants WHERE id = $1::uuid", id.String()).Scan(&t.Name, &t.CreatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return authn.Tenant{}, fmt.Errorf("pgstore: tenant %s: %w", id, authn.ErrNotFound)
	}
	if err != nil {
		return authn.Tenant{}, wrap("tenant", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, nil
}

func scanUser(row pgx.Row, u *authn.User) error {
	var created time.Time
	if err := row.Scan(&u.Email, &u.PasswordHash, &created); err != nil {
		return err
	}
	u.CreatedAt = created.UTC()
	return nil
}

const selectUser = "SELECT email, password_hash, created_at FROM authn_users WHERE tenant_id = $1::uuid AND id = $2::uuid"

// User implements [authn.Store].
func (s *Store) User(ctx context.Context, tenant tenancy.ID, id uuid.UUID) (authn.User, error) {
	u := authn.User{ID: id, TenantID: tenant}
	err := s.inTenant(ctx, tenant, func(tx pgx.Tx) error {
		return scanUser(tx.QueryRow(ctx, selectUser, tenant.String(), id.String()), &u)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return authn.User{}, fmt.Errorf("pgstore: user %s of tenant %s: %w", id, tenant, authn.ErrNotFound)
	}
	if err != nil {
		return authn.User{}, wrap("user", err)
	}
	return u, nil
}

// UserByEmail implements [authn.Store]. It reads the global login
// directory, then the user inside its tenant's scope, in one transaction.
func (s *Store) UserByEmail(ctx context.Context, email string) (authn.User, error) {
	var u authn.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var tenant, id string
		if err := tx.QueryRow(ctx, "SELECT tenant_id::text, user_id::text FROM authn_emails WHERE email_lower = $1",
			strings.ToLower(email)).Scan(&tenant, &id); err != nil {
			return err
		}
		var err error
		if u.TenantID, err = tenancy.Parse(tenant); err != nil {
			return err
		}
		if u.ID, err = uuid.Parse(id); err != nil {
			return err
		}
		// Scope the rest of this transaction to the user's tenant.
		if _, err := tx.Exec(ctx, "SELECT set_config('"+pgtenant.Setting+"', $1, true)", tenant); err != nil {
			return err
		}
		return scanUser(tx.QueryRow(ctx, selectUser, tenant, id), &u)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return authn.User{}, fmt.Errorf("pgstore: user by email: %w", authn.ErrNotFound)
	}
	if err != nil {
		return authn.User{}, wrap("user by email", err)
	}
	return u, nil
}

// UpdatePasswordHash implements [authn.Store].
func (s *Store) UpdatePasswordHash(ctx context.Context, tenant tenancy.ID, id uuid.UUID, oldHash, newHash string) error {
	if newHash == "" {
		return fmt.Errorf("pgstore: update password hash: %w: empty hash", authn.ErrInvalidInput)
	}
	err := s.inTenant(ctx, tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			"UPDATE authn_users SET password_hash = $1 WHERE tenant_id = $2::uuid AND id = $3::uuid AND password_hash = $4",
			newHash, tenant.String(), id.String(), oldHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM authn_users WHERE tenant_id = $1::uuid AND id = $2::uuid)",
			tenant.String(), id.String()).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return authn.ErrHashChanged
		}
		return authn.ErrNotFound
	})
	if err != nil {
		return wrap(fmt.Sprintf("update password hash of user %s", id), err)
	}
	return nil
}
