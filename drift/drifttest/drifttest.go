// Package drifttest is the conformance suite for [drift.Driver]
// implementations. Every driver's tests run it (drift/memstore always,
// drift/redisstore against a real Redis), and so can a user's own
// driver:
//
//	func TestConformance(t *testing.T) {
//		drifttest.RunConformanceTests(t, func(t *testing.T) drift.Driver {
//			return mydriver.New(...) // fresh and empty for each call
//		})
//	}
package drifttest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// NewDriver returns a fresh, empty driver for one test. Cleanup belongs
// in t.Cleanup.
type NewDriver func(t *testing.T) drift.Driver

// RunConformanceTests runs the shared semantics of a [drift.Driver]:
// compare-and-append, ordering, copies, tenant isolation, key escaping,
// concurrent writers and the [drift.Detector] on top.
func RunConformanceTests(t *testing.T, newDriver NewDriver) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, d drift.Driver)
	}{
		{"Empty", testEmpty},
		{"AppendAndRead", testAppendAndRead},
		{"Conflict", testConflict},
		{"History", testHistory},
		{"RoundTrip", testRoundTrip},
		{"Copies", testCopies},
		{"TenantIsolation", testTenantIsolation},
		{"KeyEscaping", testKeyEscaping},
		{"Objects", testObjects},
		{"ConcurrentRecord", testConcurrentRecord},
		{"Detector", testDetector},
		{"ConcurrentObservers", testConcurrentObservers},
		{"CanceledContext", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newDriver(t))
		})
	}
}

var (
	tenantA = tenancy.MustParse("00000000-0000-4000-8000-00000000000a")
	tenantB = tenancy.MustParse("00000000-0000-4000-8000-00000000000b")
	epoch   = time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
)

func schema(conn, object string, fields ...drift.Field) *drift.Schema {
	return &drift.Schema{System: "test", ConnectionID: conn, Object: object, Fields: fields}
}

func field(name string, t drift.FieldType) drift.Field { return drift.Field{Name: name, Type: t} }

func version(n int64, s *drift.Schema) drift.Version {
	return drift.Version{Number: n, Schema: s, Fingerprint: drift.Fingerprint(s), TypeFingerprint: drift.TypeFingerprint(s), RecordedAt: epoch.Add(time.Duration(n) * time.Minute)}
}

func keyOf(tenant tenancy.ID, s *drift.Schema) drift.Key { return drift.KeyOf(tenant, s) }

func testEmpty(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	k := drift.Key{Tenant: tenantA, ConnectionID: "c", Object: "o"}
	if _, err := d.Latest(ctx, k); !errors.Is(err, drift.ErrNotFound) {
		t.Errorf("Latest on empty = %v, want ErrNotFound", err)
	}
	if _, err := d.Get(ctx, k, 1); !errors.Is(err, drift.ErrNotFound) {
		t.Errorf("Get on empty = %v, want ErrNotFound", err)
	}
	vs, err := d.List(ctx, k, 0)
	if err != nil || len(vs) != 0 {
		t.Errorf("List on empty = %v, %v", vs, err)
	}
	ks, err := d.Objects(ctx, tenantA)
	if err != nil || len(ks) != 0 {
		t.Errorf("Objects on empty = %v, %v", ks, err)
	}
}

