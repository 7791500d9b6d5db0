package mesh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// Stats counts what a sync did, over all its attempts.
type Stats struct {
	// Attempts is how many times the connection was tried.
	Attempts int `json:"attempts"`
	// Objects is the number of objects discovered (last attempt).
	Objects int `json:"objects"`
	// ObjectsSynced is the number of objects read to their end (last
	// attempt).
	ObjectsSynced int `json:"objects_synced"`
	// Waiting lists the objects that wait for a person (last attempt).
	Waiting []Waiting `json:"waiting,omitempty"`
	// RowsRead counts the records read.
	RowsRead int `json:"rows_read"`
	// EventsPublished counts the canonical events published.
	EventsPublished int `json:"events_published"`
	// RowErrors counts the records the connector could not read.
	RowErrors int `json:"row_errors"`
	// NormalizeErrors counts the records read that made no event.
	NormalizeErrors int `json:"normalize_errors"`
	// DriftEvents counts the objects whose schema drifted.
	DriftEvents int `json:"drift_events"`
	// RepairsApplied and RepairsQueued count the repairs applied on
	// their own and queued for review.
	RepairsApplied int `json:"repairs_applied"`
	RepairsQueued  int `json:"repairs_queued"`
	// MappingsApplied and MappingsProposed count the new objects whose
	// mapping was applied on its own or queued for approval.
	MappingsApplied  int `json:"mappings_applied"`
	MappingsProposed int `json:"mappings_proposed"`
	// Health is the connection's health after the sync.
	Health HealthStatus `json:"health"`
}

// Waiting is an object that does not sync until a person acts.
type Waiting struct {
	Object string `json:"object"`
	// Reason says what it waits for.
	Reason string `json:"reason"`
}

// Onboard adds conn for tenant (see [Mesh.AddConnection]) and syncs it at
// once: the source is discovered and a mapping is proposed for each
// object; objects whose mapping is confident sync when Safe Mode is off,
// the others wait for a person ([Mesh.ApproveMapping]). It returns the
// connection after the sync, redacted, and the sync's stats; a failing
// source leaves the connection stored with failed health, and the error.
func (m *Mesh) Onboard(ctx context.Context, tenant tenancy.ID, conn Connection) (Connection, Stats, error) {
	if conn.Tenant == tenancy.Nil {
		conn.Tenant = tenant
	}
	if conn.Tenant != tenant {
		return Connection{}, Stats{}, &ConnectionError{ID: conn.ID, Field: "tenant", Reason: "differs from the onboarding tenant"}
	}
	if _, err := m.AddConnection(ctx, conn); err != nil {
		return Connection{}, Stats{}, err
	}
	st, err := m.Sync(ctx, tenant, conn.ID)
	c, gerr := m.Connection(ctx, tenant, conn.ID)
	if gerr != nil && err == nil {
		err = gerr
	}
	return c, st, err
}

