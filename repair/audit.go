package repair

import (
	"context"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// AuditAction names what an audit entry records.
type AuditAction string

// The audited actions.
const (
	AuditMappingCreated  AuditAction = "mapping.created"  // first version of a mapping
	AuditMappingSaved    AuditAction = "mapping.saved"    // a new version saved by a person or program
	AuditMappingRestored AuditAction = "mapping.restored" // a new version equal to an old one
	AuditRepairApplied   AuditAction = "repair.applied"   // an automatic repair changed a mapping
	AuditReviewQueued    AuditAction = "review.queued"    // a repair was sent to review
	AuditReviewApproved  AuditAction = "review.approved"  // a person approved a repair (maybe edited)
	AuditReviewRejected  AuditAction = "review.rejected"  // a person rejected a repair
	AuditSafeMode        AuditAction = "connection.safe_mode"
)

// AuditEntry records one change: who, what, when, old and new.
type AuditEntry struct {
	// ID identifies the entry.
	ID string `json:"id"`
	// Tenant owns the entry.
	Tenant tenancy.ID `json:"tenant_id"`
	// Key names the mapping concerned (Object is empty for connection
	// settings).
	Key MappingKey `json:"key"`
	// Action says what happened.
	Action AuditAction `json:"action"`
	// Actor is who did it: a user, or "repairer".
	Actor string `json:"actor"`
	// At is when (UTC, microseconds).
	At time.Time `json:"at"`
	// Field is the source field concerned, when one is.
	Field string `json:"field,omitempty"`
	// Old and New describe the state before and after, e.g.
	// "Amount -> opportunity.amount" and "Deal_Value__c -> opportunity.amount".
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// FromVersion and ToVersion are the mapping versions before and after,
	// when the mapping changed.
	FromVersion int `json:"from_version,omitempty"`
	ToVersion   int `json:"to_version,omitempty"`
	// ReviewID links the entry to a review item.
	ReviewID string `json:"review_id,omitempty"`
	// Detail is free text: a reason, a confidence.
	Detail string `json:"detail,omitempty"`
}

// AuditFilter selects audit entries. The zero value selects all of the
// tenant's entries.
type AuditFilter struct {
	// Connection and Object, when set, keep entries of that mapping.
	Connection string
	Object     string
	// Action, when set, keeps entries of that action.
	Action AuditAction
	// Limit, when positive, keeps the newest Limit entries.
	Limit int
}

// Audit returns the tenant's audit entries matching f, oldest first.
func (r *Registry) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var out []AuditEntry
	err := r.tx(ctx, func(ctx context.Context, _ tenancy.ID, tx DriverTx) error {
		es, err := tx.ListAudit(ctx, f)
		out = es
		return err
	})
	return out, err
}
