package repairtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// NewDriver returns a fresh, empty driver for one test. The suite closes
// it (through the registry) when the test ends.
type NewDriver func(t *testing.T) repair.Driver

// RunConformanceTests runs the conformance suite against drivers made by
// newDriver, one per subtest.
func RunConformanceTests(t *testing.T, newDriver NewDriver) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"SaveAndHistory", testSaveAndHistory},
		{"VersionConflict", testVersionConflict},
		{"ConcurrentSaves", testConcurrentSaves},
		{"Restore", testRestore},
		{"NotFound", testNotFound},
		{"NoTenant", testNoTenant},
		{"InvalidInput", testInvalidInput},
		{"TenantIsolation", testTenantIsolation},
		{"MappingsListing", testMappingsListing},
		{"SafeModeQueuesEverything", testSafeModeQueues},
		{"AutoApplyAfterApproval", testAutoApplyAfterApproval},
		{"SafeModePinned", testSafeModePinned},
		{"ReviewApproveEditedRejectGone", testReviewDecisions},
		{"ReviewAlreadyDecided", testAlreadyDecided},
		{"ReviewNotQueuedTwice", testNotQueuedTwice},
		{"ApplyRepairsConflictChangesNothing", testApplyConflict},
		{"TransactionRollback", testRollback},
		{"AuditFilter", testAuditFilter},
		{"Feedback", testFeedback},
		{"HandleDrift", testHandleDrift},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newDriver(t), nil)
			tc.fn(t, h)
		})
	}
}

type harness struct {
	reg      *repair.Registry
	driver   repair.Driver
	a, b     context.Context // two tenants
	tenantA  tenancy.ID
	clock    *fakeClock
	notified []repair.Notification
	feedback []repair.Feedback
	mu       sync.Mutex
}

type fakeClock struct{ n atomic.Int64 }

func (c *fakeClock) Now() time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Second)
}

func newHarness(t *testing.T, d repair.Driver, cfg *repair.RegistryConfig) *harness {
	t.Helper()
	h := &harness{driver: d, clock: &fakeClock{}}
	c := repair.RegistryConfig{}
	if cfg != nil {
		c = *cfg
	}
	c.Clock = h.clock.Now
	c.Notifier = repair.NotifierFunc(func(_ context.Context, n repair.Notification) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.notified = append(h.notified, n)
		return nil
	})
	c.OnFeedback = func(_ context.Context, fb repair.Feedback) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.feedback = append(h.feedback, fb)
	}
	h.reg = repair.NewRegistry(d, &c)
	t.Cleanup(func() {
		if err := h.reg.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	h.tenantA = tenancy.New()
	h.a = tenancy.WithTenant(context.Background(), h.tenantA)
	h.b = tenancy.WithTenant(context.Background(), tenancy.New())
	return h
}

var keyOpp = repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"}

func oppMapping() canonical.Mapping {
	return canonical.Mapping{System: "salesforce", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 0.99, Provenance: canonical.ProvenanceHeuristic},
		{Source: "Amount", Target: "opportunity.amount", Confidence: 0.97, Provenance: canonical.ProvenanceHuman, ApprovedBy: "ana"},
		{Source: "Industry__c", Confidence: 0.9, Provenance: canonical.ProvenanceHeuristic},
	}}
}

func mustSave(t *testing.T, ctx context.Context, r *repair.Registry, key repair.MappingKey, m canonical.Mapping, ch repair.Change) repair.MappingVersion {
	t.Helper()
	v, err := r.Save(ctx, key, m, ch)
	if err != nil {
		t.Fatalf("Save(%s, expected %d): %v", key, ch.ExpectedVersion, err)
	}
	return v
}

