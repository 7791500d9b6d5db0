package mesh

import (
	"context"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Hook receives the Mesh's progress events, synchronously, in the order
// they happen within one sync. hostd forwards them to its event stream
// (SSE, WebSocket). A Hook must be safe for concurrent use when several
// connections sync at once, and must not block for long.
type Hook func(ctx context.Context, e Event)

// EventKind names a progress event.
type EventKind string

// The kinds of progress events.
const (
	EventSyncStarted         EventKind = "sync.started"
	EventSyncFinished        EventKind = "sync.finished"
	EventSyncFailed          EventKind = "sync.failed"
	EventSyncRetry           EventKind = "sync.retry"
	EventBatchPublished      EventKind = "batch.published"
	EventDriftDetected       EventKind = "drift.detected"
	EventRepairApplied       EventKind = "repair.applied"
	EventRepairQueued        EventKind = "repair.queued"
	EventMappingProposed     EventKind = "mapping.proposed"
	EventMappingApplied      EventKind = "mapping.applied"
	EventObjectWaiting       EventKind = "object.waiting"
	EventHealthChanged       EventKind = "health.changed"
	EventRecordsDeadLettered EventKind = "records.dead"
)

// Event is one step of a sync, for people watching it. It never holds
// configuration or record values.
type Event struct {
	// Kind says what happened.
	Kind EventKind `json:"kind"`
	// Tenant and Connection name the connection.
	Tenant     tenancy.ID `json:"tenant_id"`
	Connection string     `json:"connection_id"`
	// Object is the source object, when the event concerns one.
	Object string `json:"object,omitempty"`
	// Count is the number of rows, events, repairs or records the event
	// is about (see Kind).
	Count int `json:"count,omitempty"`
	// Detail says more in a few words: the drift's severity, the
	// repaired field, why an object waits, the error.
	Detail string `json:"detail,omitempty"`
	// Health is the connection's health after a health change.
	Health HealthStatus `json:"health,omitempty"`
	// Attempt counts the attempts of a sync from 1.
	Attempt int `json:"attempt,omitempty"`
	// At is when it happened.
	At time.Time `json:"at"`
}
