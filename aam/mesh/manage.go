package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// ConnectionUpdate is a change to a connection's name or configuration;
// nil fields are left as they are. Safe Mode changes go through
// [Mesh.SetSafeMode], which records who switched it.
type ConnectionUpdate struct {
	// Name is the new label.
	Name *string
	// Config is the new configuration. A value equal to what the redacted
	// view shows at the same place (Mask for a secret, a URL with its
	// password masked) keeps the stored value, so that a client can send
	// back the configuration it read without knowing the secrets.
	Config *SourceConfig
}

// UpdateConnection changes a connection's name and configuration and
// returns it redacted. The change applies from the next sync on; a sync
// running now keeps the configuration it started with. The kind cannot
// change: delete and add the connection instead.
func (m *Mesh) UpdateConnection(ctx context.Context, tenant tenancy.ID, id string, u ConnectionUpdate) (Connection, error) {
	var newCfg SourceConfig
	if u.Config != nil {
		cur, err := m.store.Connection(ctx, tenant, id)
		if err != nil {
			return Connection{}, err
		}
		raw, err := mergeSecrets(u.Config.Raw(), cur.Config.Raw(), cur.Config.Redacted())
		if err != nil {
			return Connection{}, &ConnectionError{ID: id, Field: "config", Reason: err.Error()}
		}
		newCfg = NewSourceConfig(raw)
	}
	if u.Name != nil && (len(*u.Name) > 256 || strings.TrimSpace(*u.Name) == "") {
		return Connection{}, &ConnectionError{ID: id, Field: "name", Reason: "must be 1 to 256 bytes and not blank"}
	}
	var out Connection
	err := m.update(ctx, tenant, id, func(c *Connection) {
		if u.Name != nil {
			c.Name = *u.Name
		}
		if u.Config != nil {
			c.Config = newCfg
		}
		out = *c
	})
	if err != nil {
		return Connection{}, err
	}
	m.cfg.Logger.InfoContext(ctx, "mesh: connection updated", "connection", out)
	return out.Redacted(), nil
}

// mergeSecrets returns next with every string that equals the redacted
// view of the stored configuration at the same place replaced by the
// stored value.
func mergeSecrets(next, stored, redacted json.RawMessage) (json.RawMessage, error) {
	var n, s, r any
	dec := json.NewDecoder(bytes.NewReader(next))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return nil, errors.New("not valid JSON")
	}
	if _, ok := n.(map[string]any); !ok {
		return nil, errors.New("must be a JSON object")
	}
	_ = json.Unmarshal(stored, &s)
	_ = json.Unmarshal(redacted, &r)
	return json.Marshal(mergeValue(n, s, r))
}

func mergeValue(n, s, r any) any {
	switch nv := n.(type) {
	case string:
		if rv, ok := r.(string); ok && rv == nv && strings.Contains(rv, Mask) {
			return s
		}
	case map[string]any:
		sm, _ := s.(map[string]any)
		rm, _ := r.(map[string]any)
		if rs, ok := r.(string); ok && rs == Mask {
			// A whole object was masked; an object sent back cannot be
			// the mask, so it replaces the stored one.
			return nv
		}
		for k, v := range nv {
			nv[k] = mergeValue(v, sm[k], rm[k])
		}
	}
	return n
}

// DeleteConnection removes a connection with its cursors and dead
// records. Its mappings, their history, its review items and its drift
// history stay in the registry and the drift store (they are an audit
// trail); a connection added again under the same id finds its mappings
// and reads every object from the beginning, which consumers absorb since
// events are idempotent. A connection that is syncing is not deleted
// ([ErrSyncInProgress]).
func (m *Mesh) DeleteConnection(ctx context.Context, tenant tenancy.ID, id string) error {
	k := connKey{tenant, id}
	m.mu.Lock()
	if m.running[k] {
		m.mu.Unlock()
		return fmt.Errorf("mesh: delete %s: %w", id, ErrSyncInProgress)
	}
	// Hold the slot so that no sync starts while the connection goes.
	m.running[k] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.running, k)
		m.mu.Unlock()
	}()
	if err := m.store.DeleteConnection(ctx, tenant, id); err != nil {
		return err
	}
	m.cfg.Logger.InfoContext(ctx, "mesh: connection deleted", "tenant", tenant.String(), "connection", id)
	return nil
}

