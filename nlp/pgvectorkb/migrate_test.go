package pgvectorkb_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/pgvectorkb"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// TestMigratePartitionsKeepsRows fills the schema of migration 00002
// (kb_chunks not partitioned yet) for two tenants, then runs Migrate:
// migration 00003 must carry every chunk of every tenant over (its owner
// is bound by FORCE ROW LEVEL SECURITY unless the migration lifts it),
// keep the application role's rights and leave every table guarded.
func TestMigratePartitionsKeepsRows(t *testing.T) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(t)
	db := stdlib.OpenDBFromPool(roles.Owner)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, pgvectorkb.Migrations(),
		goose.WithTableName("nlp_kb_goose_version"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
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
	for _, d := range []struct {
		tenant tenancy.ID
		doc    nlp.Document
	}{
		{a, nlp.Document{ID: "a1", Text: "Alpha invoices are due in thirty days."}},
		{a, nlp.Document{ID: "a2", Text: "Alpha ships from the Rotterdam warehouse."}},
		{b, nlp.Document{ID: "b1", Text: "Beta invoices are due in sixty days."}},
	} {
		if _, err := kb.Add(ctx, d.tenant, d.doc); err != nil {
			t.Fatal(err)
		}
	}
	count := func(id tenancy.ID) (n int) {
		t.Helper()
		err := pgtenant.RunTx(ctx, roles.App, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM kb_chunks`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	beforeA, beforeB := count(a), count(b)
	if beforeA == 0 || beforeB == 0 {
		t.Fatalf("before the migration the tenants have %d and %d chunks, want some", beforeA, beforeB)
	}
	if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
		t.Fatal(err)
	}
	var kind string
	if err := roles.Owner.QueryRow(ctx, `SELECT relkind::text FROM pg_class WHERE oid = 'kb_chunks'::regclass`).Scan(&kind); err != nil {
		t.Fatal(err)
	}
	if kind != "p" {
		t.Fatalf("kb_chunks has relkind %q after Migrate, want p (partitioned)", kind)
	}
	if n := count(a); n != beforeA {
		t.Fatalf("tenant A has %d chunks after the migration, want %d", n, beforeA)
	}
	if n := count(b); n != beforeB {
		t.Fatalf("tenant B has %d chunks after the migration, want %d", n, beforeB)
	}
	if err := pgtenant.CheckTables(ctx, roles.Owner); err != nil {
		t.Fatal(err)
	}
	hits, err := kb.Search(ctx, b, "invoices due", &nlp.SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != beforeB {
		t.Fatalf("tenant B's search found %d chunks, want its %d", len(hits), beforeB)
	}
	for _, h := range hits {
		if h.DocumentID != "b1" {
			t.Fatalf("tenant B's search returned %q", h.DocumentID)
		}
	}
	// Down to 00002, with a dedicated partition, and up again: the data
	// survives both ways.
	if err := pgvectorkb.Dedicate(ctx, roles.Owner, a, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n, m := count(a), count(b); n != beforeA || m != beforeB {
		t.Fatalf("tenants have %d and %d chunks after migrating down, want %d and %d", n, m, beforeA, beforeB)
	}
	if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(a); n != beforeA {
		t.Fatalf("tenant A has %d chunks after migrating up again, want %d", n, beforeA)
	}
}
