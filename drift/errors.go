package drift

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package and its drivers wrap
// them; match with [errors.Is].
var (
	// ErrNotFound reports that a store holds no schema for the key.
	ErrNotFound = errors.New("drift: not found")
	// ErrInvalidSchema reports a schema that cannot be stored or compared:
	// no object name, an empty or duplicate field name, an unknown type.
	ErrInvalidSchema = errors.New("drift: invalid schema")
	// ErrInvalidKey reports a store key without a valid tenant, connection
	// or object.
	ErrInvalidKey = errors.New("drift: invalid key")
	// ErrConflict reports that another writer recorded a version first
	// and the retries were exhausted.
	ErrConflict = errors.New("drift: concurrent update conflict")
	// ErrInvalidRecord reports a record that inference cannot read, such
	// as a CSV row longer than its header.
	ErrInvalidRecord = errors.New("drift: invalid record")
)

// BreakingChangeError describes one breaking change between two versions
// of an object's schema: a removed field (New is empty), a type change
// that is not a widening, or a primary key change (Field is
// "primary_key"). [Diff.Err] returns these, joined.
type BreakingChangeError struct {
	// Object is the source object.
	Object string
	// Field is the field's name.
	Field string
	// Old and New are the field's types before and after; New is empty
	// when the field was removed.
	Old, New FieldType
}

// Error implements error.
func (e *BreakingChangeError) Error() string {
	if e.New == "" {
		return fmt.Sprintf("drift: breaking change in %s: field %q (%s) removed", e.Object, e.Field, e.Old)
	}
	return fmt.Sprintf("drift: breaking change in %s: field %q changed from %s to %s", e.Object, e.Field, e.Old, e.New)
}

// SchemaError reports what is wrong with a schema and where.
type SchemaError struct {
	// Object is the schema's object name (may be empty: that can be the
	// problem).
	Object string
	// Field is the offending field's name or index, when the problem is a
	// field.
	Field string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *SchemaError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("drift: invalid schema %q: field %s: %s", e.Object, e.Field, e.Reason)
	}
	return fmt.Sprintf("drift: invalid schema %q: %s", e.Object, e.Reason)
}

// Unwrap makes a SchemaError match [ErrInvalidSchema].
func (e *SchemaError) Unwrap() error { return ErrInvalidSchema }
