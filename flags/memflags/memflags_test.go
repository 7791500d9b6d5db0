package memflags_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/flags/flagtest"
	"github.com/autonomos/autonomos/flags/memflags"
	"github.com/autonomos/autonomos/tenancy"
)

func TestConformance(t *testing.T) {
	flagtest.Run(t, func(t *testing.T, cat *flags.Catalog) flags.Store { return memflags.New(cat) })
}

func TestConformanceWithFile(t *testing.T) {
	flagtest.Run(t, func(t *testing.T, cat *flags.Catalog) flags.Store {
		s, err := memflags.Open(cat, filepath.Join(t.TempDir(), "flags.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileKeepsSettingsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	cat := flagtest.Catalog()
	ctx := context.Background()
	a, b := tenancy.New(), tenancy.New()
	s, err := memflags.Open(cat, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, a, "OFF_BY_DEFAULT", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, b, "ON_BY_DEFAULT", false); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("flags file: %v, mode %v; want 0600", err, fi.Mode())
	}

	again, err := memflags.Open(cat, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for _, c := range []struct {
		tenant tenancy.ID
		name   string
		want   bool
	}{{a, "OFF_BY_DEFAULT", true}, {a, "ON_BY_DEFAULT", true}, {b, "ON_BY_DEFAULT", false}, {b, "OFF_BY_DEFAULT", false}} {
		if on, err := again.Enabled(ctx, c.tenant, c.name); err != nil || on != c.want {
			t.Errorf("after reopening, %s = %v (%v), want %v", c.name, on, err, c.want)
		}
	}
}

func TestFailedWriteIsUndone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flags.json")
	s, err := memflags.Open(flagtest.Catalog(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tenant := tenancy.New()
	// A directory where the file goes: the rename onto it fails, even
	// for root.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, tenant, "OFF_BY_DEFAULT", true); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Set with an unwritable file: %v, want an error naming %s", err, path)
	}
	if on, _ := s.Enabled(ctx, tenant, "OFF_BY_DEFAULT"); on {
		t.Fatal("a Set whose write failed is in effect")
	}
}

func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := memflags.Open(flagtest.Catalog(), path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a corrupt file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"not-a-tenant":{"X":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := memflags.Open(flagtest.Catalog(), path); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Fatalf("Open with a bad tenant key: %v", err)
	}
}
