package mesh_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

func TestFirstSyncPublishesThenCursorHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")

	st, err := e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != 1 || st.ObjectsSynced != 1 || st.RowsRead != 3 || st.EventsPublished != 3 || st.MappingsApplied != 1 {
		t.Fatalf("first sync stats = %+v", st)
	}
	evs := e.pub.all()
	if len(evs) != 3 {
		t.Fatalf("published %d events, want 3", len(evs))
	}
	byKey := map[string]canonical.Event{}
	for _, ev := range evs {
		if ev.Entity != "account" || ev.Tenant != tenantA || ev.Source.ConnectionID != "crm" || ev.Source.Object != "accounts" {
			t.Errorf("event %+v: wrong entity, tenant or source", ev)
		}
		byKey[ev.SourceKey] = ev
	}
	acme, ok := byKey["A-1"]
	if !ok {
		t.Fatalf("no event for A-1; keys %v", slices.Collect(maps.Keys(byKey)))
	}
	if acme.Data["name"] != "Acme Corporation" || acme.Data["domain"] != "acme.com" || acme.Data["country"] != "US" {
		t.Errorf("A-1 data = %v", acme.Data)
	}
	c, err := e.mesh.Connection(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != mesh.StateActive || c.Health.Status != mesh.HealthHealthy || c.SafeMode || c.Health.LastSuccessAt.IsZero() {
		t.Errorf("after first sync: state %s health %+v safe mode %v", c.State, c.Health, c.SafeMode)
	}

	st, err = e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsRead != 0 || st.EventsPublished != 0 || len(e.pub.all()) != 3 {
		t.Fatalf("second sync read %d rows, published %d (total %d): the cursor did not hold", st.RowsRead, st.EventsPublished, len(e.pub.all()))
	}

	e.write(t, "accounts.csv", accountsCSV+"A-4,Umbrella Group,umbrella.com,Pharma,GB,990000\n")
	st, err = e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	all := e.pub.all()
	if st.EventsPublished != 1 || all[len(all)-1].SourceKey != "A-4" {
		t.Fatalf("after an appended row: stats %+v, last event %+v", st, all[len(all)-1])
	}
	if got := e.hookEvents(mesh.EventBatchPublished); len(got) == 0 {
		t.Error("hook saw no batch.published event")
	}
}

