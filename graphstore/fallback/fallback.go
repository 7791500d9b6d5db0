// Package fallback is a [graphstore] driver that keeps graphs available
// while its primary (Redis, usually) is down.
//
//	rd, _ := redisstore.New(client, nil)
//	fb, _ := fallback.New(rd, nil)
//	store, _ := graphstore.New(fb, nil)
//	defer store.Close()     // stops the resync loop, closes rd
//	...
//	err := fb.Sync(ctx)     // optional: write back now instead of waiting
//
// # How it works
//
// While the primary answers, every call goes to it, and each graph read or
// written is mirrored in an in-memory copy ([memstore]). A tenant the
// primary answered for is "known": its memory copy is the primary's
// latest state as far as this process has seen it (including "no graph").
//
// When a primary call fails for any reason other than an answer (not
// found, version conflict, corrupt value) or the caller's own context, the
// driver turns degraded: calls for known tenants are served from memory,
// with the same version checks; saves made there are marked dirty. For a
// tenant it never saw, it cannot tell what the primary holds, so Load and
// Save return [graphstore.ErrUnavailable] rather than guess. Deletes need
// the primary and also return ErrUnavailable during an outage.
//
// A background loop retries with exponential backoff
// ([Config.MinBackoff] doubling up to [Config.MaxBackoff], with jitter):
// it pings the primary when it can ([graphstore.Pinger]) and leaves the
// degraded state when the ping succeeds, then writes every dirty tenant
// back. [Driver.Sync] does the same at once. A call on a dirty tenant
// writes it back before anything else, so a reader never sees a state
// older than the one in memory.
//
// # The write-back rule
//
// A dirty memory copy L is written over the primary's state P only when L
// is newer:
//
//   - P absent: L is written;
//   - L.Version > P.Version: L is written as it is;
//   - L.Version == P.Version and L.UpdatedAt is later than P.UpdatedAt: L
//     is written with version P.Version+1 (so that every reader of P sees a
//     conflict rather than silently losing L);
//   - otherwise P is newer or the same and is kept; L is dropped and the
//     memory copy becomes P.
//
// The write is a compare-and-set on P.Version, so a save that reaches the
// primary between the read of P and the write makes the rule run again on
// the new P. When L is dropped and differs from P, the driver logs a
// warning and calls [Config.OnConflict].
//
// With this process as the only writer of a tenant during an outage, no
// update is lost: every save accepted in memory is written back. When
// other processes also wrote to the primary meanwhile, the newer state by
// the rule above wins and the other is reported, not merged.
//
// Updates held only in memory are lost if the process stops before the
// primary returns; Close logs how many tenants that concerns.
package fallback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a [Driver]. The zero value is ready to use.
type Config struct {
	// Logger receives outage, recovery and conflict messages. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// MinBackoff is the first wait between resync attempts. Defaults to
	// 100ms.
	MinBackoff time.Duration
	// MaxBackoff caps the wait between resync attempts. Defaults to 30s.
	MaxBackoff time.Duration
	// SyncTimeout bounds one background resync attempt. Defaults to 10s.
	SyncTimeout time.Duration
	// OnConflict, when set, is called when a write-back finds the primary
	// newer and drops a memory state that differs from it: kept is the
	// primary's graph, dropped the memory one. It runs on the goroutine
	// doing the write-back with the tenant's lock held, so it must not call
	// the store. Defaults to nil (conflicts are only logged).
	OnConflict func(tenant tenancy.ID, kept, dropped *graphstore.Graph)
}

// WithDefaults returns a copy of c (which may be nil) with every zero
// field set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.MinBackoff == 0 {
		out.MinBackoff = 100 * time.Millisecond
	}
	if out.MaxBackoff == 0 {
		out.MaxBackoff = 30 * time.Second
	}
	if out.SyncTimeout == 0 {
		out.SyncTimeout = 10 * time.Second
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.MinBackoff < 0:
		return fmt.Errorf("fallback: Config.MinBackoff is negative (%s)", c.MinBackoff)
	case c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("fallback: Config.MaxBackoff (%s) is below MinBackoff (%s)", c.MaxBackoff, c.MinBackoff)
	case c.SyncTimeout < 0:
		return fmt.Errorf("fallback: Config.SyncTimeout is negative (%s)", c.SyncTimeout)
	}
	return nil
}

