// Package graphstore keeps the graph of a tenant's sources, entities,
// views and agents, with in-memory and Redis drivers.
//
// This package is being built; see the project issues.
package graphstore
