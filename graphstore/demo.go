package graphstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/autonomos/autonomos/tenancy"
)

// DemoVersion is the version of the demo layout that [DemoGraph] builds.
// Raise it whenever the layout changes: [Store.SeedDemo] then upgrades
// every tenant still holding an unchanged older demo graph.
//
// Versions 1 to 3 are the demo layouts of the system this replaces, which
// tagged its graphs "v1.0" to "v3.0" (redisstore reads those tags as
// their major number), so its demo graphs are upgraded to this one.
const DemoVersion = 4

// The size of the demo graph.
const (
	DemoNodes = 33
	DemoEdges = 37
)

// demoSource is one legacy source of the demo and its objects.
type demoSource struct {
	id, label string
	objects   []demoObject
}

// demoObject is one object of a source and the entity it maps onto.
type demoObject struct {
	name, entity string
	rows         int64
	confidence   float64
}

// The demo's sources (9), in the order they are laid out. Each object maps
// onto one entity; the figures are fixed so the demo looks the same on
// every screen.
var demoSources = []demoSource{
	{"salesforce", "Salesforce", []demoObject{
		{"Account", "account", 1240, 0.98},
		{"Contact", "contact", 5310, 0.97},
		{"Opportunity", "opportunity", 2875, 0.96},
	}},
	{"hubspot", "HubSpot", []demoObject{
		{"companies", "account", 860, 0.93},
		{"deals", "opportunity", 1420, 0.91},
	}},
	{"dynamics", "Dynamics 365", []demoObject{{"lead", "lead", 3100, 0.89}}},
	{"pipedrive", "Pipedrive", []demoObject{{"persons", "contact", 2230, 0.90}}},
	{"supabase", "Supabase (PostgreSQL)", []demoObject{{"customers", "account", 640, 0.87}}},
	{"mongodb", "MongoDB", []demoObject{{"leads", "lead", 1980, 0.84}}},
	{"netsuite", "NetSuite", []demoObject{{"Invoice", "invoice", 7600, 0.95}}},
	{"stripe", "Stripe", []demoObject{{"invoices", "invoice", 12040, 0.94}}},
	{"csv", "CSV files", []demoObject{{"opportunities.csv", "opportunity", 410, 0.82}}},
}

// The demo's ontology entities (5), with their labels.
var demoEntities = []struct{ id, label string }{
	{"account", "Account"},
	{"contact", "Contact"},
	{"lead", "Lead"},
	{"opportunity", "Opportunity"},
	{"invoice", "Invoice"},
}

// The references between entities (3): the *_id fields of the ontology.
var demoReferences = []struct{ from, to, field string }{
	{"contact", "account", "account_id"},
	{"opportunity", "account", "account_id"},
	{"invoice", "account", "account_id"},
}

// The demo's agents (2) and the views they read.
var demoAgents = []struct {
	id, label string
	reads     []string
}{
	{"revops", "RevOps agent", []string{"account", "contact", "opportunity"}},
	{"finops", "FinOps agent", []string{"account", "invoice"}},
}

// DemoGraph returns a fresh copy of the current demo graph (layout
// [DemoVersion]), unsaved (Version 0), with DemoVersion and DemoDigest set.
//
// The layout reads left to right, sources to agents:
//
//	9 sources  --contains-->   12 objects      (12 edges, row counts)
//	12 objects --maps_to-->     5 entities     (12 edges, confidence + rows)
//	5 entities --unified_in-->  5 views        (5 edges, rows per view)
//	5 views    --feeds-->       2 agents       (5 edges: RevOps reads
//	                                             account, contact,
//	                                             opportunity; FinOps reads
//	                                             account, invoice)
//	3 entities --references-->  account        (3 edges: contact,
//	                                             opportunity and invoice
//	                                             carry account_id)
//
// That is 9+12+5+5+2 = 33 nodes and 12+12+5+5+3 = 37 edges. The sources
// are the nine legacy sources of the system this replaces (Salesforce,
// HubSpot, Dynamics 365, Pipedrive, Supabase, MongoDB, NetSuite, Stripe,
// CSV files); the entities are account, contact, lead, opportunity and
// invoice of ontology v1. The lead view has no agent: it shows a view
// nobody consumes yet. Node ids are "source:<id>", "object:<source>.<name>",
// "entity:<name>", "view:<name>" and "agent:<id>".
func DemoGraph() *Graph {
	g := &Graph{DemoVersion: DemoVersion}
	entityRows := map[string]int64{}
	for _, s := range demoSources {
		sid := "source:" + s.id
		g.Nodes = append(g.Nodes, Node{ID: sid, Kind: KindSource, Label: s.label,
			Attributes: map[string]string{"system": s.id, "legacy": "true"}})
		for _, o := range s.objects {
			oid := "object:" + s.id + "." + o.name
			g.Nodes = append(g.Nodes, Node{ID: oid, Kind: KindObject, Label: o.name,
				Attributes: map[string]string{"system": s.id, "rows": strconv.FormatInt(o.rows, 10)}})
			g.Edges = append(g.Edges,
				Edge{From: sid, To: oid, Kind: EdgeContains, RowCount: o.rows},
				Edge{From: oid, To: "entity:" + o.entity, Kind: EdgeMapsTo, Confidence: o.confidence, RowCount: o.rows})
			entityRows[o.entity] += o.rows
		}
	}
	for _, e := range demoEntities {
		eid, vid := "entity:"+e.id, "view:"+e.id
		g.Nodes = append(g.Nodes,
			Node{ID: eid, Kind: KindEntity, Label: e.label, Attributes: map[string]string{"ontology": "v1"}},
			Node{ID: vid, Kind: KindView, Label: "Unified " + e.label,
				Attributes: map[string]string{"entity": e.id, "rows": strconv.FormatInt(entityRows[e.id], 10)}})
		g.Edges = append(g.Edges, Edge{From: eid, To: vid, Kind: EdgeUnifiedIn, RowCount: entityRows[e.id]})
	}
	for _, r := range demoReferences {
		g.Edges = append(g.Edges, Edge{From: "entity:" + r.from, To: "entity:" + r.to, Kind: EdgeReferences,
			Attributes: map[string]string{"field": r.field}})
	}
	for _, a := range demoAgents {
		aid := "agent:" + a.id
		g.Nodes = append(g.Nodes, Node{ID: aid, Kind: KindAgent, Label: a.label})
		for _, v := range a.reads {
			g.Edges = append(g.Edges, Edge{From: "view:" + v, To: aid, Kind: EdgeFeeds, RowCount: entityRows[v]})
		}
	}
	g.normalize()
	g.DemoDigest = g.Digest()
	return g
}

