package memstore_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/repair/repairtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	repairtest.RunConformanceTests(t, func(t *testing.T) repair.Driver { return memstore.New() })
}

func TestConformanceFile(t *testing.T) {
	t.Parallel()
	repairtest.RunConformanceTests(t, func(t *testing.T) repair.Driver {
		s, err := memstore.Open(filepath.Join(t.TempDir(), "repair.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "repair.json")
	s, err := memstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := repair.NewRegistry(s, nil)
	ctx := tenancy.WithTenant(context.Background(), tenancy.New())
	key := repair.MappingKey{Connection: "c", Object: "o"}
	m := canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "Amount", Target: "opportunity.amount", Confidence: 0.97}}}
	if _, err := reg.Save(ctx, key, m, repair.Change{Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	out, err := reg.ApplyRepairs(ctx, key, 1, drift.Schema{}, []repair.Repair{{Field: "Amount", Target: "opportunity.amount", To: "Deal_Value__c", Confidence: 0.95, Action: repair.ActionAutoApply}})
	if err != nil {
		t.Fatal(err)
	}
	reg.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v, %v", fi, err)
	}

	s2, err := memstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	reg2 := repair.NewRegistry(s2, nil)
	defer reg2.Close()
	cur, err := reg2.Current(ctx, key)
	if err != nil || cur.Version != 1 || !reflect.DeepEqual(cur.Mapping, m) {
		t.Fatalf("after reopen: %+v, %v", cur, err)
	}
	it, err := reg2.Review(ctx, out.Queued[0].ID)
	if err != nil || it.Reason != repair.ReasonSafeMode {
		t.Fatalf("review after reopen: %+v, %v", it, err)
	}
	if es, _ := reg2.Audit(ctx, repair.AuditFilter{}); len(es) != 2 {
		t.Fatalf("audit after reopen: %+v", es)
	}
	// A corrupt file is an error, not an empty store.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := memstore.Open(path); err == nil {
		t.Fatal("Open of a corrupt file succeeded")
	}
}

func BenchmarkRegistry(b *testing.B) {
	repairtest.RunBenchmarks(b, func(*testing.B) repair.Driver { return memstore.New() })
}
