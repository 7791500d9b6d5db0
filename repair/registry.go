package repair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// MappingKey names one versioned mapping of a tenant: the mapping of one
// source object of one connection. The tenant is not part of the key: it
// always comes from the context ([tenancy.FromContext]), so a caller can
// never name another tenant's mapping.
type MappingKey struct {
	// Connection identifies the tenant's connection to a source.
	Connection string `json:"connection_id"`
	// Object is the source object, table or file name.
	Object string `json:"object"`
}

// String returns "connection/object".
func (k MappingKey) String() string { return k.Connection + "/" + k.Object }

func (k MappingKey) validate() error {
	if strings.TrimSpace(k.Connection) == "" {
		return fmt.Errorf("%w: mapping key has an empty connection id", ErrInvalidInput)
	}
	if strings.TrimSpace(k.Object) == "" {
		return fmt.Errorf("%w: mapping key %q has an empty object", ErrInvalidInput, k.Connection)
	}
	return nil
}

// MappingVersion is one immutable version of a mapping.
type MappingVersion struct {
	// Tenant owns the mapping.
	Tenant tenancy.ID `json:"tenant_id"`
	// Key names the mapping.
	Key MappingKey `json:"key"`
	// Version counts from 1; every change adds one.
	Version int `json:"version"`
	// Mapping is the mapping as of this version. Each field carries its
	// target, confidence, provenance and approver.
	Mapping canonical.Mapping `json:"mapping"`
	// Actor is who made this version: a user, or "repairer" for an
	// automatic repair.
	Actor string `json:"actor"`
	// Reason says why the version was made, in a few words.
	Reason string `json:"reason,omitempty"`
	// RestoredFrom is the version this one restores, or 0.
	RestoredFrom int `json:"restored_from,omitempty"`
	// CreatedAt is when the version was stored (UTC, microseconds).
	CreatedAt time.Time `json:"created_at"`
}

// Change describes who makes a change to a mapping and on which version
// it is based.
type Change struct {
	// ExpectedVersion is the version the change is based on: 0 to create
	// the mapping, else its current version. A mismatch fails with a
	// [*VersionConflictError] (optimistic concurrency).
	ExpectedVersion int
	// Actor names who makes the change. Required.
	Actor string
	// Reason says why, in a few words.
	Reason string
	// Approved marks the change as approved by the person named by Actor.
	// The first approval on a connection turns its Safe Mode off (unless
	// it was switched on explicitly with [Registry.SetSafeMode]).
	Approved bool
}

