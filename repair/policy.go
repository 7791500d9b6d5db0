package repair

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// RepairerActor is the actor recorded for automatic repairs.
const RepairerActor = "repairer"

// The reasons a repair is queued for review.
const (
	ReasonSafeMode      = "safe mode is on for the connection"
	ReasonLowConfidence = "confidence below the auto-apply threshold"
	ReasonGone          = "the field is gone with no replacement"
)

// Outcome is what [Registry.ApplyRepairs] did.
type Outcome struct {
	// Version is the mapping after the change (the base version when no
	// repair was applied).
	Version MappingVersion `json:"version"`
	// Applied lists the repairs applied on their own.
	Applied []Repair `json:"applied"`
	// Queued lists the review items created.
	Queued []ReviewItem `json:"queued"`
	// AlreadyQueued lists repairs skipped because a pending review item
	// for the same field of the same mapping exists.
	AlreadyQueued []Repair `json:"already_queued,omitempty"`
	// SafeMode reports whether Safe Mode was on for the connection.
	SafeMode bool `json:"safe_mode"`
}

// HandleDrift repairs a mapping after its source drifted from before to
// after: it asks the configured [Repairer] for proposals against the
// current mapping, then applies the policy ([Registry.ApplyRepairs]). The
// mapping must exist.
func (r *Registry) HandleDrift(ctx context.Context, key MappingKey, before, after drift.Schema) (Outcome, error) {
	cur, err := r.Current(ctx, key)
	if err != nil {
		return Outcome{}, err
	}
	repairs, err := r.cfg.Repairer.Propose(ctx, before, cur.Mapping, after)
	if err != nil {
		return Outcome{}, fmt.Errorf("repair: propose repairs of %s: %w", key, err)
	}
	return r.ApplyRepairs(ctx, key, cur.Version, after, repairs)
}

