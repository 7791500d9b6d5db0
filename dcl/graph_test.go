package dcl_test

import (
	"context"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/warehousetest"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
)

func TestBuildGraph(t *testing.T) {
	ctx := context.Background()
	w := newWarehouse(t)
	ev := func(entity, system, key string, data map[string]any) canonical.Event {
		return warehousetest.Event(testTenant, entity, system, key, 1, data)
	}
	err := w.Write(ctx, testTenant, []canonical.Event{
		ev("account", "salesforce", "1", map[string]any{"id": "1", "name": "Acme", "domain": "acme.com"}),
		ev("account", "hubspot", "9", map[string]any{"id": "9", "name": "Acme Inc", "domain": "acme.com"}),
		ev("contact", "salesforce", "c1", map[string]any{"id": "c1", "account_id": "1", "email": "a@acme.com"}),
		ev("contact", "salesforce", "c2", map[string]any{"id": "c2", "account_id": "1", "email": "b@acme.com"}),
		ev("opportunity", "salesforce", "o1", map[string]any{"id": "o1", "account_id": "1"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &dcl.GraphConfig{Confidence: func(src canonical.Source, entity string) float64 {
		if src.System == "hubspot" {
			return 0.8
		}
		return 1
	}}
	g, err := w.BuildGraph(ctx, testTenant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("invalid graph: %v", err)
	}
	kinds := map[graphstore.NodeKind]int{}
	for _, n := range g.Nodes {
		kinds[n.Kind]++
	}
	// 2 sources; objects: sf account, contact, opportunity + hubspot account;
	// entities: account, contact, opportunity + invoice (read by finops);
	// one view per entity; 2 agents
	want := map[graphstore.NodeKind]int{graphstore.KindSource: 2, graphstore.KindObject: 4, graphstore.KindEntity: 4, graphstore.KindView: 4, graphstore.KindAgent: 2}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s nodes = %d, want %d", k, kinds[k], n)
		}
	}
	find := func(from, to string, kind graphstore.EdgeKind) *graphstore.Edge {
		for i := range g.Edges {
			if e := &g.Edges[i]; e.From == from && e.To == to && e.Kind == kind {
				return e
			}
		}
		t.Errorf("no %s edge %s -> %s", kind, from, to)
		return &graphstore.Edge{}
	}
	if e := find("object:hubspot/hubspot-1/account", "entity:account", graphstore.EdgeMapsTo); e.Confidence != 0.8 || e.RowCount != 1 {
		t.Errorf("hubspot maps_to = %+v, want confidence 0.8, 1 row", e)
	}
	if e := find("source:salesforce/salesforce-1", "object:salesforce/salesforce-1/contact", graphstore.EdgeContains); e.RowCount != 2 {
		t.Errorf("contains contact rows = %d, want 2", e.RowCount)
	}
	if e := find("entity:account", "view:account", graphstore.EdgeUnifiedIn); e.RowCount != 2 {
		t.Errorf("account unified_in rows = %d, want 2", e.RowCount)
	}
	find("view:opportunity", "agent:revops", graphstore.EdgeFeeds)
	find("view:invoice", "agent:finops", graphstore.EdgeFeeds)
	find("entity:contact", "entity:account", graphstore.EdgeReferences)
	n, _ := g.Node("view:account")
	if n.Attributes["clusters"] != "1" {
		t.Errorf("account view clusters = %q, want 1 (both accounts share acme.com)", n.Attributes["clusters"])
	}

	// building and syncing twice gives the same graph and saves once
	g2, err := w.BuildGraph(ctx, testTenant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if g.Digest() != g2.Digest() {
		t.Error("second build differs")
	}
	store, err := graphstore.New(memstore.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	saved, changed, err := dcl.SyncGraph(ctx, store, testTenant, g)
	if err != nil || !changed || saved.Version != 1 {
		t.Fatalf("first sync: version %v changed %v err %v", saved, changed, err)
	}
	saved, changed, err = dcl.SyncGraph(ctx, store, testTenant, g2)
	if err != nil || changed || saved.Version != 1 {
		t.Errorf("second sync: changed %v err %v, want unchanged at version 1", changed, err)
	}
}
