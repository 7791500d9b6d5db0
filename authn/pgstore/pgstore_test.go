package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/authntest"
	"github.com/autonomos/autonomos/authn/pgstore"
	"github.com/autonomos/autonomos/authn/pgstore/migsafe"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	quiet        = slog.New(slog.NewTextHandler(io.Discard, nil))
	quietMigrate = &pgstore.MigrateConfig{Logger: quiet}
)

// harness gives a store on a pool of the non-superuser application role,
// so that row-level security applies as in production.
type harness struct{ store authn.Store }

func (h harness) MakeStore(context.Context) (authn.Store, error) { return h.store, nil }
func (harness) Close()                                           {}

// migratedRoles is a fresh database migrated by its owner.
func migratedRoles(t *testing.T) *testenv.Roles {
	t.Helper()
	roles := testenv.PostgresRoles(t)
	if roles == nil {
		return nil
	}
	if err := pgstore.Migrate(context.Background(), roles.Owner, quietMigrate); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return roles
}

// TestConformance gives every subtest a database of its own.
func TestConformance(t *testing.T) {
	authntest.RunConformanceTests(t, func(_ context.Context, t *testing.T) (authntest.Harness, error) {
		roles := migratedRoles(t)
		return harness{store: pgstore.New(roles.App)}, nil
	})
}

// TestConformancePgBouncerModes runs the suite with the execution modes
// that work behind PgBouncer in transaction mode (one database per mode,
// shared by the subtests, which use fresh ids and emails).
func TestConformancePgBouncerModes(t *testing.T) {
	for name, mode := range map[string]pgx.QueryExecMode{
		"SimpleProtocol": pgx.QueryExecModeSimpleProtocol,
		"Exec":           pgx.QueryExecModeExec,
	} {
		t.Run(name, func(t *testing.T) {
			roles := migratedRoles(t)
			pool, err := pgstore.Open(context.Background(), roles.AppURL, &pgstore.Config{QueryExecMode: mode})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(pool.Close)
			store := pgstore.New(pool)
			authntest.RunConformanceTests(t, func(context.Context, *testing.T) (authntest.Harness, error) {
				return harness{store: store}, nil
			})
		})
	}
}

func newTenant(email string) (authn.Tenant, authn.User) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	tn := authn.Tenant{ID: tenancy.New(), Name: "Acme", CreatedAt: now}
	return tn, authn.User{ID: uuid.New(), TenantID: tn.ID, Email: email, PasswordHash: "$argon2id$x", CreatedAt: now}
}

// TestNoPreparedStatements proves the PgBouncer modes leave no named
// prepared statement on the server connection, and that the check can
// see one in pgx's default mode.
func TestNoPreparedStatements(t *testing.T) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(t)
	if err := pgstore.Migrate(ctx, roles.Owner, quietMigrate); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	for _, tc := range []struct {
		name     string
		mode     pgx.QueryExecMode
		prepared bool
	}{
		{"SimpleProtocol", pgx.QueryExecModeSimpleProtocol, false},
		{"Exec", pgx.QueryExecModeExec, false},
		{"CacheStatement", pgx.QueryExecModeCacheStatement, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := pgstore.Open(ctx, roles.AppURL, &pgstore.Config{QueryExecMode: tc.mode, MaxConns: 1})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer pool.Close()
			s := pgstore.New(pool)
			tn, u := newTenant(uuid.NewString() + "@example.com")
			if err := s.CreateTenant(ctx, tn, u); err != nil {
				t.Fatalf("CreateTenant: %v", err)
			}
			if _, err := s.UserByEmail(ctx, u.Email); err != nil {
				t.Fatalf("UserByEmail: %v", err)
			}
			if _, err := s.User(ctx, tn.ID, u.ID); err != nil {
				t.Fatalf("User: %v", err)
			}
			var n int
			// The pool has one connection, so this sees the store's.
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements", pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil {
				t.Fatalf("count prepared statements: %v", err)
			}
			if got := n > 0; got != tc.prepared {
				t.Errorf("%d prepared statements on the connection, want prepared=%v", n, tc.prepared)
			}
		})
	}
}

// TestRowLevelSecurity checks that the tables are isolated by the
// database itself, not only by the store's WHERE clauses.
func TestRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(t)
	if err := pgstore.Migrate(ctx, roles.Owner, quietMigrate); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s := pgstore.New(roles.App)
	a, ua := newTenant("a@example.com")
	b, ub := newTenant("b@example.com")
	for _, p := range []struct {
		t authn.Tenant
		u authn.User
	}{{a, ua}, {b, ub}} {
		if err := s.CreateTenant(ctx, p.t, p.u); err != nil {
			t.Fatalf("CreateTenant: %v", err)
		}
	}
	count := func(tenant string, query string) int {
		t.Helper()
		var n int
		err := pgx.BeginFunc(ctx, roles.App, func(tx pgx.Tx) error {
			if tenant != "" {
				if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", tenant); err != nil {
					return err
				}
			}
			return tx.QueryRow(ctx, query).Scan(&n)
		})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for _, table := range []string{"authn_users", "authn_tenants"} {
		q := "SELECT count(*) FROM " + table
		if n := count("", q); n != 0 {
			t.Errorf("%s with no tenant set: %d rows visible, want 0", q, n)
		}
		if n := count(a.ID.String(), q); n != 1 {
			t.Errorf("%s as tenant A: %d rows visible, want 1", q, n)
		}
	}
	// Inserting a row for B while scoped to A is refused by the policy.
	err := pgx.BeginFunc(ctx, roles.App, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", a.ID.String()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO authn_users (tenant_id, id, email, password_hash, created_at) VALUES ($1::uuid, $2::uuid, 'x@example.com', 'h', now())",
			b.ID.String(), uuid.NewString())
		return err
	})
	if err == nil {
		t.Error("insert of a tenant B user while scoped to tenant A succeeded")
	}
	// A transaction-local tenant does not outlive its transaction on a
	// pooled connection.
	if n := count("", "SELECT count(*) FROM authn_users"); n != 0 {
		t.Errorf("after scoped transactions, an unscoped query sees %d rows, want 0", n)
	}
}

