// Package storetest is the conformance suite of [graphstore] drivers.
// Every driver's tests run it, so the in-memory, Redis and fallback
// drivers are proven to behave the same; a driver of your own can prove it
// too:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (storetest.Harness, error) {
//			return myHarness{}, nil
//		})
//	}
//
// The suite uses fresh random tenants in every test, so a harness may hand
// out drivers that share one backend.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/tenancy"
)

// Harness makes drivers for the suite.
type Harness interface {
	// MakeDriver returns a driver for one test. The suite closes it
	// through the Store that wraps it.
	MakeDriver(ctx context.Context) (graphstore.Driver, error)
	// Close releases what the harness holds; called once per test after
	// the driver is closed.
	Close()
}

// HarnessMaker returns a new harness for one test.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// clock is a settable clock for the stores under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// newStore makes a Store over a fresh driver of the harness.
func newStore(t *testing.T, newHarness HarnessMaker) (*graphstore.Store, *clock) {
	t.Helper()
	ctx := context.Background()
	h, err := newHarness(ctx, t)
	if err != nil {
		t.Fatalf("newHarness: %v", err)
	}
	d, err := h.MakeDriver(ctx)
	if err != nil {
		h.Close()
		t.Fatalf("MakeDriver: %v", err)
	}
	clk := &clock{now: time.Date(2026, 11, 22, 13, 0, 0, 123456789, time.UTC)}
	s, err := graphstore.New(d, &graphstore.Config{Clock: clk.Now, MaxUpdateAttempts: 10000})
	if err != nil {
		h.Close()
		t.Fatalf("graphstore.New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, graphstore.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
		h.Close()
	})
	return s, clk
}

// RunConformanceTests runs the suite against the drivers newHarness makes.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *graphstore.Store, *clock)
	}{
		{"LoadMissing", testLoadMissing},
		{"SaveCreateLoad", testSaveCreateLoad},
		{"SaveIncrementsVersion", testSaveIncrements},
		{"StaleVersionConflicts", testStaleVersion},
		{"SaveWithVersionOnAbsentConflicts", testSaveVersionOnAbsent},
		{"ConcurrentSavesOneWins", testConcurrentSavesOneWins},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
		{"TenantIsolation", testTenantIsolation},
		{"CopiesAreNotShared", testCopies},
		{"LoadSharedIsASnapshot", testLoadShared},
		{"RoundTripFidelity", testRoundTrip},
		{"InvalidTenant", testInvalidTenant},
		{"InvalidGraph", testInvalidGraph},
		{"Delete", testDelete},
		{"CanceledContext", testCanceledContext},
		{"SeedDemo", testSeedDemo},
		{"SeedUpgradesUnchangedOlderDemo", testSeedUpgrade},
		{"SeedNeverOverwritesUserGraph", testSeedKeepsUserGraph},
		{"SeedConcurrent", testSeedConcurrent},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newStore(t, newHarness)
			tc.fn(t, s, clk)
		})
	}
}

// SmallGraph returns a valid graph of n nodes in a chain (n-1 edges)
// with attributes on every part; label marks it apart from others.
func SmallGraph(n int, label string) *graphstore.Graph {
	g := &graphstore.Graph{Nodes: []graphstore.Node{}, Edges: []graphstore.Edge{}}
	for i := range n {
		g.Nodes = append(g.Nodes, graphstore.Node{
			ID:         "node:" + strconv.Itoa(i),
			Kind:       []graphstore.NodeKind{graphstore.KindSource, graphstore.KindObject, graphstore.KindEntity, graphstore.KindView, graphstore.KindAgent}[i%5],
			Label:      fmt.Sprintf("%s %d", label, i),
			Attributes: map[string]string{"index": strconv.Itoa(i), "label": label},
		})
		if i > 0 {
			g.Edges = append(g.Edges, graphstore.Edge{
				From: "node:" + strconv.Itoa(i-1), To: "node:" + strconv.Itoa(i),
				Kind: graphstore.EdgeMapsTo, Confidence: float64(i%100) / 100, RowCount: int64(i) * 1000,
				Attributes: map[string]string{"field": "f" + strconv.Itoa(i)},
			})
		}
	}
	return g
}

// BenchGraph returns the graph the benchmarks save and load: n nodes and
// about 2n edges, each with a few attributes.
func BenchGraph(n int) *graphstore.Graph {
	g := SmallGraph(n, "bench")
	for i := 2; i < n; i++ {
		g.Edges = append(g.Edges, graphstore.Edge{
			From: "node:" + strconv.Itoa(i-2), To: "node:" + strconv.Itoa(i),
			Kind: graphstore.EdgeFeeds, Confidence: 0.5, RowCount: int64(i),
		})
	}
	return g
}

// RunBenchmarks measures Save and Load of a 200-node graph on the store
// newStore returns, reporting ns/op and ops/s.
func RunBenchmarks(b *testing.B, newStore func(b *testing.B) *graphstore.Store) {
	b.Run("Save200", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		tenant := tenancy.New()
		g := BenchGraph(200)
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for b.Loop() {
			out, err := s.Save(ctx, tenant, g)
			if err != nil {
				b.Fatal(err)
			}
			g.Version = out.Version
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	})
	b.Run("Load200", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		tenant := tenancy.New()
		if _, err := s.Save(ctx, tenant, BenchGraph(200)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for b.Loop() {
			g, err := s.Load(ctx, tenant)
			if err != nil {
				b.Fatal(err)
			}
			if len(g.Nodes) != 200 {
				b.Fatalf("loaded %d nodes, want 200", len(g.Nodes))
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	})
}

// Equal reports whether two graphs are the same, field by field.
func Equal(a, b *graphstore.Graph) bool { return reflect.DeepEqual(a, b) }

func mustEqual(t *testing.T, what string, got, want *graphstore.Graph) {
	t.Helper()
	if !Equal(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("%s: graphs differ\n got: %.600s\nwant: %.600s", what, gj, wj)
	}
}

func mustSave(t *testing.T, s *graphstore.Store, tenant tenancy.ID, g *graphstore.Graph) *graphstore.Graph {
	t.Helper()
	out, err := s.Save(context.Background(), tenant, g)
	if err != nil {
		t.Fatalf("Save(version %d): %v", g.Version, err)
	}
	return out
}

func mustLoad(t *testing.T, s *graphstore.Store, tenant tenancy.ID) *graphstore.Graph {
	t.Helper()
	g, err := s.Load(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

func wantConflict(t *testing.T, err error, tenant tenancy.ID, expected, actual int64) {
	t.Helper()
	if !errors.Is(err, graphstore.ErrVersionConflict) {
		t.Fatalf("err = %v, want a version conflict", err)
	}
	var vc *graphstore.VersionConflictError
	if !errors.As(err, &vc) {
		t.Fatalf("err = %v (%T), want a *VersionConflictError", err, err)
	}
	if vc.Tenant != tenant || vc.Expected != expected || vc.Actual != actual {
		t.Fatalf("conflict = {%s %d %d}, want {%s %d %d}", vc.Tenant, vc.Expected, vc.Actual, tenant, expected, actual)
	}
}

func testLoadMissing(t *testing.T, s *graphstore.Store, _ *clock) {
	_, err := s.Load(context.Background(), tenancy.New())
	if !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("Load of a tenant with no graph: err = %v, want ErrNotFound", err)
	}
}

func testSaveCreateLoad(t *testing.T, s *graphstore.Store, clk *clock) {
	tenant := tenancy.New()
	in := SmallGraph(5, "create")
	before := clk.now
	out := mustSave(t, s, tenant, in)
	if out.Version != 1 {
		t.Fatalf("saved version = %d, want 1", out.Version)
	}
	if !out.UpdatedAt.After(before) || out.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt = %v, want a UTC time after %v", out.UpdatedAt, before)
	}
	if in.Version != 0 || !in.UpdatedAt.IsZero() {
		t.Fatalf("Save changed its argument: version %d, updated_at %v", in.Version, in.UpdatedAt)
	}
	want := in.Clone()
	want.Version, want.UpdatedAt = 1, out.UpdatedAt
	mustEqual(t, "Save result", out, want)
	mustEqual(t, "Load after Save", mustLoad(t, s, tenant), want)
}

func testSaveIncrements(t *testing.T, s *graphstore.Store, _ *clock) {
	tenant := tenancy.New()
	g := SmallGraph(3, "inc")
	var last time.Time
	for want := int64(1); want <= 4; want++ {
		g.Nodes[0].Label = "step " + strconv.FormatInt(want, 10)
		out := mustSave(t, s, tenant, g)
		if out.Version != want {
			t.Fatalf("save %d stored version %d", want, out.Version)
		}
		if !out.UpdatedAt.After(last) {
			t.Fatalf("UpdatedAt did not advance: %v then %v", last, out.UpdatedAt)
		}
		last = out.UpdatedAt
		g = mustLoad(t, s, tenant)
		if g.Version != want || g.Nodes[0].Label != "step "+strconv.FormatInt(want, 10) {
			t.Fatalf("loaded version %d label %q after save %d", g.Version, g.Nodes[0].Label, want)
		}
	}
}

func testStaleVersion(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	v1 := mustSave(t, s, tenant, SmallGraph(3, "first"))

	_, err := s.Save(ctx, tenant, SmallGraph(3, "create again"))
	wantConflict(t, err, tenant, 0, 1)

	a := v1.Clone()
	a.Nodes[0].Label = "a"
	b := v1.Clone()
	b.Nodes[0].Label = "b"
	won := mustSave(t, s, tenant, a)
	_, err = s.Save(ctx, tenant, b)
	wantConflict(t, err, tenant, 1, 2)
	mustEqual(t, "state after a refused save", mustLoad(t, s, tenant), won)
}

func testSaveVersionOnAbsent(t *testing.T, s *graphstore.Store, _ *clock) {
	tenant := tenancy.New()
	g := SmallGraph(2, "x")
	g.Version = 5
	_, err := s.Save(context.Background(), tenant, g)
	wantConflict(t, err, tenant, 5, 0)
	if _, err := s.Load(context.Background(), tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("a refused save stored something: Load err = %v", err)
	}
}

func testConcurrentSavesOneWins(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	base := mustSave(t, s, tenant, SmallGraph(4, "base"))
	const n = 8
	var (
		wg        sync.WaitGroup
		wins      atomic.Int32
		conflicts atomic.Int32
		mu        sync.Mutex
		winner    *graphstore.Graph
	)
	for i := range n {
		wg.Go(func() {
			g := base.Clone()
			g.Nodes[1].Label = "writer " + strconv.Itoa(i)
			out, err := s.Save(ctx, tenant, g)
			switch {
			case err == nil:
				wins.Add(1)
				mu.Lock()
				winner = out
				mu.Unlock()
			case errors.Is(err, graphstore.ErrVersionConflict):
				conflicts.Add(1)
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d saves won and %d conflicted, want 1 and %d", wins.Load(), conflicts.Load(), n-1)
	}
	mustEqual(t, "stored graph", mustLoad(t, s, tenant), winner)
}

func testConcurrentUpdates(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	const writers, each = 6, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("node:w%d-%d", w, i)
				_, err := s.Update(ctx, tenant, func(g *graphstore.Graph) error {
					g.Nodes = append(g.Nodes, graphstore.Node{ID: id, Kind: graphstore.KindObject, Label: id})
					return nil
				})
				if err != nil {
					t.Errorf("Update %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	g := mustLoad(t, s, tenant)
	if g.Version != writers*each || len(g.Nodes) != writers*each {
		t.Fatalf("after %d updates: version %d with %d nodes", writers*each, g.Version, len(g.Nodes))
	}
	for w := range writers {
		for i := range each {
			if _, ok := g.Node(fmt.Sprintf("node:w%d-%d", w, i)); !ok {
				t.Fatalf("update w%d-%d was lost", w, i)
			}
		}
	}
}

func testTenantIsolation(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	a, b := tenancy.New(), tenancy.New()
	ga := mustSave(t, s, a, SmallGraph(3, "tenant a"))
	if _, err := s.Load(ctx, b); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("tenant b sees a graph: err = %v", err)
	}
	gb := mustSave(t, s, b, SmallGraph(4, "tenant b"))
	mustEqual(t, "tenant a", mustLoad(t, s, a), ga)
	mustEqual(t, "tenant b", mustLoad(t, s, b), gb)
	if err := s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tenant a after deleting b", mustLoad(t, s, a), ga)
}

func testCopies(t *testing.T, s *graphstore.Store, _ *clock) {
	tenant := tenancy.New()
	in := SmallGraph(3, "copy")
	out := mustSave(t, s, tenant, in)
	want := out.Clone()

	in.Nodes[0].Label = "changed input"
	in.Nodes[0].Attributes["label"] = "changed input"
	in.Edges[0].Attributes["field"] = "changed input"
	out.Nodes[1].Label = "changed result"
	out.Nodes[1].Attributes["label"] = "changed result"
	loaded := mustLoad(t, s, tenant)
	mustEqual(t, "after changing the saved and returned graphs", loaded, want)

	loaded.Nodes[2].Attributes["label"] = "changed loaded"
	loaded.Edges = loaded.Edges[:0]
	mustEqual(t, "after changing a loaded graph", mustLoad(t, s, tenant), want)
}

// testLoadShared: LoadShared gives what Load gives, with the same errors,
// and a graph it returned is not changed by later saves, whether the
// driver shares its graph or the Store copies it.
func testLoadShared(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	if _, err := s.LoadShared(ctx, tenancy.New()); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("LoadShared of a tenant with no graph: err = %v, want ErrNotFound", err)
	}
	if _, err := s.LoadShared(ctx, tenancy.ID{}); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Fatalf("LoadShared of the zero tenant: err = %v, want tenancy.ErrInvalidID", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.LoadShared(canceled, tenancy.New()); !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadShared with a canceled context: err = %v, want context.Canceled", err)
	}
	tenant := tenancy.New()
	first := mustSave(t, s, tenant, SmallGraph(4, "shared"))
	shared, err := s.LoadShared(ctx, tenant)
	if err != nil {
		t.Fatalf("LoadShared: %v", err)
	}
	mustEqual(t, "LoadShared after Save", shared, first)
	mustEqual(t, "LoadShared and Load", shared, mustLoad(t, s, tenant))
	snapshot := shared.Clone()

	next := mustLoad(t, s, tenant)
	next.Nodes[0].Label = "changed"
	next.Nodes[1].Attributes["label"] = "changed"
	next.Edges = next.Edges[:1]
	second := mustSave(t, s, tenant, next)
	mustEqual(t, "a shared graph after a later save", shared, snapshot)
	again, err := s.LoadShared(ctx, tenant)
	if err != nil {
		t.Fatalf("LoadShared after the second save: %v", err)
	}
	mustEqual(t, "LoadShared after the second save", again, second)
}

func testRoundTrip(t *testing.T, s *graphstore.Store, _ *clock) {
	tenant := tenancy.New()
	g := SmallGraph(200, "fidelity")
	g.Nodes[0].Label = "Ünïcödé ✓ \"quoted\" <tag> \\ back\nslash"
	g.Nodes[0].Attributes["emoji"] = "🚀"
	g.Nodes[0].Attributes[`{"version":9}`] = `{"version":9}`
	g.Nodes[3].Attributes = map[string]string{} // empty map comes back as nil
	g.Edges[0].Confidence = 0.123456789012345
	g.Edges[1].RowCount = 1 << 50
	g.DemoVersion = 0
	out := mustSave(t, s, tenant, g)
	if out.Nodes[3].Attributes != nil {
		t.Fatalf("empty attributes stored as %#v, want nil", out.Nodes[3].Attributes)
	}
	mustEqual(t, "Load", mustLoad(t, s, tenant), out)
}

func testInvalidTenant(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	if _, err := s.Load(ctx, tenancy.Nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Load(nil tenant): err = %v, want tenancy.ErrInvalidID", err)
	}
	if _, err := s.Save(ctx, tenancy.Nil, SmallGraph(1, "x")); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Save(nil tenant): err = %v, want tenancy.ErrInvalidID", err)
	}
	if err := s.Delete(ctx, tenancy.Nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Delete(nil tenant): err = %v, want tenancy.ErrInvalidID", err)
	}
	if _, err := s.SeedDemo(ctx, tenancy.Nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("SeedDemo(nil tenant): err = %v, want tenancy.ErrInvalidID", err)
	}
}

func testInvalidGraph(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	cases := []struct {
		path   string
		mutate func(g *graphstore.Graph)
	}{
		{"nodes[1].id", func(g *graphstore.Graph) { g.Nodes[1].ID = " " }},
		{"nodes[2].id", func(g *graphstore.Graph) { g.Nodes[2].ID = g.Nodes[0].ID }},
		{"nodes[0].kind", func(g *graphstore.Graph) { g.Nodes[0].Kind = "" }},
		{"nodes[0].label", func(g *graphstore.Graph) { g.Nodes[0].Label = "bad \xff utf-8" }},
		{"edges[0].from", func(g *graphstore.Graph) { g.Edges[0].From = "node:missing" }},
		{"edges[1].to", func(g *graphstore.Graph) { g.Edges[1].To = "" }},
		{"edges[0].kind", func(g *graphstore.Graph) { g.Edges[0].Kind = "" }},
		{"edges[1].confidence", func(g *graphstore.Graph) { g.Edges[1].Confidence = 1.5 }},
		{"edges[1].row_count", func(g *graphstore.Graph) { g.Edges[1].RowCount = -1 }},
		{"edges[1]", func(g *graphstore.Graph) { g.Edges[1] = g.Edges[0] }},
		{"version", func(g *graphstore.Graph) { g.Version = -1 }},
	}
	for _, c := range cases {
		g := SmallGraph(4, "bad")
		c.mutate(g)
		_, err := s.Save(ctx, tenant, g)
		var ig *graphstore.InvalidGraphError
		if !errors.As(err, &ig) || !errors.Is(err, graphstore.ErrInvalidGraph) {
			t.Errorf("%s: err = %v, want an *InvalidGraphError", c.path, err)
			continue
		}
		if ig.Path != c.path {
			t.Errorf("error path = %q, want %q (%v)", ig.Path, c.path, err)
		}
	}
	if _, err := s.Save(ctx, tenant, nil); !errors.Is(err, graphstore.ErrInvalidGraph) {
		t.Errorf("Save(nil graph): err = %v, want ErrInvalidGraph", err)
	}
	if _, err := s.Load(ctx, tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("an invalid graph was stored: Load err = %v", err)
	}
}

func testDelete(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	if err := s.Delete(ctx, tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("Delete of nothing: err = %v, want ErrNotFound", err)
	}
	mustSave(t, s, tenant, SmallGraph(2, "gone soon"))
	if err := s.Delete(ctx, tenant); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Load(ctx, tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("Load after Delete: err = %v, want ErrNotFound", err)
	}
	if out := mustSave(t, s, tenant, SmallGraph(2, "again")); out.Version != 1 {
		t.Fatalf("first save after Delete stored version %d, want 1", out.Version)
	}
}

func testCanceledContext(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tenant := tenancy.New()
	if _, err := s.Save(ctx, tenant, SmallGraph(2, "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Save: err = %v, want context.Canceled", err)
	}
	if _, err := s.Load(ctx, tenant); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: err = %v, want context.Canceled", err)
	}
	if _, err := s.Load(context.Background(), tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Errorf("a save with a canceled context stored something: %v", err)
	}
}

func testSeedDemo(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	act, err := s.SeedDemo(ctx, tenant)
	if err != nil || act != graphstore.SeedCreated {
		t.Fatalf("SeedDemo on an absent graph = %v, %v; want created", act, err)
	}
	g := mustLoad(t, s, tenant)
	if len(g.Nodes) != graphstore.DemoNodes || len(g.Edges) != graphstore.DemoEdges {
		t.Fatalf("demo graph has %d nodes and %d edges, want %d and %d", len(g.Nodes), len(g.Edges), graphstore.DemoNodes, graphstore.DemoEdges)
	}
	if g.DemoVersion != graphstore.DemoVersion || !g.IsPristineDemo() || g.Version != 1 {
		t.Fatalf("seeded graph: demo_version %d, pristine %v, version %d", g.DemoVersion, g.IsPristineDemo(), g.Version)
	}
	act, err = s.SeedDemo(ctx, tenant)
	if err != nil || act != graphstore.SeedCurrent {
		t.Fatalf("second SeedDemo = %v, %v; want current", act, err)
	}
	if again := mustLoad(t, s, tenant); again.Version != 1 {
		t.Fatalf("a current demo was rewritten: version %d", again.Version)
	}
}

// newerDemo returns the current demo relabelled as layout DemoVersion+1.
func newerDemo() *graphstore.Graph {
	d := graphstore.DemoGraph()
	d.DemoVersion = graphstore.DemoVersion + 1
	d.Nodes[0].Label = "Salesforce (layout " + strconv.Itoa(d.DemoVersion) + ")"
	return d
}

func testSeedUpgrade(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	if _, err := s.SeedDemo(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	newer := newerDemo()
	act, err := s.Seed(ctx, tenant, newer)
	if err != nil || act != graphstore.SeedUpgraded {
		t.Fatalf("Seed(newer demo) over an unchanged older demo = %v, %v; want upgraded", act, err)
	}
	g := mustLoad(t, s, tenant)
	if g.DemoVersion != newer.DemoVersion || g.Version != 2 || g.Nodes[0].Label != newer.Nodes[0].Label || !g.IsPristineDemo() {
		t.Fatalf("after upgrade: demo_version %d, version %d, label %q, pristine %v",
			g.DemoVersion, g.Version, g.Nodes[0].Label, g.IsPristineDemo())
	}
	// The older layout never replaces a newer one.
	act, err = s.SeedDemo(ctx, tenant)
	if err != nil || act != graphstore.SeedCurrent {
		t.Fatalf("SeedDemo over a newer demo = %v, %v; want current", act, err)
	}
	if mustLoad(t, s, tenant).DemoVersion != newer.DemoVersion {
		t.Fatal("an older demo replaced a newer one")
	}
}

func testSeedKeepsUserGraph(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()

	// A seeded demo that a user then changed.
	changed := tenancy.New()
	if _, err := s.SeedDemo(ctx, changed); err != nil {
		t.Fatal(err)
	}
	g := mustLoad(t, s, changed)
	g.Nodes = append(g.Nodes, graphstore.Node{ID: "source:mine", Kind: graphstore.KindSource, Label: "My source"})
	userGraph := mustSave(t, s, changed, g)

	// A graph that never was a demo.
	own := tenancy.New()
	ownGraph := mustSave(t, s, own, SmallGraph(3, "own"))

	// A demo-tagged graph with no digest (written by another system):
	// nothing proves it unchanged.
	legacy := tenancy.New()
	lg := graphstore.DemoGraph()
	lg.DemoDigest = ""
	legacyGraph := mustSave(t, s, legacy, lg)

	for _, c := range []struct {
		name   string
		tenant tenancy.ID
		want   *graphstore.Graph
	}{{"changed demo", changed, userGraph}, {"own graph", own, ownGraph}, {"demo without digest", legacy, legacyGraph}} {
		for _, demo := range []*graphstore.Graph{graphstore.DemoGraph(), newerDemo()} {
			act, err := s.Seed(ctx, c.tenant, demo)
			if err != nil || act != graphstore.SeedKept {
				t.Fatalf("%s: Seed(demo v%d) = %v, %v; want kept", c.name, demo.DemoVersion, act, err)
			}
		}
		mustEqual(t, c.name+" after seeding", mustLoad(t, s, c.tenant), c.want)
	}

	if _, err := s.Seed(ctx, own, &graphstore.Graph{}); !errors.Is(err, graphstore.ErrInvalidGraph) {
		t.Fatalf("Seed with demo_version 0: err = %v, want ErrInvalidGraph", err)
	}
}

func testSeedConcurrent(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	var wg sync.WaitGroup
	var created, current atomic.Int32
	for range 6 {
		wg.Go(func() {
			act, err := s.SeedDemo(ctx, tenant)
			switch {
			case err != nil:
				t.Errorf("SeedDemo: %v", err)
			case act == graphstore.SeedCreated:
				created.Add(1)
			case act == graphstore.SeedCurrent:
				current.Add(1)
			default:
				t.Errorf("SeedDemo = %v", act)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 || current.Load() != 5 {
		t.Fatalf("concurrent seeding: %d created, %d current; want 1 and 5", created.Load(), current.Load())
	}
	if g := mustLoad(t, s, tenant); g.Version != 1 {
		t.Fatalf("concurrent seeding wrote %d times", g.Version)
	}
}

func testClosed(t *testing.T, s *graphstore.Store, _ *clock) {
	ctx := context.Background()
	tenant := tenancy.New()
	mustSave(t, s, tenant, SmallGraph(2, "x"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Load(ctx, tenant); !errors.Is(err, graphstore.ErrClosed) {
		t.Errorf("Load after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.LoadShared(ctx, tenant); !errors.Is(err, graphstore.ErrClosed) {
		t.Errorf("LoadShared after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.Save(ctx, tenant, SmallGraph(2, "y")); !errors.Is(err, graphstore.ErrClosed) {
		t.Errorf("Save after Close: err = %v, want ErrClosed", err)
	}
	if err := s.Delete(ctx, tenant); !errors.Is(err, graphstore.ErrClosed) {
		t.Errorf("Delete after Close: err = %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, graphstore.ErrClosed) {
		t.Errorf("second Close: err = %v, want ErrClosed", err)
	}
}
