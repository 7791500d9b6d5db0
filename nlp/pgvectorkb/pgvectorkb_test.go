package pgvectorkb_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/kbtest"
	"github.com/autonomos/autonomos/nlp/pgvectorkb"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// newStore migrates a fresh database as its owner and returns a store
// that connects as an application role, so row-level security applies.
func newStore(t *testing.T) nlp.KBStore {
	roles := testenv.PostgresRoles(t)
	if err := pgvectorkb.Migrate(context.Background(), roles.Owner, nil); err != nil {
		t.Fatal(err)
	}
	s, err := pgvectorkb.New(roles.App, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	kbtest.RunConformanceTests(t, newStore)
}

// TestRowLevelSecurity checks the database itself, not the store's WHERE
// clauses: as the application role, a bare SELECT sees only the tenant
// of the transaction, no tenant sees nothing, and writing another
// tenant's row is refused.
func TestRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(t)
	if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
		t.Fatal(err)
	}
	if err := pgtenant.CheckTables(ctx, roles.Owner); err != nil {
		t.Fatal(err)
	}
	if err := pgtenant.CheckRole(ctx, roles.App); err != nil {
		t.Fatal(err)
	}
	s, err := pgvectorkb.New(roles.App, nil)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := nlp.NewKB(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := tenancy.MustParse("11111111-1111-4111-8111-111111111111")
	b := tenancy.MustParse("22222222-2222-4222-8222-222222222222")
	if _, err := kb.Add(ctx, a, nlp.Document{ID: "a1", Text: "Alpha one.\n\nAlpha two."}); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Add(ctx, b, nlp.Document{ID: "b1", Text: "Beta."}); err != nil {
		t.Fatal(err)
	}
	count := func(id tenancy.ID) (docs, chunks int) {
		err := pgtenant.RunTx(ctx, roles.App, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM kb_documents), (SELECT count(*) FROM kb_chunks)`).Scan(&docs, &chunks)
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if d, c := count(a); d != 1 || c != 1 {
		t.Fatalf("tenant A sees %d documents, %d chunks; want 1, 1", d, c)
	}
	if d, c := count(b); d != 1 || c != 1 {
		t.Fatalf("tenant B sees %d documents, %d chunks; want 1, 1", d, c)
	}
	var n int
	if err := roles.App.QueryRow(ctx, `SELECT count(*) FROM kb_chunks`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("without a tenant the app role sees %d chunks (%v), want 0", n, err)
	}
	err = pgtenant.RunTx(ctx, roles.App, b, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO kb_documents (tenant_id, id, added, chunks) VALUES ($1, 'x', now(), 0)`, a.String())
		return err
	})
	if err == nil {
		t.Fatal("tenant B inserted a row for tenant A")
	}
	if _, err := kb.Search(ctx, b, "alpha", &nlp.SearchOptions{K: 10}); err != nil {
		t.Fatal(err)
	}
}