// Driver serves graphs from a primary driver, and from memory while the
// primary is down. It is safe for concurrent use. It owns the primary:
// Close closes it. Calls for one tenant are serialized in this process.
type Driver struct {
	primary graphstore.Driver
	local   *memstore.Driver
	cfg     Config

	mu       sync.Mutex // guards the fields below
	degraded bool
	tenants  map[tenancy.ID]*tenantState
	dirty    map[tenancy.ID]struct{}

	wake chan struct{}   // capacity 1: a pending request to resync
	base context.Context // canceled by Close, ends a background resync
	halt context.CancelFunc
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// tenantState is what the driver knows of one tenant. mu serializes the
// calls for the tenant; known and dirty are guarded by it (dirty also
// mirrored in Driver.dirty, under Driver.mu, taken after mu).
type tenantState struct {
	mu    sync.Mutex
	known bool // the memory copy reflects the primary's state (or newer)
	dirty bool // the memory copy holds saves the primary has not got
}

var _ graphstore.Driver = (*Driver)(nil)

// New returns a fallback driver over primary and starts its resync loop,
// which Close stops. A nil cfg means defaults.
func New(primary graphstore.Driver, cfg *Config) (*Driver, error) {
	if primary == nil {
		return nil, errors.New("fallback: New: primary is nil")
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	d := &Driver{
		primary: primary,
		local:   memstore.New(),
		cfg:     c,
		tenants: make(map[tenancy.ID]*tenantState),
		dirty:   make(map[tenancy.ID]struct{}),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	d.base, d.halt = context.WithCancel(context.Background())
	go d.run()
	return d, nil
}

// Degraded reports whether the driver is serving from memory because the
// primary is down.
func (d *Driver) Degraded() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.degraded
}

// Pending returns how many tenants hold saves that the primary has not
// got yet.
func (d *Driver) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.dirty)
}

func (d *Driver) state(t tenancy.ID) *tenantState {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, ok := d.tenants[t]
	if !ok {
		ts = &tenantState{}
		d.tenants[t] = ts
	}
	return ts
}

// primaryDown reports whether err from a primary call means the primary
// could not answer, as opposed to an answer or the caller giving up.
func primaryDown(ctx context.Context, err error) bool {
	switch {
	case err == nil, ctx.Err() != nil:
		return false
	case errors.Is(err, graphstore.ErrNotFound),
		errors.Is(err, graphstore.ErrVersionConflict),
		errors.Is(err, graphstore.ErrCorrupt),
		errors.Is(err, graphstore.ErrInvalidGraph):
		return false
	}
	return true
}

func (d *Driver) markDegraded(err error) {
	d.mu.Lock()
	was := d.degraded
	d.degraded = true
	d.mu.Unlock()
	if !was {
		d.cfg.Logger.Warn("graphstore/fallback: primary unavailable, serving graphs from memory", slog.Any("error", err))
	}
	d.kick()
}

func (d *Driver) isDegraded() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.degraded
}

// kick asks the resync loop to run.
func (d *Driver) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Driver) setDirty(t tenancy.ID, ts *tenantState, dirty bool) {
	ts.dirty = dirty
	d.mu.Lock()
	if dirty {
		d.dirty[t] = struct{}{}
	} else {
		delete(d.dirty, t)
	}
	d.mu.Unlock()
}

func unavailable(t tenancy.ID, cause error) error {
	if cause == nil {
		return fmt.Errorf("fallback: the primary is down and tenant %s was never read from it: %w", t, graphstore.ErrUnavailable)
	}
	return fmt.Errorf("fallback: tenant %s: %w (%w)", t, graphstore.ErrUnavailable, cause)
}