func testSaveAndHistory(t *testing.T, h *harness) {
	m1 := oppMapping()
	v1 := mustSave(t, h.a, h.reg, keyOpp, m1, repair.Change{Actor: "ana", Reason: "onboarding"})
	if v1.Version != 1 || v1.Actor != "ana" || v1.Reason != "onboarding" || v1.Tenant != h.tenantA || v1.CreatedAt.IsZero() {
		t.Fatalf("first version = %+v", v1)
	}
	m2 := oppMapping()
	m2.Fields[2].Target = "opportunity.stage"
	v2 := mustSave(t, h.a, h.reg, keyOpp, m2, repair.Change{ExpectedVersion: 1, Actor: "bo"})
	if v2.Version != 2 {
		t.Fatalf("second version = %d, want 2", v2.Version)
	}
	cur, err := h.reg.Current(h.a, keyOpp)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Version != 2 || !reflect.DeepEqual(cur.Mapping, m2) {
		t.Fatalf("Current = v%d %+v, want v2 %+v", cur.Version, cur.Mapping, m2)
	}
	old, err := h.reg.Version(h.a, keyOpp, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(old.Mapping, m1) || !old.CreatedAt.Equal(v1.CreatedAt) {
		t.Fatalf("Version(1) = %+v, want %+v at %v", old.Mapping, m1, v1.CreatedAt)
	}
	hist, err := h.reg.History(h.a, keyOpp)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Version != 1 || hist[1].Version != 2 || hist[1].Actor != "bo" {
		t.Fatalf("History = %+v", hist)
	}
	// The stored mapping is a copy: changing ours changes nothing.
	m2.Fields[0].Target = "account.id"
	cur, _ = h.reg.Current(h.a, keyOpp)
	if cur.Mapping.Fields[0].Target != "opportunity.id" {
		t.Fatal("registry shares the caller's slice")
	}
	audit, err := h.reg.Audit(h.a, repair.AuditFilter{Connection: keyOpp.Connection, Object: keyOpp.Object})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != repair.AuditMappingCreated || audit[1].Action != repair.AuditMappingSaved ||
		audit[1].Actor != "bo" || audit[1].FromVersion != 1 || audit[1].ToVersion != 2 {
		t.Fatalf("audit = %+v", audit)
	}
}

func testVersionConflict(t *testing.T, h *harness) {
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{ExpectedVersion: 1, Actor: "ana"})
	for _, expected := range []int{0, 1, 5} {
		_, err := h.reg.Save(h.a, keyOpp, oppMapping(), repair.Change{ExpectedVersion: expected, Actor: "bo"})
		var vce *repair.VersionConflictError
		if !errors.As(err, &vce) || !errors.Is(err, repair.ErrVersionConflict) {
			t.Fatalf("Save(expected %d) = %v, want a VersionConflictError", expected, err)
		}
		if vce.Expected != expected || vce.Actual != 2 || vce.Key != keyOpp {
			t.Fatalf("conflict = %+v, want expected %d actual 2", vce, expected)
		}
	}
	hist, _ := h.reg.History(h.a, keyOpp)
	if len(hist) != 2 {
		t.Fatalf("%d versions after conflicts, want 2", len(hist))
	}
}

func testConcurrentSaves(t *testing.T, h *harness) {
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	const n = 8
	var wg sync.WaitGroup
	var ok, conflicts atomic.Int32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := h.reg.Save(h.a, keyOpp, oppMapping(), repair.Change{ExpectedVersion: 1, Actor: fmt.Sprintf("w%d", i)})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, repair.ErrVersionConflict):
				conflicts.Add(1)
			default:
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent save: %v", err)
	}
	if ok.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d saves succeeded and %d conflicted, want 1 and %d", ok.Load(), conflicts.Load(), n-1)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Version != 2 {
		t.Fatalf("version %d after concurrent saves, want 2", cur.Version)
	}
}

func testRestore(t *testing.T, h *harness) {
	m1 := oppMapping()
	mustSave(t, h.a, h.reg, keyOpp, m1, repair.Change{Actor: "ana"})
	m2 := oppMapping()
	m2.Fields = m2.Fields[:1]
	mustSave(t, h.a, h.reg, keyOpp, m2, repair.Change{ExpectedVersion: 1, Actor: "ana"})
	v3, err := h.reg.Restore(h.a, keyOpp, 1, repair.Change{ExpectedVersion: 2, Actor: "bo"})
	if err != nil {
		t.Fatal(err)
	}
	if v3.Version != 3 || v3.RestoredFrom != 1 || !reflect.DeepEqual(v3.Mapping, m1) {
		t.Fatalf("Restore = %+v", v3)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Version != 3 || !reflect.DeepEqual(cur.Mapping, m1) || cur.RestoredFrom != 1 {
		t.Fatalf("Current after restore = %+v", cur)
	}
	if _, err := h.reg.Restore(h.a, keyOpp, 9, repair.Change{ExpectedVersion: 3, Actor: "bo"}); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("Restore(9) = %v, want ErrNotFound", err)
	}
	if _, err := h.reg.Restore(h.a, keyOpp, 1, repair.Change{ExpectedVersion: 2, Actor: "bo"}); !errors.Is(err, repair.ErrVersionConflict) {
		t.Fatalf("Restore on a stale version = %v, want ErrVersionConflict", err)
	}
	audit, _ := h.reg.Audit(h.a, repair.AuditFilter{Action: repair.AuditMappingRestored})
	if len(audit) != 1 || audit[0].ToVersion != 3 || audit[0].Actor != "bo" {
		t.Fatalf("restore audit = %+v", audit)
	}
}