// ConnectionSettings are the repair settings of one connection.
type ConnectionSettings struct {
	// Connection identifies the connection.
	Connection string `json:"connection_id"`
	// SafeMode sends every repair to review, whatever its confidence. It
	// is on for a new connection until a person approves its first
	// mapping.
	SafeMode bool `json:"safe_mode"`
	// SafeModePinned records that a person switched Safe Mode on or off
	// explicitly; approvals then leave it as it is.
	SafeModePinned bool `json:"safe_mode_pinned"`
	// FirstApprovedAt is when a person first approved a mapping of the
	// connection; zero when nobody has.
	FirstApprovedAt time.Time `json:"first_approved_at,omitzero"`
	// UpdatedAt is when the settings last changed.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// RegistryConfig configures a [Registry]. The zero value (or nil) gives
// the defaults.
type RegistryConfig struct {
	// Repairer proposes repairs for [Registry.HandleDrift]. Defaults to
	// NewRepairer(nil).
	Repairer *Repairer
	// Notifier is told about queued reviews and applied repairs, after
	// the change is committed; its errors are logged, never returned.
	// Defaults to no notifications.
	Notifier Notifier
	// OnFeedback is called, after commit, with every review decision, so
	// that a learning memory can take it in (see also [Registry.Feedback]).
	// It must not block for long. Defaults to nil (not called).
	OnFeedback func(ctx context.Context, fb Feedback)
	// Ontology, when set, is checked for every target written to a
	// mapping (saved, approved, repaired): an unknown target fails with an
	// error wrapping both [ErrInvalidInput] and canonical.ErrUnknownTarget.
	// Defaults to nil: targets need only have the form "entity.field".
	Ontology *canonical.Ontology
	// Clock returns the current time. Defaults to time.Now.
	Clock func() time.Time
	// Logger receives records about applied repairs and failed
	// notifications. Defaults to a logger that discards everything.
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with every zero field set to its
// default. It accepts a nil receiver.
func (c *RegistryConfig) WithDefaults() RegistryConfig {
	var out RegistryConfig
	if c != nil {
		out = *c
	}
	if out.Repairer == nil {
		out.Repairer = NewRepairer(nil)
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return out
}

// Registry keeps a tenant's versioned mappings, connection settings,
// review queue and audit trail on top of a [Driver], and applies the
// repair policy ([Registry.ApplyRepairs]). Every method takes the tenant
// from ctx ([tenancy.WithTenant]) and fails with [tenancy.ErrNoTenant]
// without one; a tenant never sees another's records.
//
// A Registry is safe for concurrent use; concurrent changes to one
// mapping are serialized by optimistic concurrency on its version. Close
// closes the driver.
type Registry struct {
	d      Driver
	cfg    RegistryConfig
	closed atomic.Bool
}

// NewRegistry returns a registry over d; cfg nil means defaults. The
// registry owns d from then on: [Registry.Close] closes it.
func NewRegistry(d Driver, cfg *RegistryConfig) *Registry {
	return &Registry{d: d, cfg: cfg.WithDefaults()}
}

// Close closes the driver. Calls after Close fail with [ErrClosed].
func (r *Registry) Close() error {
	if r.closed.Swap(true) || r.d == nil {
		return nil
	}
	return r.d.Close()
}

func (r *Registry) now() time.Time { return r.cfg.Clock().UTC().Truncate(time.Microsecond) }

// begin checks the registry is open and returns the context's tenant.
func (r *Registry) begin(ctx context.Context) (tenancy.ID, error) {
	if r.d == nil {
		return tenancy.Nil, fmt.Errorf("%w: the registry has no driver (NewRegistry(nil, ...))", ErrInvalidInput)
	}
	if r.closed.Load() {
		return tenancy.Nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return tenancy.Nil, err
	}
	return tenancy.FromContext(ctx)
}

// tx runs fn in a driver transaction for the context's tenant.
func (r *Registry) tx(ctx context.Context, fn func(ctx context.Context, t tenancy.ID, tx DriverTx) error) error {
	t, err := r.begin(ctx)
	if err != nil {
		return err
	}
	return r.d.InTx(ctx, t, func(ctx context.Context, tx DriverTx) error { return fn(ctx, t, tx) })
}

func checkActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fmt.Errorf("%w: no actor named", ErrInvalidInput)
	}
	return nil
}

func checkMapping(m canonical.Mapping) error {
	seen := make(map[string]bool, len(m.Fields))
	for i, f := range m.Fields {
		if strings.TrimSpace(f.Source) == "" {
			return fmt.Errorf("%w: mapping field %d has no source name", ErrInvalidInput, i)
		}
		if seen[f.Source] {
			return fmt.Errorf("%w: mapping field %q appears twice", ErrInvalidInput, f.Source)
		}
		seen[f.Source] = true
		if f.Confidence < 0 || f.Confidence > 1 || f.Confidence != f.Confidence {
			return fmt.Errorf("%w: mapping field %q has confidence %v outside [0, 1]", ErrInvalidInput, f.Source, f.Confidence)
		}
		if f.Target != "" && !strings.Contains(f.Target, ".") {
			return fmt.Errorf("%w: mapping field %q has target %q, want \"entity.field\"", ErrInvalidInput, f.Source, f.Target)
		}
	}
	return nil
}

// checkTarget checks a non-empty target against the configured ontology.
func (r *Registry) checkTarget(target string) error {
	if target == "" || r.cfg.Ontology == nil {
		return nil
	}
	if _, err := r.cfg.Ontology.Lookup(target); err != nil {
		return fmt.Errorf("%w: target %q: %w", ErrInvalidInput, target, err)
	}
	return nil
}

// Save stores m as the next version of the mapping named by key. ch.
// ExpectedVersion must be the current version (0 for a new mapping), or
// Save fails with a [*VersionConflictError]. An approved change (ch.
// Approved) counts as a person's approval for Safe Mode.
func (r *Registry) Save(ctx context.Context, key MappingKey, m canonical.Mapping, ch Change) (MappingVersion, error) {
	if err := key.validate(); err != nil {
		return MappingVersion{}, err
	}
	if err := checkActor(ch.Actor); err != nil {
		return MappingVersion{}, err
	}
	if err := checkMapping(m); err != nil {
		return MappingVersion{}, err
	}
	for _, f := range m.Fields {
		if err := r.checkTarget(f.Target); err != nil {
			return MappingVersion{}, err
		}
	}
	if ch.ExpectedVersion < 0 {
		return MappingVersion{}, fmt.Errorf("%w: expected version %d is negative", ErrInvalidInput, ch.ExpectedVersion)
	}
	var out MappingVersion
	err := r.tx(ctx, func(ctx context.Context, t tenancy.ID, tx DriverTx) error {
		v, err := r.insertNext(ctx, t, tx, key, m, ch, 0)
		if err != nil {
			return err
		}
		out = v
		action := AuditMappingSaved
		if ch.ExpectedVersion == 0 {
			action = AuditMappingCreated
		}
		if err := r.audit(ctx, t, tx, AuditEntry{Key: key, Action: action, Actor: ch.Actor,
			FromVersion: ch.ExpectedVersion, ToVersion: v.Version, Detail: ch.Reason}); err != nil {
			return err
		}
		if ch.Approved {
			return r.noteApproval(ctx, t, tx, key.Connection, ch.Actor)
		}
		return nil
	})
	return out, r.conflict(ctx, key, ch.ExpectedVersion, err)
}

// insertNext checks the expected version and inserts the next one.
func (r *Registry) insertNext(ctx context.Context, t tenancy.ID, tx DriverTx, key MappingKey, m canonical.Mapping, ch Change, restoredFrom int) (MappingVersion, error) {
	latest, err := tx.LatestVersion(ctx, key)
	if err != nil {
		return MappingVersion{}, err
	}
	if latest != ch.ExpectedVersion {
		return MappingVersion{}, &VersionConflictError{Key: key, Expected: ch.ExpectedVersion, Actual: latest}
	}
	v := MappingVersion{Tenant: t, Key: key, Version: latest + 1, Mapping: cloneMapping(m),
		Actor: ch.Actor, Reason: ch.Reason, RestoredFrom: restoredFrom, CreatedAt: r.now()}
	if err := tx.InsertVersion(ctx, v); err != nil {
		return MappingVersion{}, err
	}
	return v, nil
}

// conflict turns a bare ErrVersionConflict from a driver (a concurrent
// insert) into a *VersionConflictError with the current version.
func (r *Registry) conflict(ctx context.Context, key MappingKey, expected int, err error) error {
	if err == nil || !errors.Is(err, ErrVersionConflict) {
		return err
	}
	var vce *VersionConflictError
	if errors.As(err, &vce) {
		return err
	}
	actual := -1
	_ = r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		v, err := tx.LatestVersion(ctx, key)
		if err == nil {
			actual = v
		}
		return err
	})
	return &VersionConflictError{Key: key, Expected: expected, Actual: actual}
}

