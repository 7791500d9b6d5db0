// Package memstore is the in-memory driver of [graphstore]: the embedded
// default and the fast test double. Graphs live in a map guarded by a
// mutex; nothing survives the process.
//
//	store, err := graphstore.New(memstore.New(), nil)
package memstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/tenancy"
)

// Driver keeps graphs in memory. It is safe for concurrent use. The zero
// value is not usable; call [New].
type Driver struct {
	mu     sync.Mutex
	graphs map[tenancy.ID]*graphstore.Graph
}

var (
	_ graphstore.Driver       = (*Driver)(nil)
	_ graphstore.SharedLoader = (*Driver)(nil)
)

// New returns an empty in-memory driver.
func New() *Driver {
	return &Driver{graphs: make(map[tenancy.ID]*graphstore.Graph)}
}

// Load implements [graphstore.Driver]. It returns a copy.
func (d *Driver) Load(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.graphs[tenant]
	if !ok {
		return nil, graphstore.ErrNotFound
	}
	return g.Clone(), nil
}

// LoadShared implements [graphstore.SharedLoader]: the stored graph
// itself. The driver never edits a stored graph (Save and Put replace it),
// so what it hands out stays as it was.
func (d *Driver) LoadShared(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.graphs[tenant]
	if !ok {
		return nil, graphstore.ErrNotFound
	}
	return g, nil
}

// Save implements [graphstore.Driver]: compare the version and store, in
// one critical section. It keeps g itself, which the caller gave away.
func (d *Driver) Save(ctx context.Context, tenant tenancy.ID, g *graphstore.Graph, expected int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if g == nil {
		return fmt.Errorf("memstore: save: %w", &graphstore.InvalidGraphError{Path: "graph", Reason: "is nil"})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var actual int64
	if cur, ok := d.graphs[tenant]; ok {
		actual = cur.Version
	}
	if actual != expected {
		return &graphstore.VersionConflictError{Tenant: tenant, Expected: expected, Actual: actual}
	}
	d.graphs[tenant] = g
	return nil
}

// Put stores g as the tenant's graph whatever is stored, and keeps g
// itself. It is for drivers built on this one (the fallback driver mirrors
// its primary with it); a Store never calls it.
func (d *Driver) Put(tenant tenancy.ID, g *graphstore.Graph) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.graphs[tenant] = g
}

// Delete implements [graphstore.Driver].
func (d *Driver) Delete(ctx context.Context, tenant tenancy.ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.graphs[tenant]; !ok {
		return graphstore.ErrNotFound
	}
	delete(d.graphs, tenant)
	return nil
}

// Ping implements [graphstore.Pinger]; memory always answers.
func (d *Driver) Ping(ctx context.Context) error { return ctx.Err() }

// Close implements [graphstore.Driver]. It drops every graph.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.graphs = make(map[tenancy.ID]*graphstore.Graph)
	return nil
}