func testNotFound(t *testing.T, h *harness) {
	if _, err := h.reg.Current(h.a, keyOpp); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("Current of a new key = %v, want ErrNotFound", err)
	}
	if _, err := h.reg.History(h.a, keyOpp); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("History of a new key = %v, want ErrNotFound", err)
	}
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	if _, err := h.reg.Version(h.a, keyOpp, 2); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("Version(2) = %v, want ErrNotFound", err)
	}
	if _, err := h.reg.Review(h.a, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("Review(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := h.reg.Approve(h.a, "00000000-0000-4000-8000-000000000000", "ana"); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("Approve(unknown) = %v, want ErrNotFound", err)
	}
}

func testNoTenant(t *testing.T, h *harness) {
	ctx := context.Background()
	if _, err := h.reg.Save(ctx, keyOpp, oppMapping(), repair.Change{Actor: "ana"}); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Fatalf("Save without tenant = %v", err)
	}
	if _, err := h.reg.Reviews(ctx, repair.ReviewFilter{}); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Fatalf("Reviews without tenant = %v", err)
	}
}

func testInvalidInput(t *testing.T, h *harness) {
	bad := []struct {
		name string
		key  repair.MappingKey
		m    canonical.Mapping
		ch   repair.Change
	}{
		{"empty connection", repair.MappingKey{Object: "x"}, oppMapping(), repair.Change{Actor: "a"}},
		{"empty object", repair.MappingKey{Connection: "c"}, oppMapping(), repair.Change{Actor: "a"}},
		{"no actor", keyOpp, oppMapping(), repair.Change{}},
		{"duplicate field", keyOpp, canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "a"}, {Source: "a"}}}, repair.Change{Actor: "a"}},
		{"confidence", keyOpp, canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "a", Confidence: 1.5}}}, repair.Change{Actor: "a"}},
		{"target", keyOpp, canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "a", Target: "amount"}}}, repair.Change{Actor: "a"}},
		{"negative version", keyOpp, oppMapping(), repair.Change{Actor: "a", ExpectedVersion: -1}},
	}
	for _, tc := range bad {
		if _, err := h.reg.Save(h.a, tc.key, tc.m, tc.ch); !errors.Is(err, repair.ErrInvalidInput) {
			t.Errorf("Save with %s = %v, want ErrInvalidInput", tc.name, err)
		}
	}
	if _, err := h.reg.Reviews(h.a, repair.ReviewFilter{Status: "maybe"}); !errors.Is(err, repair.ErrInvalidInput) {
		t.Errorf("Reviews(status maybe) = %v, want ErrInvalidInput", err)
	}
	if _, err := h.reg.Current(h.a, keyOpp); !errors.Is(err, repair.ErrNotFound) {
		t.Errorf("a rejected Save stored something: %v", err)
	}
}

// queueOne makes a mapping and queues one review item under Safe Mode.
func queueOne(t *testing.T, h *harness, ctx context.Context) repair.ReviewItem {
	t.Helper()
	v := mustSave(t, ctx, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	out, err := h.reg.ApplyRepairs(ctx, keyOpp, v.Version, afterSchema(), []repair.Repair{amountRepair(0.97)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Queued) != 1 {
		t.Fatalf("queued %d items, want 1 (Safe Mode)", len(out.Queued))
	}
	return out.Queued[0]
}

func amountRepair(conf float64) repair.Repair {
	action := repair.ActionReview
	if conf >= 0.9 {
		action = repair.ActionAutoApply
	}
	return repair.Repair{Field: "Amount", Target: "opportunity.amount", To: "Deal_Value__c", Confidence: conf,
		Action: action, Evidence: []string{"values: 2 of 2 distinct samples shared"},
		Candidates: []repair.Candidate{{Field: "Deal_Value__c", Score: 0.99}, {Field: "Other__c", Score: 0.1}}}
}

func afterSchema() drift.Schema {
	return drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString, Samples: []string{"006A", "006B"}},
		{Name: "Deal_Value__c", Type: drift.TypeNumber, Samples: []string{"125000", "48000.5"}},
		{Name: "Other__c", Type: drift.TypeNumber, Samples: []string{"1", "2"}},
		{Name: "Industry__c", Type: drift.TypeString, Samples: []string{"Tech"}},
	}}
}

