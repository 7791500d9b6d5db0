// Package memstore is the in-memory [drift.Driver]: the embedded default
// for a single process and the fast test double. It keeps every version
// in memory until the process ends.
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// Driver is an in-memory [drift.Driver]. It is safe for concurrent use;
// schemas are deep-copied in and out. The zero value is not usable; call
// [New].
type Driver struct {
	mu       sync.RWMutex
	versions map[drift.Key][]drift.Version
}

var _ drift.Driver = (*Driver)(nil)

// New returns an empty in-memory driver.
func New() *Driver { return &Driver{versions: make(map[drift.Key][]drift.Version)} }

// Append implements [drift.Driver].
func (d *Driver) Append(ctx context.Context, key drift.Key, prev int64, v drift.Version) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	vs := d.versions[key]
	if int64(len(vs)) != prev {
		return fmt.Errorf("%w: latest version is %d, not %d", drift.ErrConflict, len(vs), prev)
	}
	if v.Number != prev+1 {
		return fmt.Errorf("memstore: version number %d does not follow %d", v.Number, prev)
	}
	d.versions[key] = append(vs, copyVersion(v))
	return nil
}

// Latest implements [drift.Driver].
func (d *Driver) Latest(ctx context.Context, key drift.Key) (drift.Version, error) {
	if err := ctx.Err(); err != nil {
		return drift.Version{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	vs := d.versions[key]
	if len(vs) == 0 {
		return drift.Version{}, drift.ErrNotFound
	}
	return copyVersion(vs[len(vs)-1]), nil
}

// Get implements [drift.Driver].
func (d *Driver) Get(ctx context.Context, key drift.Key, n int64) (drift.Version, error) {
	if err := ctx.Err(); err != nil {
		return drift.Version{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	vs := d.versions[key]
	if n < 1 || n > int64(len(vs)) {
		return drift.Version{}, fmt.Errorf("%w: version %d", drift.ErrNotFound, n)
	}
	return copyVersion(vs[n-1]), nil
}

// List implements [drift.Driver].
func (d *Driver) List(ctx context.Context, key drift.Key, limit int) ([]drift.Version, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	vs := d.versions[key]
	n := len(vs)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]drift.Version, 0, n)
	for i := len(vs) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, copyVersion(vs[i]))
	}
	return out, nil
}

// Objects implements [drift.Driver].
func (d *Driver) Objects(ctx context.Context, tenant tenancy.ID) ([]drift.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []drift.Key
	for k := range d.versions {
		if k.Tenant == tenant {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b drift.Key) int {
		return cmp.Or(cmp.Compare(a.ConnectionID, b.ConnectionID), cmp.Compare(a.Object, b.Object))
	})
	return out, nil
}

func copyVersion(v drift.Version) drift.Version {
	v.Schema = v.Schema.Clone()
	return v
}
