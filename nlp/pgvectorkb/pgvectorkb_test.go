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

// TestConformanceDedicated runs the suite with the suite's first tenant
// in a partition of its own and the second in the shared one, so that
// isolation, search and delete are checked across partitions.
func TestConformanceDedicated(t *testing.T) {
	kbtest.RunConformanceTests(t, func(t *testing.T) nlp.KBStore {
		roles := testenv.PostgresRoles(t)
		ctx := context.Background()
		if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
			t.Fatal(err)
		}
		if err := pgvectorkb.Dedicate(ctx, roles.Owner, tenancy.MustParse("11111111-1111-4111-8111-111111111111"), nil); err != nil {
			t.Fatal(err)
		}
		s, err := pgvectorkb.New(roles.App, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestDedicate moves a tenant with chunks into its own partition and
// checks that nothing is lost or exposed: the rows moved, the other
// tenant's stayed, both search as before, row-level security guards the
// new partition (also when named directly), later writes go to it, and
// a second call changes nothing.
func TestDedicate(t *testing.T) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(t)
	if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
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
	if _, err := kb.Add(ctx, a, nlp.Document{ID: "a1", Text: "Alpha invoices are due in thirty days.\n\nAlpha ships from Rotterdam."}); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Add(ctx, b, nlp.Document{ID: "b1", Text: "Beta invoices are due in sixty days."}); err != nil {
		t.Fatal(err)
	}
	if err := pgvectorkb.Dedicate(ctx, roles.Owner, tenancy.Nil, nil); err == nil {
		t.Fatal("Dedicate accepted the nil tenant")
	}
	if err := pgvectorkb.Dedicate(ctx, roles.Owner, a, &pgvectorkb.DedicateConfig{MaintenanceWorkMem: "64MB"}); err != nil {
		t.Fatal(err)
	}
	// chunks is how many chunks the store says a tenant's documents have.
	chunks := func(id tenancy.ID) (n int) {
		t.Helper()
		docs, err := kb.List(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			n += d.Chunks
		}
		return n
	}
	wantA, wantB := chunks(a), chunks(b)
	if wantA == 0 || wantB == 0 {
		t.Fatalf("tenants have %d and %d chunks, want some", wantA, wantB)
	}
	part := pgx.Identifier{pgvectorkb.PartitionName(a)}.Sanitize()
	count := func(id tenancy.ID, table string) (n int) {
		t.Helper()
		err := pgtenant.RunTx(ctx, roles.App, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(a, part); n != wantA {
		t.Fatalf("tenant A's partition has %d chunks, want %d", n, wantA)
	}
	if n := count(a, "kb_chunks_shared"); n != 0 {
		t.Fatalf("the shared partition still has %d chunks of tenant A", n)
	}
	if n := count(b, "kb_chunks_shared"); n != wantB {
		t.Fatalf("the shared partition has %d chunks of tenant B, want %d", n, wantB)
	}
	if n := count(b, part); n != 0 {
		t.Fatalf("tenant B sees %d rows of tenant A's partition", n)
	}
	if err := pgtenant.CheckTables(ctx, roles.Owner); err != nil {
		t.Fatal(err)
	}
	// The partition has one index per index of kb_chunks, each attached
	// to it (built before ATTACH and adopted, not built twice).
	var parentIdx, partIdx, attached int
	err = roles.Owner.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_index WHERE indrelid = 'kb_chunks'::regclass),
		(SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass),
		(SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid WHERE i.indrelid = $1::regclass)`,
		pgvectorkb.PartitionName(a)).Scan(&parentIdx, &partIdx, &attached)
	if err != nil {
		t.Fatal(err)
	}
	if parentIdx < 3 || partIdx != parentIdx || attached != parentIdx {
		t.Fatalf("kb_chunks has %d indexes, the partition %d, %d of them attached; want the same number, at least 3", parentIdx, partIdx, attached)
	}
	for _, c := range []struct {
		tenant tenancy.ID
		query  string
		doc    string
	}{{a, "invoices due", "a1"}, {b, "invoices due", "b1"}} {
		for _, mode := range []nlp.SearchMode{nlp.SearchVector, nlp.SearchText} {
			hits, err := kb.Search(ctx, c.tenant, c.query, &nlp.SearchOptions{K: 10, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				t.Fatalf("%s search of %s found nothing", mode, c.tenant)
			}
			for _, h := range hits {
				if h.DocumentID != c.doc {
					t.Fatalf("%s search of %s returned %q", mode, c.tenant, h.DocumentID)
				}
			}
		}
	}
	if _, err := kb.Add(ctx, a, nlp.Document{ID: "a2", Text: "Alpha pays on receipt."}); err != nil {
		t.Fatal(err)
	}
	wantA = chunks(a)
	if n := count(a, part); n != wantA {
		t.Fatalf("after an add tenant A's partition has %d chunks, want %d", n, wantA)
	}
	if err := pgvectorkb.Dedicate(ctx, roles.Owner, a, nil); err != nil {
		t.Fatalf("second Dedicate: %v", err)
	}
	if n := count(a, part); n != wantA {
		t.Fatalf("after a second Dedicate tenant A's partition has %d chunks, want %d", n, wantA)
	}
	if err := kb.Delete(ctx, a, "a1"); err != nil {
		t.Fatal(err)
	}
	wantA = chunks(a)
	if n := count(a, part); n != wantA || n == 0 {
		t.Fatalf("after deleting a1 tenant A's partition has %d chunks, want %d (a2's)", n, wantA)
	}
}
