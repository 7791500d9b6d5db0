// Package memstore is the in-memory [drift.Driver]: the embedded default
// for a single process and the fast test double. [New] keeps every version
// in memory until the process ends; [Open] also keeps them in a file, so
// that the schemas seen before a restart are still there to diff against.
package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/tenancy"
)

// Driver is an in-memory [drift.Driver]. It is safe for concurrent use;
// schemas are deep-copied in and out. The zero value is not usable; call
// [New].
type Driver struct {
	mu       sync.RWMutex
	versions map[drift.Key][]drift.Version
	// path is the file of Open's driver; "" for New's.
	path string
}

var _ drift.Driver = (*Driver)(nil)

// New returns an empty in-memory driver.
func New() *Driver { return &Driver{versions: make(map[drift.Key][]drift.Version)} }

// fileHistory is one key's versions in the file.
type fileHistory struct {
	Key      drift.Key       `json:"key"`
	Versions []drift.Version `json:"versions"`
}

// Open returns a driver kept in the JSON file at path (mode 0600), loading
// what the file holds; a missing file is an empty store. Every append
// rewrites the file atomically before it returns, and an append whose
// write fails is undone. One process may use the file at a time.
func Open(path string) (*Driver, error) {
	d := New()
	d.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memstore: read %s: %w", path, err)
	}
	var hs []fileHistory
	if err := json.Unmarshal(b, &hs); err != nil {
		return nil, fmt.Errorf("memstore: %s is not a drift schema file: %w", path, err)
	}
	for i, h := range hs {
		if err := h.Key.Validate(); err != nil {
			return nil, fmt.Errorf("memstore: %s: entry %d: %w", path, i, err)
		}
		for j, v := range h.Versions {
			if v.Number != int64(j+1) || v.Schema == nil {
				return nil, fmt.Errorf("memstore: %s: entry %d (%s): version %d is numbered %d or has no schema", path, i, h.Key, j+1, v.Number)
			}
		}
		d.versions[h.Key] = h.Versions
	}
	return d, nil
}

// saveLocked writes every history to the file; d.mu must be held.
func (d *Driver) saveLocked() error {
	hs := make([]fileHistory, 0, len(d.versions))
	for k, vs := range d.versions {
		hs = append(hs, fileHistory{Key: k, Versions: vs})
	}
	slices.SortFunc(hs, func(a, b fileHistory) int {
		return cmp.Or(cmp.Compare(a.Key.Tenant.String(), b.Key.Tenant.String()),
			cmp.Compare(a.Key.ConnectionID, b.Key.ConnectionID), cmp.Compare(a.Key.Object, b.Key.Object))
	})
	b, err := json.Marshal(hs)
	if err != nil {
		return fmt.Errorf("memstore: encode schemas: %w", err)
	}
	if err := atomicfile.Write(d.path, b); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

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
	if d.path != "" {
		if err := d.saveLocked(); err != nil {
			if len(vs) == 0 {
				delete(d.versions, key)
			} else {
				d.versions[key] = vs[:len(vs):len(vs)]
			}
			return err
		}
	}
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
