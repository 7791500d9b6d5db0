// Package kbtest is the conformance suite of [nlp.KBStore] drivers: every
// driver's tests call [RunConformanceTests], so the in-memory and the
// PostgreSQL stores are shown to behave the same, and a driver of your
// own can show it too. It also holds [Corpus], a small labelled question
// set used to check retrieval quality (recall@5).
package kbtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
)

// MinRecallAt5 is the recall@5 of hybrid search over [Corpus] that a
// driver must reach with the default [nlp.HashEmbedder].
const MinRecallAt5 = 0.8

// RunConformanceTests runs the suite. newStore returns an empty store for
// one subtest (and registers its cleanup with t); the embedder dimension
// is 384.
func RunConformanceTests(t *testing.T, newStore func(t *testing.T) nlp.KBStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, func(*testing.T) nlp.KBStore)
	}{
		{"AddListDelete", testAddListDelete},
		{"Replace", testReplace},
		{"TenantIsolation", testTenantIsolation},
		{"VectorAndText", testVectorAndText},
		{"Filter", testFilter},
		{"RecallAt5", testRecall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore) })
	}
}

var (
	tenantA = tenancy.MustParse("11111111-1111-4111-8111-111111111111")
	tenantB = tenancy.MustParse("22222222-2222-4222-8222-222222222222")
)