func testAppendAndRead(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	s1 := schema("c", "o", field("a", drift.TypeString))
	s2 := schema("c", "o", field("a", drift.TypeString), field("b", drift.TypeInteger))
	k := keyOf(tenantA, s1)
	mustAppend(t, d, k, 0, version(1, s1))
	mustAppend(t, d, k, 1, version(2, s2))
	got, err := d.Latest(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 2 || got.Fingerprint != drift.Fingerprint(s2) || len(got.Schema.Fields) != 2 {
		t.Errorf("Latest = %+v", got)
	}
	got, err = d.Get(ctx, k, 1)
	if err != nil || got.Number != 1 || got.Fingerprint != drift.Fingerprint(s1) {
		t.Errorf("Get(1) = %+v, %v", got, err)
	}
	if _, err := d.Get(ctx, k, 3); !errors.Is(err, drift.ErrNotFound) {
		t.Errorf("Get(3) = %v, want ErrNotFound", err)
	}
}

func mustAppend(t *testing.T, d drift.Driver, k drift.Key, prev int64, v drift.Version) {
	t.Helper()
	if err := d.Append(context.Background(), k, prev, v); err != nil {
		t.Fatalf("Append(%s, prev %d): %v", k, prev, err)
	}
}

func testConflict(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	s := schema("c", "o", field("a", drift.TypeString))
	k := keyOf(tenantA, s)
	mustAppend(t, d, k, 0, version(1, s))
	if err := d.Append(ctx, k, 0, version(1, s)); !errors.Is(err, drift.ErrConflict) {
		t.Errorf("second append after 0 = %v, want ErrConflict", err)
	}
	if err := d.Append(ctx, k, 5, version(6, s)); !errors.Is(err, drift.ErrConflict) {
		t.Errorf("append after 5 = %v, want ErrConflict", err)
	}
	vs, _ := d.List(ctx, k, 0)
	if len(vs) != 1 {
		t.Errorf("a conflicting append stored something: %d versions", len(vs))
	}
}

func testHistory(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	k := drift.Key{Tenant: tenantA, ConnectionID: "c", Object: "o"}
	for i := int64(1); i <= 5; i++ {
		mustAppend(t, d, k, i-1, version(i, schema("c", "o", field(fmt.Sprint("f", i), drift.TypeString))))
	}
	vs, err := d.List(ctx, k, 0)
	if err != nil || len(vs) != 5 {
		t.Fatalf("List = %d versions, %v", len(vs), err)
	}
	for i, v := range vs {
		if v.Number != int64(5-i) || v.Schema.Fields[0].Name != fmt.Sprint("f", 5-i) {
			t.Errorf("List[%d] = version %d %v, want newest first", i, v.Number, v.Schema.Fields)
		}
	}
	vs, err = d.List(ctx, k, 2)
	if err != nil || len(vs) != 2 || vs[0].Number != 5 || vs[1].Number != 4 {
		t.Errorf("List(limit 2) = %+v, %v", vs, err)
	}
}

func testRoundTrip(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	lo, hi := -1.5, 1e9
	s := &drift.Schema{
		System: "salesforce", ConnectionID: "conn-1", Object: "Opportunity", PrimaryKey: []string{"Id"},
		Fields: []drift.Field{
			{Name: "Id", Type: drift.TypeString, Samples: []string{"0015g00000XyZaBAAV"}},
			{Name: "Amount", Type: drift.TypeNumber, Nullable: true, Samples: []string{"1.5", "é ✓"},
				Stats: drift.Stats{Count: 10, NullRatio: 0.1, DistinctRatio: 0.5, MinLen: 1, MaxLen: 9,
					Patterns: map[drift.Pattern]float64{drift.PatternNumeric: 0.9, drift.PatternMoney: 0.1}, Min: &lo, Max: &hi}},
		},
	}
	want := version(1, s)
	mustAppend(t, d, keyOf(tenantA, s), 0, want)
	got, err := d.Latest(ctx, keyOf(tenantA, s))
	if err != nil {
		t.Fatal(err)
	}
	if !got.RecordedAt.Equal(want.RecordedAt) {
		t.Errorf("RecordedAt = %v, want %v", got.RecordedAt, want.RecordedAt)
	}
	got.RecordedAt = want.RecordedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got.Schema, want.Schema)
	}
}

