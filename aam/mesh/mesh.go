package mesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	driftmem "github.com/autonomos/autonomos/drift/memstore"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// Publisher appends canonical events to the stream. *stream.Publisher
// (aam/stream, with memstream or redisstream) implements it. When
// Publish returns nil every event is stored.
type Publisher interface {
	Publish(ctx context.Context, events ...canonical.Event) error
}

// Actor is the actor the Mesh records for mappings it applies on its
// own.
const Actor = "mesh"

// Config configures a [Mesh]. The zero value (or nil) gives the defaults.
type Config struct {
	// Connectors opens connectors by kind. Defaults to
	// aam.DefaultRegistry.
	Connectors *aam.Registry
	// Matcher proposes mappings for new objects. Defaults to
	// repair.NewMatcher(canonical.V1(), nil) with a discarding logger.
	Matcher *repair.Matcher
	// DriftStore keeps the schemas seen, for drift detection. Defaults to
	// an in-memory store (drift/memstore).
	DriftStore *drift.Store
	// Ontology is the ontology mappings target. Defaults to canonical.V1().
	Ontology *canonical.Ontology
	// Locale tells the normalizer how to read dates and amounts.
	// Defaults to the zero Locale.
	Locale canonical.Locale
	// OnboardConfidence is the confidence, in (0, 1], that the matcher's
	// entity choice and every mapped field must reach for a new object's
	// mapping to be applied without a person (and only with Safe Mode
	// off). Defaults to 0.8.
	OnboardConfidence float64
	// MaxAttempts is how many times a sync tries a connection before it
	// gives up and marks it failed or degraded. Defaults to 3.
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles for each
	// attempt after, up to MaxBackoff. Defaults to 1s.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Defaults to 1m.
	MaxBackoff time.Duration
	// Clock gives the time of health changes, proposals and events.
	// Defaults to time.Now.
	Clock func() time.Time
	// Sleep waits between attempts; it returns ctx's error when ctx is
	// done first. Tests set it to count waits. Defaults to a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Hook receives progress: syncs started and ended, batches published,
	// drift detected, repairs applied or queued, mappings proposed.
	// It is called synchronously and must not block for long. Defaults
	// to nil (no progress).
	Hook Hook
	// Logger receives sync records. Defaults to a logger that discards.
	Logger *slog.Logger
}

