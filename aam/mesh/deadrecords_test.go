package mesh_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// refusingPublisher stands for a publisher that stores events itself (the
// direct path of hostd): it refuses the events whose name holds "Globex"
// and keeps them as dead records of their connection before Publish
// returns, as Mesh.AddDeadRecords asks.
type refusingPublisher struct {
	m      *mesh.Mesh
	mu     sync.Mutex
	stored []canonical.Event
}

func (p *refusingPublisher) Publish(ctx context.Context, events ...canonical.Event) error {
	var dead []mesh.DeadRecord
	for _, e := range events {
		if name, _ := e.Data["name"].(string); strings.Contains(name, "Globex") {
			dead = append(dead, mesh.DeadRecord{Object: e.Source.Object, Ref: e.SourceKey, Kind: mesh.DeadWarehouse,
				Reason: "field name: refused"})
			continue
		}
		p.mu.Lock()
		p.stored = append(p.stored, e)
		p.mu.Unlock()
	}
	if len(dead) == 0 {
		return nil
	}
	return p.m.AddDeadRecords(ctx, events[0].Tenant, events[0].Source.ConnectionID, dead)
}

func TestAddDeadRecordsKeepsWarehouseRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	pub := &refusingPublisher{}
	var (
		mu     sync.Mutex
		events []mesh.Event
	)
	m, err := mesh.New(e.store, e.reg, pub, &mesh.Config{Connectors: e.kinds, Hook: func(_ context.Context, ev mesh.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	pub.m = m
	st, err := m.Sync(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if st.EventsPublished != 3 || len(pub.stored) != 2 {
		t.Fatalf("sync %+v stored %d events, want 3 published and 2 stored", st, len(pub.stored))
	}
	dead, err := m.DeadRecords(ctx, tenantA, "crm", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 {
		t.Fatalf("dead records = %+v, want the refused Globex record", dead)
	}
	d := dead[0]
	if d.Kind != mesh.DeadWarehouse || d.Ref != "A-2" || d.Connection != "crm" || d.Object == "" ||
		d.Reason != "field name: refused" || d.ID == "" || d.At.IsZero() {
		t.Fatalf("dead record = %+v", d)
	}
	var counted int
	mu.Lock()
	for _, ev := range events {
		if ev.Kind == mesh.EventRecordsDeadLettered {
			counted += ev.Count
			if ev.Detail != string(mesh.DeadWarehouse) || ev.Connection != "crm" || ev.Object != d.Object {
				t.Errorf("records.dead event = %+v", ev)
			}
		}
	}
	mu.Unlock()
	if counted != 1 {
		t.Fatalf("records.dead events counted %d records, want 1", counted)
	}

	// The same refusal again (a replayed batch) replaces its record.
	again := []mesh.DeadRecord{{Object: d.Object, Ref: "A-2", Kind: mesh.DeadWarehouse, Reason: "field name: refused"}}
	if err := m.AddDeadRecords(ctx, tenantA, "crm", again); err != nil {
		t.Fatal(err)
	}
	if again[0].ID != "" || again[0].Connection != "" {
		t.Errorf("AddDeadRecords modified the caller's records: %+v", again[0])
	}
	if dead, _ := m.DeadRecords(ctx, tenantA, "crm", 0); len(dead) != 1 || dead[0].ID != d.ID {
		t.Fatalf("after the same refusal again: %+v, want the one record", dead)
	}
}

func TestAddDeadRecordsRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	ok := mesh.DeadRecord{Object: "accounts", Ref: "A-1", Kind: mesh.DeadWarehouse, Reason: "field name: refused"}
	tenantB := tenancy.MustParse("0b1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")
	for _, c := range []struct {
		name   string
		tenant tenancy.ID
		id     string
		rec    func(mesh.DeadRecord) mesh.DeadRecord
		want   error
	}{
		{"another tenant's connection", tenantB, "crm", nil, mesh.ErrNotFound},
		{"no such connection", tenantA, "erp", nil, mesh.ErrNotFound},
		{"no kind", tenantA, "crm", func(r mesh.DeadRecord) mesh.DeadRecord { r.Kind = ""; return r }, mesh.ErrInvalidDeadRecord},
		{"no reason", tenantA, "crm", func(r mesh.DeadRecord) mesh.DeadRecord { r.Reason = ""; return r }, mesh.ErrInvalidDeadRecord},
		{"another connection", tenantA, "crm", func(r mesh.DeadRecord) mesh.DeadRecord { r.Connection = "erp"; return r }, mesh.ErrInvalidDeadRecord},
	} {
		r := ok
		if c.rec != nil {
			r = c.rec(r)
		}
		// The valid record first: a refused call keeps none of its records.
		err := e.mesh.AddDeadRecords(ctx, c.tenant, c.id, []mesh.DeadRecord{ok, r})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if dead, err := e.mesh.DeadRecords(ctx, tenantA, "crm", 0); err != nil || len(dead) != 0 {
		t.Fatalf("dead records after refused calls: %+v, %v", dead, err)
	}
	if n := len(e.hookEvents(mesh.EventRecordsDeadLettered)); n != 0 {
		t.Fatalf("refused calls emitted %d records.dead events", n)
	}
}
