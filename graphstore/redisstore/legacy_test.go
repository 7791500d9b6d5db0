package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

// oldDemo is a value in the format of the system this replaces: node
// "type", edge "source"/"target", "last_updated", a string demo_version.
const oldDemo = `{
  "nodes": [
    {"id": "sys_sources", "label": "from AAM", "type": "source_parent"},
    {"id": "crm_Account", "label": "CRM - Account", "type": "source", "sourceSystem": "CRM", "fields": ["Id", "Name"]},
    {"id": "ont_Customer", "label": "Customer", "type": "ontology"},
    {"id": "agent_insights", "label": "Insights", "type": "agent", "description": "reads customers"}
  ],
  "edges": [
    {"source": "sys_sources", "target": "crm_Account", "edgeType": "hierarchy", "value": 1},
    {"source": "crm_Account", "target": "ont_Customer", "type": "dataflow", "confidence": 0.9},
    {"source": "ont_Customer", "target": "agent_insights"}
  ],
  "confidence": 0.92,
  "last_updated": "2025-11-17T00:00:00Z",
  "demo_version": "v3.0"
}`

func TestLegacyValue(t *testing.T) {
	client := testenv.Redis(t)
	s, d := newStore(t, client)
	ctx := context.Background()
	tenant := tenancy.New()
	if err := client.Set(ctx, d.Key(tenant), oldDemo, 0).Err(); err != nil {
		t.Fatal(err)
	}
	g, err := s.Load(ctx, tenant)
	if err != nil {
		t.Fatalf("Load of an old-format value: %v", err)
	}
	if len(g.Nodes) != 4 || len(g.Edges) != 3 || g.Version != 0 || g.DemoVersion != 3 {
		t.Fatalf("decoded %d nodes, %d edges, version %d, demo_version %d", len(g.Nodes), len(g.Edges), g.Version, g.DemoVersion)
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("the decoded graph is invalid: %v", err)
	}
	if !g.UpdatedAt.Equal(time.Date(2025, 11, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UpdatedAt = %v", g.UpdatedAt)
	}
	crm, _ := g.Node("crm_Account")
	if crm.Kind != "source" || crm.Attributes["sourceSystem"] != "CRM" || crm.Attributes["fields"] != `["Id","Name"]` {
		t.Errorf("crm_Account = %+v", crm)
	}
	if ont, _ := g.Node("ont_Customer"); ont.Kind != graphstore.KindEntity {
		t.Errorf("an ontology node became kind %q", ont.Kind)
	}
	e0, e1, e2 := g.Edges[0], g.Edges[1], g.Edges[2]
	if e0.From != "sys_sources" || e0.To != "crm_Account" || e0.Kind != "hierarchy" || e0.Attributes["value"] != "1" {
		t.Errorf("edge 0 = %+v", e0)
	}
	if e1.Kind != "dataflow" || e1.Confidence != 0.9 || e2.Kind != "dataflow" {
		t.Errorf("edges 1 and 2 = %+v, %+v", e1, e2)
	}
	if !g.IsPristineDemo() {
		t.Fatal("an old demo graph does not count as an unchanged demo")
	}

	// Seeding upgrades it, as the old system would have.
	act, err := s.SeedDemo(ctx, tenant)
	if err != nil || act != graphstore.SeedUpgraded {
		t.Fatalf("SeedDemo over an old demo = %v, %v; want upgraded", act, err)
	}
	g, err = s.Load(ctx, tenant)
	if err != nil || g.DemoVersion != graphstore.DemoVersion || len(g.Nodes) != graphstore.DemoNodes || g.Version != 1 {
		t.Fatalf("after the upgrade: %v nodes, demo_version %v, version %v, err %v", len(g.Nodes), g.DemoVersion, g.Version, err)
	}
}

func TestLegacyUserGraphIsKept(t *testing.T) {
	client := testenv.Redis(t)
	s, d := newStore(t, client)
	ctx := context.Background()
	tenant := tenancy.New()
	// No demo_version: the old system's mark of a user-authored graph.
	const userGraph = `{"nodes":[{"id":"a","label":"A","type":"source"},{"id":"b","label":"B","type":"ontology"}],` +
		`"edges":[{"source":"a","target":"b","type":"dataflow"}]}`
	if err := client.Set(ctx, d.Key(tenant), userGraph, 0).Err(); err != nil {
		t.Fatal(err)
	}
	act, err := s.SeedDemo(ctx, tenant)
	if err != nil || act != graphstore.SeedKept {
		t.Fatalf("SeedDemo over an old user graph = %v, %v; want kept", act, err)
	}
	if v, _ := client.Get(ctx, d.Key(tenant)).Result(); v != userGraph {
		t.Fatalf("the old user graph was rewritten: %.80s", v)
	}
	// Editing it through the store rewrites it in the new format.
	g, err := s.Update(ctx, tenant, func(g *graphstore.Graph) error {
		g.Nodes[0].Label = "A (edited)"
		return nil
	})
	if err != nil || g.Version != 1 || g.Nodes[1].Kind != graphstore.KindEntity {
		t.Fatalf("Update of an old user graph = %+v, %v", g, err)
	}
}
