// Package meshtest holds the conformance suite of [mesh.Store] drivers:
// every driver's tests run [RunConformanceTests], so that the in-memory
// driver and a database driver are shown to behave the same.
package meshtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Harness makes stores for the suite.
type Harness interface {
	// MakeStore returns an empty store. The harness closes whatever it
	// opened with t.Cleanup.
	MakeStore(ctx context.Context, t *testing.T) mesh.Store
}

// HarnessFunc adapts a function to a [Harness].
type HarnessFunc func(ctx context.Context, t *testing.T) mesh.Store

// MakeStore calls f.
func (f HarnessFunc) MakeStore(ctx context.Context, t *testing.T) mesh.Store { return f(ctx, t) }

var (
	tenantA = tenancy.MustParse("0d5a3c1e-7b2f-4e8a-9c6d-1f2e3a4b5c6d")
	tenantB = tenancy.MustParse("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b")
)

func conn(tenant tenancy.ID, id string) mesh.Connection {
	return mesh.Connection{
		Tenant: tenant, ID: id, Name: "CRM " + id, Kind: "file",
		Config:   mesh.MustSourceConfig(map[string]any{"path": "/data/" + id, "password": "hunter22"}),
		SafeMode: true, State: mesh.StateNew, Health: mesh.Health{Status: mesh.HealthUnknown},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// RunConformanceTests runs the suite against stores made by h.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(context.Context, *testing.T, mesh.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDuplicate", testCreateDuplicate},
		{"NotFound", testNotFound},
		{"UpdateAndList", testUpdateAndList},
		{"Delete", testDelete},
		{"TenantIsolation", testTenantIsolation},
		{"Cursors", testCursors},
		{"DeadRecords", testDeadRecords},
		{"Copies", testCopies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tc.fn(ctx, t, h.MakeStore(ctx, t))
		})
	}
}