// Sync syncs every object of a connection once: discover, drift
// detection, mapping (with onboarding of new objects and repairs after
// drift), read from the saved cursor, normalize, publish, save the
// cursor. A failed attempt is retried with exponential backoff up to
// Config.MaxAttempts; reading from the saved cursors makes that safe.
// The connection's health and state are updated at the end.
//
// It returns nil when every object synced or waits for a person; an
// [*ObjectError] (joined, one per object) or the connector's error
// otherwise, and ctx's error as it is.
func (m *Mesh) Sync(ctx context.Context, tenant tenancy.ID, id string) (Stats, error) {
	k := connKey{tenant, id}
	m.mu.Lock()
	if m.running[k] {
		m.mu.Unlock()
		return Stats{}, fmt.Errorf("mesh: sync %s: %w", id, ErrSyncInProgress)
	}
	m.running[k] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.running, k)
		m.mu.Unlock()
	}()

	c, err := m.store.Connection(ctx, tenant, id)
	if err != nil {
		return Stats{}, err
	}
	log := m.cfg.Logger.With("tenant", tenant.String(), "connection", id)
	m.emit(ctx, Event{Kind: EventSyncStarted, Tenant: tenant, Connection: id})
	var (
		st      Stats
		lastErr error
		partial bool
	)
	for attempt := 1; attempt <= m.cfg.MaxAttempts; attempt++ {
		st.Attempts = attempt
		partial, lastErr = m.syncOnce(ctx, c, &st)
		if lastErr == nil || ctx.Err() != nil || !retryable(lastErr) || attempt == m.cfg.MaxAttempts {
			break
		}
		wait := m.backoff(attempt)
		msg := scrub(lastErr.Error(), c.Config.Secrets())
		log.WarnContext(ctx, "mesh: sync attempt failed", "attempt", attempt, "retry_in", wait, "err", msg)
		m.emit(ctx, Event{Kind: EventSyncRetry, Tenant: tenant, Connection: id, Attempt: attempt, Detail: msg})
		if err := m.cfg.Sleep(ctx, wait); err != nil {
			lastErr = err
			break
		}
	}
	if ctx.Err() != nil && lastErr != nil && errors.Is(lastErr, ctx.Err()) {
		return st, ctx.Err()
	}

	now := m.cfg.Clock().UTC()
	status := HealthHealthy
	switch {
	case lastErr != nil && partial:
		status = HealthDegraded
	case lastErr != nil:
		status = HealthFailed
	}
	st.Health = status
	var before HealthStatus
	settings, serr := m.registry.Connection(tenancy.WithTenant(ctx, tenant), id)
	uerr := m.update(context.WithoutCancel(ctx), tenant, id, func(c *Connection) {
		before = c.Health.Status
		c.Health.Status = status
		c.Health.LastSyncAt = now
		if lastErr != nil {
			c.Health.LastError = scrub(lastErr.Error(), c.Config.Secrets())
			c.Health.LastErrorAt = now
			c.Health.Failures++
		} else {
			c.Health.LastError = ""
			c.Health.LastSuccessAt = now
			c.Health.Failures = 0
		}
		c.State = StateActive
		if len(st.Waiting) > 0 {
			c.State = StateAwaitingApproval
		}
		if serr == nil {
			c.SafeMode = settings.SafeMode
		}
	})
	if before != status {
		m.emit(ctx, Event{Kind: EventHealthChanged, Tenant: tenant, Connection: id, Health: status})
	}
	if lastErr != nil {
		msg := scrub(lastErr.Error(), c.Config.Secrets())
		log.ErrorContext(ctx, "mesh: sync failed", "health", status, "attempts", st.Attempts, "err", msg)
		m.emit(ctx, Event{Kind: EventSyncFailed, Tenant: tenant, Connection: id, Health: status, Detail: msg, Attempt: st.Attempts})
		return st, &scrubbedError{msg: msg, err: lastErr}
	}
	log.InfoContext(ctx, "mesh: sync finished", "rows", st.RowsRead, "events", st.EventsPublished,
		"row_errors", st.RowErrors, "drift", st.DriftEvents, "waiting", len(st.Waiting))
	m.emit(ctx, Event{Kind: EventSyncFinished, Tenant: tenant, Connection: id, Count: st.EventsPublished, Health: status})
	return st, uerr
}

// HealResult is what [Mesh.Heal] did for one connection.
type HealResult struct {
	Connection string       `json:"connection_id"`
	Before     HealthStatus `json:"before"`
	After      HealthStatus `json:"after"`
	Stats      Stats        `json:"stats"`
	// Err is the sync's error message, secrets masked; "" when healed.
	Err string `json:"error,omitempty"`
}