// WithDefaults returns c with its defaults filled in.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Connectors == nil {
		out.Connectors = aam.DefaultRegistry
	}
	if out.Ontology == nil {
		out.Ontology = canonical.V1()
	}
	if out.DriftStore == nil {
		out.DriftStore = drift.NewStore(driftmem.New(), nil)
	}
	if out.OnboardConfidence == 0 {
		out.OnboardConfidence = 0.8
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = 3
	}
	if out.Backoff == 0 {
		out.Backoff = time.Second
	}
	if out.MaxBackoff == 0 {
		out.MaxBackoff = time.Minute
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Sleep == nil {
		out.Sleep = sleep
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.OnboardConfidence <= 0 || c.OnboardConfidence > 1:
		return fmt.Errorf("mesh: Config.OnboardConfidence %v not in (0, 1]", c.OnboardConfidence)
	case c.MaxAttempts < 1:
		return fmt.Errorf("mesh: Config.MaxAttempts %d is less than 1", c.MaxAttempts)
	case c.Backoff < 0 || c.MaxBackoff < 0:
		return errors.New("mesh: Config.Backoff and MaxBackoff must not be negative")
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Mesh syncs a tenant's connections: it discovers each source's objects,
// detects drift, maps them onto the ontology (proposing mappings for new
// objects and repairs after drift, within the Safe Mode policy of the
// repair registry), reads them from their saved cursors, normalizes the
// records and publishes the events, saving each cursor only after its
// batch is published.
//
// A Mesh is safe for concurrent use; two syncs of one connection at once
// are refused with [ErrSyncInProgress]. It owns none of the values
// passed to [New]: their owner closes them.
type Mesh struct {
	store     Store
	registry  *repair.Registry
	pub       Publisher
	cfg       Config
	detector  *drift.Detector
	matcher   *repair.Matcher
	mu        sync.Mutex
	running   map[connKey]bool
	changeMus sync.Map // connKey -> *sync.Mutex, serializes updates of one connection
}

type connKey struct {
	tenant tenancy.ID
	id     string
}

// New returns a Mesh over store (connections, cursors, dead records),
// registry (mappings, Safe Mode, review queue) and pub (the event
// stream). cfg nil means defaults; an invalid cfg is an error.
func New(store Store, registry *repair.Registry, pub Publisher, cfg *Config) (*Mesh, error) {
	if store == nil || registry == nil || pub == nil {
		return nil, errors.New("mesh: New needs a store, a registry and a publisher")
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	m := &Mesh{store: store, registry: registry, pub: pub, cfg: c, running: map[connKey]bool{}}
	m.detector = drift.NewDetector(c.DriftStore, &drift.DetectorConfig{Clock: c.Clock, Logger: c.Logger})
	m.matcher = c.Matcher
	if m.matcher == nil {
		mt, err := repair.NewMatcher(c.Ontology, &repair.MatcherConfig{Logger: c.Logger})
		if err != nil {
			return nil, fmt.Errorf("mesh: matcher: %w", err)
		}
		m.matcher = mt
	}
	return m, nil
}

// AddConnection stores a new connection (state new, health unknown) and
// returns it redacted. Safe Mode is on for it until a person approves
// its first mapping or switches it off with [Mesh.SetSafeMode].
func (m *Mesh) AddConnection(ctx context.Context, c Connection) (Connection, error) {
	if err := c.Validate(); err != nil {
		return Connection{}, err
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	now := m.cfg.Clock().UTC()
	c.State, c.Health, c.Pending = StateNew, Health{Status: HealthUnknown}, nil
	c.CreatedAt, c.UpdatedAt = now, now
	settings, err := m.registry.Connection(tenancy.WithTenant(ctx, c.Tenant), c.ID)
	if err != nil {
		return Connection{}, fmt.Errorf("mesh: add %s: safe mode: %w", c.ID, err)
	}
	c.SafeMode = settings.SafeMode
	if err := m.store.CreateConnection(ctx, c); err != nil {
		return Connection{}, err
	}
	m.cfg.Logger.InfoContext(ctx, "mesh: connection added", "connection", c)
	return c.Redacted(), nil
}

// Connection returns a connection, redacted.
func (m *Mesh) Connection(ctx context.Context, tenant tenancy.ID, id string) (Connection, error) {
	c, err := m.store.Connection(ctx, tenant, id)
	if err != nil {
		return Connection{}, err
	}
	return c.Redacted(), nil
}

// Connections returns the tenant's connections, redacted, sorted by id.
func (m *Mesh) Connections(ctx context.Context, tenant tenancy.ID) ([]Connection, error) {
	cs, err := m.store.Connections(ctx, tenant)
	for i := range cs {
		cs[i] = cs[i].Redacted()
	}
	return cs, err
}

// DeadRecords returns the records of a connection that made no stored
// event (row errors, records that failed normalization, and those added
// with [Mesh.AddDeadRecords], such as events the warehouse refused),
// oldest first; limit > 0 keeps the first limit.
func (m *Mesh) DeadRecords(ctx context.Context, tenant tenancy.ID, id string, limit int) ([]DeadRecord, error) {
	return m.store.DeadRecords(ctx, tenant, id, limit)
}

// AddDeadRecords keeps records of connection id that made no stored
// event for a reason found after the mesh published them, such as
// [DeadWarehouse], where [Mesh.DeadRecords] shows them. The publisher
// calls it before its Publish returns, so that the batch's cursor is
// saved only once the records are kept. Each record needs a Kind and a
// Reason; its Connection is set to id (another one is refused), a missing
// ID is derived from connection, object, ref, kind and reason (so the
// same refusal replayed replaces its record instead of adding one), and a
// zero At is the Mesh's clock. A [EventRecordsDeadLettered] event counts
// them, per object and kind. The connection must be the tenant's
// ([ErrNotFound] otherwise); records are not modified.
func (m *Mesh) AddDeadRecords(ctx context.Context, tenant tenancy.ID, id string, records []DeadRecord) error {
	if len(records) == 0 {
		return nil
	}
	if _, err := m.store.Connection(ctx, tenant, id); err != nil {
		return err
	}
	now := m.cfg.Clock().UTC()
	recs := make([]DeadRecord, len(records))
	type group struct {
		object string
		kind   DeadRecordKind
	}
	var order []group
	counts := map[group]int{}
	for i, r := range records {
		switch {
		case r.Connection != "" && r.Connection != id:
			return fmt.Errorf("mesh: dead record %d of %s names connection %q: %w", i, id, r.Connection, ErrInvalidDeadRecord)
		case r.Kind == "":
			return fmt.Errorf("mesh: dead record %d of %s: no kind: %w", i, id, ErrInvalidDeadRecord)
		case r.Reason == "":
			return fmt.Errorf("mesh: dead record %d of %s: no reason: %w", i, id, ErrInvalidDeadRecord)
		}
		r.Connection = id
		if r.ID == "" {
			r.ID = deadRecordID(id, r.Object, r.Ref, r.Kind, r.Reason)
		}
		if r.At.IsZero() {
			r.At = now
		}
		recs[i] = r
		g := group{r.Object, r.Kind}
		if counts[g] == 0 {
			order = append(order, g)
		}
		counts[g]++
	}
	if err := m.store.AddDeadRecords(ctx, tenant, recs); err != nil {
		return fmt.Errorf("mesh: dead records of %s: %w", id, err)
	}
	for _, g := range order {
		m.emit(ctx, Event{Kind: EventRecordsDeadLettered, Tenant: tenant, Connection: id, Object: g.object,
			Count: counts[g], Detail: string(g.kind)})
	}
	return nil
}

// SetSafeMode switches Safe Mode of a connection on or off, on a
// person's explicit word (actor), in the repair registry.
func (m *Mesh) SetSafeMode(ctx context.Context, tenant tenancy.ID, id string, on bool, actor string) error {
	if _, err := m.store.Connection(ctx, tenant, id); err != nil {
		return err
	}
	if err := m.registry.SetSafeMode(tenancy.WithTenant(ctx, tenant), id, on, actor); err != nil {
		return fmt.Errorf("mesh: safe mode of %s: %w", id, err)
	}
	return m.update(ctx, tenant, id, func(c *Connection) { c.SafeMode = on })
}

// ApproveMapping applies the pending proposal for a new object of a
// connection as approved by actor: it becomes the object's mapping
// (provenance kept, ApprovedBy set), which counts as the person's
// approval for Safe Mode, and the object syncs from the next sync on.
func (m *Mesh) ApproveMapping(ctx context.Context, tenant tenancy.ID, id, object, actor string) (repair.MappingVersion, error) {
	if actor == "" {
		return repair.MappingVersion{}, errors.New("mesh: approve mapping: empty actor")
	}
	c, err := m.store.Connection(ctx, tenant, id)
	if err != nil {
		return repair.MappingVersion{}, err
	}
	var p *Proposal
	for i := range c.Pending {
		if c.Pending[i].Object == object {
			p = &c.Pending[i]
		}
	}
	if p == nil {
		return repair.MappingVersion{}, fmt.Errorf("mesh: no proposal for object %q of %s: %w", object, id, ErrNotFound)
	}
	mp := p.Mapping
	mp.Fields = append([]canonical.FieldMapping(nil), mp.Fields...)
	for i := range mp.Fields {
		if mp.Fields[i].Target != "" {
			mp.Fields[i].ApprovedBy = actor
		}
	}
	tctx := tenancy.WithTenant(ctx, tenant)
	v, err := m.registry.Save(tctx, repair.MappingKey{Connection: id, Object: object}, mp,
		repair.Change{ExpectedVersion: 0, Actor: actor, Reason: "approved onboarding proposal", Approved: true})
	if err != nil {
		return repair.MappingVersion{}, fmt.Errorf("mesh: approve mapping %s/%s: %w", id, object, err)
	}
	settings, serr := m.registry.Connection(tctx, id)
	err = m.update(ctx, tenant, id, func(c *Connection) {
		c.Pending = removeProposal(c.Pending, object)
		if serr == nil {
			c.SafeMode = settings.SafeMode
		}
	})
	return v, err
}

func removeProposal(ps []Proposal, object string) []Proposal {
	out := ps[:0]
	for _, p := range ps {
		if p.Object != object {
			out = append(out, p)
		}
	}
	return out
}

// update changes a stored connection under the connection's lock.
func (m *Mesh) update(ctx context.Context, tenant tenancy.ID, id string, f func(*Connection)) error {
	mu, _ := m.changeMus.LoadOrStore(connKey{tenant, id}, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	c, err := m.store.Connection(ctx, tenant, id)
	if err != nil {
		return err
	}
	f(&c)
	c.UpdatedAt = m.cfg.Clock().UTC()
	return m.store.UpdateConnection(ctx, c)
}

func (m *Mesh) emit(ctx context.Context, e Event) {
	if m.cfg.Hook == nil {
		return
	}
	if e.At.IsZero() {
		e.At = m.cfg.Clock().UTC()
	}
	m.cfg.Hook(ctx, e)
}
