package dcl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/tenancy"
)

// Agent is a configured consumer of unified views.
type Agent struct {
	// Name identifies the agent, e.g. "revops"; its node is "agent:<Name>".
	Name string
	// Label is the name shown to people.
	Label string
	// Entities are the entities whose views the agent reads.
	Entities []string
}

// DefaultAgents are the agents of the product: a RevOps agent reading
// accounts, contacts and opportunities, and a FinOps agent reading
// accounts and invoices.
func DefaultAgents() []Agent {
	return []Agent{
		{Name: "revops", Label: "RevOps agent", Entities: []string{"account", "contact", "opportunity"}},
		{Name: "finops", Label: "FinOps agent", Entities: []string{"account", "invoice"}},
	}
}

// GraphConfig configures [Warehouse.BuildGraph]. The zero value is usable.
type GraphConfig struct {
	// Agents are the consumers drawn at the end of the graph. Defaults
	// to DefaultAgents().
	Agents []Agent
	// Confidence returns the mapping confidence in [0, 1] of a source
	// object mapped onto entity (from the mapping registry). Defaults to
	// none: maps_to edges carry 0, unknown.
	Confidence func(src canonical.Source, entity string) float64
}

// resolved are the entities with entity resolution, hence an
// <entity>_unified view in every driver.
var resolved = map[string]bool{"account": true, "contact": true, "lead": true}