// ApplyRepairs applies the repair policy to repairs proposed against
// version base of the mapping (after is the new schema, for the samples
// shown to reviewers):
//
//   - a replacement whose Action is [ActionAutoApply] and whose confidence
//     reaches the registry's threshold is applied on its own, unless Safe
//     Mode is on for the connection. All applied repairs make one new
//     mapping version (provenance repair, actor "repairer") and one audit
//     entry each, with the old and new pairing.
//   - everything else (lower confidence, Safe Mode, "gone") goes to the
//     review queue, with an audit entry; a field that already has a
//     pending item is not queued twice.
//
// It all happens in one transaction: it fails with a
// [*VersionConflictError], changing nothing, when the mapping is no longer
// at version base. The notifier is told after commit.
func (r *Registry) ApplyRepairs(ctx context.Context, key MappingKey, base int, after drift.Schema, repairs []Repair) (Outcome, error) {
	if err := key.validate(); err != nil {
		return Outcome{}, err
	}
	if base <= 0 {
		return Outcome{}, fmt.Errorf("%w: base version %d of %s", ErrInvalidInput, base, key)
	}
	fields, tos := map[string]bool{}, map[string]bool{}
	for i, rp := range repairs {
		if rp.Field == "" || rp.Target == "" {
			return Outcome{}, fmt.Errorf("%w: repair %d has no field or target", ErrInvalidInput, i)
		}
		if fields[rp.Field] || (rp.To != "" && tos[rp.To]) {
			return Outcome{}, fmt.Errorf("%w: repair %d repeats field %q or replacement %q", ErrInvalidInput, i, rp.Field, rp.To)
		}
		fields[rp.Field], tos[rp.To] = true, rp.To != ""
		if err := r.checkTarget(rp.Target); err != nil {
			return Outcome{}, err
		}
		if rp.Confidence < 0 || rp.Confidence > 1 || rp.Confidence != rp.Confidence {
			return Outcome{}, fmt.Errorf("%w: repair of %q has confidence %v outside [0, 1]", ErrInvalidInput, rp.Field, rp.Confidence)
		}
	}
	threshold := r.cfg.Repairer.Threshold()
	var out Outcome
	err := r.tx(ctx, func(ctx context.Context, t tenancy.ID, tx DriverTx) error {
		out = Outcome{Applied: []Repair{}, Queued: []ReviewItem{}}
		latest, err := tx.LatestVersion(ctx, key)
		if err != nil {
			return err
		}
		if latest == 0 {
			return fmt.Errorf("repair: mapping %s: %w", key, ErrNotFound)
		}
		if latest != base {
			return &VersionConflictError{Key: key, Expected: base, Actual: latest}
		}
		cur, err := tx.GetVersion(ctx, key, latest)
		if err != nil {
			return err
		}
		out.Version = cur
		conn, err := connectionOf(ctx, tx, key.Connection)
		if err != nil {
			return err
		}
		out.SafeMode = conn.SafeMode
		pending, err := tx.ListReviews(ctx, ReviewFilter{Status: ReviewPending, Connection: key.Connection, Object: key.Object})
		if err != nil {
			return err
		}
		queued := make(map[string]bool, len(pending))
		for _, it := range pending {
			queued[it.Repair.Field] = true
		}

		m := cur.Mapping
		var applied []Repair
		for _, rp := range repairs {
			auto := rp.Action == ActionAutoApply && rp.To != "" && rp.Confidence >= threshold
			if auto && !conn.SafeMode {
				m = applyToMapping(m, rp.Field, rp.To, canonical.FieldMapping{Target: rp.Target,
					Confidence: rp.Confidence, Provenance: canonical.ProvenanceRepair})
				applied = append(applied, rp)
				continue
			}
			if queued[rp.Field] {
				out.AlreadyQueued = append(out.AlreadyQueued, rp)
				continue
			}
			reason := ReasonLowConfidence
			switch {
			case rp.To == "":
				reason = ReasonGone
			case auto:
				reason = ReasonSafeMode
			}
			var samples []string
			if f, ok := after.Field(rp.To); ok && rp.To != "" {
				samples = append(samples, f.Samples...)
			}
			it := ReviewItem{ID: uuid.NewString(), Tenant: t, Key: key, System: m.System, Repair: rp,
				Samples: samples, BaseVersion: base, Reason: reason, Status: ReviewPending, CreatedAt: r.now()}
			if err := tx.InsertReview(ctx, it); err != nil {
				return err
			}
			queued[rp.Field] = true
			out.Queued = append(out.Queued, it)
			if err := r.audit(ctx, t, tx, AuditEntry{Key: key, Action: AuditReviewQueued, Actor: RepairerActor,
				Field: rp.Field, Old: pairing(rp.Field, rp.Target), New: pairing(rp.To, rp.Target),
				ReviewID: it.ID, Detail: fmt.Sprintf("%s (confidence %.3f)", reason, rp.Confidence)}); err != nil {
				return err
			}
		}
		if len(applied) == 0 {
			return nil
		}
		v, err := r.insertNext(ctx, t, tx, key, m, Change{ExpectedVersion: latest, Actor: RepairerActor,
			Reason: fmt.Sprintf("%d automatic repair(s) after schema drift", len(applied))}, 0)
		if err != nil {
			return err
		}
		out.Version, out.Applied = v, applied
		for _, rp := range applied {
			if err := r.audit(ctx, t, tx, AuditEntry{Key: key, Action: AuditRepairApplied, Actor: RepairerActor,
				Field: rp.Field, Old: pairing(rp.Field, rp.Target), New: pairing(rp.To, rp.Target),
				FromVersion: latest, ToVersion: v.Version, Detail: fmt.Sprintf("confidence %.3f", rp.Confidence)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Outcome{}, r.conflict(ctx, key, base, err)
	}
	for _, rp := range out.Applied {
		r.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "repair applied", slog.String("mapping", key.String()),
			slog.String("field", rp.Field), slog.String("to", rp.To), slog.String("target", rp.Target),
			slog.Float64("confidence", rp.Confidence), slog.Int("version", out.Version.Version))
	}
	if r.cfg.Notifier != nil && (len(out.Applied) > 0 || len(out.Queued) > 0) {
		t, _ := tenancy.FromContext(ctx)
		n := Notification{Tenant: t, Key: key, Applied: out.Applied, Queued: out.Queued, Version: out.Version.Version}
		if err := r.cfg.Notifier.Notify(ctx, n); err != nil {
			r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "repair notification failed",
				slog.String("mapping", key.String()), slog.String("error", err.Error()))
		}
	}
	return out, nil
}