// open opens the connector of a stored connection.
func (m *Mesh) open(ctx context.Context, tenant tenancy.ID, id string) (aam.Connector, Connection, error) {
	c, err := m.store.Connection(ctx, tenant, id)
	if err != nil {
		return nil, Connection{}, err
	}
	conn, err := m.cfg.Connectors.Open(c.Kind, c.Config.Raw())
	if err != nil {
		return nil, c, scrubErr(fmt.Errorf("mesh: open %s (%s): %w", c.ID, c.Kind, err), c)
	}
	return conn, c, nil
}

func scrubErr(err error, c Connection) error {
	return &scrubbedError{msg: scrub(err.Error(), c.Config.Secrets()), err: err}
}

// Test checks that a connection's source answers with its configuration
// (the connector's Check), without syncing or changing anything. The
// error, secrets masked, says why not; it matches aam.ErrUnavailable for
// an unreachable source and aam.ErrInvalidConfig for a bad configuration.
func (m *Mesh) Test(ctx context.Context, tenant tenancy.ID, id string) error {
	conn, c, err := m.open(ctx, tenant, id)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Check(ctx); err != nil {
		return scrubErr(fmt.Errorf("mesh: check %s: %w", id, err), c)
	}
	return nil
}

// Discover lists a connection's objects with their schemas (declared or
// inferred from a sample), without syncing or recording anything.
func (m *Mesh) Discover(ctx context.Context, tenant tenancy.ID, id string) ([]aam.ObjectInfo, error) {
	conn, c, err := m.open(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.Check(ctx); err != nil {
		return nil, scrubErr(fmt.Errorf("mesh: check %s: %w", id, err), c)
	}
	objs, err := conn.Discover(ctx)
	if err != nil {
		return nil, scrubErr(fmt.Errorf("mesh: discover %s: %w", id, err), c)
	}
	return objs, nil
}

// DriftRecord is one schema drift of a source object, as a person reads
// it: what changed, when, how bad it is, and what repair did about it.
type DriftRecord struct {
	Connection string `json:"connection_id"`
	Object     string `json:"object"`
	System     string `json:"system,omitempty"`
	// FromVersion and ToVersion are the drift store's schema versions.
	FromVersion int64 `json:"from_version"`
	ToVersion   int64 `json:"to_version"`
	// DetectedAt is when the new schema was recorded.
	DetectedAt time.Time      `json:"detected_at"`
	Severity   drift.Severity `json:"severity"`
	Changes    []drift.Change `json:"changes"`
	// Repairs is what repair did about the drift: repairs applied on
	// their own and the review items queued (with their decisions).
	Repairs []RepairRecord `json:"repairs"`
}

// RepairRecord is one repair made or proposed after a drift.
type RepairRecord struct {
	// Status is "applied" (by the repairer on its own), or the review
	// item's status: "pending", "approved", "rejected".
	Status     string    `json:"status"`
	Field      string    `json:"field"`
	Target     string    `json:"target,omitempty"`
	To         string    `json:"to,omitempty"`
	Confidence float64   `json:"confidence,omitempty"`
	ReviewID   string    `json:"review_id,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	At         time.Time `json:"at"`
	// Reason says why a repair waits for a person, or the decision's note.
	Reason string `json:"reason,omitempty"`
}

// DriftEvents returns the tenant's drift records, newest first, for one
// connection or (connection "") all of them; limit > 0 keeps the newest
// limit. They are read from where the facts already live: the drift
// store's schema history (each pair of consecutive versions is one
// drift), the registry's review queue and its audit trail (repairs
// applied on their own). A repair belongs to the first drift of its
// object recorded at or after it, since the mesh repairs a drift before
// it records the new schema; one later than every recorded drift (its
// schema was not recorded yet) belongs to the newest.
func (m *Mesh) DriftEvents(ctx context.Context, tenant tenancy.ID, connection string, limit int) ([]DriftRecord, error) {
	keys, err := m.cfg.DriftStore.Objects(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("mesh: drift events: %w", err)
	}
	tctx := tenancy.WithTenant(ctx, tenant)
	var out []DriftRecord
	for _, k := range keys {
		if connection != "" && k.ConnectionID != connection {
			continue
		}
		hist, err := m.cfg.DriftStore.History(ctx, k, 0) // newest first
		if err != nil {
			return nil, fmt.Errorf("mesh: drift events of %s/%s: %w", k.ConnectionID, k.Object, err)
		}
		var recs []DriftRecord // oldest first
		for i := len(hist) - 1; i > 0; i-- {
			older, newer := hist[i], hist[i-1]
			if older.Schema == nil || newer.Schema == nil {
				continue
			}
			d := drift.Diff(older.Schema, newer.Schema)
			if d.Empty() {
				continue
			}
			recs = append(recs, DriftRecord{Connection: k.ConnectionID, Object: k.Object, System: newer.Schema.System,
				FromVersion: older.Number, ToVersion: newer.Number, DetectedAt: newer.RecordedAt,
				Severity: d.Severity, Changes: d.Changes, Repairs: []RepairRecord{}})
		}
		if len(recs) == 0 {
			continue
		}
		repairs, err := m.repairsOf(tctx, repair.MappingKey{Connection: k.ConnectionID, Object: k.Object})
		if err != nil {
			return nil, err
		}
		for _, r := range repairs {
			i := slices.IndexFunc(recs, func(d DriftRecord) bool { return !d.DetectedAt.Before(r.At) })
			if i < 0 {
				i = len(recs) - 1
			}
			recs[i].Repairs = append(recs[i].Repairs, r)
		}
		out = append(out, recs...)
	}
	slices.SortStableFunc(out, func(a, b DriftRecord) int {
		if c := b.DetectedAt.Compare(a.DetectedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Connection+"/"+a.Object, b.Connection+"/"+b.Object)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// repairsOf lists the repairs of one mapping, oldest first: the review
// items and the repairs the repairer applied on its own.
func (m *Mesh) repairsOf(tctx context.Context, key repair.MappingKey) ([]RepairRecord, error) {
	items, err := m.registry.Reviews(tctx, repair.ReviewFilter{Connection: key.Connection, Object: key.Object})
	if err != nil {
		return nil, fmt.Errorf("mesh: drift events: reviews of %s/%s: %w", key.Connection, key.Object, err)
	}
	var out []RepairRecord
	for _, it := range items {
		r := RepairRecord{Status: string(it.Status), Field: it.Repair.Field, Target: it.Repair.Target, To: it.Repair.To,
			Confidence: it.Repair.Confidence, ReviewID: it.ID, At: it.CreatedAt, Reason: it.Reason, Actor: it.DecidedBy}
		if it.Status != repair.ReviewPending {
			r.To, r.Target = it.FinalTo, it.FinalTarget
			if it.Note != "" {
				r.Reason = it.Note
			}
		}
		out = append(out, r)
	}
	audit, err := m.registry.Audit(tctx, repair.AuditFilter{Connection: key.Connection, Object: key.Object, Action: repair.AuditRepairApplied})
	if err != nil {
		return nil, fmt.Errorf("mesh: drift events: audit of %s/%s: %w", key.Connection, key.Object, err)
	}
	for _, e := range audit {
		out = append(out, RepairRecord{Status: "applied", Field: e.Field, To: e.New, Actor: e.Actor, At: e.At, Reason: e.Detail})
	}
	slices.SortStableFunc(out, func(a, b RepairRecord) int { return a.At.Compare(b.At) })
	return out, nil
}