// Heal re-checks and resumes the tenant's failed and degraded
// connections: each is synced again (from its saved cursors, so nothing
// is lost or read twice). It returns one result per connection it
// tried, sorted by connection id; a connection that stays failed is
// reported in its result, not as Heal's error, which is reserved for
// listing failures and ctx's error.
func (m *Mesh) Heal(ctx context.Context, tenant tenancy.ID) ([]HealResult, error) {
	cs, err := m.store.Connections(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []HealResult
	for _, c := range cs {
		if c.Health.Status != HealthFailed && c.Health.Status != HealthDegraded {
			continue
		}
		st, err := m.Sync(ctx, tenant, c.ID)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := HealResult{Connection: c.ID, Before: c.Health.Status, After: st.Health, Stats: st}
		if err != nil {
			r.Err = scrub(err.Error(), c.Config.Secrets())
			if st.Health == "" {
				r.After = c.Health.Status
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (m *Mesh) backoff(attempt int) time.Duration {
	d := m.cfg.Backoff
	for i := 1; i < attempt && d < m.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, m.cfg.MaxBackoff)
}

// retryable reports whether another attempt may help: not for a bad
// configuration or an unknown kind.
func retryable(err error) bool {
	return !errors.Is(err, aam.ErrInvalidConfig) && !errors.Is(err, aam.ErrUnknownKind) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// syncOnce makes one attempt at every object. partial reports that some
// objects synced while others failed.
func (m *Mesh) syncOnce(ctx context.Context, c Connection, st *Stats) (partial bool, err error) {
	conn, err := m.cfg.Connectors.Open(c.Kind, c.Config.Raw())
	if err != nil {
		return false, fmt.Errorf("mesh: open %s (%s): %w", c.ID, c.Kind, err)
	}
	defer conn.Close()
	if err := conn.Check(ctx); err != nil {
		return false, fmt.Errorf("mesh: check %s: %w", c.ID, err)
	}
	objects, err := conn.Discover(ctx)
	if err != nil {
		return false, fmt.Errorf("mesh: discover %s: %w", c.ID, err)
	}
	tctx := tenancy.WithTenant(ctx, c.Tenant)
	settings, err := m.registry.Connection(tctx, c.ID)
	if err != nil {
		return false, fmt.Errorf("mesh: safe mode of %s: %w", c.ID, err)
	}
	st.Objects, st.ObjectsSynced, st.Waiting = len(objects), 0, nil
	var errs []error
	ok := 0
	for _, info := range objects {
		synced, err := m.syncObject(ctx, tctx, c, conn, info, settings, st)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		ok++
		if synced {
			st.ObjectsSynced++
		}
	}
	if len(errs) == 0 {
		return false, nil
	}
	return ok > 0, errors.Join(errs...)
}

// syncObject syncs one object; synced is false when it waits.
func (m *Mesh) syncObject(ctx, tctx context.Context, c Connection, conn aam.Connector, info aam.ObjectInfo, settings repair.ConnectionSettings, st *Stats) (synced bool, err error) {
	object := info.Name
	fail := func(stage string, err error) (bool, error) {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return false, ctx.Err()
		}
		return false, &ObjectError{Connection: c.ID, Object: object, Stage: stage, Err: err}
	}
	if info.Schema == nil {
		return fail("discover", errors.New("connector returned no schema"))
	}
	schema := info.Schema.Clone()
	schema.ConnectionID = c.ID
	if schema.Object == "" {
		schema.Object = object
	}
	key := repair.MappingKey{Connection: c.ID, Object: object}
	cur, err := m.registry.Current(tctx, key)
	mapped := err == nil
	if err != nil && !errors.Is(err, repair.ErrNotFound) {
		return fail("mapping", err)
	}

	// A mapped object's drift is repaired before the new schema is
	// recorded: if the repair fails, the next sync sees the drift again.
	driftShown := false
	if mapped {
		prev, err := m.cfg.DriftStore.Latest(ctx, drift.KeyOf(c.Tenant, schema))
		if err != nil && !errors.Is(err, drift.ErrNotFound) {
			return fail("drift", err)
		}
		if err == nil && prev.Schema != nil {
			if diff := drift.Diff(prev.Schema, schema); !diff.Empty() {
				m.emit(ctx, Event{Kind: EventDriftDetected, Tenant: c.Tenant, Connection: c.ID, Object: object,
					Count: len(diff.Changes), Detail: "severity " + diff.Severity.String()})
				driftShown = true
				out, err := m.registry.HandleDrift(tctx, key, *prev.Schema, *schema)
				if err != nil {
					return fail("repair", err)
				}
				st.RepairsApplied += len(out.Applied)
				st.RepairsQueued += len(out.Queued)
				for _, r := range out.Applied {
					m.emit(ctx, Event{Kind: EventRepairApplied, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: 1,
						Detail: r.Field + " -> " + r.To + " (" + r.Target + ")"})
				}
				for _, q := range out.Queued {
					m.emit(ctx, Event{Kind: EventRepairQueued, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: 1,
						Detail: q.Repair.Field + ": " + q.Reason})
				}
				cur = out.Version
			}
		}
	}
	dev, err := m.detector.Observe(ctx, c.Tenant, schema)
	if err != nil {
		return fail("drift", err)
	}
	if dev != nil {
		st.DriftEvents++
	}
	if dev != nil && !driftShown {
		m.emit(ctx, Event{Kind: EventDriftDetected, Tenant: c.Tenant, Connection: c.ID, Object: object,
			Count: len(dev.Diff.Changes), Detail: "severity " + dev.Severity.String()})
	}
	if !mapped {
		applied, err := m.onboardObject(ctx, tctx, c, schema, settings, st)
		if err != nil {
			return fail("mapping", err)
		}
		if !applied {
			return false, nil
		}
		if cur, err = m.registry.Current(tctx, key); err != nil {
			return fail("mapping", err)
		}
	}

	pending, err := m.registry.Reviews(tctx, repair.ReviewFilter{Status: repair.ReviewPending, Connection: c.ID, Object: object})
	if err != nil {
		return fail("review", err)
	}
	if len(pending) > 0 {
		reason := fmt.Sprintf("%d repair(s) wait for review", len(pending))
		st.Waiting = append(st.Waiting, Waiting{Object: object, Reason: reason})
		m.emit(ctx, Event{Kind: EventObjectWaiting, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: len(pending), Detail: reason})
		return false, nil
	}
	if err := m.read(ctx, c, conn, schema, cur.Mapping, st); err != nil {
		return fail(stageOf(err), err)
	}
	return true, nil
}

// onboardObject proposes a mapping for a new object and applies it when
// the matcher is confident and Safe Mode is off; otherwise it stores the
// proposal on the connection and the object waits.
func (m *Mesh) onboardObject(ctx, tctx context.Context, c Connection, schema *drift.Schema, settings repair.ConnectionSettings, st *Stats) (bool, error) {
	object := schema.Object
	fp := drift.Fingerprint(schema)
	stored, err := m.store.Connection(ctx, c.Tenant, c.ID)
	if err != nil {
		return false, err
	}
	for _, p := range stored.Pending {
		if p.Object == object && p.Fingerprint == fp {
			st.Waiting = append(st.Waiting, Waiting{Object: object, Reason: "mapping proposal waits for approval: " + p.Reason})
			return false, nil
		}
	}
	res, err := m.matcher.Match(tctx, *schema)
	if err != nil {
		return false, err
	}
	mp := res.Mapping()
	conf, mapped := res.EntityConfidence, 0
	for _, f := range res.Fields {
		if f.Target != "" {
			mapped++
			conf = min(conf, f.Confidence)
		}
	}
	if mapped == 0 {
		conf = 0
	}
	var reason string
	switch {
	case mapped == 0:
		reason = "no field maps onto the ontology"
	case conf < m.cfg.OnboardConfidence:
		reason = fmt.Sprintf("confidence %.2f below %.2f", conf, m.cfg.OnboardConfidence)
	case settings.SafeMode:
		reason = repair.ReasonSafeMode
	}
	key := repair.MappingKey{Connection: c.ID, Object: object}
	if reason == "" {
		if _, err := m.registry.Save(tctx, key, mp, repair.Change{Actor: Actor,
			Reason: fmt.Sprintf("onboarding: matched %s with confidence %.2f", res.Entity, conf)}); err != nil {
			return false, err
		}
		st.MappingsApplied++
		m.emit(ctx, Event{Kind: EventMappingApplied, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: mapped, Detail: res.Entity})
		return true, nil
	}
	p := Proposal{Object: object, Entity: res.Entity, Confidence: conf, Mapping: mp, Fingerprint: fp,
		Reason: reason, CreatedAt: m.cfg.Clock().UTC()}
	if err := m.update(ctx, c.Tenant, c.ID, func(c *Connection) {
		c.Pending = append(removeProposal(c.Pending, object), p)
		slices.SortFunc(c.Pending, func(a, b Proposal) int { return strings.Compare(a.Object, b.Object) })
	}); err != nil {
		return false, err
	}
	st.MappingsProposed++
	st.Waiting = append(st.Waiting, Waiting{Object: object, Reason: "mapping proposal waits for approval: " + reason})
	m.emit(ctx, Event{Kind: EventMappingProposed, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: mapped, Detail: reason})
	return false, nil
}

// scrubbedError shows a message with the connection's secrets masked
// and still matches its cause with errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func stageOf(err error) string {
	if se, ok := err.(*stageError); ok {
		return se.stage
	}
	return "read"
}

// read reads the object from its saved cursor, normalizes, publishes and
// saves the cursor after each published batch.
func (m *Mesh) read(ctx context.Context, c Connection, conn aam.Connector, schema *drift.Schema, mp canonical.Mapping, st *Stats) error {
	object := schema.Object
	norm, err := canonical.NewNormalizer(c.Tenant,
		canonical.Source{System: schema.System, ConnectionID: c.ID, Object: object}, &mp,
		&canonical.Config{Ontology: m.cfg.Ontology, Locale: m.cfg.Locale, Key: schema.PrimaryKey,
			SchemaFingerprint: drift.Fingerprint(schema), Now: m.cfg.Clock})
	if err != nil {
		return &stageError{"normalizer", err}
	}
	cursor, err := m.store.Cursor(ctx, c.Tenant, c.ID, object)
	if err != nil {
		return &stageError{"cursor", err}
	}
	calibrated := false
	for b, err := range conn.Read(ctx, object, cursor) {
		if err != nil {
			return &stageError{"read", err}
		}
		if !calibrated {
			calibrate(norm, b)
			calibrated = true
		}
		events := make([]canonical.Event, 0, len(b.Records))
		var dead []DeadRecord
		now := m.cfg.Clock().UTC()
		for i, r := range b.Records {
			ref := b.Ref(i)
			var evs []*canonical.Event
			if b.Header != nil {
				evs, err = norm.NormalizeRow(b.Header, r.Row, ref)
			} else {
				evs, err = norm.NormalizeRecord(canonical.Record{Fields: r.Fields, Ref: ref})
			}
			if err != nil {
				msg := err.Error()
				dead = append(dead, DeadRecord{ID: deadRecordID(c.ID, object, ref, DeadNormalize, msg),
					Connection: c.ID, Object: object, Ref: ref, Kind: DeadNormalize, Reason: msg, At: now})
				continue
			}
			for _, e := range evs {
				events = append(events, *e)
			}
		}
		for _, re := range b.Errors {
			ref := re.File
			if re.Line > 0 {
				ref = fmt.Sprintf("%s:%d", re.File, re.Line)
			}
			if ref == "" {
				ref = object
			}
			msg := re.Error()
			dead = append(dead, DeadRecord{ID: deadRecordID(c.ID, object, ref, DeadRowError, msg),
				Connection: c.ID, Object: object, Ref: ref, Kind: DeadRowError, Reason: msg, At: now})
		}
		st.RowsRead += len(b.Records)
		st.RowErrors += len(b.Errors)
		st.NormalizeErrors += len(dead) - len(b.Errors)
		if len(events) > 0 {
			if err := m.pub.Publish(ctx, events...); err != nil {
				return &stageError{"publish", err}
			}
			st.EventsPublished += len(events)
		}
		if len(dead) > 0 {
			if err := m.store.AddDeadRecords(ctx, c.Tenant, dead); err != nil {
				return &stageError{"dead records", err}
			}
			m.emit(ctx, Event{Kind: EventRecordsDeadLettered, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: len(dead)})
		}
		if err := m.store.SaveCursor(ctx, c.Tenant, c.ID, object, b.Cursor); err != nil {
			return &stageError{"cursor", err}
		}
		m.emit(ctx, Event{Kind: EventBatchPublished, Tenant: c.Tenant, Connection: c.ID, Object: object, Count: len(events)})
	}
	return nil
}

// calibrate lets the normalizer decide percent scales from the first
// batch (at most 500 records).
func calibrate(n *canonical.Normalizer, b *aam.Batch) {
	k := min(len(b.Records), 500)
	if k == 0 {
		return
	}
	sample := make([]map[string]any, 0, k)
	for _, r := range b.Records[:k] {
		if b.Header == nil {
			sample = append(sample, r.Fields)
			continue
		}
		f := make(map[string]any, len(b.Header))
		for i, h := range b.Header {
			if i < len(r.Row) {
				f[h] = r.Row[i]
			}
		}
		sample = append(sample, f)
	}
	n.Calibrate(sample)
}
