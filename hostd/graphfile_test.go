package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
	"github.com/autonomos/autonomos/tenancy"
)

type graphFileHarness struct{ t *testing.T }

func (h graphFileHarness) MakeDriver(context.Context) (graphstore.Driver, error) {
	return openFileGraphDriver(h.t.TempDir())
}
func (graphFileHarness) Close() {}

func TestFileGraphDriverConformance(t *testing.T) {
	storetest.RunConformanceTests(t, func(_ context.Context, t *testing.T) (storetest.Harness, error) {
		return graphFileHarness{t: t}, nil
	})
}

func TestFileGraphDriverKeepsGraphsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d1, err := openFileGraphDriver(dir)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := graphstore.New(d1, nil)
	tenant := tenancy.New()
	if _, err := s1.SeedDemo(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	g, _ := s1.Load(ctx, tenant)
	g.Nodes[0].Label = "kept"
	saved, err := s1.Save(ctx, tenant, g)
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()

	d2, err := openFileGraphDriver(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := graphstore.New(d2, nil)
	defer s2.Close()
	got, err := s2.Load(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != saved.Version || got.Nodes[0].Label != "kept" || !storetest.Equal(got, saved) {
		t.Fatalf("after restart: version %d label %q, want %d and the saved graph", got.Version, got.Nodes[0].Label, saved.Version)
	}
	// Seeding again leaves the user's change alone.
	if _, err := s2.SeedDemo(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if again, _ := s2.Load(ctx, tenant); again.Nodes[0].Label != "kept" {
		t.Fatal("seeding after restart overwrote the saved graph")
	}
}

func TestFileGraphDriverUndoesAFailedWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := openFileGraphDriver(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := graphstore.New(d, nil)
	defer s.Close()
	tenant := tenancy.New()
	if err := os.Mkdir(filepath.Join(dir, tenant.String()+".json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, tenant, storetest.SmallGraph(3, "x")); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("save into a directory: %v, want an error naming the file", err)
	}
	if _, err := s.Load(ctx, tenant); err == nil {
		t.Fatal("the failed save is visible")
	}
}

func TestFileGraphDriverRefusesACorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, tenancy.New().String()+".json")
	if err := os.WriteFile(path, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openFileGraphDriver(dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: %v, want an error naming it", err)
	}
}