// Load implements [graphstore.Driver].
func (d *Driver) Load(ctx context.Context, t tenancy.ID) (*graphstore.Graph, error) {
	ts := d.state(t)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dirty {
		_ = d.writeBack(ctx, t, ts) // on failure the memory copy answers
	}
	if !ts.dirty && !d.isDegraded() {
		g, err := d.primary.Load(ctx, t)
		switch {
		case err == nil:
			d.local.Put(t, g.Clone())
			ts.known = true
			return g, nil
		case errors.Is(err, graphstore.ErrNotFound):
			_ = d.local.Delete(ctx, t)
			ts.known = true
			return nil, err
		case !primaryDown(ctx, err):
			return nil, err
		}
		d.markDegraded(err)
	}
	if !ts.known {
		return nil, unavailable(t, nil)
	}
	return d.local.Load(ctx, t)
}

// Save implements [graphstore.Driver].
func (d *Driver) Save(ctx context.Context, t tenancy.ID, g *graphstore.Graph, expected int64) error {
	ts := d.state(t)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dirty {
		_ = d.writeBack(ctx, t, ts)
	}
	if !ts.dirty && !d.isDegraded() {
		err := d.primary.Save(ctx, t, g.Clone(), expected)
		switch {
		case err == nil:
			d.local.Put(t, g)
			ts.known = true
			return nil
		case !primaryDown(ctx, err):
			return err
		}
		d.markDegraded(err)
	}
	if !ts.known {
		return unavailable(t, nil)
	}
	if err := d.local.Save(ctx, t, g, expected); err != nil {
		return err
	}
	d.setDirty(t, ts, true)
	d.kick()
	return nil
}

// Delete implements [graphstore.Driver]. It needs the primary: during an
// outage it returns an error wrapping [graphstore.ErrUnavailable].
func (d *Driver) Delete(ctx context.Context, t tenancy.ID) error {
	ts := d.state(t)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dirty {
		if err := d.writeBack(ctx, t, ts); err != nil {
			return unavailable(t, err)
		}
	}
	if d.isDegraded() {
		return unavailable(t, errors.New("deletes wait for the primary"))
	}
	err := d.primary.Delete(ctx, t)
	switch {
	case err == nil, errors.Is(err, graphstore.ErrNotFound):
		_ = d.local.Delete(ctx, t)
		ts.known = true
		return err
	case primaryDown(ctx, err):
		d.markDegraded(err)
		return unavailable(t, err)
	}
	return err
}

// newer reports whether a is newer than b by the write-back rule.
func newer(a, b *graphstore.Graph) bool {
	return a.Version > b.Version || (a.Version == b.Version && a.UpdatedAt.After(b.UpdatedAt))
}

// writeBack writes the tenant's dirty memory copy to the primary by the
// write-back rule. ts.mu must be held. It returns an error when the
// primary could not be brought up to date; the tenant then stays dirty.
func (d *Driver) writeBack(ctx context.Context, t tenancy.ID, ts *tenantState) error {
	if !ts.dirty {
		return nil
	}
	l, err := d.local.Load(ctx, t)
	if errors.Is(err, graphstore.ErrNotFound) { // nothing to write
		d.setDirty(t, ts, false)
		return nil
	}
	if err != nil {
		return err
	}
	const attempts = 10
	for range attempts {
		p, err := d.primary.Load(ctx, t)
		var pv int64
		switch {
		case err == nil:
			pv = p.Version
		case errors.Is(err, graphstore.ErrNotFound):
			p = nil
		case primaryDown(ctx, err):
			d.markDegraded(err)
			return err
		default:
			return err
		}
		if p != nil && !newer(l, p) {
			if l.Digest() != p.Digest() || l.Version != p.Version {
				d.cfg.Logger.Warn("graphstore/fallback: the primary holds a newer graph; the memory copy is dropped",
					slog.String("tenant", t.String()),
					slog.Int64("primary_version", p.Version), slog.Time("primary_updated_at", p.UpdatedAt),
					slog.Int64("memory_version", l.Version), slog.Time("memory_updated_at", l.UpdatedAt))
				if d.cfg.OnConflict != nil {
					d.cfg.OnConflict(t, p.Clone(), l.Clone())
				}
			}
			d.local.Put(t, p)
			d.setDirty(t, ts, false)
			return nil
		}
		w := l.Clone()
		if p != nil && w.Version == p.Version {
			w.Version = p.Version + 1
		}
		err = d.primary.Save(ctx, t, w.Clone(), pv)
		switch {
		case err == nil:
			d.local.Put(t, w)
			d.setDirty(t, ts, false)
			d.cfg.Logger.Info("graphstore/fallback: wrote a graph saved during the outage back to the primary",
				slog.String("tenant", t.String()), slog.Int64("version", w.Version))
			return nil
		case errors.Is(err, graphstore.ErrVersionConflict):
			continue // the primary moved; decide again
		case primaryDown(ctx, err):
			d.markDegraded(err)
			return err
		default:
			return err
		}
	}
	return fmt.Errorf("fallback: write back tenant %s: the primary kept changing (%d attempts): %w", t, attempts, graphstore.ErrVersionConflict)
}