// BuildGraph draws the tenant's graph from what the warehouse holds:
// a node per source connection, per source object, per entity with data
// or read by an agent, per view and per agent; edges source -contains->
// object -maps_to-> entity -unified_in-> view -feeds-> agent, carrying row
// counts (and the mapping confidence on maps_to), and entity
// -references-> entity for *_id fields between entities present.
//
// The graph depends only on the data: building it twice gives the same
// nodes and edges in the same order. It has no Version: see [SyncGraph].
func (w *Warehouse) BuildGraph(ctx context.Context, tenant tenancy.ID, cfg *GraphConfig) (*graphstore.Graph, error) {
	var c GraphConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Agents == nil {
		c.Agents = DefaultAgents()
	}
	if err := w.EnsureTenant(ctx, tenant); err != nil {
		return nil, err
	}
	g := &graphstore.Graph{}
	nodes := map[string]bool{}
	addNode := func(id string, kind graphstore.NodeKind, label string, attrs map[string]string) {
		if !nodes[id] {
			nodes[id] = true
			g.Nodes = append(g.Nodes, graphstore.Node{ID: id, Kind: kind, Label: label, Attributes: attrs})
		}
	}
	edges := map[string]int{}
	addEdge := func(e graphstore.Edge) {
		k := e.From + "\x00" + e.To + "\x00" + string(e.Kind)
		if i, ok := edges[k]; ok {
			g.Edges[i].RowCount += e.RowCount
			return
		}
		edges[k] = len(g.Edges)
		g.Edges = append(g.Edges, e)
	}
	read := map[string]bool{}
	for _, a := range c.Agents {
		for _, e := range a.Entities {
			read[e] = true
		}
	}
	present := map[string]bool{}
	for _, t := range w.order {
		res, err := w.d.Query(ctx, tenant, "SELECT _source_system, _connection_id, _source_object, count(*) FROM "+t.Entity+
			" WHERE NOT _deleted GROUP BY _source_system, _connection_id, _source_object", 100000)
		if err != nil {
			return nil, fmt.Errorf("dcl: graph for tenant %s: lineage of %s: %w", tenant, t.Entity, err)
		}
		if len(res.Rows) == 0 && !read[t.Entity] {
			continue
		}
		present[t.Entity] = true
		entityID := "entity:" + t.Entity
		var total int64
		slices.SortFunc(res.Rows, func(a, b []any) int {
			return cmp.Compare(fmt.Sprint(a[:3]...), fmt.Sprint(b[:3]...))
		})
		for _, r := range res.Rows {
			system, conn, object := text(r[0]), text(r[1]), text(r[2])
			n := count(r[3])
			total += n
			srcID := "source:" + system + "/" + conn
			objID := "object:" + system + "/" + conn + "/" + object
			addNode(srcID, graphstore.KindSource, system+" ("+conn+")", map[string]string{"system": system, "connection_id": conn})
			addNode(objID, graphstore.KindObject, object, map[string]string{"system": system, "connection_id": conn, "object": object})
			addEdge(graphstore.Edge{From: srcID, To: objID, Kind: graphstore.EdgeContains, RowCount: n})
			conf := 0.0
			if c.Confidence != nil {
				conf = min(max(c.Confidence(canonical.Source{System: system, ConnectionID: conn, Object: object}, t.Entity), 0), 1)
			}
			addEdge(graphstore.Edge{From: objID, To: entityID, Kind: graphstore.EdgeMapsTo, Confidence: conf, RowCount: n})
		}
		addNode(entityID, graphstore.KindEntity, t.Entity, map[string]string{"rows": strconv.FormatInt(total, 10)})
		view, viewRows := t.Entity, total
		attrs := map[string]string{"relation": t.Entity}
		if resolved[t.Entity] {
			view = t.Entity + "_unified"
			res, err := w.d.Query(ctx, tenant, "SELECT count(*) FROM "+view, 1)
			if err != nil {
				return nil, fmt.Errorf("dcl: graph for tenant %s: %s: %w", tenant, view, err)
			}
			viewRows = count(res.Rows[0][0])
			attrs = map[string]string{"relation": view, "clusters": strconv.FormatInt(viewRows, 10)}
		}
		addNode("view:"+t.Entity, graphstore.KindView, view, attrs)
		addEdge(graphstore.Edge{From: entityID, To: "view:" + t.Entity, Kind: graphstore.EdgeUnifiedIn, RowCount: total})
	}
	for _, t := range w.order {
		if !present[t.Entity] {
			continue
		}
		for _, col := range t.Columns {
			target, ok := strings.CutSuffix(col.Name, "_id")
			if ok && col.Name != "id" && present[target] && target != t.Entity {
				addEdge(graphstore.Edge{From: "entity:" + t.Entity, To: "entity:" + target, Kind: graphstore.EdgeReferences,
					Attributes: map[string]string{"field": col.Name}})
			}
		}
	}
	for _, a := range c.Agents {
		id := "agent:" + a.Name
		addNode(id, graphstore.KindAgent, cmp.Or(a.Label, a.Name), map[string]string{"reads": strings.Join(a.Entities, ",")})
		for _, e := range a.Entities {
			if present[e] {
				addEdge(graphstore.Edge{From: "view:" + e, To: id, Kind: graphstore.EdgeFeeds})
			}
		}
	}
	return g, nil
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func count(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case uint64:
		return int64(n)
	}
	return 0
}

// SyncGraph stores g as the tenant's graph in store unless the stored
// graph already has the same nodes and edges; it returns the stored
// graph and whether it saved. A save that meets a concurrent one
// reloads and tries again, up to three times. Syncing the same built
// graph twice saves once.
func SyncGraph(ctx context.Context, store *graphstore.Store, tenant tenancy.ID, g *graphstore.Graph) (*graphstore.Graph, bool, error) {
	for range 3 {
		cur, err := store.Load(ctx, tenant)
		switch {
		case errors.Is(err, graphstore.ErrNotFound):
			cur = &graphstore.Graph{}
		case err != nil:
			return nil, false, fmt.Errorf("dcl: sync graph: %w", err)
		}
		if cur.Version > 0 && cur.Digest() == g.Digest() {
			return cur, false, nil
		}
		next := &graphstore.Graph{Version: cur.Version, Nodes: g.Nodes, Edges: g.Edges}
		saved, err := store.Save(ctx, tenant, next)
		if errors.Is(err, graphstore.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("dcl: sync graph: %w", err)
		}
		return saved, true, nil
	}
	return nil, false, fmt.Errorf("dcl: sync graph: %w three times", graphstore.ErrVersionConflict)
}