func testCreateGet(ctx context.Context, t *testing.T, s mesh.Store) {
	c := conn(tenantA, "crm")
	c.Pending = []mesh.Proposal{{Object: "accounts", Entity: "account", Confidence: 0.9, Reason: "safe mode",
		Mapping: canonical.Mapping{System: "file", Object: "accounts", Fields: []canonical.FieldMapping{{Source: "id", Target: "account.id", Confidence: 0.99}}}}}
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Connection(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Name != c.Name || got.Kind != c.Kind || got.SafeMode != c.SafeMode || got.State != c.State ||
		!got.CreatedAt.Equal(c.CreatedAt) || !jsonEqual(got.Config.Raw(), c.Config.Raw()) {
		t.Errorf("got %+v (config %s), want %+v", got, got.Config.Raw(), c)
	}
	if len(got.Pending) != 1 || got.Pending[0].Mapping.Target("id") != "account.id" {
		t.Errorf("pending = %+v", got.Pending)
	}
}

func testCreateDuplicate(ctx context.Context, t *testing.T, s mesh.Store) {
	if err := s.CreateConnection(ctx, conn(tenantA, "crm")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConnection(ctx, conn(tenantA, "crm")); !errors.Is(err, mesh.ErrExists) {
		t.Errorf("duplicate create: %v, want ErrExists", err)
	}
	if err := s.CreateConnection(ctx, conn(tenantB, "crm")); err != nil {
		t.Errorf("same id in another tenant: %v", err)
	}
	bad := conn(tenantA, "")
	if err := s.CreateConnection(ctx, bad); !errors.Is(err, mesh.ErrInvalidConnection) {
		t.Errorf("create without id: %v, want ErrInvalidConnection", err)
	}
}

func testNotFound(ctx context.Context, t *testing.T, s mesh.Store) {
	if _, err := s.Connection(ctx, tenantA, "nope"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("get: %v, want ErrNotFound", err)
	}
	if err := s.UpdateConnection(ctx, conn(tenantA, "nope")); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("update: %v, want ErrNotFound", err)
	}
	if err := s.DeleteConnection(ctx, tenantA, "nope"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Connection(ctx, tenancy.Nil, "crm"); err == nil {
		t.Error("get with the nil tenant succeeded")
	}
}

func testUpdateAndList(ctx context.Context, t *testing.T, s mesh.Store) {
	for _, id := range []string{"b", "a", "c"} {
		if err := s.CreateConnection(ctx, conn(tenantA, id)); err != nil {
			t.Fatal(err)
		}
	}
	c := conn(tenantA, "b")
	c.Health = mesh.Health{Status: mesh.HealthFailed, LastError: "down", Failures: 2}
	c.State = mesh.StateActive
	if err := s.UpdateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	list, err := s.Connections(ctx, tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != "a" || list[1].ID != "b" || list[2].ID != "c" {
		t.Fatalf("list = %v", ids(list))
	}
	if list[1].Health.Status != mesh.HealthFailed || list[1].Health.Failures != 2 || list[1].State != mesh.StateActive {
		t.Errorf("updated connection = %+v", list[1])
	}
}

func testDelete(ctx context.Context, t *testing.T, s mesh.Store) {
	if err := s.CreateConnection(ctx, conn(tenantA, "crm")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, tenantA, "crm", "accounts", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadRecords(ctx, tenantA, []mesh.DeadRecord{{ID: "d1", Connection: "crm", Object: "accounts", Ref: "a.csv:2"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnection(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Connection(ctx, tenantA, "crm"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if cur, err := s.Cursor(ctx, tenantA, "crm", "accounts"); err != nil || cur != "" {
		t.Errorf("cursor after delete = %q, %v", cur, err)
	}
	if d, err := s.DeadRecords(ctx, tenantA, "crm", 0); err != nil || len(d) != 0 {
		t.Errorf("dead records after delete = %v, %v", d, err)
	}
}

func testTenantIsolation(ctx context.Context, t *testing.T, s mesh.Store) {
	if err := s.CreateConnection(ctx, conn(tenantA, "crm")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, tenantA, "crm", "accounts", "a-pos"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadRecords(ctx, tenantA, []mesh.DeadRecord{{ID: "d1", Connection: "crm", Object: "accounts"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Connection(ctx, tenantB, "crm"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("tenant B sees tenant A's connection: %v", err)
	}
	if list, err := s.Connections(ctx, tenantB); err != nil || len(list) != 0 {
		t.Errorf("tenant B lists %v, %v", ids(list), err)
	}
	if cur, err := s.Cursor(ctx, tenantB, "crm", "accounts"); err != nil || cur != "" {
		t.Errorf("tenant B reads cursor %q, %v", cur, err)
	}
	if d, err := s.DeadRecords(ctx, tenantB, "crm", 0); err != nil || len(d) != 0 {
		t.Errorf("tenant B reads dead records %v, %v", d, err)
	}
	if err := s.DeleteConnection(ctx, tenantB, "crm"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("tenant B deletes tenant A's connection: %v", err)
	}
}

func testCursors(ctx context.Context, t *testing.T, s mesh.Store) {
	if cur, err := s.Cursor(ctx, tenantA, "crm", "accounts"); err != nil || cur != "" {
		t.Fatalf("unsaved cursor = %q, %v; want empty", cur, err)
	}
	for _, c := range []string{"one", "two"} {
		if err := s.SaveCursor(ctx, tenantA, "crm", "accounts", aam.Cursor(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveCursor(ctx, tenantA, "crm", "contacts", "other"); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.Cursor(ctx, tenantA, "crm", "accounts"); err != nil || cur != "two" {
		t.Errorf("cursor = %q, %v; want the last saved", cur, err)
	}
	if cur, _ := s.Cursor(ctx, tenantA, "erp", "accounts"); cur != "" {
		t.Errorf("another connection's cursor = %q", cur)
	}
}

func testDeadRecords(ctx context.Context, t *testing.T, s mesh.Store) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	recs := []mesh.DeadRecord{
		{ID: "d1", Connection: "crm", Object: "accounts", Ref: "accounts.csv:3", Kind: mesh.DeadRowError, Reason: "ragged", At: at},
		{ID: "d2", Connection: "crm", Object: "accounts", Ref: "accounts.csv:7", Kind: mesh.DeadNormalize, Reason: "no key", At: at},
	}
	if err := s.AddDeadRecords(ctx, tenantA, recs); err != nil {
		t.Fatal(err)
	}
	// A replay adds no duplicate.
	if err := s.AddDeadRecords(ctx, tenantA, recs[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeadRecords(ctx, tenantA, "crm", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "d1" || got[1].Ref != "accounts.csv:7" || got[1].Kind != mesh.DeadNormalize || !got[0].At.Equal(at) {
		t.Errorf("dead records = %+v", got)
	}
	if got, _ := s.DeadRecords(ctx, tenantA, "crm", 1); len(got) != 1 || got[0].ID != "d1" {
		t.Errorf("limit 1 = %+v", got)
	}
	if err := s.AddDeadRecords(ctx, tenantA, []mesh.DeadRecord{{Connection: "crm"}}); err == nil {
		t.Error("a dead record without id was accepted")
	}
}

func testCopies(ctx context.Context, t *testing.T, s mesh.Store) {
	c := conn(tenantA, "crm")
	c.Pending = []mesh.Proposal{{Object: "accounts"}}
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Pending[0].Object = "changed"
	got, _ := s.Connection(ctx, tenantA, "crm")
	if got.Pending[0].Object != "accounts" {
		t.Error("the store shares the caller's Pending slice")
	}
	got.Pending[0].Object = "changed again"
	again, _ := s.Connection(ctx, tenantA, "crm")
	if again.Pending[0].Object != "accounts" {
		t.Error("the store returned its own Pending slice")
	}
}

// jsonEqual compares two JSON documents by value (a database may reorder
// keys and drop whitespace).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func ids(cs []mesh.Connection) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s/%s", c.Tenant, c.ID)
	}
	return out
}
