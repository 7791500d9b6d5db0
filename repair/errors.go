package repair

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidSchema is returned when a schema given to the repairer is
	// malformed (a field without a name, a name used twice). The returned
	// error is a [*SchemaError] that names the field.
	ErrInvalidSchema = errors.New("repair: invalid schema")
	// ErrInvalidInput is returned when an argument is missing or malformed
	// (an empty connection id, a zero tenant, a confidence outside [0, 1]).
	ErrInvalidInput = errors.New("repair: invalid input")
	// ErrNotFound is returned when a mapping, version or review item does
	// not exist for the tenant in the context. Another tenant's records are
	// reported as not found, never as forbidden.
	ErrNotFound = errors.New("repair: not found")
	// ErrVersionConflict is returned when a mapping was changed by someone
	// else since the version the caller read. The returned error is a
	// [*VersionConflictError] carrying both versions.
	ErrVersionConflict = errors.New("repair: version conflict")
	// ErrAlreadyDecided is returned when a review item that was already
	// approved or rejected is decided again.
	ErrAlreadyDecided = errors.New("repair: review already decided")
	// ErrClosed is returned by a registry after Close.
	ErrClosed = errors.New("repair: registry closed")
)

// SchemaError reports a malformed schema given to the repairer.
type SchemaError struct {
	// Which is "before" or "after".
	Which string
	// Field is the offending field name (may be empty).
	Field string
	// Reason says what is wrong.
	Reason string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("repair: invalid %s schema: field %q: %s", e.Which, e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidSchema) true.
func (e *SchemaError) Unwrap() error { return ErrInvalidSchema }

// VersionConflictError reports an optimistic-concurrency failure: the
// caller expected the mapping at version Expected, but it is at Actual.
type VersionConflictError struct {
	// Key names the mapping.
	Key MappingKey
	// Expected is the version the caller based its change on.
	Expected int
	// Actual is the current version.
	Actual int
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("repair: version conflict on %s: expected version %d, current is %d",
		e.Key, e.Expected, e.Actual)
}

// Unwrap makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }
