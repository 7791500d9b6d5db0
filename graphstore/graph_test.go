package graphstore_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
	"github.com/autonomos/autonomos/tenancy"
)

func TestDemoGraphLayout(t *testing.T) {
	t.Parallel()
	g := graphstore.DemoGraph()
	if err := g.Validate(); err != nil {
		t.Fatalf("the demo graph is invalid: %v", err)
	}
	if len(g.Nodes) != 33 || len(g.Edges) != 37 {
		t.Fatalf("demo graph: %d nodes, %d edges; want 33 and 37", len(g.Nodes), len(g.Edges))
	}
	counts := map[graphstore.NodeKind]int{
		graphstore.KindSource: 9, graphstore.KindObject: 12, graphstore.KindEntity: 5,
		graphstore.KindView: 5, graphstore.KindAgent: 2,
	}
	for k, want := range counts {
		if got := g.CountKind(k); got != want {
			t.Errorf("%d %s nodes, want %d", got, k, want)
		}
	}
	kinds := map[string]graphstore.NodeKind{}
	for _, n := range g.Nodes {
		kinds[n.ID] = n.Kind
	}
	// Every edge goes the way the layout says.
	allowed := map[graphstore.EdgeKind][2]graphstore.NodeKind{
		graphstore.EdgeContains:   {graphstore.KindSource, graphstore.KindObject},
		graphstore.EdgeMapsTo:     {graphstore.KindObject, graphstore.KindEntity},
		graphstore.EdgeUnifiedIn:  {graphstore.KindEntity, graphstore.KindView},
		graphstore.EdgeFeeds:      {graphstore.KindView, graphstore.KindAgent},
		graphstore.EdgeReferences: {graphstore.KindEntity, graphstore.KindEntity},
	}
	for _, e := range g.Edges {
		want, ok := allowed[e.Kind]
		if !ok || kinds[e.From] != want[0] || kinds[e.To] != want[1] {
			t.Errorf("edge %s -[%s]-> %s joins %s to %s", e.From, e.Kind, e.To, kinds[e.From], kinds[e.To])
		}
		if e.Kind == graphstore.EdgeMapsTo && (e.Confidence <= 0 || e.RowCount <= 0) {
			t.Errorf("mapping edge %s -> %s has confidence %v and %d rows", e.From, e.To, e.Confidence, e.RowCount)
		}
	}
	// Every object belongs to exactly one source and maps onto one entity.
	for _, n := range g.Nodes {
		if n.Kind != graphstore.KindObject {
			continue
		}
		var in, out int
		for _, e := range g.Edges {
			if e.To == n.ID && e.Kind == graphstore.EdgeContains {
				in++
			}
			if e.From == n.ID && e.Kind == graphstore.EdgeMapsTo {
				out++
			}
		}
		if in != 1 || out != 1 {
			t.Errorf("object %s: %d sources, %d entities; want 1 and 1", n.ID, in, out)
		}
	}
	// The entities are ontology v1 entities.
	onto := canonical.V1()
	for _, n := range g.Nodes {
		if n.Kind == graphstore.KindEntity {
			name := strings.TrimPrefix(n.ID, "entity:")
			if _, ok := onto.Entity(name); !ok {
				t.Errorf("demo entity %q is not in ontology v1", name)
			}
		}
	}
	// The agents read what the issue says.
	reads := func(agent string) []string {
		var out []string
		for _, e := range g.Edges {
			if e.To == agent {
				out = append(out, strings.TrimPrefix(e.From, "view:"))
			}
		}
		slices.Sort(out)
		return out
	}
	if got := reads("agent:revops"); !slices.Equal(got, []string{"account", "contact", "opportunity"}) {
		t.Errorf("RevOps reads %v", got)
	}
	if got := reads("agent:finops"); !slices.Equal(got, []string{"account", "invoice"}) {
		t.Errorf("FinOps reads %v", got)
	}
	// A view's row count is the sum of what maps onto its entity.
	var accountRows int64
	for _, e := range g.Edges {
		if e.To == "entity:account" && e.Kind == graphstore.EdgeMapsTo {
			accountRows += e.RowCount
		}
	}
	for _, e := range g.Edges {
		if e.To == "view:account" && e.RowCount != accountRows {
			t.Errorf("view:account gets %d rows, its objects hold %d", e.RowCount, accountRows)
		}
	}
	if g.DemoVersion != graphstore.DemoVersion || !g.IsPristineDemo() || g.Version != 0 {
		t.Errorf("demo graph: demo_version %d, pristine %v, version %d", g.DemoVersion, g.IsPristineDemo(), g.Version)
	}
	// Fresh copies each time.
	g.Nodes[0].Label = "changed"
	if graphstore.DemoGraph().Nodes[0].Label == "changed" {
		t.Error("DemoGraph shares state between calls")
	}
	if g.IsPristineDemo() {
		t.Error("a changed demo graph still counts as pristine")
	}
}

func TestDigestIgnoresOrderAndBookkeeping(t *testing.T) {
	t.Parallel()
	a := storetest.SmallGraph(20, "d")
	b := a.Clone()
	slices.Reverse(b.Nodes)
	slices.Reverse(b.Edges)
	b.Version, b.DemoVersion, b.UpdatedAt = 9, 3, time.Now()
	b.Nodes[0].Attributes = map[string]string{"label": "d", "index": b.Nodes[0].Attributes["index"]}
	if a.Digest() != b.Digest() {
		t.Fatal("digest depends on order or bookkeeping fields")
	}
	b.Edges[0].Confidence += 0.01
	if a.Digest() == b.Digest() {
		t.Fatal("digest did not change with an edge's confidence")
	}
	c := a.Clone()
	c.Nodes[3].Attributes["x"] = "y"
	if a.Digest() == c.Digest() {
		t.Fatal("digest did not change with an attribute")
	}
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	a := storetest.SmallGraph(3, "c")
	b := a.Clone()
	b.Nodes[0].Attributes["label"] = "x"
	b.Edges[0].Attributes["field"] = "x"
	b.Nodes[1].ID = "x"
	if a.Nodes[0].Attributes["label"] != "c" || a.Edges[0].Attributes["field"] != "f1" || a.Nodes[1].ID != "node:1" {
		t.Fatal("Clone shares state with the original")
	}
	if (*graphstore.Graph)(nil).Clone() != nil {
		t.Fatal("Clone of nil is not nil")
	}
}

func TestValidateMessages(t *testing.T) {
	t.Parallel()
	g := storetest.SmallGraph(3, "v")
	g.Edges[1].Confidence = math.NaN()
	err := g.Validate()
	var ig *graphstore.InvalidGraphError
	if !errors.As(err, &ig) || ig.Path != "edges[1].confidence" || !strings.Contains(err.Error(), "edges[1].confidence") {
		t.Fatalf("NaN confidence: %v", err)
	}
	g = storetest.SmallGraph(3, "v")
	g.Nodes[2].Attributes[""] = "empty key"
	if err := g.Validate(); !errors.As(err, &ig) || ig.Path != "nodes[2].attributes" {
		t.Fatalf("empty attribute key: %v", err)
	}
	g = storetest.SmallGraph(3, "v")
	g.Edges[0].Attributes["field"] = strings.Repeat("x", graphstore.MaxAttrValue+1)
	if err := g.Validate(); !errors.As(err, &ig) || ig.Path != `edges[0].attributes["field"]` {
		t.Fatalf("long attribute: %v", err)
	}
	if err := (*graphstore.Graph)(nil).Validate(); !errors.Is(err, graphstore.ErrInvalidGraph) {
		t.Fatalf("nil graph: %v", err)
	}
}

func TestNewAndConfig(t *testing.T) {
	t.Parallel()
	if _, err := graphstore.New(nil, nil); err == nil {
		t.Error("New(nil driver) succeeded")
	}
	if _, err := graphstore.New(memstore.New(), &graphstore.Config{MaxNodes: -1}); err == nil {
		t.Error("New with negative MaxNodes succeeded")
	}
	c := (*graphstore.Config)(nil).WithDefaults()
	if c.Clock == nil || c.Logger == nil || c.MaxNodes != 100000 || c.MaxEdges != 500000 || c.MaxUpdateAttempts != 10 {
		t.Errorf("defaults: %+v", c)
	}

	s, err := graphstore.New(memstore.New(), &graphstore.Config{MaxNodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Save(context.Background(), tenancy.New(), storetest.SmallGraph(3, "big"))
	var ig *graphstore.InvalidGraphError
	if !errors.As(err, &ig) || ig.Path != "nodes" {
		t.Errorf("a graph over MaxNodes: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s, err := graphstore.New(memstore.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tenant := tenancy.New()
	boom := errors.New("boom")
	if _, err := s.Update(ctx, tenant, func(*graphstore.Graph) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update with a failing fn: %v", err)
	}
	if _, err := s.Load(ctx, tenant); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatal("a failed Update saved something")
	}
	// fn cannot move the version it was read at.
	out, err := s.Update(ctx, tenant, func(g *graphstore.Graph) error {
		g.Version = 40
		g.Nodes = append(g.Nodes, graphstore.Node{ID: "a", Kind: graphstore.KindSource})
		return nil
	})
	if err != nil || out.Version != 1 {
		t.Fatalf("Update = %v, %v", out, err)
	}
	if _, err := s.Update(ctx, tenant, nil); err == nil {
		t.Fatal("Update(nil fn) succeeded")
	}
}

func TestSeedActionString(t *testing.T) {
	t.Parallel()
	for a, want := range map[graphstore.SeedAction]string{
		graphstore.SeedCreated: "created", graphstore.SeedUpgraded: "upgraded",
		graphstore.SeedCurrent: "current", graphstore.SeedKept: "kept", 0: "SeedAction(0)",
	} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), want)
		}
	}
}
