package memkb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/kbtest"
	"github.com/autonomos/autonomos/nlp/memkb"
	"github.com/autonomos/autonomos/tenancy"
)

func TestFileConformance(t *testing.T) {
	kbtest.RunConformanceTests(t, func(t *testing.T) nlp.KBStore {
		s, err := memkb.Open(filepath.Join(t.TempDir(), "kb.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestFileKeepsDocumentsAcrossReopen: documents, their chunks and
// embeddings come back after a reopen, searchable both ways, and a delete
// is kept too.
func TestFileKeepsDocumentsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.json")
	tenant, other := tenancy.New(), tenancy.New()
	kb := func(s *memkb.Store) *nlp.KB {
		k, err := nlp.NewKB(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	s1, err := memkb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	k1 := kb(s1)
	for _, d := range []nlp.Document{
		{ID: "refunds", Title: "Refunds", Text: "Refunds are granted within 30 days of the invoice date."},
		{ID: "renewals", Title: "Renewals", Text: "Contracts renew every twelve months."},
	} {
		if _, err := k1.Add(ctx, tenant, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := k1.Delete(ctx, tenant, "renewals"); err != nil {
		t.Fatal(err)
	}

	s2, err := memkb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := s2.List(ctx, tenant)
	if err != nil || len(docs) != 1 || docs[0].ID != "refunds" {
		t.Fatalf("documents after reopen: %+v, %v", docs, err)
	}
	hits, err := kb(s2).Search(ctx, tenant, "when are refunds granted", nil)
	if err != nil || len(hits) == 0 || hits[0].DocumentID != "refunds" {
		t.Fatalf("search after reopen: %+v, %v", hits, err)
	}
	if docs, _ := s2.List(ctx, other); len(docs) != 0 {
		t.Fatalf("another tenant sees %+v", docs)
	}
}

// TestFileWriteFailureUndoesPut: a Put that could not be kept leaves the
// earlier version in place.
func TestFileWriteFailureUndoesPut(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := memkb.Open(filepath.Join(dir, "kb.json"))
	if err != nil {
		t.Fatal(err)
	}
	tenant := tenancy.New()
	v1 := nlp.Document{ID: "d", Title: "v1", Chunks: 1}
	if err := s.Put(ctx, tenant, v1, []nlp.StoredChunk{{DocumentID: "d", Title: "v1", Text: "first", Embedding: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	v2 := nlp.Document{ID: "d", Title: "v2", Chunks: 1}
	if err := s.Put(ctx, tenant, v2, []nlp.StoredChunk{{DocumentID: "d", Title: "v2", Text: "second", Embedding: []float32{0, 1}}}); err == nil {
		t.Fatal("Put succeeded with its file's directory gone")
	}
	docs, _ := s.List(ctx, tenant)
	if len(docs) != 1 || docs[0].Title != "v1" {
		t.Fatalf("after a failed Put: %+v; want v1 kept", docs)
	}
	if err := s.Delete(ctx, tenant, "d"); err == nil {
		t.Fatal("Delete succeeded with its file's directory gone")
	}
	if docs, _ := s.List(ctx, tenant); len(docs) != 1 {
		t.Fatalf("after a failed Delete: %+v; want the document kept", docs)
	}
}
