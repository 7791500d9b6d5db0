// Package graphstore keeps one graph per tenant: the picture of its
// sources, their objects, the ontology entities they map onto, the
// unified views and the agents that read them. The dcl package builds
// the graph; graphstore keeps it safe across processes and restarts.
//
// # Getting started
//
// Users program against [Store]; a backend is a [Driver] from a
// subpackage:
//
//   - [github.com/autonomos/autonomos/graphstore/memstore]: in memory, the
//     embedded default and the test double;
//   - [github.com/autonomos/autonomos/graphstore/redisstore]: Redis, at the
//     key dcl:graph_state:{tenant_id} of the system this replaces (the
//     package documents the JSON value);
//   - [github.com/autonomos/autonomos/graphstore/fallback]: a primary (Redis)
//     with an in-memory copy that keeps serving while the primary is down
//     and writes back when it returns.
//
// A store on the in-memory driver:
//
//	store, err := graphstore.New(memstore.New(), nil)
//	if err != nil { ... }
//	defer store.Close()
//
//	g, err := store.Load(ctx, tenant)       // ErrNotFound when none
//	g.Nodes = append(g.Nodes, graphstore.Node{ID: "source:crm", Kind: graphstore.KindSource})
//	g, err = store.Save(ctx, tenant, g)     // stored at g.Version+1
//
// # Versions and concurrency
//
// Every saved graph carries a Version. Save stores the graph only if the
// stored version is still the one the graph was loaded at (0 for a new
// graph), as one atomic step in the driver (a Lua script in Redis). A
// stale save fails with a [*VersionConflictError] carrying the expected
// and actual versions; [Store.Update] reloads and retries for you. So two
// replicas editing one tenant's graph never lose each other's changes
// silently.
//
// Store validates every graph before it reaches a driver (unique node
// ids, edges between existing nodes, confidence in [0, 1], sizes; see
// [Graph.Validate]), rejects the zero tenant with [tenancy.ErrInvalidID],
// and copies graphs on the way in and out, so changing a graph you passed
// or got back never changes what is stored. A Store is safe for
// concurrent use; it owns its driver and Close closes it.
//
// Readers that only look at a graph (serving it over HTTP) can skip the
// copy with [Store.LoadShared]: with a driver that keeps graphs in memory
// ([SharedLoader], as memstore does) it returns the stored graph itself,
// a snapshot that later saves replace but never change, and which the
// caller must not change either. With other drivers it is Load.
//
// # The demo graph and seeding
//
// [DemoGraph] builds the demo that a new tenant starts with: 9 legacy
// sources, 12 objects, 5 ontology entities, 5 unified views and 2 agents
// (RevOps, FinOps): 33 nodes and 37 edges, laid out as its documentation
// shows. [Store.SeedDemo] is safe to run at every start:
//
//   - a tenant with no graph gets the demo;
//   - an unchanged demo of an older [DemoVersion] is upgraded, the version
//     counter going on;
//   - a graph a user changed is never overwritten.
//
// "Unchanged" is decided by content, not by a flag someone must remember
// to set: a seeded graph records the [Graph.Digest] of its nodes and
// edges in DemoDigest, and any save that changes them makes the digest
// differ ([Graph.IsPristineDemo]).
//
// # Errors
//
// [ErrNotFound], [ErrVersionConflict] (matched by every
// [*VersionConflictError]), [ErrInvalidGraph] (every [*InvalidGraphError],
// with the path of the bad part), [ErrClosed], [ErrCorrupt] for a stored
// value that is not a graph, and [ErrUnavailable] from the fallback driver
// when it cannot answer for a tenant. Context errors come back as they
// are. Check them with errors.Is and errors.As.
//
// # Testing
//
// Use memstore in tests. A driver of your own proves it behaves like the
// others with [github.com/autonomos/autonomos/graphstore/storetest], whose
// RunConformanceTests every driver here runs.
package graphstore
