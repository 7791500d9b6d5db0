// Package autonomos is the root of AutonomOS for Go, an embeddable SDK and
// a reference server for multi-tenant AI data orchestration.
//
// Data travels from a source through the packages in this order:
//
//	aam (connectors: discover, read)
//	  -> drift     (schema fingerprints and diffs)
//	  -> repair    (field matching, mapping registry, drift repair, review)
//	  -> canonical (normalize a record into typed canonical events)
//	  -> aam stream (publish)
//	  -> dcl       (materialize unified views, build the graph)
//	  -> graphstore (graph state per tenant)
//	  -> nlp       (persona routing, retrieval over tenant knowledge)
//	  -> hostd     (the HTTP server)
//
// Every package is importable on its own. Lower layers never import higher
// ones: tenancy and canonical at the bottom; drift and authn; repair, nlp
// and graphstore; aam; dcl; hostd and the examples on top.
//
// Every store and stream has an in-memory driver, which is the embedded
// default and the test double, and real drivers (PostgreSQL, Redis,
// DuckDB) in subpackages named after them.
package autonomos
