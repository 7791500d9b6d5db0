package pgstore_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/pgstore"
	"github.com/autonomos/autonomos/repair/repairtest"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// newStore migrates a fresh database as its owner and returns a store on
// the application role, which row-level security binds.
func newStore(t *testing.T) (*pgstore.Store, *testenv.Roles) {
	t.Helper()
	roles := testenv.PostgresRoles(t)
	if roles == nil {
		return nil, nil
	}
	if err := pgstore.Migrate(context.Background(), roles.Owner); err != nil {
		t.Fatal(err)
	}
	if err := pgtenant.CheckRole(context.Background(), roles.App); err != nil {
		t.Fatalf("the application role is not bound by row-level security: %v", err)
	}
	return pgstore.New(roles.App), roles
}

func TestConformance(t *testing.T) {
	repairtest.RunConformanceTests(t, func(t *testing.T) repair.Driver {
		s, _ := newStore(t)
		return s
	})
}

func TestMigrateTwice(t *testing.T) {
	_, roles := newStore(t)
	if err := pgstore.Migrate(context.Background(), roles.Owner); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

// TestRowLevelSecurity checks the database itself keeps tenants apart, not
// only the store's WHERE clauses.
func TestRowLevelSecurity(t *testing.T) {
	s, roles := newStore(t)
	ctx := context.Background()
	a, b := tenancy.New(), tenancy.New()
	reg := repair.NewRegistry(s, nil)
	key := repair.MappingKey{Connection: "c", Object: "o"}
	m := canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "Id", Target: "account.id", Confidence: 1}}}
	if _, err := reg.Save(tenancy.WithTenant(ctx, a), key, m, repair.Change{Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"repair_mapping_versions", "repair_audit"} {
		// No tenant set: nothing visible.
		var n int
		if err := roles.App.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows visible without a tenant", table, n)
		}
		// Tenant B asking for A's rows by id: nothing visible.
		err := pgtenant.RunTx(ctx, roles.App, b, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", a.String()).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: tenant B sees %d of A's rows", table, n)
		}
		// The owner (FORCE) sees nothing without a tenant either.
		if err := roles.Owner.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 && !isSuperuser(t, roles) {
			t.Errorf("%s: the owner sees %d rows without a tenant (FORCE missing?)", table, n)
		}
	}
	// Tenant B cannot write a row for A.
	err := pgtenant.RunTx(ctx, roles.App, b, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO repair_mapping_versions (tenant_id, connection_id, object, version, mapping, actor, created_at)
			VALUES ($1, 'c', 'o', 9, '{}', 'mallory', now())`, a.String())
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("tenant B inserted a row for A: %v", err)
	}
}

func isSuperuser(t *testing.T, roles *testenv.Roles) bool {
	var su bool
	if err := roles.Owner.QueryRow(context.Background(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&su); err != nil {
		t.Fatal(err)
	}
	return su
}

// TestMigrationPolicies checks the migration puts every table under the
// policy tenancy/pgtenant prescribes, word for word.
func TestMigrationPolicies(t *testing.T) {
	b, err := fs.ReadFile(pgstore.Migrations(), "00001_repair.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(b)
	for _, table := range []string{"repair_mapping_versions", "repair_connections", "repair_reviews", "repair_audit"} {
		if !strings.Contains(sql, "CREATE TABLE "+table+" (\n    tenant_id ") {
			t.Errorf("%s has no leading tenant_id column", table)
		}
		stmts, err := pgtenant.PolicySQL(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if !strings.Contains(sql, s+";") {
				t.Errorf("migration lacks %q", s)
			}
		}
	}
}

func TestNoTenantRejected(t *testing.T) {
	s, _ := newStore(t)
	err := s.InTx(context.Background(), tenancy.Nil, func(context.Context, repair.DriverTx) error { return nil })
	if !errors.Is(err, tenancy.ErrInvalidID) {
		t.Fatalf("InTx with the nil tenant = %v, want tenancy.ErrInvalidID", err)
	}
}

func BenchmarkRegistry(b *testing.B) {
	repairtest.RunBenchmarks(b, func(b *testing.B) repair.Driver {
		roles := testenv.PostgresRoles(b)
		if roles == nil {
			b.Skip("no PostgreSQL")
		}
		if err := pgstore.Migrate(context.Background(), roles.Owner); err != nil {
			b.Fatal(err)
		}
		return pgstore.New(roles.App)
	})
}
