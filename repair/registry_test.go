package repair_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func approvedRegistry(t *testing.T, cfg *repair.RegistryConfig) (*repair.Registry, context.Context, repair.MappingKey) {
	t.Helper()
	reg := repair.NewRegistry(memstore.New(), cfg)
	t.Cleanup(func() { reg.Close() })
	ctx := tenancy.WithTenant(context.Background(), tenancy.New())
	key := repair.MappingKey{Connection: "c1", Object: "Invoice"}
	m := canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "total", Target: "invoice.amount", Confidence: 1}}}
	if _, err := reg.Save(ctx, key, m, repair.Change{Actor: "ana", Approved: true}); err != nil {
		t.Fatal(err)
	}
	return reg, ctx, key
}

func TestNotifierFailureIsLoggedNotReturned(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	fail := repair.NotifierFunc(func(context.Context, repair.Notification) error { return errors.New("webhook down") })
	reg, ctx, key := approvedRegistry(t, &repair.RegistryConfig{Notifier: fail, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rp := repair.Repair{Field: "total", Target: "invoice.amount", To: "grand_total", Confidence: 0.97, Action: repair.ActionAutoApply}
	out, err := reg.ApplyRepairs(ctx, key, 1, drift.Schema{}, []repair.Repair{rp})
	if err != nil {
		t.Fatalf("a failing notifier failed ApplyRepairs: %v", err)
	}
	if len(out.Applied) != 1 {
		t.Fatalf("outcome %+v", out)
	}
	if !strings.Contains(logs.String(), "repair notification failed") || !strings.Contains(logs.String(), "webhook down") {
		t.Fatalf("logs = %q", logs.String())
	}
}

func TestPolicyUsesRegistryThreshold(t *testing.T) {
	t.Parallel()
	strict := repair.NewRepairer(&repair.RepairerConfig{AutoApplyThreshold: 0.99})
	reg, ctx, key := approvedRegistry(t, &repair.RegistryConfig{Repairer: strict})
	// Marked auto_apply by a laxer repairer, but below this registry's threshold.
	rp := repair.Repair{Field: "total", Target: "invoice.amount", To: "grand_total", Confidence: 0.95, Action: repair.ActionAutoApply}
	out, err := reg.ApplyRepairs(ctx, key, 1, drift.Schema{}, []repair.Repair{rp})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Applied) != 0 || len(out.Queued) != 1 || out.Queued[0].Reason != repair.ReasonLowConfidence {
		t.Fatalf("outcome %+v", out)
	}
	// A "gone" repair is never applied, whatever it says.
	gone := repair.Repair{Field: "total", Target: "invoice.amount", Confidence: 1, Action: repair.ActionAutoApply}
	reg2, ctx2, key2 := approvedRegistry(t, nil)
	out, err = reg2.ApplyRepairs(ctx2, key2, 1, drift.Schema{}, []repair.Repair{gone})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Applied) != 0 || len(out.Queued) != 1 || out.Queued[0].Reason != repair.ReasonGone {
		t.Fatalf("gone outcome %+v", out)
	}
}
