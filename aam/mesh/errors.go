package mesh

import (
	"errors"
	"strconv"
)

var (
	// ErrNotFound means the tenant has no connection (or proposal) of that
	// id. Another tenant's connection is never found.
	ErrNotFound = errors.New("mesh: not found")
	// ErrExists means a connection of that id already exists for the
	// tenant.
	ErrExists = errors.New("mesh: connection already exists")
	// ErrInvalidConnection means a connection is missing a required part
	// (tenant, id, kind) or has a malformed one. [*ConnectionError]
	// matches it.
	ErrInvalidConnection = errors.New("mesh: invalid connection")
	// ErrSyncInProgress means a sync of the connection is already
	// running in this Mesh.
	ErrSyncInProgress = errors.New("mesh: sync already in progress")
	// ErrInvalidSource means a USE_AAM_AS_SOURCE value is not a boolean.
	ErrInvalidSource = errors.New("mesh: invalid source selection")
	// ErrInvalidDeadRecord means a dead record given to
	// [Mesh.AddDeadRecords] lacks its kind or reason, or names another
	// connection.
	ErrInvalidDeadRecord = errors.New("mesh: invalid dead record")
)

// ConnectionError names what is wrong with a connection. It matches
// [ErrInvalidConnection] and never holds a configuration value.
type ConnectionError struct {
	// ID is the connection's id, possibly empty.
	ID string
	// Field is the part at fault ("tenant", "id", "kind", "config").
	Field string
	// Reason says what is wrong.
	Reason string
}

func (e *ConnectionError) Error() string {
	return "mesh: invalid connection " + strconv.Quote(e.ID) + ": " + e.Field + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidConnection].
func (e *ConnectionError) Is(target error) bool { return target == ErrInvalidConnection }

// ObjectError is the failure of one object of a sync: the object's name
// and the stage that failed ("mapping", "read", "publish", "cursor").
// It unwraps to the cause.
type ObjectError struct {
	// Connection is the connection's id.
	Connection string
	// Object is the source object.
	Object string
	// Stage names the step that failed.
	Stage string
	// Err is the cause.
	Err error
}

func (e *ObjectError) Error() string {
	return "mesh: sync " + e.Connection + "/" + e.Object + ": " + e.Stage + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ObjectError) Unwrap() error { return e.Err }