func testTenantIsolation(t *testing.T, h *harness) {
	it := queueOne(t, h, h.a)
	if _, err := h.reg.Current(h.b, keyOpp); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("tenant B reads A's mapping: %v", err)
	}
	if _, err := h.reg.Version(h.b, keyOpp, 1); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("tenant B reads A's version: %v", err)
	}
	if keys, err := h.reg.Mappings(h.b, ""); err != nil || len(keys) != 0 {
		t.Fatalf("tenant B lists %v, %v", keys, err)
	}
	if _, err := h.reg.Review(h.b, it.ID); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("tenant B reads A's review item: %v", err)
	}
	if _, err := h.reg.Approve(h.b, it.ID, "mallory"); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("tenant B approves A's review item: %v", err)
	}
	if _, err := h.reg.Reject(h.b, it.ID, "mallory", ""); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("tenant B rejects A's review item: %v", err)
	}
	if items, err := h.reg.Reviews(h.b, repair.ReviewFilter{}); err != nil || len(items) != 0 {
		t.Fatalf("tenant B lists reviews %v, %v", items, err)
	}
	if es, err := h.reg.Audit(h.b, repair.AuditFilter{}); err != nil || len(es) != 0 {
		t.Fatalf("tenant B lists audit %v, %v", es, err)
	}
	if fb, err := h.reg.Feedback(h.b, ""); err != nil || len(fb) != 0 {
		t.Fatalf("tenant B lists feedback %v, %v", fb, err)
	}
	// B can use the same key for its own mapping, independently.
	vb := mustSave(t, h.b, h.reg, keyOpp, canonical.Mapping{Fields: []canonical.FieldMapping{{Source: "x"}}}, repair.Change{Actor: "bea"})
	if vb.Version != 1 {
		t.Fatalf("tenant B's first version is %d", vb.Version)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if len(cur.Mapping.Fields) != 3 {
		t.Fatalf("tenant A's mapping changed by B: %+v", cur.Mapping)
	}
	got, err := h.reg.Review(h.a, it.ID)
	if err != nil || got.Status != repair.ReviewPending {
		t.Fatalf("A's item after B's attempts: %+v, %v", got, err)
	}
}

func testMappingsListing(t *testing.T, h *harness) {
	for _, k := range []repair.MappingKey{{Connection: "b", Object: "z"}, {Connection: "a", Object: "y"}, {Connection: "b", Object: "c"}} {
		mustSave(t, h.a, h.reg, k, oppMapping(), repair.Change{Actor: "ana"})
	}
	all, err := h.reg.Mappings(h.a, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []repair.MappingKey{{Connection: "a", Object: "y"}, {Connection: "b", Object: "c"}, {Connection: "b", Object: "z"}}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("Mappings = %v, want %v", all, want)
	}
	b, _ := h.reg.Mappings(h.a, "b")
	if !reflect.DeepEqual(b, want[1:]) {
		t.Fatalf("Mappings(b) = %v, want %v", b, want[1:])
	}
}

func testSafeModeQueues(t *testing.T, h *harness) {
	c, err := h.reg.Connection(h.a, keyOpp.Connection)
	if err != nil || !c.SafeMode {
		t.Fatalf("a new connection: %+v, %v; want Safe Mode on", c, err)
	}
	it := queueOne(t, h, h.a)
	if it.Reason != repair.ReasonSafeMode || it.Status != repair.ReviewPending || it.BaseVersion != 1 ||
		it.Repair.To != "Deal_Value__c" || !reflect.DeepEqual(it.Samples, []string{"125000", "48000.5"}) || it.Tenant != h.tenantA {
		t.Fatalf("queued item = %+v", it)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Version != 1 {
		t.Fatalf("Safe Mode applied a repair: version %d", cur.Version)
	}
	got, err := h.reg.Review(h.a, it.ID)
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Fatalf("Review(%s) = %+v, %v; want %+v", it.ID, got, err, it)
	}
	if len(h.notified) != 1 || len(h.notified[0].Queued) != 1 || len(h.notified[0].Applied) != 0 {
		t.Fatalf("notifications = %+v", h.notified)
	}
}