func newKB(t *testing.T, s nlp.KBStore) *nlp.KB {
	t.Helper()
	kb, err := nlp.NewKB(s, &nlp.KBConfig{Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func ids(hits []nlp.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s#%d", h.DocumentID, h.Seq)
	}
	return out
}

func docIDs(hits []nlp.Hit) []string {
	var out []string
	for _, h := range hits {
		if !slices.Contains(out, h.DocumentID) {
			out = append(out, h.DocumentID)
		}
	}
	return out
}

func testAddListDelete(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	d, err := kb.Add(ctx, tenantA, nlp.Document{ID: "b", Title: "Bee", Text: "Bees make honey.\n\nThey live in hives.", Tags: []string{"COO"}, Metadata: map[string]string{"source": "wiki"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Chunks != 1 || !slices.Equal(d.Tags, []string{"coo"}) {
		t.Fatalf("Add = %+v, want 1 chunk and tags [coo]", d)
	}
	if _, err := kb.Add(ctx, tenantA, nlp.Document{ID: "a", Title: "Ant", Text: "Ants build colonies."}); err != nil {
		t.Fatal(err)
	}
	docs, err := kb.List(ctx, tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].ID != "a" || docs[1].ID != "b" {
		t.Fatalf("List = %+v, want a, b", docs)
	}
	if docs[1].Title != "Bee" || docs[1].Metadata["source"] != "wiki" || docs[1].Chunks != 1 || !docs[1].Added.Equal(d.Added) || !slices.Equal(docs[1].Tags, []string{"coo"}) {
		t.Fatalf("List[1] = %+v, want it as added (%+v)", docs[1], d)
	}
	if err := kb.Delete(ctx, tenantA, "b"); err != nil {
		t.Fatal(err)
	}
	if err := kb.Delete(ctx, tenantA, "b"); !errors.Is(err, nlp.ErrDocumentNotFound) {
		t.Fatalf("second Delete = %v, want ErrDocumentNotFound", err)
	}
	hits, err := kb.Search(ctx, tenantA, "honey bees hives", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.DocumentID == "b" {
			t.Fatalf("deleted document found: %v", ids(hits))
		}
	}
	docs, _ = kb.List(ctx, tenantA)
	if len(docs) != 1 {
		t.Fatalf("List after delete = %d documents, want 1", len(docs))
	}
	if _, err := kb.Add(ctx, tenantA, nlp.Document{ID: "", Text: "x"}); !errors.Is(err, nlp.ErrInvalidDocument) {
		t.Fatalf("Add without id = %v, want ErrInvalidDocument", err)
	}
	if _, err := kb.Add(ctx, tenantA, nlp.Document{ID: "e", Text: " \n\n "}); !errors.Is(err, nlp.ErrInvalidDocument) {
		t.Fatalf("Add without text = %v, want ErrInvalidDocument", err)
	}
}

func testReplace(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	long := ""
	for i := range 60 {
		long += fmt.Sprintf("Paragraph %d talks about zebras and their stripes in the savanna of Kenya.\n\n", i)
	}
	d, err := kb.Add(ctx, tenantA, nlp.Document{ID: "doc", Title: "Zebras", Text: long})
	if err != nil {
		t.Fatal(err)
	}
	if d.Chunks < 3 {
		t.Fatalf("long document gave %d chunks, want several", d.Chunks)
	}
	if _, err := kb.Add(ctx, tenantA, nlp.Document{ID: "doc", Title: "Penguins", Text: "Penguins live in Antarctica."}); err != nil {
		t.Fatal(err)
	}
	hits, err := kb.Search(ctx, tenantA, "zebras stripes savanna", &nlp.SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Seq > 0 || h.Title != "Penguins" {
			t.Fatalf("old chunks survive the replacement: %v", ids(hits))
		}
	}
	docs, _ := kb.List(ctx, tenantA)
	if len(docs) != 1 || docs[0].Chunks != 1 || docs[0].Title != "Penguins" {
		t.Fatalf("List = %+v, want the replacement only", docs)
	}
}

func testTenantIsolation(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	if _, err := kb.Add(ctx, tenantA, nlp.Document{ID: "secret", Title: "Acquisition plan", Text: "We plan to acquire Globex for 40 million.", Tags: []string{"cfo"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Add(ctx, tenantB, nlp.Document{ID: "other", Title: "Lunch menu", Text: "Soup on Monday."}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []nlp.SearchMode{nlp.SearchHybrid, nlp.SearchVector, nlp.SearchText} {
		for _, f := range []nlp.SearchOptions{{K: 50, Mode: mode}, {K: 50, Mode: mode, Persona: nlp.CFO}} {
			hits, err := kb.Search(ctx, tenantB, "acquire Globex acquisition plan million", &f)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				if h.DocumentID != "other" {
					t.Fatalf("tenant B found %s of tenant A (mode %s)", h.DocumentID, mode)
				}
			}
		}
	}
	hits, err := kb.Search(ctx, tenantA, "acquire Globex", nil)
	if err != nil || len(hits) == 0 || hits[0].DocumentID != "secret" {
		t.Fatalf("tenant A search = %v, %v; want its document", ids(hits), err)
	}
	docs, _ := kb.List(ctx, tenantB)
	if len(docs) != 1 || docs[0].ID != "other" {
		t.Fatalf("tenant B List = %+v", docs)
	}
	if err := kb.Delete(ctx, tenantB, "secret"); !errors.Is(err, nlp.ErrDocumentNotFound) {
		t.Fatalf("tenant B deleting A's document = %v, want ErrDocumentNotFound", err)
	}
	// Same document id in two tenants: two documents.
	if _, err := kb.Add(ctx, tenantB, nlp.Document{ID: "secret", Title: "B's own", Text: "Nothing to see."}); err != nil {
		t.Fatal(err)
	}
	hits, _ = kb.Search(ctx, tenantA, "acquire Globex", nil)
	if len(hits) == 0 || hits[0].Title != "Acquisition plan" {
		t.Fatalf("tenant B's document with the same id changed A's: %v", ids(hits))
	}
}

func testVectorAndText(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	docs, _ := Corpus()
	for _, d := range docs {
		if _, err := kb.Add(ctx, tenantA, d); err != nil {
			t.Fatal(err)
		}
	}
	v, err := kb.Search(ctx, tenantA, "Orders received before 2 pm ship the same day from the Rotterdam warehouse", &nlp.SearchOptions{Mode: nlp.SearchVector, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 3 || v[0].DocumentID != "ops/warehouse" || v[0].VectorRank != 1 || v[0].TextRank != 0 {
		t.Fatalf("vector search = %v (%+v), want ops/warehouse first", ids(v), v)
	}
	x, err := kb.Search(ctx, tenantA, "ratably", &nlp.SearchOptions{Mode: nlp.SearchText, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 1 || x[0].DocumentID != "finance/revenue-recognition" || x[0].TextRank != 1 {
		t.Fatalf("text search for a word of one document = %v, want that document only", ids(x))
	}
	none, err := kb.Search(ctx, tenantA, "xylophone", &nlp.SearchOptions{Mode: nlp.SearchText})
	if err != nil || len(none) != 0 {
		t.Fatalf("text search for an absent word = %v, %v; want nothing", ids(none), err)
	}
	h, err := kb.Search(ctx, tenantA, "ratably recognized subscription", &nlp.SearchOptions{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) == 0 || h[0].DocumentID != "finance/revenue-recognition" || h[0].VectorRank == 0 || h[0].TextRank == 0 {
		t.Fatalf("hybrid search = %+v, want revenue recognition first, from both lists", h)
	}
	if _, err := kb.Search(ctx, tenantA, "  the ", nil); !errors.Is(err, nlp.ErrEmptyQuery) {
		t.Fatalf("query of stop words = %v, want ErrEmptyQuery", err)
	}
}

func testFilter(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	docs, _ := Corpus()
	for _, d := range docs {
		if _, err := kb.Add(ctx, tenantA, d); err != nil {
			t.Fatal(err)
		}
	}
	byID := map[string]nlp.Document{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	for _, mode := range []nlp.SearchMode{nlp.SearchHybrid, nlp.SearchVector, nlp.SearchText} {
		hits, err := kb.Search(ctx, tenantA, "invoices payment revenue sync pipeline tickets warehouse vacation", &nlp.SearchOptions{K: 40, Mode: mode, Persona: nlp.CFO})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			t.Fatalf("mode %s: CFO filter found nothing", mode)
		}
		sawGeneral := false
		for _, h := range hits {
			tags := byID[h.DocumentID].Tags
			ok := len(tags) == 0
			sawGeneral = sawGeneral || ok
			for _, tg := range tags {
				ok = ok || slices.Contains([]string{"cfo", "invoices", "revenue"}, tg)
			}
			if !ok {
				t.Fatalf("mode %s: CFO filter let %s (tags %v) through", mode, h.DocumentID, tags)
			}
		}
		if !sawGeneral && mode != nlp.SearchText {
			t.Fatalf("mode %s: untagged documents missing under a filter: %v", mode, docIDs(hits))
		}
	}
	hits, err := kb.Search(ctx, tenantA, "Salesforce connector token", &nlp.SearchOptions{Filter: nlp.Filter{Tags: []string{"Connections"}}})
	if err != nil || len(hits) == 0 || hits[0].DocumentID != "it/salesforce-sync" {
		t.Fatalf("tag filter search = %v, %v", ids(hits), err)
	}
}

func testRecall(t *testing.T, newStore func(*testing.T) nlp.KBStore) {
	ctx := context.Background()
	kb := newKB(t, newStore(t))
	docs, qs := Corpus()
	for _, d := range docs {
		if _, err := kb.Add(ctx, tenantA, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []nlp.SearchMode{nlp.SearchHybrid, nlp.SearchVector, nlp.SearchText} {
		found := 0
		var missed []string
		for _, q := range qs {
			hits, err := kb.Search(ctx, tenantA, q.Text, &nlp.SearchOptions{K: 5, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(docIDs(hits), q.Want) {
				found++
			} else {
				missed = append(missed, q.Text)
			}
		}
		recall := float64(found) / float64(len(qs))
		t.Logf("recall@5 %s: %.2f (%d/%d); missed %q", mode, recall, found, len(qs), missed)
		if mode == nlp.SearchHybrid && recall < MinRecallAt5 {
			t.Errorf("hybrid recall@5 = %.2f, want at least %.2f", recall, MinRecallAt5)
		}
	}
}
