// Package memtelemetry is the in-memory driver of package telemetry:
// the counters of one process, lost when it ends.
package memtelemetry

import (
	"context"
	"sync"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/tenancy"
)

// Driver keeps counters in memory. It is safe for concurrent use; the
// zero value is not usable, use [New].
type Driver struct {
	mu sync.Mutex
	m  map[tenancy.ID]telemetry.Totals
}

var _ telemetry.Driver = (*Driver)(nil)

// New returns an empty Driver.
func New() *Driver { return &Driver{m: map[tenancy.ID]telemetry.Totals{}} }

// Add implements [telemetry.Driver].
func (d *Driver) Add(ctx context.Context, tenant tenancy.ID, model string, u telemetry.Usage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.m[tenant]
	if t == nil {
		t = telemetry.Totals{}
		d.m[tenant] = t
	}
	t[model] = t[model].Add(u)
	return nil
}

// Totals implements [telemetry.Driver].
func (d *Driver) Totals(ctx context.Context, tenant tenancy.ID) (telemetry.Totals, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := telemetry.Totals{}
	for k, v := range d.m[tenant] {
		out[k] = v
	}
	return out, nil
}
