package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/meshtest"
	"github.com/autonomos/autonomos/aam/mesh/pgstore"
	"github.com/autonomos/autonomos/internal/testenv"
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
	meshtest.RunConformanceTests(t, meshtest.HarnessFunc(func(ctx context.Context, t *testing.T) mesh.Store {
		s, _ := newStore(t)
		return s
	}))
}

func TestMigrateTwice(t *testing.T) {
	_, roles := newStore(t)
	if err := pgstore.Migrate(context.Background(), roles.Owner); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

// TestRowLevelSecurity checks that the database itself keeps tenants
// apart: a bare query in tenant B's transaction sees none of A's rows.
func TestRowLevelSecurity(t *testing.T) {
	s, roles := newStore(t)
	ctx := context.Background()
	a, b := tenancy.New(), tenancy.New()
	c := mesh.Connection{Tenant: a, ID: "crm", Kind: "file", Config: mesh.MustSourceConfig(map[string]string{"path": "/x"})}
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, a, "crm", "accounts", "pos"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"mesh_connections", "mesh_cursors"} {
		var n int
		err := pgtenant.RunTx(ctx, roles.App, b, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
		})
		if err != nil || n != 0 {
			t.Errorf("tenant B sees %d rows of %s (%v)", n, table, err)
		}
	}
	if _, err := s.Connection(ctx, b, "crm"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("tenant B gets A's connection: %v", err)
	}
}
