// Package aam is the adaptive API mesh: connectors that discover and read
// a tenant's sources, the canonical event stream, and the mesh that syncs
// connections, detects schema drift and heals failed connections.
//
// This package is being built; see the project issues.
package aam
