package drift

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Event reports that a source object's schema drifted from the last one
// recorded.
type Event struct {
	// Tenant, ConnectionID, System and Object name the source object.
	Tenant       tenancy.ID `json:"tenant"`
	ConnectionID string     `json:"connection_id"`
	System       string     `json:"system"`
	Object       string     `json:"object"`
	// Diff holds the changes, and the removed and added fields whole, for
	// repair to look for renames.
	Diff SchemaDiff `json:"diff"`
	// OldFingerprint and NewFingerprint are the [Fingerprint]s before and
	// after; the type fingerprints are the [TypeFingerprint]s.
	OldFingerprint     string `json:"old_fingerprint"`
	NewFingerprint     string `json:"new_fingerprint"`
	OldTypeFingerprint string `json:"old_type_fingerprint"`
	NewTypeFingerprint string `json:"new_type_fingerprint"`
	// OldVersion and NewVersion are the store's version numbers; the new
	// version holds the observed schema.
	OldVersion int64 `json:"old_version"`
	NewVersion int64 `json:"new_version"`
	// Severity is Diff.Severity.
	Severity Severity `json:"severity"`
	// DetectedAt is when the drift was seen, from the detector's clock.
	DetectedAt time.Time `json:"detected_at"`
}

// DetectorConfig tunes a [Detector]. nil means the defaults.
type DetectorConfig struct {
	// Clock gives DetectedAt and the recorded version's time. Defaults to
	// time.Now.
	Clock func() time.Time
	// Logger receives one record per drift (Info, Warn when breaking).
	// Defaults to a logger that discards.
	Logger *slog.Logger
	// MaxAttempts bounds the retries when another observer records a
	// version of the same object first. Defaults to 8.
	MaxAttempts int
}

// Detector compares each observed schema with the last one recorded for
// its object and records the new one when it differs.
//
// A Detector is safe for concurrent use. Two observers of one object,
// in one process or several sharing a backend, never lose a version: an
// observer that loses the race re-reads the winner's version and diffs
// against it.
type Detector struct {
	store       *Store
	now         func() time.Time
	log         *slog.Logger
	maxAttempts int
}

// NewDetector returns a Detector that records in store. cfg may be nil.
func NewDetector(store *Store, cfg *DetectorConfig) *Detector {
	d := &Detector{store: store, now: time.Now, log: slog.New(slog.DiscardHandler), maxAttempts: 8}
	if cfg != nil {
		if cfg.Clock != nil {
			d.now = cfg.Clock
		}
		if cfg.Logger != nil {
			d.log = cfg.Logger
		}
		if cfg.MaxAttempts > 0 {
			d.maxAttempts = cfg.MaxAttempts
		}
	}
	return d
}

// Observe compares schema, as discovered now for tenant, with the last
// schema recorded for (tenant, schema.ConnectionID, schema.Object).
//
//   - First sighting: the schema is recorded as version 1 and Observe
//     returns nil, nil: a first schema is not drift.
//   - No change ([Diff] empty; samples and stats do not count): nothing is
//     recorded, Observe returns nil, nil.
//   - Otherwise the schema is recorded as the next version and Observe
//     returns the [Event].
//
// An invalid schema returns a [*SchemaError], a key without tenant,
// connection or object an error wrapping [ErrInvalidKey].
func (d *Detector) Observe(ctx context.Context, tenant tenancy.ID, schema *Schema) (*Event, error) {
	key, err := d.store.check(tenant, schema)
	if err != nil {
		return nil, err
	}
	for range d.maxAttempts {
		last, err := d.store.d.Latest(ctx, key)
		first := errors.Is(err, ErrNotFound)
		if err != nil && !first {
			return nil, wrapOnce("observe", key, err)
		}
		var diff SchemaDiff
		if !first {
			diff = Diff(last.Schema, schema)
			if diff.Empty() {
				return nil, nil
			}
		}
		at := d.now()
		v, err := d.store.appendAfter(ctx, key, last.Number, schema, at)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if first {
			d.log.LogAttrs(ctx, slog.LevelInfo, "drift: first schema recorded",
				slog.String("tenant", tenant.String()), slog.String("connection", key.ConnectionID),
				slog.String("object", key.Object), slog.String("fingerprint", v.Fingerprint))
			return nil, nil
		}
		ev := &Event{
			Tenant: tenant, ConnectionID: key.ConnectionID, System: schema.System, Object: key.Object,
			Diff:               diff,
			OldFingerprint:     last.Fingerprint,
			NewFingerprint:     v.Fingerprint,
			OldTypeFingerprint: last.TypeFingerprint,
			NewTypeFingerprint: v.TypeFingerprint,
			OldVersion:         last.Number,
			NewVersion:         v.Number,
			Severity:           diff.Severity,
			DetectedAt:         at.UTC(),
		}
		level := slog.LevelInfo
		if diff.Breaking() {
			level = slog.LevelWarn
		}
		d.log.LogAttrs(ctx, level, "drift: schema changed",
			slog.String("tenant", tenant.String()), slog.String("connection", key.ConnectionID),
			slog.String("object", key.Object), slog.String("severity", diff.Severity.String()),
			slog.Int("changes", len(diff.Changes)), slog.Int64("version", v.Number))
		return ev, nil
	}
	return nil, fmt.Errorf("drift: observe %s: %w after %d attempts", key, ErrConflict, d.maxAttempts)
}
