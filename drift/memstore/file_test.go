package memstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/drift/drifttest"
	"github.com/autonomos/autonomos/drift/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func TestFileConformance(t *testing.T) {
	t.Parallel()
	drifttest.RunConformanceTests(t, func(t *testing.T) drift.Driver {
		d, err := memstore.Open(filepath.Join(t.TempDir(), "drift.json"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func version(n int64, fields ...string) drift.Version {
	s := &drift.Schema{System: "crm", ConnectionID: "c1", Object: "accounts"}
	for _, f := range fields {
		s.Fields = append(s.Fields, drift.Field{Name: f, Type: drift.TypeString})
	}
	return drift.Version{Number: n, Schema: s, Fingerprint: drift.Fingerprint(s)}
}

// TestFileKeepsSchemasAcrossReopen: what was appended is there after a
// reopen, so a restart still sees drift against the last schema.
func TestFileKeepsSchemasAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drift.json")
	tenant := tenancy.New()
	key := drift.Key{Tenant: tenant, ConnectionID: "c1", Object: "accounts"}
	d, err := memstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Append(ctx, key, 0, version(1, "Id", "Website")); err != nil {
		t.Fatal(err)
	}
	if err := d.Append(ctx, key, 1, version(2, "Id", "Site_URL")); err != nil {
		t.Fatal(err)
	}
	again, err := memstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := again.Latest(ctx, key)
	if err != nil || latest.Number != 2 || latest.Schema.Fields[1].Name != "Site_URL" {
		t.Fatalf("after reopen: %+v, %v", latest, err)
	}
	if keys, _ := again.Objects(ctx, tenant); len(keys) != 1 || keys[0] != key {
		t.Fatalf("objects after reopen: %v", keys)
	}
	if keys, _ := again.Objects(ctx, tenancy.New()); len(keys) != 0 {
		t.Fatalf("another tenant sees %v", keys)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi, err)
	}
}

// TestFileWriteFailureUndoesTheAppend: an append that could not be kept
// is not half-made.
func TestFileWriteFailureUndoesTheAppend(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "drift.json")
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := memstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	key := drift.Key{Tenant: tenancy.New(), ConnectionID: "c1", Object: "accounts"}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := d.Append(ctx, key, 0, version(1, "Id")); err == nil {
		t.Fatal("append succeeded with its file's directory gone")
	}
	if _, err := d.Latest(ctx, key); !errors.Is(err, drift.ErrNotFound) {
		t.Fatalf("after a failed append Latest = %v, want ErrNotFound", err)
	}
}

func TestOpenRejectsABadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drift.json")
	for name, body := range map[string]string{
		"not json":      "{",
		"numbering gap": `[{"key":{"tenant":"` + tenancy.New().String() + `","connection_id":"c","object":"o"},"versions":[{"number":2,"schema":{"system":"crm"}}]}]`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := memstore.Open(path); err == nil {
			t.Errorf("%s: Open accepted it", name)
		}
	}
}
