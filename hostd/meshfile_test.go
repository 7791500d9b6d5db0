package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/meshtest"
	"github.com/autonomos/autonomos/tenancy"
)

func TestFileMeshStoreConformance(t *testing.T) {
	meshtest.RunConformanceTests(t, meshtest.HarnessFunc(func(ctx context.Context, t *testing.T) mesh.Store {
		s, err := openFileMeshStore(filepath.Join(t.TempDir(), "connections.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}))
}

func TestFileMeshStoreSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connections.json")
	s1, err := openFileMeshStore(path)
	if err != nil {
		t.Fatal(err)
	}
	tenant := tenancy.New()
	conn := mesh.Connection{Tenant: tenant, ID: "pg", Kind: "postgres",
		Config: mesh.MustSourceConfig(map[string]string{"dsn": "postgres://u:hunter2@db/x", "password": "hunter2"})}
	if err := s1.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := s1.SaveCursor(ctx, tenant, "pg", "accounts", "42"); err != nil {
		t.Fatal(err)
	}
	if err := s1.AddDeadRecords(ctx, tenant, []mesh.DeadRecord{{ID: "d1", Connection: "pg", Object: "accounts", Ref: "row 7", Kind: mesh.DeadRowError, Reason: "bad"}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("connections file mode: %v %v, want 0600", err, fi.Mode().Perm())
	}

	s2, err := openFileMeshStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Connection(ctx, tenant, "pg")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Config.Raw()) != string(conn.Config.Raw()) {
		t.Fatalf("config after restart %s, want the real one back", got.Config.Raw())
	}
	if c, _ := s2.Cursor(ctx, tenant, "pg", "accounts"); c != "42" {
		t.Fatalf("cursor after restart %q", c)
	}
	if d, _ := s2.DeadRecords(ctx, tenant, "pg", 0); len(d) != 1 || d[0].Ref != "row 7" {
		t.Fatalf("dead records after restart %+v", d)
	}
	// Another tenant sees nothing.
	if _, err := s2.Connection(ctx, tenancy.New(), "pg"); err == nil {
		t.Fatal("another tenant reads the connection")
	}
}

func TestFileMeshStoreUndoesAFailedWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connections.json")
	s, err := openFileMeshStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	tenant := tenancy.New()
	err = s.CreateConnection(ctx, mesh.Connection{Tenant: tenant, ID: "f", Kind: "file"})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("write into a directory: %v", err)
	}
	if _, err := s.Connection(ctx, tenant, "f"); err == nil {
		t.Fatal("the failed create is visible")
	}
}