func testCopies(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	s := schema("c", "o", drift.Field{Name: "a", Type: drift.TypeString, Samples: []string{"x"}})
	k := keyOf(tenantA, s)
	v := version(1, s)
	mustAppend(t, d, k, 0, v)
	s.Fields[0].Name = "mutated-after-append"
	got, _ := d.Latest(ctx, k)
	got.Schema.Fields[0].Samples[0] = "mutated-after-read"
	again, err := d.Latest(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if again.Schema.Fields[0].Name != "a" || again.Schema.Fields[0].Samples[0] != "x" {
		t.Errorf("driver shares memory with callers: %+v", again.Schema.Fields[0])
	}
}

func testTenantIsolation(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	s := schema("c", "o", field("a", drift.TypeString))
	mustAppend(t, d, keyOf(tenantA, s), 0, version(1, s))
	if _, err := d.Latest(ctx, keyOf(tenantB, s)); !errors.Is(err, drift.ErrNotFound) {
		t.Errorf("tenant B sees tenant A's schema: %v", err)
	}
	if ks, _ := d.Objects(ctx, tenantB); len(ks) != 0 {
		t.Errorf("tenant B lists %v", ks)
	}
	// Tenant B's own history starts at 1.
	mustAppend(t, d, keyOf(tenantB, s), 0, version(1, s))
}

func testKeyEscaping(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	odd := []drift.Key{
		{Tenant: tenantA, ConnectionID: "a:b", Object: "c"},
		{Tenant: tenantA, ConnectionID: "a", Object: "b:c"},
		{Tenant: tenantA, ConnectionID: "a{x}", Object: "%3A é/ *"},
		{Tenant: tenantA, ConnectionID: "a", Object: "b\x00c"},
	}
	for i, k := range odd {
		mustAppend(t, d, k, 0, version(1, schema(k.ConnectionID, k.Object, field(fmt.Sprint("f", i), drift.TypeString))))
	}
	for i, k := range odd {
		v, err := d.Latest(ctx, k)
		if err != nil || v.Number != 1 || v.Schema.Fields[0].Name != fmt.Sprint("f", i) {
			t.Errorf("key %q/%q: %+v, %v (keys collide?)", k.ConnectionID, k.Object, v, err)
		}
	}
	ks, err := d.Objects(ctx, tenantA)
	if err != nil || len(ks) != len(odd) {
		t.Fatalf("Objects = %v, %v", ks, err)
	}
	for _, k := range ks {
		found := false
		for _, o := range odd {
			found = found || k == o
		}
		if !found {
			t.Errorf("Objects returned unknown key %+v", k)
		}
	}
}

func testObjects(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	for _, co := range [][2]string{{"c2", "b"}, {"c1", "z"}, {"c1", "a"}} {
		s := schema(co[0], co[1], field("a", drift.TypeString))
		mustAppend(t, d, keyOf(tenantA, s), 0, version(1, s))
		mustAppend(t, d, keyOf(tenantA, s), 1, version(2, s))
	}
	ks, err := d.Objects(ctx, tenantA)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(ks)
	want := fmt.Sprint([]drift.Key{
		{Tenant: tenantA, ConnectionID: "c1", Object: "a"},
		{Tenant: tenantA, ConnectionID: "c1", Object: "z"},
		{Tenant: tenantA, ConnectionID: "c2", Object: "b"},
	})
	if got != want {
		t.Errorf("Objects = %s, want %s", got, want)
	}
}

func testConcurrentRecord(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	store := drift.NewStore(d, &drift.StoreConfig{MaxAttempts: 1000})
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			_, err := store.Record(ctx, tenantA, schema("c", "o", field(fmt.Sprint("w", i), drift.TypeString)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	vs, err := store.History(ctx, drift.Key{Tenant: tenantA, ConnectionID: "c", Object: "o"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if v.Number != int64(writers-i) {
			t.Errorf("version %d at position %d: gaps or duplicates", v.Number, i)
		}
		seen[v.Schema.Fields[0].Name] = true
	}
	if len(vs) != writers || len(seen) != writers {
		t.Errorf("%d versions, %d distinct writers; want %d of each (a version was lost)", len(vs), len(seen), writers)
	}
}

func testDetector(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	now := epoch
	det := drift.NewDetector(drift.NewStore(d, nil), &drift.DetectorConfig{Clock: func() time.Time { return now }})
	v1 := schema("c", "o", field("id", drift.TypeString), field("amount", drift.TypeInteger))
	ev, err := det.Observe(ctx, tenantA, v1)
	if err != nil || ev != nil {
		t.Fatalf("first sighting = %+v, %v; want no event", ev, err)
	}
	reordered := schema("c", "o", field("amount", drift.TypeInteger), field("id", drift.TypeString))
	if ev, err := det.Observe(ctx, tenantA, reordered); err != nil || ev != nil {
		t.Fatalf("same schema reordered = %+v, %v; want no event", ev, err)
	}
	now = now.Add(time.Hour)
	v2 := schema("c", "o", field("id", drift.TypeString), field("amount", drift.TypeNumber), field("region", drift.TypeString))
	ev, err = det.Observe(ctx, tenantA, v2)
	if err != nil || ev == nil {
		t.Fatalf("changed schema = %+v, %v; want an event", ev, err)
	}
	if ev.OldVersion != 1 || ev.NewVersion != 2 || ev.Severity != drift.SeverityNonBreaking || !ev.DetectedAt.Equal(now) ||
		ev.OldFingerprint != drift.Fingerprint(v1) || ev.NewFingerprint != drift.Fingerprint(v2) || len(ev.Diff.Changes) != 2 ||
		ev.Tenant != tenantA || ev.ConnectionID != "c" || ev.Object != "o" {
		t.Errorf("event = %+v", ev)
	}
	latest, err := d.Latest(ctx, keyOf(tenantA, v2))
	if err != nil || latest.Number != 2 || !latest.RecordedAt.Equal(now) {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	// A removal is breaking.
	ev, err = det.Observe(ctx, tenantA, schema("c", "o", field("id", drift.TypeString)))
	if err != nil || ev == nil || ev.Severity != drift.SeverityBreaking || len(ev.Diff.Removed) != 2 {
		t.Errorf("removal = %+v, %v", ev, err)
	}
	// Bad input gets a clear error.
	if _, err := det.Observe(ctx, tenantA, schema("", "o")); !errors.Is(err, drift.ErrInvalidKey) {
		t.Errorf("no connection id: %v", err)
	}
	if _, err := det.Observe(ctx, tenancy.Nil, v1); !errors.Is(err, drift.ErrInvalidKey) {
		t.Errorf("no tenant: %v", err)
	}
	if _, err := det.Observe(ctx, tenantA, schema("c", "o", field("x", "decimal"))); !errors.Is(err, drift.ErrInvalidSchema) {
		t.Errorf("unknown type: %v", err)
	}
}

func testConcurrentObservers(t *testing.T, d drift.Driver) {
	ctx := context.Background()
	det := drift.NewDetector(drift.NewStore(d, nil), &drift.DetectorConfig{MaxAttempts: 1000})
	const observers = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	events := 0
	for i := range observers {
		wg.Go(func() {
			ev, err := det.Observe(ctx, tenantA, schema("c", "o", field(fmt.Sprint("f", i), drift.TypeString)))
			if err != nil {
				t.Errorf("Observe: %v", err)
			}
			if ev != nil {
				mu.Lock()
				events++
				mu.Unlock()
				if ev.NewVersion != ev.OldVersion+1 {
					t.Errorf("event versions %d -> %d", ev.OldVersion, ev.NewVersion)
				}
			}
		})
	}
	wg.Wait()
	vs, err := d.List(ctx, drift.Key{Tenant: tenantA, ConnectionID: "c", Object: "o"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != observers || events != observers-1 {
		t.Errorf("%d versions and %d events, want %d and %d", len(vs), events, observers, observers-1)
	}
}

func testCanceled(t *testing.T, d drift.Driver) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := drift.Key{Tenant: tenantA, ConnectionID: "c", Object: "o"}
	s := schema("c", "o", field("a", drift.TypeString))
	if err := d.Append(ctx, k, 0, version(1, s)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with canceled context = %v", err)
	}
	if _, err := d.Latest(ctx, k); !errors.Is(err, context.Canceled) {
		t.Errorf("Latest with canceled context = %v", err)
	}
	if _, err := drift.NewStore(d, nil).Record(ctx, tenantA, s); !errors.Is(err, context.Canceled) {
		t.Errorf("Record with canceled context = %v", err)
	}
}