// Current returns the latest version of a mapping, or [ErrNotFound].
func (r *Registry) Current(ctx context.Context, key MappingKey) (MappingVersion, error) {
	return r.Version(ctx, key, 0)
}

// Version returns one version of a mapping (0 means the latest), or
// [ErrNotFound].
func (r *Registry) Version(ctx context.Context, key MappingKey, version int) (MappingVersion, error) {
	if err := key.validate(); err != nil {
		return MappingVersion{}, err
	}
	if version < 0 {
		return MappingVersion{}, fmt.Errorf("%w: version %d is negative", ErrInvalidInput, version)
	}
	var out MappingVersion
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		v := version
		if v == 0 {
			latest, err := tx.LatestVersion(ctx, key)
			if err != nil {
				return err
			}
			if latest == 0 {
				return fmt.Errorf("repair: mapping %s: %w", key, ErrNotFound)
			}
			v = latest
		}
		got, err := tx.GetVersion(ctx, key, v)
		out = got
		return err
	})
	return out, err
}

// History returns every version of a mapping, oldest first, or
// [ErrNotFound] when it has none.
func (r *Registry) History(ctx context.Context, key MappingKey) ([]MappingVersion, error) {
	if err := key.validate(); err != nil {
		return nil, err
	}
	var out []MappingVersion
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		vs, err := tx.ListVersions(ctx, key)
		out = vs
		return err
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("repair: mapping %s: %w", key, ErrNotFound)
	}
	return out, err
}

// Mappings returns the keys of the tenant's mappings on a connection
// ("" for all connections), sorted.
func (r *Registry) Mappings(ctx context.Context, connection string) ([]MappingKey, error) {
	var out []MappingKey
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		ks, err := tx.ListKeys(ctx, connection)
		out = ks
		return err
	})
	return out, err
}