// Sync writes every dirty tenant back to the primary and leaves the
// degraded state. It returns nil when the primary has every save, or the
// first error that stopped it (the rest stays pending and the background
// loop keeps trying).
//
// When the primary implements [graphstore.Pinger], a successful ping ends
// the degraded state at once: a call on a tenant still dirty writes it
// back before it touches the primary, so nothing older is served. Without
// a Pinger the degraded state ends when every dirty tenant is written.
func (d *Driver) Sync(ctx context.Context) error {
	if p, ok := d.primary.(graphstore.Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			if primaryDown(ctx, err) {
				d.markDegraded(err)
			}
			return fmt.Errorf("fallback: sync: %w", err)
		}
		d.recovered()
	}
	for {
		d.mu.Lock()
		pending := make([]tenancy.ID, 0, len(d.dirty))
		for t := range d.dirty {
			pending = append(pending, t)
		}
		d.mu.Unlock()
		if len(pending) == 0 {
			d.recovered()
			return nil
		}
		slices.SortFunc(pending, compareIDs) // a stable order for logs and tests
		for _, t := range pending {
			ts := d.state(t)
			ts.mu.Lock()
			err := d.writeBack(ctx, t, ts)
			ts.mu.Unlock()
			if err != nil {
				if !primaryDown(ctx, err) && ctx.Err() == nil {
					// Not an outage: the primary refused (a corrupt value, a
					// primary that keeps changing). Worth a person's look.
					d.cfg.Logger.Error("graphstore/fallback: cannot write a graph back to the primary",
						slog.String("tenant", t.String()), slog.Any("error", err))
				}
				return fmt.Errorf("fallback: sync: %w", err)
			}
		}
	}
}

// recovered leaves the degraded state.
func (d *Driver) recovered() {
	d.mu.Lock()
	was := d.degraded
	d.degraded = false
	d.mu.Unlock()
	if was {
		d.cfg.Logger.Info("graphstore/fallback: primary is back; serving from it again")
	}
}

func compareIDs(a, b tenancy.ID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// run is the resync loop: it waits for a kick, then retries Sync with
// backoff until the primary is up to date.
func (d *Driver) run() {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.wake:
		}
		backoff := d.cfg.MinBackoff
		for d.needsSync() {
			ctx, cancel := context.WithTimeout(d.base, d.cfg.SyncTimeout)
			err := d.Sync(ctx)
			cancel()
			if err == nil {
				break
			}
			wait := backoff/2 + rand.N(backoff/2+1) // jitter: [backoff/2, backoff]
			d.cfg.Logger.Debug("graphstore/fallback: resync failed; retrying",
				slog.Duration("in", wait), slog.Any("error", err))
			timer := time.NewTimer(wait)
			select {
			case <-d.stop:
				timer.Stop()
				return
			case <-timer.C:
			}
			backoff = min(backoff*2, d.cfg.MaxBackoff)
		}
	}
}

func (d *Driver) needsSync() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.degraded || len(d.dirty) > 0
}

// Close stops the resync loop and closes the primary. Saves still held
// only in memory are lost; call Sync first to avoid that.
func (d *Driver) Close() error {
	var err error
	d.once.Do(func() {
		d.halt()
		close(d.stop)
		<-d.done
		if n := d.Pending(); n > 0 {
			d.cfg.Logger.Error("graphstore/fallback: closing with saves the primary never got", slog.Int("tenants", n))
		}
		err = errors.Join(d.primary.Close(), d.local.Close())
	})
	return err
}
