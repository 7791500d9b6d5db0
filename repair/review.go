package repair

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// ReviewStatus is the state of a review item.
type ReviewStatus string

// The review states. An item starts pending and is decided once.
const (
	ReviewPending  ReviewStatus = "pending"
	ReviewApproved ReviewStatus = "approved"
	ReviewRejected ReviewStatus = "rejected"
)

// ReviewItem is a proposed repair waiting for (or decided by) a person.
type ReviewItem struct {
	// ID identifies the item within its tenant.
	ID string `json:"id"`
	// Tenant owns the item.
	Tenant tenancy.ID `json:"tenant_id"`
	// Key names the mapping to repair.
	Key MappingKey `json:"key"`
	// System is the source system of the mapping ("salesforce").
	System string `json:"system,omitempty"`
	// Repair is the repairer's proposal.
	Repair Repair `json:"repair"`
	// Samples holds sample values of Repair.To from the new schema, for
	// the reviewer and for the learning memory.
	Samples []string `json:"samples,omitempty"`
	// BaseVersion is the mapping version the repair was proposed against.
	BaseVersion int `json:"base_version"`
	// Reason says why the repair was not applied on its own.
	Reason string `json:"reason"`
	// Status is pending until a person decides.
	Status ReviewStatus `json:"status"`
	// CreatedAt is when the item was queued.
	CreatedAt time.Time `json:"created_at"`
	// DecidedAt and DecidedBy say when and by whom it was decided.
	DecidedAt time.Time `json:"decided_at,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	// Note is the reviewer's comment.
	Note string `json:"note,omitempty"`
	// FinalTo and FinalTarget are what was approved: the proposal, or the
	// reviewer's edit of it. FinalTo "" with an approval means the field
	// is unmapped (gone).
	FinalTo     string `json:"final_to,omitempty"`
	FinalTarget string `json:"final_target,omitempty"`
	// AppliedVersion is the mapping version an approval produced.
	AppliedVersion int `json:"applied_version,omitempty"`
}

// ReviewFilter selects review items. The zero value selects all of the
// tenant's items.
type ReviewFilter struct {
	// Status, when set, keeps items in that state.
	Status ReviewStatus
	// Connection and Object, when set, keep items of that mapping.
	Connection string
	Object     string
	// Limit, when positive, keeps the oldest Limit items.
	Limit int
}

// Edit is a reviewer's change to a proposal before approving it. Empty
// fields keep the proposal's value.
type Edit struct {
	// To is another field of the new schema to carry the target.
	To string
	// Target is another "entity.field" for the new field.
	Target string
	// Unmap approves the field as gone (no replacement), whatever was
	// proposed.
	Unmap bool
	// Note is the reviewer's comment.
	Note string
}

// Feedback is one decision of a person about a pairing of a source field
// with a target, for a learning memory: approved pairings are evidence
// for later matches of the same tenant, rejected ones are not to be
// proposed again.
type Feedback struct {
	// Tenant owns the decision; it must never inform another tenant.
	Tenant tenancy.ID `json:"tenant_id"`
	// Key and System name the source object.
	Key    MappingKey `json:"key"`
	System string     `json:"system,omitempty"`
	// Field is the source field judged (the proposed or edited new field).
	Field string `json:"field"`
	// Target is the "entity.field" it was judged against.
	Target string `json:"target"`
	// Samples are sample values of Field, when known.
	Samples []string `json:"samples,omitempty"`
	// Approved is true for an approved pairing, false for a rejected one.
	Approved bool `json:"approved"`
	// Actor and At say who decided and when.
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	// ReviewID is the review item decided.
	ReviewID string `json:"review_id"`
}

// Decision converts the feedback into the matcher's [Decision], for a
// learning [Memory].
func (fb Feedback) Decision() Decision {
	v := VerdictRejected
	if fb.Approved {
		v = VerdictApproved
	}
	return Decision{System: fb.System, Object: fb.Key.Object, Field: fb.Field, Samples: append([]string(nil), fb.Samples...),
		Target: fb.Target, Verdict: v, By: fb.Actor, At: fb.At}
}

// RecordFeedback returns a function for [RegistryConfig.OnFeedback] that
// records every review decision in mem, under the decision's tenant, so
// that the matcher learns from it at once. Failures are logged to logger
// (nil: not logged); they never undo the decision.
func RecordFeedback(mem Memory, logger *slog.Logger) func(context.Context, Feedback) {
	return func(ctx context.Context, fb Feedback) {
		if err := mem.Record(ctx, fb.Tenant, fb.Decision()); err != nil && logger != nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "repair: recording feedback failed",
				slog.String("review_id", fb.ReviewID), slog.String("error", err.Error()))
		}
	}
}

// LoadFeedback records all of the context tenant's past review decisions
// in mem (at start-up, before following [RecordFeedback]).
func (r *Registry) LoadFeedback(ctx context.Context, mem Memory) error {
	fbs, err := r.Feedback(ctx, "")
	if err != nil {
		return err
	}
	for _, fb := range fbs {
		if err := mem.Record(ctx, fb.Tenant, fb.Decision()); err != nil {
			return fmt.Errorf("repair: load feedback into memory: %w", err)
		}
	}
	return nil
}

// Reviews returns the tenant's review items matching f, oldest first.
func (r *Registry) Reviews(ctx context.Context, f ReviewFilter) ([]ReviewItem, error) {
	switch f.Status {
	case "", ReviewPending, ReviewApproved, ReviewRejected:
	default:
		return nil, fmt.Errorf("%w: unknown review status %q", ErrInvalidInput, f.Status)
	}
	var out []ReviewItem
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		items, err := tx.ListReviews(ctx, f)
		out = items
		return err
	})
	return out, err
}

// Review returns one review item, or [ErrNotFound] (also for another
// tenant's item).
func (r *Registry) Review(ctx context.Context, id string) (ReviewItem, error) {
	var out ReviewItem
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		it, err := tx.GetReview(ctx, id)
		out = it
		return err
	})
	return out, err
}

// Approve approves a pending repair as proposed and applies it: the
// mapping gets a new version in which the old field's entry is gone and
// the new field carries the target (provenance human, approved by actor).
// It fails with [ErrAlreadyDecided] when the item was decided before.
func (r *Registry) Approve(ctx context.Context, id, actor string) (ReviewItem, error) {
	return r.decide(ctx, id, actor, true, Edit{})
}

// ApproveEdited approves a pending repair with the reviewer's edit (another
// new field, another target, or unmapping) and applies it.
func (r *Registry) ApproveEdited(ctx context.Context, id, actor string, e Edit) (ReviewItem, error) {
	if e.Target != "" && !strings.Contains(e.Target, ".") {
		return ReviewItem{}, fmt.Errorf("%w: edited target %q, want \"entity.field\"", ErrInvalidInput, e.Target)
	}
	if err := r.checkTarget(e.Target); err != nil {
		return ReviewItem{}, err
	}
	return r.decide(ctx, id, actor, true, e)
}

// Reject rejects a pending repair; the mapping stays as it is.
func (r *Registry) Reject(ctx context.Context, id, actor, note string) (ReviewItem, error) {
	return r.decide(ctx, id, actor, false, Edit{Note: note})
}

func (r *Registry) decide(ctx context.Context, id, actor string, approve bool, e Edit) (ReviewItem, error) {
	if err := checkActor(actor); err != nil {
		return ReviewItem{}, err
	}
	if strings.TrimSpace(id) == "" {
		return ReviewItem{}, fmt.Errorf("%w: empty review id", ErrInvalidInput)
	}
	var out ReviewItem
	err := r.tx(ctx, func(ctx context.Context, t tenancy.ID, tx DriverTx) error {
		it, err := tx.GetReview(ctx, id)
		if err != nil {
			return err
		}
		if it.Status != ReviewPending {
			return fmt.Errorf("repair: review %s is %s: %w", id, it.Status, ErrAlreadyDecided)
		}
		now := r.now()
		it.DecidedAt, it.DecidedBy, it.Note = now, actor, e.Note
		it.FinalTo, it.FinalTarget = it.Repair.To, it.Repair.Target
		if e.To != "" {
			it.FinalTo = e.To
		}
		if e.Target != "" {
			it.FinalTarget = e.Target
		}
		if e.Unmap {
			it.FinalTo = ""
		}
		if !approve {
			it.Status = ReviewRejected
			if err := tx.UpdateReview(ctx, it); err != nil {
				return err
			}
			out = it
			return r.audit(ctx, t, tx, AuditEntry{Key: it.Key, Action: AuditReviewRejected, Actor: actor,
				Field: it.Repair.Field, Old: pairing(it.Repair.Field, it.Repair.Target),
				New: pairing(it.Repair.To, it.Repair.Target), ReviewID: it.ID, Detail: e.Note})
		}
		it.Status = ReviewApproved
		latest, err := tx.LatestVersion(ctx, it.Key)
		if err != nil {
			return err
		}
		if latest == 0 {
			return fmt.Errorf("repair: mapping %s of review %s: %w", it.Key, id, ErrNotFound)
		}
		cur, err := tx.GetVersion(ctx, it.Key, latest)
		if err != nil {
			return err
		}
		m := applyToMapping(cur.Mapping, it.Repair.Field, it.FinalTo, canonical.FieldMapping{
			Target: it.FinalTarget, Confidence: 1, Provenance: canonical.ProvenanceHuman, ApprovedBy: actor})
		v, err := r.insertNext(ctx, t, tx, it.Key, m, Change{ExpectedVersion: latest, Actor: actor,
			Reason: "review " + it.ID + " approved"}, 0)
		if err != nil {
			return err
		}
		it.AppliedVersion = v.Version
		if err := tx.UpdateReview(ctx, it); err != nil {
			return err
		}
		out = it
		edited := ""
		if it.FinalTo != it.Repair.To || it.FinalTarget != it.Repair.Target {
			edited = "edited by the reviewer"
			if e.Note != "" {
				edited += ": " + e.Note
			}
		} else {
			edited = e.Note
		}
		if err := r.audit(ctx, t, tx, AuditEntry{Key: it.Key, Action: AuditReviewApproved, Actor: actor,
			Field: it.Repair.Field, Old: pairing(it.Repair.Field, it.Repair.Target),
			New: pairing(it.FinalTo, it.FinalTarget), FromVersion: latest, ToVersion: v.Version,
			ReviewID: it.ID, Detail: edited}); err != nil {
			return err
		}
		return r.noteApproval(ctx, t, tx, it.Key.Connection, actor)
	})
	if err != nil {
		return ReviewItem{}, err
	}
	r.feedback(ctx, out)
	return out, nil
}

// pairing renders "field -> target" for audit entries ("(gone)" for no
// field).
func pairing(field, target string) string {
	if field == "" {
		field = "(gone)"
	}
	if target == "" {
		target = "(unmapped)"
	}
	return field + " -> " + target
}

// applyToMapping returns a copy of m in which the entry of old is removed
// and, when to is set, the entry of to carries fm (added when missing).
func applyToMapping(m canonical.Mapping, old, to string, fm canonical.FieldMapping) canonical.Mapping {
	out := m
	out.Fields = make([]canonical.FieldMapping, 0, len(m.Fields)+1)
	placed := false
	for _, f := range m.Fields {
		switch {
		case f.Source == old && old != to:
			continue
		case f.Source == to && to != "":
			fm.Source = to
			out.Fields = append(out.Fields, fm)
			placed = true
		default:
			out.Fields = append(out.Fields, f)
		}
	}
	if to != "" && !placed {
		fm.Source = to
		out.Fields = append(out.Fields, fm)
	}
	return out
}

// feedbackOf returns the feedback a decided item gives, if any.
func feedbackOf(it ReviewItem) (Feedback, bool) {
	fb := Feedback{Tenant: it.Tenant, Key: it.Key, System: it.System, Actor: it.DecidedBy, At: it.DecidedAt, ReviewID: it.ID}
	switch it.Status {
	case ReviewApproved:
		if it.FinalTo == "" || it.FinalTarget == "" {
			return Feedback{}, false
		}
		fb.Field, fb.Target, fb.Approved = it.FinalTo, it.FinalTarget, true
		if it.FinalTo == it.Repair.To {
			fb.Samples = it.Samples
		}
	case ReviewRejected:
		if it.Repair.To == "" || it.Repair.Target == "" {
			return Feedback{}, false
		}
		fb.Field, fb.Target, fb.Samples = it.Repair.To, it.Repair.Target, it.Samples
	default:
		return Feedback{}, false
	}
	return fb, true
}

func (r *Registry) feedback(ctx context.Context, it ReviewItem) {
	if r.cfg.OnFeedback == nil {
		return
	}
	if fb, ok := feedbackOf(it); ok {
		r.cfg.OnFeedback(ctx, fb)
	}
}

// Feedback returns every decision of the tenant's people on proposed
// pairings (approved and rejected), oldest first, optionally for one
// connection; a learning memory can load it at start and then follow
// RegistryConfig.OnFeedback.
func (r *Registry) Feedback(ctx context.Context, connection string) ([]Feedback, error) {
	var out []Feedback
	for _, st := range []ReviewStatus{ReviewApproved, ReviewRejected} {
		items, err := r.Reviews(ctx, ReviewFilter{Status: st, Connection: connection})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if fb, ok := feedbackOf(it); ok {
				out = append(out, fb)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Feedback) int { return a.At.Compare(b.At) })
	return out, nil
}