// Restore makes a new version equal to an old one: history is never
// rewritten. ch.ExpectedVersion must be the current version.
func (r *Registry) Restore(ctx context.Context, key MappingKey, version int, ch Change) (MappingVersion, error) {
	if err := key.validate(); err != nil {
		return MappingVersion{}, err
	}
	if err := checkActor(ch.Actor); err != nil {
		return MappingVersion{}, err
	}
	if version <= 0 {
		return MappingVersion{}, fmt.Errorf("%w: restore of version %d", ErrInvalidInput, version)
	}
	var out MappingVersion
	err := r.tx(ctx, func(ctx context.Context, t tenancy.ID, tx DriverTx) error {
		old, err := tx.GetVersion(ctx, key, version)
		if err != nil {
			return err
		}
		if ch.Reason == "" {
			ch.Reason = fmt.Sprintf("restore of version %d", version)
		}
		v, err := r.insertNext(ctx, t, tx, key, old.Mapping, ch, version)
		if err != nil {
			return err
		}
		out = v
		return r.audit(ctx, t, tx, AuditEntry{Key: key, Action: AuditMappingRestored, Actor: ch.Actor,
			FromVersion: ch.ExpectedVersion, ToVersion: v.Version, Detail: ch.Reason})
	})
	return out, r.conflict(ctx, key, ch.ExpectedVersion, err)
}

// Connection returns a connection's settings. A connection never seen
// before has Safe Mode on.
func (r *Registry) Connection(ctx context.Context, connection string) (ConnectionSettings, error) {
	if strings.TrimSpace(connection) == "" {
		return ConnectionSettings{}, fmt.Errorf("%w: empty connection id", ErrInvalidInput)
	}
	var out ConnectionSettings
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		c, err := connectionOf(ctx, tx, connection)
		out = c
		return err
	})
	return out, err
}

func connectionOf(ctx context.Context, tx DriverTx, connection string) (ConnectionSettings, error) {
	c, err := tx.GetConnection(ctx, connection)
	if errors.Is(err, ErrNotFound) {
		return ConnectionSettings{Connection: connection, SafeMode: true}, nil
	}
	return c, err
}

// SetSafeMode switches Safe Mode of a connection on or off on a person's
// explicit word; later approvals leave it as set.
func (r *Registry) SetSafeMode(ctx context.Context, connection string, on bool, actor string) error {
	if strings.TrimSpace(connection) == "" {
		return fmt.Errorf("%w: empty connection id", ErrInvalidInput)
	}
	if err := checkActor(actor); err != nil {
		return err
	}
	return r.tx(ctx, func(ctx context.Context, t tenancy.ID, tx DriverTx) error {
		c, err := connectionOf(ctx, tx, connection)
		if err != nil {
			return err
		}
		old := c.SafeMode
		c.SafeMode, c.SafeModePinned, c.UpdatedAt = on, true, r.now()
		if err := tx.PutConnection(ctx, c); err != nil {
			return err
		}
		return r.audit(ctx, t, tx, AuditEntry{Key: MappingKey{Connection: connection}, Action: AuditSafeMode,
			Actor: actor, Old: onOff(old), New: onOff(on), Detail: "set explicitly"})
	})
}

// noteApproval records a person's approval on a connection and turns Safe
// Mode off on the first one, unless it is pinned.
func (r *Registry) noteApproval(ctx context.Context, t tenancy.ID, tx DriverTx, connection, actor string) error {
	c, err := connectionOf(ctx, tx, connection)
	if err != nil {
		return err
	}
	if !c.FirstApprovedAt.IsZero() {
		return nil
	}
	now := r.now()
	c.FirstApprovedAt, c.UpdatedAt = now, now
	old := c.SafeMode
	if !c.SafeModePinned {
		c.SafeMode = false
	}
	if err := tx.PutConnection(ctx, c); err != nil {
		return err
	}
	if old != c.SafeMode {
		return r.audit(ctx, t, tx, AuditEntry{Key: MappingKey{Connection: connection}, Action: AuditSafeMode,
			Actor: actor, Old: onOff(old), New: onOff(c.SafeMode), Detail: "first approved mapping"})
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (r *Registry) audit(ctx context.Context, t tenancy.ID, tx DriverTx, e AuditEntry) error {
	e.ID = uuid.NewString()
	e.Tenant = t
	e.At = r.now()
	return tx.InsertAudit(ctx, e)
}

func cloneMapping(m canonical.Mapping) canonical.Mapping {
	out := m
	out.Fields = append([]canonical.FieldMapping(nil), m.Fields...)
	return out
}
