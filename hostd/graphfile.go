package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/graphstore"
	graphmem "github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/tenancy"
)

// fileGraphDriver is the embedded mode's graphstore.Driver: the graphs in
// memory (graphstore/memstore) and one JSON file per tenant under dir,
// rewritten atomically on every save. A save whose file cannot be written
// is undone in memory and fails. Meant for one process.
type fileGraphDriver struct {
	dir string
	mem *graphmem.Driver
	mu  sync.Mutex // serializes writes so that memory and files agree
}

var _ graphstore.Driver = (*fileGraphDriver)(nil)

// openFileGraphDriver loads every graph file of dir (creating dir). A file
// that cannot be decoded is an error naming it.
func openFileGraphDriver(dir string) (*fileGraphDriver, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create graph directory %s: %w", dir, err)
	}
	d := &fileGraphDriver{dir: dir, mem: graphmem.New()}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read graph directory %s: %w", dir, err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		tenant, err := tenancy.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("graph file %s: name is not a tenant id", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read graph file %s: %w", path, err)
		}
		var g graphstore.Graph
		if err := json.Unmarshal(b, &g); err != nil {
			return nil, fmt.Errorf("graph file %s is corrupt: %w", path, err)
		}
		d.mem.Put(tenant, &g)
	}
	return d, nil
}

func (d *fileGraphDriver) path(tenant tenancy.ID) string {
	return filepath.Join(d.dir, tenant.String()+".json")
}

func (d *fileGraphDriver) Load(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	return d.mem.Load(ctx, tenant)
}

// LoadShared implements graphstore.SharedLoader: the graph in memory
// itself, for readers (GET /api/v1/graph) that need no copy.
func (d *fileGraphDriver) LoadShared(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	return d.mem.LoadShared(ctx, tenant)
}

// previous returns the stored graph or nil.
func (d *fileGraphDriver) previous(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	prev, err := d.mem.Load(ctx, tenant)
	if errors.Is(err, graphstore.ErrNotFound) {
		return nil, nil
	}
	return prev, err
}

func (d *fileGraphDriver) restore(ctx context.Context, tenant tenancy.ID, prev *graphstore.Graph) {
	if prev == nil {
		_ = d.mem.Delete(ctx, tenant)
		return
	}
	d.mem.Put(tenant, prev)
}

func (d *fileGraphDriver) Save(ctx context.Context, tenant tenancy.ID, g *graphstore.Graph, expected int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	prev, err := d.previous(ctx, tenant)
	if err != nil {
		return err
	}
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode graph: %w", err)
	}
	if err := d.mem.Save(ctx, tenant, g, expected); err != nil {
		return err
	}
	if err := atomicfile.Write(d.path(tenant), b); err != nil {
		d.restore(ctx, tenant, prev)
		return fmt.Errorf("save graph file %s: %w", d.path(tenant), err)
	}
	return nil
}

func (d *fileGraphDriver) Delete(ctx context.Context, tenant tenancy.ID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	prev, err := d.previous(ctx, tenant)
	if err != nil {
		return err
	}
	if err := d.mem.Delete(ctx, tenant); err != nil {
		return err
	}
	if err := os.Remove(d.path(tenant)); err != nil && !errors.Is(err, os.ErrNotExist) {
		d.restore(ctx, tenant, prev)
		return fmt.Errorf("remove graph file %s: %w", d.path(tenant), err)
	}
	return nil
}

func (d *fileGraphDriver) Close() error { return d.mem.Close() }
