package repair

import (
	"context"

	"github.com/autonomos/autonomos/tenancy"
)

// Driver is the storage behind a [Registry]. Users program against the
// Registry; Driver is for implementers (repair/memstore, repair/pgstore, or
// your own), which prove themselves with repair/repairtest.
//
// A Driver only stores and fetches. Validation, versioning rules, the
// repair policy, audit and notifications are the Registry's work.
type Driver interface {
	// InTx runs fn in one transaction scoped to tenant: everything fn does
	// through tx is committed together when fn returns nil and discarded
	// when it returns an error (which InTx returns as is). A tx must not
	// be used after fn returns. Every read and write through tx concerns
	// the tenant only: another tenant's rows are invisible.
	InTx(ctx context.Context, tenant tenancy.ID, fn func(ctx context.Context, tx DriverTx) error) error
	// Close releases what the driver owns. It does not close resources
	// the caller passed in (a pool).
	Close() error
}

// DriverTx is the set of operations available inside [Driver.InTx]. All of
// them are scoped to the transaction's tenant.
type DriverTx interface {
	// LatestVersion returns the highest version of the mapping, or 0 when
	// it has none.
	LatestVersion(ctx context.Context, key MappingKey) (int, error)
	// InsertVersion stores a new version. It returns an error wrapping
	// [ErrVersionConflict] when that version already exists (a concurrent
	// writer got there first).
	InsertVersion(ctx context.Context, v MappingVersion) error
	// GetVersion returns one version, or an error wrapping [ErrNotFound].
	GetVersion(ctx context.Context, key MappingKey, version int) (MappingVersion, error)
	// ListVersions returns all versions of a mapping, oldest first (empty
	// when there are none).
	ListVersions(ctx context.Context, key MappingKey) ([]MappingVersion, error)
	// ListKeys returns the keys of the tenant's mappings, sorted by
	// connection then object; connection "" means all connections.
	ListKeys(ctx context.Context, connection string) ([]MappingKey, error)

	// GetConnection returns a connection's settings, or an error wrapping
	// [ErrNotFound] when none were stored.
	GetConnection(ctx context.Context, connection string) (ConnectionSettings, error)
	// PutConnection stores (inserts or replaces) a connection's settings.
	PutConnection(ctx context.Context, c ConnectionSettings) error

	// InsertReview stores a new review item.
	InsertReview(ctx context.Context, item ReviewItem) error
	// GetReview returns one review item, or an error wrapping
	// [ErrNotFound].
	GetReview(ctx context.Context, id string) (ReviewItem, error)
	// UpdateReview replaces a stored review item (same ID), or returns an
	// error wrapping [ErrNotFound].
	UpdateReview(ctx context.Context, item ReviewItem) error
	// ListReviews returns the review items matching f, oldest first, at
	// most f.Limit when it is positive.
	ListReviews(ctx context.Context, f ReviewFilter) ([]ReviewItem, error)

	// InsertAudit appends an audit entry.
	InsertAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns the audit entries matching f in the order they
	// were appended, at most f.Limit when it is positive (the newest ones
	// then).
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
