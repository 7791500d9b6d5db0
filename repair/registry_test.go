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

func TestFeedbackReachesMatcherMemory(t *testing.T) {
	t.Parallel()
	mem := repair.NewLocalMemory()
	reg, ctx, key := approvedRegistry(t, &repair.RegistryConfig{OnFeedback: repair.RecordFeedback(mem, nil)})
	tenant, _ := tenancy.FromContext(ctx)
	rp := repair.Repair{Field: "total", Target: "invoice.amount", To: "grand_total", Confidence: 0.6, Action: repair.ActionReview}
	after := drift.Schema{Fields: []drift.Field{{Name: "grand_total", Samples: []string{"12.5", "99"}}}}
	out, err := reg.ApplyRepairs(ctx, key, 1, after, []repair.Repair{rp})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Approve(ctx, out.Queued[0].ID, "ana"); err != nil {
		t.Fatal(err)
	}
	ds, err := mem.Decisions(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Field != "grand_total" || ds[0].Target != "invoice.amount" || ds[0].Verdict != repair.VerdictApproved ||
		ds[0].By != "ana" || ds[0].Object != "Invoice" || len(ds[0].Samples) != 2 {
		t.Fatalf("decisions = %+v", ds)
	}
	// A fresh memory loads the same from the registry.
	mem2 := repair.NewLocalMemory()
	if err := reg.LoadFeedback(ctx, mem2); err != nil {
		t.Fatal(err)
	}
	ds2, _ := mem2.Decisions(ctx, tenant)
	if len(ds2) != 1 || ds2[0].Field != ds[0].Field || ds2[0].Verdict != ds[0].Verdict {
		t.Fatalf("loaded decisions = %+v", ds2)
	}
	// Another tenant's memory view stays empty.
	if other, _ := mem.Decisions(ctx, tenancy.New()); len(other) != 0 {
		t.Fatalf("feedback leaked to another tenant: %+v", other)
	}
}

func TestOntologyChecksTargets(t *testing.T) {
	t.Parallel()
	reg := repair.NewRegistry(memstore.New(), &repair.RegistryConfig{Ontology: canonical.V1()})
	defer reg.Close()
	ctx := tenancy.WithTenant(context.Background(), tenancy.New())
	key := repair.MappingKey{Connection: "c", Object: "o"}
	bad := canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "x", Target: "account.shoe_size"}}}
	_, err := reg.Save(ctx, key, bad, repair.Change{Actor: "ana"})
	if !errors.Is(err, repair.ErrInvalidInput) || !errors.Is(err, canonical.ErrUnknownTarget) {
		t.Fatalf("Save with an unknown target = %v", err)
	}
	good := canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "x", Target: "account.name"}}}
	if _, err := reg.Save(ctx, key, good, repair.Change{Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	rp := repair.Repair{Field: "x", Target: "account.nam", To: "y", Confidence: 0.5, Action: repair.ActionReview}
	if _, err := reg.ApplyRepairs(ctx, key, 1, drift.Schema{}, []repair.Repair{rp}); !errors.Is(err, canonical.ErrUnknownTarget) {
		t.Fatalf("ApplyRepairs with an unknown target = %v", err)
	}
	rp.Target = "account.name"
	out, err := reg.ApplyRepairs(ctx, key, 1, drift.Schema{}, []repair.Repair{rp})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.ApproveEdited(ctx, out.Queued[0].ID, "ana", repair.Edit{Target: "account.nope"}); !errors.Is(err, canonical.ErrUnknownTarget) {
		t.Fatalf("ApproveEdited with an unknown target = %v", err)
	}
}

func TestNilDriverAndRepairerAreErrors(t *testing.T) {
	t.Parallel()
	reg := repair.NewRegistry(nil, nil)
	ctx := tenancy.WithTenant(context.Background(), tenancy.New())
	if _, err := reg.Current(ctx, repair.MappingKey{Connection: "c", Object: "o"}); !errors.Is(err, repair.ErrInvalidInput) {
		t.Fatalf("nil driver: %v", err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	var r *repair.Repairer
	if _, err := r.Propose(ctx, drift.Schema{}, canonical.Mapping{}, drift.Schema{}); !errors.Is(err, repair.ErrInvalidInput) {
		t.Fatalf("nil repairer: %v", err)
	}
}
