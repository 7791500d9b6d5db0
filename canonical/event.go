package canonical

import (
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Op is what an event does to its record.
type Op string

// The operations of an event.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// Source names where a record came from.
type Source struct {
	// System is the kind of source system, e.g. "salesforce", "csv".
	System string `json:"system"`
	// ConnectionID identifies the tenant's connection to the system.
	ConnectionID string `json:"connection_id"`
	// Object is the source object, table or file, e.g. "Opportunity".
	Object string `json:"object"`
}

// Problem records a value that could not be normalized. The field's value
// in the event is then null; the problem rides along so that nothing is
// silently dropped.
type Problem struct {
	// Field is the canonical field name ("amount").
	Field string `json:"field"`
	// SourceField is the source field the value came from ("Amount").
	SourceField string `json:"source_field,omitempty"`
	// Raw is the raw value as the source gave it, rendered as text.
	Raw string `json:"raw"`
	// Reason says why the value was refused.
	Reason string `json:"reason"`
}

// Event is one canonical record: a source record normalized onto one
// ontology entity.
type Event struct {
	// ID is deterministic: the same source record in the same version
	// always yields the same ID, so consumers can drop replays.
	ID string `json:"id"`
	// Tenant owns the event.
	Tenant tenancy.ID `json:"tenant_id"`
	// Source says where the record came from.
	Source Source `json:"source"`
	// Entity is the ontology entity, e.g. "opportunity".
	Entity string `json:"entity"`
	// Op is upsert or delete.
	Op Op `json:"op"`
	// SourceKey is the record's primary key in the source.
	SourceKey string `json:"source_key"`
	// Data maps canonical field names to canonical values. See the
	// package documentation for the Go type each value type uses.
	Data map[string]any `json:"data"`
	// SchemaFingerprint is the drift fingerprint of the source object's
	// schema when the record was read.
	SchemaFingerprint string `json:"schema_fingerprint,omitempty"`
	// OccurredAt is when the record changed in the source: its updated_at
	// when that field is mapped. It is the zero time, left out of JSON,
	// when the source does not say.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// IngestedAt is when the record was normalized.
	IngestedAt time.Time `json:"ingested_at"`
	// Problems lists values that could not be normalized.
	Problems []Problem `json:"problems,omitempty"`
}