func TestOnboardSafeModeWaitsForApproval(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	c, st, err := e.mesh.Onboard(ctx, tenantA, e.conn("crm"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SafeMode || c.State != mesh.StateAwaitingApproval || len(c.Pending) != 1 || st.EventsPublished != 0 || st.MappingsProposed != 1 {
		t.Fatalf("onboard with Safe Mode on: conn %v pending %d, stats %+v", c, len(c.Pending), st)
	}
	p := c.Pending[0]
	if p.Object != "accounts" || p.Entity != "account" || p.Mapping.Target("company_name") != "account.name" {
		t.Fatalf("proposal = %+v", p)
	}
	if len(e.pub.all()) != 0 {
		t.Fatal("published before approval")
	}
	// A second sync proposes nothing new and still waits.
	st, err = e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil || st.MappingsProposed != 0 || len(st.Waiting) != 1 || st.EventsPublished != 0 {
		t.Fatalf("second sync: %+v, %v", st, err)
	}

	if _, err := e.mesh.ApproveMapping(ctx, tenantA, "crm", "nope", "alice"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("approve of an unknown object: %v, want ErrNotFound", err)
	}
	v, err := e.mesh.ApproveMapping(ctx, tenantA, "crm", "accounts", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.Actor != "alice" {
		t.Errorf("approved version = %+v", v)
	}
	st, err = e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.EventsPublished != 3 {
		t.Fatalf("after approval published %d, want 3", st.EventsPublished)
	}
	c, _ = e.mesh.Connection(ctx, tenantA, "crm")
	if c.SafeMode || len(c.Pending) != 0 || c.State != mesh.StateActive {
		t.Errorf("after approval: safe mode %v pending %d state %s", c.SafeMode, len(c.Pending), c.State)
	}
}

// cursorCrash fails the n-th SaveCursor once: the process "dies" after a
// batch was published and before its cursor was saved.
type cursorCrash struct {
	mesh.Store
	n, calls int
}

func (s *cursorCrash) SaveCursor(ctx context.Context, tenant tenancy.ID, conn, object string, c aam.Cursor) error {
	s.calls++
	if s.calls == s.n {
		return errors.New("crash before cursor save")
	}
	return s.Store.SaveCursor(ctx, tenant, conn, object, c)
}

func TestCrashAfterPublishReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	clean := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	clean.addSafeModeOff(t, "crm")
	if _, err := clean.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	want := ids(clean.pub.all())

	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	crash := &cursorCrash{Store: e.store, n: 2} // the second batch (rows 3) is published, its cursor lost
	m, err := mesh.New(crash, e.reg, e.pub, &mesh.Config{Connectors: e.kinds, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddConnection(ctx, e.conn("crm")); err != nil {
		t.Fatal(err)
	}
	if err := m.SetSafeMode(ctx, tenantA, "crm", false, "alice"); err != nil {
		t.Fatal(err)
	}
	st, err := m.Sync(ctx, tenantA, "crm")
	var oe *mesh.ObjectError
	if !errors.As(err, &oe) || oe.Stage != "cursor" {
		t.Fatalf("crashed sync: err %v, want an ObjectError at stage cursor", err)
	}
	if st.EventsPublished != 3 || st.Health != mesh.HealthFailed {
		t.Fatalf("crashed sync stats = %+v", st)
	}
	st, err = m.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.EventsPublished != 1 {
		t.Errorf("replay published %d events, want the 1 of the unsaved batch", st.EventsPublished)
	}
	got := e.pub.all()
	if len(got) != 4 {
		t.Errorf("published %d events in all, want 4 (one replayed)", len(got))
	}
	if !maps.Equal(ids(got), want) {
		t.Errorf("deduplicated ids differ from a clean run: %v vs %v", ids(got), want)
	}
}

func TestDriftRenameAutoRepair(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	// The export's company_name column is now account_name.
	e.write(t, "accounts.csv", renamed)
	st, err := e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.DriftEvents != 1 || st.RepairsApplied != 1 || st.RepairsQueued != 0 {
		t.Fatalf("stats after rename = %+v", st)
	}
	cur, err := e.reg.Current(tenancy.WithTenant(ctx, tenantA), repair.MappingKey{Connection: "crm", Object: "accounts"})
	if err != nil {
		t.Fatal(err)
	}
	if cur.Mapping.Target("account_name") != "account.name" || cur.Actor != repair.RepairerActor {
		t.Errorf("mapping after repair: account_name -> %q, actor %q", cur.Mapping.Target("account_name"), cur.Actor)
	}
	if st.EventsPublished != 1 {
		t.Fatalf("published %d events after the repair, want 1", st.EventsPublished)
	}
	if name, _ := e.pub.all()[3].Data["name"].(string); name != "Hooli XYZ" {
		t.Errorf("event after repair: %v (want the renamed column's name)", e.pub.all()[3].Data)
	}
	if len(e.hookEvents(mesh.EventDriftDetected)) != 1 || len(e.hookEvents(mesh.EventRepairApplied)) != 1 {
		t.Error("hook missed drift.detected or repair.applied")
	}
}

// renamed is the accounts export after its company_name column became
// account_name, with one more row: the same length up to the new row,
// so the read goes on from the saved cursor.
var renamed = strings.Replace(accountsCSV, "company_name", "account_name", 1) +
	"A-7,Hooli XYZ,hooli.com,Software,US,10\n"

func TestDriftRenameSafeModeQueuesReview(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	if _, _, err := e.mesh.Onboard(ctx, tenantA, e.conn("crm")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mesh.ApproveMapping(ctx, tenantA, "crm", "accounts", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.mesh.SetSafeMode(ctx, tenantA, "crm", true, "alice"); err != nil {
		t.Fatal(err)
	}
	if st, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil || st.EventsPublished != 3 {
		t.Fatalf("sync: %+v %v", st, err)
	}
	e.write(t, "accounts.csv", renamed)
	st, err := e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.DriftEvents != 1 || st.RepairsApplied != 0 || st.RepairsQueued != 1 || st.EventsPublished != 0 || len(st.Waiting) != 1 {
		t.Fatalf("stats after rename with Safe Mode on = %+v", st)
	}
	tctx := tenancy.WithTenant(ctx, tenantA)
	items, err := e.reg.Reviews(tctx, repair.ReviewFilter{Status: repair.ReviewPending})
	if err != nil || len(items) != 1 || items[0].Repair.To != "account_name" {
		t.Fatalf("review queue = %+v, %v", items, err)
	}
	c, _ := e.mesh.Connection(ctx, tenantA, "crm")
	if c.State != mesh.StateAwaitingApproval {
		t.Errorf("state = %s, want awaiting approval", c.State)
	}
	// Still waiting on the next sync: nothing is written with the old mapping.
	if st, _ := e.mesh.Sync(ctx, tenantA, "crm"); st.EventsPublished != 0 {
		t.Fatalf("published %d events with a repair pending", st.EventsPublished)
	}
	if _, err := e.reg.Approve(tctx, items[0].ID, "alice"); err != nil {
		t.Fatal(err)
	}
	st, err = e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil || st.EventsPublished != 1 {
		t.Fatalf("after approval: %+v, %v", st, err)
	}
	if name, _ := e.pub.all()[3].Data["name"].(string); !strings.Contains(name, "Hooli") {
		t.Errorf("event after approved repair: %v", e.pub.all()[3].Data)
	}
}

func TestDeadRecordsKeptWithRefs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	csv := accountsCSV + "A-5,Ragged Row\n,No Key Ltd,nokey.com,Retail,US,5\n"
	e := newEnv(t, map[string]string{"accounts.csv": csv}, nil)
	e.addSafeModeOff(t, "crm")
	st, err := e.mesh.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.RowErrors != 1 || st.NormalizeErrors != 1 || st.EventsPublished != 3 {
		t.Fatalf("stats = %+v", st)
	}
	dead, err := e.mesh.DeadRecords(ctx, tenantA, "crm", 0)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]mesh.DeadRecordKind{}
	for _, d := range dead {
		refs[d.Ref] = d.Kind
	}
	if len(dead) != 2 || refs["accounts.csv:5"] != mesh.DeadRowError || refs["accounts.csv:6"] != mesh.DeadNormalize {
		t.Fatalf("dead records = %+v", dead)
	}
}

func TestSyncCanceledKeepsPublishedCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := mesh.New(e.store, e.reg, e.pub, &mesh.Config{Connectors: e.kinds, Hook: func(_ context.Context, ev mesh.Event) {
		if ev.Kind == mesh.EventBatchPublished {
			cancel() // stop after the first batch of two rows
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(ctx, tenantA, "crm"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled sync: %v, want context.Canceled", err)
	}
	if n := len(e.pub.all()); n != 2 {
		t.Fatalf("published %d events before the cancel, want 2", n)
	}
	st, err := e.mesh.Sync(context.Background(), tenantA, "crm")
	if err != nil || st.EventsPublished != 1 {
		t.Fatalf("resumed sync: %+v, %v; want the 1 remaining event", st, err)
	}
}