func testAutoApplyAfterApproval(t *testing.T, h *harness) {
	it := queueOne(t, h, h.a)
	done, err := h.reg.Approve(h.a, it.ID, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != repair.ReviewApproved || done.DecidedBy != "ana" || done.AppliedVersion != 2 || done.DecidedAt.IsZero() {
		t.Fatalf("approved item = %+v", done)
	}
	c, _ := h.reg.Connection(h.a, keyOpp.Connection)
	if c.SafeMode || c.FirstApprovedAt.IsZero() {
		t.Fatalf("after the first approval: %+v, want Safe Mode off", c)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Mapping.Target("Amount") != "" || cur.Mapping.Target("Deal_Value__c") != "opportunity.amount" {
		t.Fatalf("mapping after approval: %+v", cur.Mapping)
	}
	for _, f := range cur.Mapping.Fields {
		if f.Source == "Deal_Value__c" && (f.Provenance != canonical.ProvenanceHuman || f.ApprovedBy != "ana") {
			t.Fatalf("approved field = %+v", f)
		}
	}

	// Now a confident repair is applied on its own.
	rp := repair.Repair{Field: "Deal_Value__c", Target: "opportunity.amount", To: "Amount_Total__c", Confidence: 0.95, Action: repair.ActionAutoApply}
	low := repair.Repair{Field: "Id", Target: "opportunity.id", To: "Other__c", Confidence: 0.6, Action: repair.ActionReview}
	out, err := h.reg.ApplyRepairs(h.a, keyOpp, 2, afterSchema(), []repair.Repair{rp, low})
	if err != nil {
		t.Fatal(err)
	}
	if out.SafeMode || len(out.Applied) != 1 || len(out.Queued) != 1 || out.Version.Version != 3 || out.Version.Actor != repair.RepairerActor {
		t.Fatalf("outcome = %+v", out)
	}
	if out.Queued[0].Reason != repair.ReasonLowConfidence {
		t.Fatalf("low-confidence item reason %q", out.Queued[0].Reason)
	}
	cur, _ = h.reg.Current(h.a, keyOpp)
	if cur.Version != 3 || cur.Mapping.Target("Amount_Total__c") != "opportunity.amount" || cur.Mapping.Target("Deal_Value__c") != "" {
		t.Fatalf("mapping after auto repair: %+v", cur)
	}
	for _, f := range cur.Mapping.Fields {
		if f.Source == "Amount_Total__c" && (f.Provenance != canonical.ProvenanceRepair || f.Confidence != 0.95) {
			t.Fatalf("repaired field = %+v", f)
		}
	}
	applied, _ := h.reg.Audit(h.a, repair.AuditFilter{Action: repair.AuditRepairApplied})
	if len(applied) != 1 || applied[0].Old != "Deal_Value__c -> opportunity.amount" ||
		applied[0].New != "Amount_Total__c -> opportunity.amount" || applied[0].FromVersion != 2 || applied[0].ToVersion != 3 ||
		applied[0].Actor != repair.RepairerActor || applied[0].At.IsZero() {
		t.Fatalf("repair audit = %+v", applied)
	}
	if n := h.notified[len(h.notified)-1]; len(n.Applied) != 1 || n.Version != 3 || n.Tenant != h.tenantA {
		t.Fatalf("last notification = %+v", n)
	}
}

func testSafeModePinned(t *testing.T, h *harness) {
	if err := h.reg.SetSafeMode(h.a, keyOpp.Connection, true, "ops"); err != nil {
		t.Fatal(err)
	}
	it := queueOne(t, h, h.a)
	if _, err := h.reg.Approve(h.a, it.ID, "ana"); err != nil {
		t.Fatal(err)
	}
	c, _ := h.reg.Connection(h.a, keyOpp.Connection)
	if !c.SafeMode || !c.SafeModePinned {
		t.Fatalf("pinned Safe Mode after approval: %+v, want on", c)
	}
	if err := h.reg.SetSafeMode(h.a, keyOpp.Connection, false, "ops"); err != nil {
		t.Fatal(err)
	}
	c, _ = h.reg.Connection(h.a, keyOpp.Connection)
	if c.SafeMode {
		t.Fatal("SetSafeMode(false) left it on")
	}
	es, _ := h.reg.Audit(h.a, repair.AuditFilter{Action: repair.AuditSafeMode})
	if len(es) != 2 || es[0].New != "on" || es[1].Old != "on" || es[1].New != "off" || es[1].Actor != "ops" {
		t.Fatalf("safe mode audit = %+v", es)
	}
	// Approving through Save also counts on another connection.
	k := repair.MappingKey{Connection: "hubspot", Object: "companies"}
	mustSave(t, h.a, h.reg, k, oppMapping(), repair.Change{Actor: "ana", Approved: true})
	c, _ = h.reg.Connection(h.a, "hubspot")
	if c.SafeMode {
		t.Fatal("an approved Save left Safe Mode on")
	}
}

func testReviewDecisions(t *testing.T, h *harness) {
	v := mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	gone := repair.Repair{Field: "Industry__c", Target: "account.industry", Confidence: 0.9, Action: repair.ActionReview}
	other := repair.Repair{Field: "Id", Target: "opportunity.id", To: "Other__c", Confidence: 0.5, Action: repair.ActionReview}
	out, err := h.reg.ApplyRepairs(h.a, keyOpp, v.Version, afterSchema(), []repair.Repair{amountRepair(0.8), gone, other})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Queued) != 3 {
		t.Fatalf("queued %d, want 3", len(out.Queued))
	}
	if out.Queued[1].Reason != repair.ReasonGone {
		t.Fatalf("gone item reason %q", out.Queued[1].Reason)
	}
	pending, _ := h.reg.Reviews(h.a, repair.ReviewFilter{Status: repair.ReviewPending})
	if len(pending) != 3 || pending[0].ID != out.Queued[0].ID || pending[2].ID != out.Queued[2].ID {
		t.Fatalf("pending = %+v", pending)
	}
	if lim, _ := h.reg.Reviews(h.a, repair.ReviewFilter{Status: repair.ReviewPending, Limit: 2}); len(lim) != 2 || lim[0].ID != out.Queued[0].ID {
		t.Fatalf("pending limit 2 = %+v", lim)
	}

	// Approve with an edited target.
	ed, err := h.reg.ApproveEdited(h.a, out.Queued[0].ID, "ana", repair.Edit{Target: "opportunity.probability", Note: "it is a score"})
	if err != nil {
		t.Fatal(err)
	}
	if ed.FinalTo != "Deal_Value__c" || ed.FinalTarget != "opportunity.probability" || ed.Note != "it is a score" {
		t.Fatalf("edited approval = %+v", ed)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Mapping.Target("Deal_Value__c") != "opportunity.probability" || cur.Mapping.Target("Amount") != "" {
		t.Fatalf("mapping after edited approval: %+v", cur.Mapping)
	}
	// Approve the gone field: its entry leaves the mapping.
	if _, err := h.reg.Approve(h.a, out.Queued[1].ID, "ana"); err != nil {
		t.Fatal(err)
	}
	cur, _ = h.reg.Current(h.a, keyOpp)
	for _, f := range cur.Mapping.Fields {
		if f.Source == "Industry__c" {
			t.Fatalf("gone field still mapped: %+v", cur.Mapping)
		}
	}
	// Reject: the mapping stays.
	before := cur.Version
	rj, err := h.reg.Reject(h.a, out.Queued[2].ID, "bo", "wrong field")
	if err != nil {
		t.Fatal(err)
	}
	if rj.Status != repair.ReviewRejected || rj.Note != "wrong field" || rj.DecidedBy != "bo" {
		t.Fatalf("rejected item = %+v", rj)
	}
	cur, _ = h.reg.Current(h.a, keyOpp)
	if cur.Version != before || cur.Mapping.Target("Id") != "opportunity.id" {
		t.Fatalf("reject changed the mapping: %+v", cur)
	}
	approved, _ := h.reg.Reviews(h.a, repair.ReviewFilter{Status: repair.ReviewApproved})
	rejected, _ := h.reg.Reviews(h.a, repair.ReviewFilter{Status: repair.ReviewRejected, Connection: keyOpp.Connection, Object: keyOpp.Object})
	if len(approved) != 2 || len(rejected) != 1 {
		t.Fatalf("approved %d rejected %d, want 2 and 1", len(approved), len(rejected))
	}
	es, _ := h.reg.Audit(h.a, repair.AuditFilter{Action: repair.AuditReviewApproved})
	if len(es) != 2 || es[0].New != "Deal_Value__c -> opportunity.probability" || es[0].Old != "Amount -> opportunity.amount" {
		t.Fatalf("approval audit = %+v", es)
	}
}

func testAlreadyDecided(t *testing.T, h *harness) {
	it := queueOne(t, h, h.a)
	if _, err := h.reg.Reject(h.a, it.ID, "ana", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Approve(h.a, it.ID, "ana"); !errors.Is(err, repair.ErrAlreadyDecided) {
		t.Fatalf("Approve after Reject = %v, want ErrAlreadyDecided", err)
	}
	if _, err := h.reg.Reject(h.a, it.ID, "ana", ""); !errors.Is(err, repair.ErrAlreadyDecided) {
		t.Fatalf("Reject twice = %v, want ErrAlreadyDecided", err)
	}
	if _, err := h.reg.Approve(h.a, it.ID, ""); !errors.Is(err, repair.ErrInvalidInput) {
		t.Fatalf("Approve without actor = %v, want ErrInvalidInput", err)
	}
}

func testNotQueuedTwice(t *testing.T, h *harness) {
	queueOne(t, h, h.a)
	out, err := h.reg.ApplyRepairs(h.a, keyOpp, 1, afterSchema(), []repair.Repair{amountRepair(0.97)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Queued) != 0 || len(out.AlreadyQueued) != 1 {
		t.Fatalf("second drift queued %d (already %d), want 0 (1)", len(out.Queued), len(out.AlreadyQueued))
	}
	items, _ := h.reg.Reviews(h.a, repair.ReviewFilter{})
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
}

func testApplyConflict(t *testing.T, h *harness) {
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{ExpectedVersion: 1, Actor: "ana"})
	_, err := h.reg.ApplyRepairs(h.a, keyOpp, 1, afterSchema(), []repair.Repair{amountRepair(0.5)})
	var vce *repair.VersionConflictError
	if !errors.As(err, &vce) || vce.Actual != 2 || vce.Expected != 1 {
		t.Fatalf("ApplyRepairs on a stale base = %v, want a conflict at 2", err)
	}
	if items, _ := h.reg.Reviews(h.a, repair.ReviewFilter{}); len(items) != 0 {
		t.Fatalf("a failed ApplyRepairs queued %d items", len(items))
	}
	if _, err := h.reg.ApplyRepairs(h.a, repair.MappingKey{Connection: "x", Object: "y"}, 1, afterSchema(), nil); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("ApplyRepairs on a missing mapping = %v, want ErrNotFound", err)
	}
	bad := amountRepair(1.5)
	if _, err := h.reg.ApplyRepairs(h.a, keyOpp, 2, afterSchema(), []repair.Repair{bad}); !errors.Is(err, repair.ErrInvalidInput) {
		t.Fatalf("ApplyRepairs with confidence 1.5 = %v, want ErrInvalidInput", err)
	}
	twice := []repair.Repair{amountRepair(0.5), amountRepair(0.6)}
	if _, err := h.reg.ApplyRepairs(h.a, keyOpp, 2, afterSchema(), twice); !errors.Is(err, repair.ErrInvalidInput) {
		t.Fatalf("ApplyRepairs with one field twice = %v, want ErrInvalidInput", err)
	}
}

func testRollback(t *testing.T, h *harness) {
	boom := errors.New("boom")
	err := h.driver.InTx(h.a, h.tenantA, func(ctx context.Context, tx repair.DriverTx) error {
		v := repair.MappingVersion{Tenant: h.tenantA, Key: keyOpp, Version: 1, Mapping: oppMapping(), Actor: "ana", CreatedAt: h.clock.Now()}
		if err := tx.InsertVersion(ctx, v); err != nil {
			return err
		}
		if n, err := tx.LatestVersion(ctx, keyOpp); err != nil || n != 1 {
			return fmt.Errorf("own write not visible in the transaction: %d, %v", n, err)
		}
		if err := tx.InsertAudit(ctx, repair.AuditEntry{ID: "00000000-0000-4000-8000-000000000001", Tenant: h.tenantA, Key: keyOpp, Action: repair.AuditMappingCreated, Actor: "ana", At: h.clock.Now()}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	if _, err := h.reg.Current(h.a, keyOpp); !errors.Is(err, repair.ErrNotFound) {
		t.Fatalf("rolled-back version is visible: %v", err)
	}
	if es, _ := h.reg.Audit(h.a, repair.AuditFilter{}); len(es) != 0 {
		t.Fatalf("rolled-back audit entry is visible: %+v", es)
	}
	// A duplicate version inside a transaction is a conflict.
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	err = h.driver.InTx(h.a, h.tenantA, func(ctx context.Context, tx repair.DriverTx) error {
		return tx.InsertVersion(ctx, repair.MappingVersion{Tenant: h.tenantA, Key: keyOpp, Version: 1, Mapping: oppMapping(), Actor: "x", CreatedAt: h.clock.Now()})
	})
	if !errors.Is(err, repair.ErrVersionConflict) {
		t.Fatalf("duplicate version insert = %v, want ErrVersionConflict", err)
	}
}

func testAuditFilter(t *testing.T, h *harness) {
	k2 := repair.MappingKey{Connection: "other", Object: "Account"}
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	mustSave(t, h.a, h.reg, k2, oppMapping(), repair.Change{Actor: "bo"})
	mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{ExpectedVersion: 1, Actor: "cy"})
	all, _ := h.reg.Audit(h.a, repair.AuditFilter{})
	if len(all) != 3 || all[0].Actor != "ana" || all[1].Actor != "bo" || all[2].Actor != "cy" {
		t.Fatalf("all audit = %+v", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.Before(all[i-1].At) || all[i].ID == all[i-1].ID {
			t.Fatalf("audit not in order or ids repeat: %+v", all)
		}
	}
	opp, _ := h.reg.Audit(h.a, repair.AuditFilter{Connection: keyOpp.Connection})
	if len(opp) != 2 {
		t.Fatalf("audit of %s: %d entries, want 2", keyOpp.Connection, len(opp))
	}
	last, _ := h.reg.Audit(h.a, repair.AuditFilter{Limit: 1})
	if len(last) != 1 || last[0].Actor != "cy" {
		t.Fatalf("audit limit 1 = %+v, want the newest", last)
	}
	created, _ := h.reg.Audit(h.a, repair.AuditFilter{Action: repair.AuditMappingCreated})
	if len(created) != 2 {
		t.Fatalf("created entries %d, want 2", len(created))
	}
}

func testFeedback(t *testing.T, h *harness) {
	v := mustSave(t, h.a, h.reg, keyOpp, oppMapping(), repair.Change{Actor: "ana"})
	other := repair.Repair{Field: "Id", Target: "opportunity.id", To: "Other__c", Confidence: 0.5, Action: repair.ActionReview}
	out, err := h.reg.ApplyRepairs(h.a, keyOpp, v.Version, afterSchema(), []repair.Repair{amountRepair(0.97), other})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Approve(h.a, out.Queued[0].ID, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Reject(h.a, out.Queued[1].ID, "ana", ""); err != nil {
		t.Fatal(err)
	}
	fb, err := h.reg.Feedback(h.a, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 2 {
		t.Fatalf("feedback = %+v, want 2 entries", fb)
	}
	if !fb[0].Approved || fb[0].Field != "Deal_Value__c" || fb[0].Target != "opportunity.amount" ||
		!reflect.DeepEqual(fb[0].Samples, []string{"125000", "48000.5"}) || fb[0].Tenant != h.tenantA || fb[0].System != "salesforce" {
		t.Fatalf("approved feedback = %+v", fb[0])
	}
	if fb[1].Approved || fb[1].Field != "Other__c" || fb[1].Target != "opportunity.id" || fb[1].Actor != "ana" {
		t.Fatalf("rejected feedback = %+v", fb[1])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !reflect.DeepEqual(h.feedback, fb) {
		t.Fatalf("OnFeedback got %+v, Feedback returns %+v", h.feedback, fb)
	}
}

func testHandleDrift(t *testing.T, h *harness) {
	before := drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString, Samples: []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}},
		{Name: "Amount", Type: drift.TypeNumber, Samples: []string{"125000", "48000.5"}},
	}}
	after := drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString, Samples: []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}},
		{Name: "Deal_Value__c", Type: drift.TypeNumber, Samples: []string{"125000", "48000.5"}},
	}}
	m := canonical.Mapping{System: "salesforce", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1}, {Source: "Amount", Target: "opportunity.amount", Confidence: 1}}}
	mustSave(t, h.a, h.reg, keyOpp, m, repair.Change{Actor: "ana", Approved: true})
	out, err := h.reg.HandleDrift(h.a, keyOpp, before, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Applied) != 1 || out.Applied[0].To != "Deal_Value__c" || out.Version.Version != 2 {
		t.Fatalf("HandleDrift outcome = %+v", out)
	}
	cur, _ := h.reg.Current(h.a, keyOpp)
	if cur.Mapping.Target("Deal_Value__c") != "opportunity.amount" {
		t.Fatalf("mapping after drift: %+v", cur.Mapping)
	}
}

func testClosed(t *testing.T, h *harness) {
	if err := h.reg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Current(h.a, keyOpp); !errors.Is(err, repair.ErrClosed) {
		t.Fatalf("Current after Close = %v, want ErrClosed", err)
	}
}