func tableExists(ctx context.Context, t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatalf("to_regclass: %v", err)
	}
	return ok
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	for i := range 2 {
		if err := pgstore.Migrate(ctx, pool, quietMigrate); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	for _, table := range []string{"authn_tenants", "authn_users", "authn_emails"} {
		if !tableExists(ctx, t, pool, table) {
			t.Errorf("table %s missing after Migrate", table)
		}
	}
}

func TestMigrateRefusesUnmarkedDestructive(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	for _, allow := range []bool{false, true} {
		err := pgstore.Migrate(ctx, pool, &pgstore.MigrateConfig{
			Migrations: os.DirFS("testdata/unmarked"), AllowDestructive: allow, Logger: quiet,
		})
		var de *migsafe.DestructiveError
		if !errors.As(err, &de) {
			t.Fatalf("allow=%v: Migrate = %v, want a DestructiveError", allow, err)
		}
		if de.File != "00002_drop_note.sql" || de.Kind != "DROP COLUMN" || de.Marked || de.Line != 3 {
			t.Errorf("allow=%v: DestructiveError = %+v, want unmarked DROP COLUMN at 00002_drop_note.sql:3", allow, de)
		}
	}
	// Nothing ran, not even the harmless first migration.
	if tableExists(ctx, t, pool, "widgets") {
		t.Error("table widgets exists: a refused batch was partly applied")
	}
}

func TestMigrateMarkedDestructiveNeedsOperator(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	dir := os.DirFS("testdata/marked")
	err := pgstore.Migrate(ctx, pool, &pgstore.MigrateConfig{Migrations: dir, Logger: quiet})
	var de *migsafe.DestructiveError
	if !errors.As(err, &de) || !de.Marked || de.File != "00002_drop_widgets.sql" {
		t.Fatalf("Migrate without the operator setting = %v, want a marked DestructiveError for 00002_drop_widgets.sql", err)
	}
	if tableExists(ctx, t, pool, "widgets") {
		t.Error("table widgets exists after a refused batch")
	}
	if err := pgstore.Migrate(ctx, pool, &pgstore.MigrateConfig{Migrations: dir, AllowDestructive: true, Logger: quiet}); err != nil {
		t.Fatalf("Migrate with the operator setting: %v", err)
	}
	if tableExists(ctx, t, pool, "widgets") {
		t.Error("table widgets still exists after the allowed destructive migration")
	}
	// Applied migrations are not checked again: a later start without the
	// setting is fine.
	if err := pgstore.Migrate(ctx, pool, &pgstore.MigrateConfig{Migrations: dir, Logger: quiet}); err != nil {
		t.Errorf("Migrate again without the setting: %v", err)
	}
}

func TestParseQueryExecMode(t *testing.T) {
	for s, want := range map[string]pgx.QueryExecMode{
		"exec": pgx.QueryExecModeExec, "simple_protocol": pgx.QueryExecModeSimpleProtocol,
		"cache_statement": pgx.QueryExecModeCacheStatement, "cache_describe": pgx.QueryExecModeCacheDescribe,
		"describe_exec": pgx.QueryExecModeDescribeExec,
	} {
		if got, err := pgstore.ParseQueryExecMode(s); err != nil || got != want {
			t.Errorf("ParseQueryExecMode(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := pgstore.ParseQueryExecMode("simple"); err == nil {
		t.Error("ParseQueryExecMode(simple) = nil error")
	}
}

func TestOpenHidesURL(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://u:s3cret@%zz/db", nil)
	if err == nil {
		t.Fatal("Open(bad URL) = nil error")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Errorf("Open error %q reveals the password", got)
	}
}

// TestTablesGuarded runs tenancy/pgtenant's start-up checks: every table
// with a tenant_id column is under row-level security except the login
// directory, and the application role cannot escape it.
func TestTablesGuarded(t *testing.T) {
	ctx := context.Background()
	roles := migratedRoles(t)
	if err := pgtenant.CheckTables(ctx, roles.App, "public.authn_emails"); err != nil {
		t.Errorf("CheckTables: %v", err)
	}
	if err := pgtenant.CheckTables(ctx, roles.App); !errors.Is(err, pgtenant.ErrUnprotected) {
		t.Errorf("CheckTables without the exception = %v, want authn_emails reported", err)
	}
	if err := pgtenant.CheckRole(ctx, roles.App); err != nil {
		t.Errorf("CheckRole(app) = %v", err)
	}
}
