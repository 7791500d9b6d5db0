package mesh_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

func TestUpdateConnectionKeepsMaskedSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	conn := e.conn("crm")
	conn.Config = mesh.MustSourceConfig(map[string]any{"path": e.dir, "api_token": "s3cr3t-t0ken-value",
		"dsn": "postgres://bob:pa55word@db.example/crm", "nested": map[string]any{"password": "inner-secret", "port": 5432}})
	if _, err := e.mesh.AddConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	shown, err := e.mesh.Connection(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	// Send back what was shown, with a new name and one changed value.
	var cfg map[string]any
	if err := json.Unmarshal(shown.Config.Redacted(), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["nested"].(map[string]any)["port"] = 6543
	next := mesh.MustSourceConfig(cfg)
	name := "CRM exports"
	got, err := e.mesh.UpdateConnection(ctx, tenantA, "crm", mesh.ConnectionUpdate{Name: &name, Config: &next})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || strings.Contains(got.Config.String(), "s3cr3t") {
		t.Fatalf("update returned %v", got)
	}
	stored, err := e.store.Connection(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(stored.Config.Raw(), &raw); err != nil {
		t.Fatal(err)
	}
	nested := raw["nested"].(map[string]any)
	if raw["api_token"] != "s3cr3t-t0ken-value" || raw["dsn"] != "postgres://bob:pa55word@db.example/crm" ||
		nested["password"] != "inner-secret" || nested["port"] != 6543.0 {
		t.Fatalf("stored config after update: %v", raw)
	}
	// A new secret replaces the old one.
	cfg["api_token"] = "n3w-t0ken"
	next = mesh.MustSourceConfig(cfg)
	if _, err := e.mesh.UpdateConnection(ctx, tenantA, "crm", mesh.ConnectionUpdate{Config: &next}); err != nil {
		t.Fatal(err)
	}
	stored, _ = e.store.Connection(ctx, tenantA, "crm")
	if !strings.Contains(string(stored.Config.Raw()), "n3w-t0ken") || stored.Name != name {
		t.Fatalf("stored after second update: name %q", stored.Name)
	}

	blank := " "
	var ce *mesh.ConnectionError
	if _, err := e.mesh.UpdateConnection(ctx, tenantA, "crm", mesh.ConnectionUpdate{Name: &blank}); !errors.As(err, &ce) || ce.Field != "name" {
		t.Errorf("blank name: %v", err)
	}
	notObject := mesh.NewSourceConfig(json.RawMessage(`[1]`))
	if _, err := e.mesh.UpdateConnection(ctx, tenantA, "crm", mesh.ConnectionUpdate{Config: &notObject}); !errors.As(err, &ce) || ce.Field != "config" {
		t.Errorf("config not an object: %v", err)
	}
	other := tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")
	if _, err := e.mesh.UpdateConnection(ctx, other, "crm", mesh.ConnectionUpdate{Name: &name}); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("another tenant's update: %v, want ErrNotFound", err)
	}
}

func TestTestDiscoverDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	if err := e.mesh.Test(ctx, tenantA, "crm"); err != nil {
		t.Fatalf("test: %v", err)
	}
	objs, err := e.mesh.Discover(ctx, tenantA, "crm")
	if err != nil || len(objs) != 1 || objs[0].Name != "accounts" {
		t.Fatalf("discover: %+v %v", objs, err)
	}
	if _, ok := objs[0].Schema.Field("company_name"); !ok {
		t.Fatalf("discovered schema has no company_name: %+v", objs[0].Schema)
	}
	if c, _ := e.mesh.Connection(ctx, tenantA, "crm"); c.State != mesh.StateNew || len(e.pub.all()) != 0 {
		t.Fatalf("test or discover changed something: state %s, %d events", c.State, len(e.pub.all()))
	}
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(e.dir); err != nil {
		t.Fatal(err)
	}
	err = e.mesh.Test(ctx, tenantA, "crm")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("test of a missing directory: %v", err)
	}
	if _, err := e.mesh.Discover(ctx, tenantA, "crm"); err == nil {
		t.Fatal("discover of a missing directory succeeded")
	}

	if err := e.mesh.DeleteConnection(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mesh.Connection(ctx, tenantA, "crm"); !errors.Is(err, mesh.ErrNotFound) {
		t.Fatalf("connection after delete: %v", err)
	}
	if cur, err := e.store.Cursor(ctx, tenantA, "crm", "accounts"); err != nil || cur != "" {
		t.Fatalf("cursor after delete: %q %v", cur, err)
	}
	// The mapping stays, as the audit trail.
	if _, err := e.reg.Current(tenancy.WithTenant(ctx, tenantA), repair.MappingKey{Connection: "crm", Object: "accounts"}); err != nil {
		t.Fatalf("mapping after delete: %v", err)
	}
	for _, err := range []error{e.mesh.DeleteConnection(ctx, tenantA, "crm"), e.mesh.Test(ctx, tenantA, "crm")} {
		if !errors.Is(err, mesh.ErrNotFound) {
			t.Errorf("on a deleted connection: %v, want ErrNotFound", err)
		}
	}
}

func TestDriftEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	e.addSafeModeOff(t, "crm")
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	if evs, err := e.mesh.DriftEvents(ctx, tenantA, "", 0); err != nil || len(evs) != 0 {
		t.Fatalf("drift events before any drift: %+v %v", evs, err)
	}
	// A rename the repairer applies on its own, then one queued with Safe
	// Mode on.
	e.write(t, "accounts.csv", renamed)
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	if err := e.mesh.SetSafeMode(ctx, tenantA, "crm", true, "alice"); err != nil {
		t.Fatal(err)
	}
	e.write(t, "accounts.csv", strings.Replace(renamed, "website", "web_site", 1))
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	evs, err := e.mesh.DriftEvents(ctx, tenantA, "crm", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d drift events, want 2: %+v", len(evs), evs)
	}
	newest, oldest := evs[0], evs[1]
	if newest.DetectedAt.Before(oldest.DetectedAt) || newest.FromVersion != 2 || newest.ToVersion != 3 || oldest.ToVersion != 2 {
		t.Fatalf("order or versions: %+v", evs)
	}
	if oldest.Severity != drift.SeverityBreaking || len(oldest.Repairs) != 1 || oldest.Repairs[0].Status != "applied" || oldest.Repairs[0].Field != "company_name" {
		t.Errorf("first drift: %+v", oldest)
	}
	if len(newest.Repairs) != 1 || newest.Repairs[0].Status != string(repair.ReviewPending) || newest.Repairs[0].ReviewID == "" || newest.Repairs[0].To != "web_site" {
		t.Errorf("second drift: %+v", newest)
	}
	changed := map[string]bool{}
	for _, c := range newest.Changes {
		changed[c.Field] = true
	}
	if !changed["website"] || !changed["web_site"] {
		t.Errorf("second drift's changes: %+v", newest.Changes)
	}
	if evs, _ := e.mesh.DriftEvents(ctx, tenantA, "crm", 1); len(evs) != 1 || evs[0].ToVersion != 3 {
		t.Errorf("limit 1: %+v", evs)
	}
	other := tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")
	if evs, err := e.mesh.DriftEvents(ctx, other, "", 0); err != nil || len(evs) != 0 {
		t.Errorf("another tenant sees %d drift events (%v)", len(evs), err)
	}
}
