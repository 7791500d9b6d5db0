// Package driver defines the small interface a warehouse backend
// implements for [github.com/autonomos/autonomos/dcl.Warehouse]. Users
// program against dcl.Warehouse; implementers of a new backend read this
// package and run dcl/warehousetest against their driver.
//
// The portable type does the shared work before calling a driver: it
// checks the tenant, validates every event against the ontology, turns
// canonical values into the Go types listed on [Row], keeps only the
// newest version of each record within a batch, and applies query
// timeouts and row caps. A driver stores and reads.
package driver

import (
	"context"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Column is one data column of an entity table: an ontology field.
type Column struct {
	// Name is the field name, lower snake case (validated by the ontology).
	Name string
	// Type is the field's canonical value type.
	Type canonical.ValueType
}

// Table describes the table of one ontology entity. Lineage columns are
// not listed: every table has them (see [Row]).
type Table struct {
	// Entity is the entity name, which is also the table name.
	Entity string
	// Columns are the entity's fields in ontology order.
	Columns []Column
}

// Row is one version of one source record.
//
// A record is identified by its Key (source system, connection, object
// and source key). A row replaces the stored row of the same Key only
// when its version is newer: versions compare by VersionAt, then
// IngestedAt, then EventID, so that the same event twice changes nothing
// and an older version never overwrites a newer one, whatever the
// arrival order.
type Row struct {
	// Key identifies the record; [RecordKey] builds it.
	Key          string
	SourceSystem string
	ConnectionID string
	SourceObject string
	SourceKey    string
	EventID      string
	// OccurredAt is when the record changed in the source; zero when the
	// source does not say (stored as NULL).
	OccurredAt time.Time
	// IngestedAt is when the record was normalized.
	IngestedAt time.Time
	// Deleted marks a tombstone: the record was deleted in the source.
	// Its values are all nil.
	Deleted bool
	// Values are aligned with Table.Columns. Each is nil or, by the
	// column's type: string (string, email, phone, domain, currency,
	// country), int64 (integer), bool (boolean), canonical.Decimal
	// (decimal, percent; at most 9 fractional digits and 29 integer
	// digits), time.Time (date at UTC midnight; timestamp in UTC).
	Values []any
}

// VersionAt is the time a row's version is ordered by: OccurredAt, or
// IngestedAt when OccurredAt is unknown.
func (r *Row) VersionAt() time.Time {
	if r.OccurredAt.IsZero() {
		return r.IngestedAt
	}
	return r.OccurredAt
}

// Newer reports whether r is a newer version than o of the same record.
func (r *Row) Newer(o *Row) bool {
	a, b := r.VersionAt(), o.VersionAt()
	if !a.Equal(b) {
		return a.After(b)
	}
	if !r.IngestedAt.Equal(o.IngestedAt) {
		return r.IngestedAt.After(o.IngestedAt)
	}
	return r.EventID > o.EventID
}

// RecordKey builds the key of a record from its lineage. The first
// three parts are length-prefixed, so no two distinct lineages give the
// same key whatever characters they hold.
func RecordKey(system, connection, object, sourceKey string) string {
	b := make([]byte, 0, len(system)+len(connection)+len(object)+len(sourceKey)+16)
	for _, p := range [...]string{system, connection, object} {
		b = appendLen(b, len(p))
		b = append(b, ':')
		b = append(b, p...)
		b = append(b, 0x1f)
	}
	return string(append(b, sourceKey...))
}

func appendLen(b []byte, n int) []byte {
	if n == 0 {
		return append(b, '0')
	}
	var tmp [20]byte
	i := len(tmp)
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[i:]...)
}

// Batch is the rows of one entity table within a write.
type Batch struct {
	Table Table
	// Rows hold at most one row per Key.
	Rows []Row
}

// Result is the answer to a read-only query.
type Result struct {
	// Columns names the result columns in order.
	Columns []string
	// Rows hold values of the Go types listed on [Row] (decimals as
	// canonical.Decimal), or other plain Go values for computed columns
	// (float64, []any for lists, ...).
	Rows [][]any
	// Truncated reports that the query had more rows than the cap.
	Truncated bool
}

// Warehouse is what a backend implements. Methods are called
// concurrently; tenant has been validated.
type Warehouse interface {
	// EnsureTenant creates the tenant's namespace, one table per entity
	// with lineage columns, and the unified views, if they do not exist.
	// It is idempotent and is called before the first write of a tenant
	// in a process.
	EnsureTenant(ctx context.Context, tenant tenancy.ID, tables []Table) error
	// Write upserts every batch in one transaction: all or nothing. A
	// row is stored only if no row of its Key exists or it is newer (see
	// [Row]).
	Write(ctx context.Context, tenant tenancy.ID, batches []Batch) error
	// Query runs one read-only SELECT over the tenant's own tables and
	// views and returns at most maxRows rows. A statement that is not
	// such a query is refused with an error wrapping
	// dcl.ErrQueryRefused (a *dcl.QueryRefusedError).
	Query(ctx context.Context, tenant tenancy.ID, query string, maxRows int) (*Result, error)
	// Close releases the backend.
	Close() error
}
