package mesh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/tenancy"
)

// ConnectionStore keeps connections, scoped by tenant. Drivers:
// aam/mesh/memstore (in memory); every driver runs the conformance suite
// of aam/mesh/meshtest. Implementations must be safe for concurrent use
// and keep copies: a Connection passed in or returned is the caller's.
type ConnectionStore interface {
	// CreateConnection stores a new connection; ErrExists if the tenant
	// has one with the same id.
	CreateConnection(ctx context.Context, c Connection) error
	// Connection returns one connection; ErrNotFound if the tenant has
	// none of that id.
	Connection(ctx context.Context, tenant tenancy.ID, id string) (Connection, error)
	// Connections returns the tenant's connections sorted by id.
	Connections(ctx context.Context, tenant tenancy.ID) ([]Connection, error)
	// UpdateConnection replaces a stored connection; ErrNotFound if it
	// does not exist.
	UpdateConnection(ctx context.Context, c Connection) error
	// DeleteConnection removes a connection, its cursors and its dead
	// records; ErrNotFound if it does not exist.
	DeleteConnection(ctx context.Context, tenant tenancy.ID, id string) error
}

// CursorStore keeps the read position of every (tenant, connection,
// object). Implementations must be safe for concurrent use.
type CursorStore interface {
	// Cursor returns the saved cursor, or "" (the beginning) when none
	// was saved.
	Cursor(ctx context.Context, tenant tenancy.ID, connection, object string) (aam.Cursor, error)
	// SaveCursor saves the cursor after a published batch.
	SaveCursor(ctx context.Context, tenant tenancy.ID, connection, object string, c aam.Cursor) error
}

// DeadRecordStore keeps the records a sync could not turn into events,
// where a person can see them. Implementations must be safe for
// concurrent use.
type DeadRecordStore interface {
	// AddDeadRecords stores records; one with the ID of a stored record
	// replaces it (a replayed batch adds no duplicates).
	AddDeadRecords(ctx context.Context, tenant tenancy.ID, records []DeadRecord) error
	// DeadRecords returns a connection's dead records in the order they
	// were first added; limit > 0 keeps the first limit.
	DeadRecords(ctx context.Context, tenant tenancy.ID, connection string, limit int) ([]DeadRecord, error)
}

// Store is everything the Mesh keeps: connections, cursors and dead
// records. aam/mesh/memstore implements it.
type Store interface {
	ConnectionStore
	CursorStore
	DeadRecordStore
}

// DeadRecordKind says why a record is dead.
type DeadRecordKind string

// The kinds of dead records.
const (
	// DeadRowError: the connector could not read the record (ragged
	// row, bad encoding, broken quote).
	DeadRowError DeadRecordKind = "row_error"
	// DeadNormalize: the record was read but could not be normalized
	// (no key value).
	DeadNormalize DeadRecordKind = "normalize"
	// DeadWarehouse: the record's event was published but the warehouse
	// refused it (a value it cannot store, a field the entity lacks).
	// The mesh does not see this itself: whoever materializes the events
	// records it with [Mesh.AddDeadRecords].
	DeadWarehouse DeadRecordKind = "warehouse"
)

// DeadRecord is a record that made no event, kept for a person to see:
// where it is in the source and why.
type DeadRecord struct {
	// ID is stable for one record and reason: a replay replaces it.
	ID string `json:"id"`
	// Connection and Object name the source object.
	Connection string `json:"connection_id"`
	Object     string `json:"object"`
	// Ref locates the record: "file:line" where known; for a
	// DeadWarehouse record, the record's key in the source.
	Ref string `json:"ref"`
	// Kind says which stage refused it.
	Kind DeadRecordKind `json:"kind"`
	// Reason is the error's message.
	Reason string `json:"reason"`
	// At is when it was first seen.
	At time.Time `json:"at"`
}

func deadRecordID(conn, object, ref string, kind DeadRecordKind, reason string) string {
	h := sha256.New()
	for _, s := range []string{conn, object, ref, string(kind), reason} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
