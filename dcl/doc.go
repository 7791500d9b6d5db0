// Package dcl is the data connectivity layer: it consumes canonical
// events, materializes them per tenant in a warehouse (DuckDB embedded,
// PostgreSQL shared), builds unified views with entity resolution, and
// draws the graph of sources, entities, views and agents.
//
// This package is being built; see the project issues.
package dcl