// SeedAction says what seeding did.
type SeedAction int

// The outcomes of seeding.
const (
	// SeedCreated: the tenant had no graph and got the demo.
	SeedCreated SeedAction = iota + 1
	// SeedUpgraded: the tenant had an unchanged older demo graph, now
	// replaced by the newer demo.
	SeedUpgraded
	// SeedCurrent: the tenant already has an unchanged demo graph of this
	// version or a newer one; nothing was written.
	SeedCurrent
	// SeedKept: the tenant's graph was changed by a user or is not a demo
	// graph; nothing was written.
	SeedKept
)

// String returns the action's name.
func (a SeedAction) String() string {
	switch a {
	case SeedCreated:
		return "created"
	case SeedUpgraded:
		return "upgraded"
	case SeedCurrent:
		return "current"
	case SeedKept:
		return "kept"
	}
	return "SeedAction(" + strconv.Itoa(int(a)) + ")"
}

// SeedDemo seeds the tenant with [DemoGraph]; see [Store.Seed] for the
// rules.
func (s *Store) SeedDemo(ctx context.Context, tenant tenancy.ID) (SeedAction, error) {
	return s.Seed(ctx, tenant, DemoGraph())
}

// Seed gives the tenant the demo graph demo (whose DemoVersion must be
// positive) unless that would lose something:
//
//   - no graph stored: demo is saved (SeedCreated);
//   - a demo graph nobody changed (see [Graph.IsPristineDemo]) with a
//     lower DemoVersion: replaced by demo, the version counter going on
//     (SeedUpgraded);
//   - an unchanged demo graph of demo's DemoVersion or higher: left as it
//     is (SeedCurrent);
//   - anything else, that is a graph a user changed or built: left as it
//     is (SeedKept).
//
// A concurrent save is detected by the version check, and the decision is
// made again on the new state. Seeding is therefore safe to run on every
// start of every replica.
func (s *Store) Seed(ctx context.Context, tenant tenancy.ID, demo *Graph) (SeedAction, error) {
	if demo == nil || demo.DemoVersion <= 0 {
		return 0, fmt.Errorf("graphstore: seed %s: %w", tenant, &InvalidGraphError{Path: "demo_version", Reason: "a demo graph needs a positive demo version"})
	}
	if err := s.begin(ctx, "seed", tenant); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	d := demo.Clone()
	d.normalize()
	d.DemoDigest = d.Digest()
	var lastErr error
	for range s.cfg.MaxUpdateAttempts {
		cur, err := s.d.Load(ctx, tenant)
		var action SeedAction
		switch {
		case errors.Is(err, ErrNotFound):
			action, d.Version = SeedCreated, 0
		case err != nil:
			return 0, s.wrap("seed", tenant, err)
		case !cur.IsPristineDemo():
			return SeedKept, nil
		case cur.DemoVersion >= d.DemoVersion:
			return SeedCurrent, nil
		default:
			action, d.Version = SeedUpgraded, cur.Version
		}
		_, err = s.save(ctx, tenant, d)
		if errors.Is(err, ErrVersionConflict) {
			lastErr = err
			continue
		}
		if err != nil {
			return 0, err
		}
		s.cfg.Logger.DebugContext(ctx, "graphstore: seeded demo graph",
			slog.String("tenant", tenant.String()), slog.String("action", action.String()),
			slog.Int("demo_version", d.DemoVersion))
		return action, nil
	}
	return 0, lastErr
}
