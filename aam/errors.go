package aam

import (
	"errors"
	"fmt"
	"strconv"
)

var (
	// ErrUnavailable means the source could not be reached or read with
	// the connector's configuration. [*UnavailableError] matches it.
	ErrUnavailable = errors.New("aam: source unavailable")
	// ErrUnknownKind means no connector kind of that name is registered.
	ErrUnknownKind = errors.New("aam: unknown connector kind")
	// ErrInvalidConfig means a connector's configuration was rejected.
	// [*ConfigError] matches it.
	ErrInvalidConfig = errors.New("aam: invalid connector config")
	// ErrUnknownObject means the source has no object of that name.
	ErrUnknownObject = errors.New("aam: unknown object")
	// ErrInvalidCursor means a cursor was not written by this kind of
	// connector, or no longer fits the object.
	ErrInvalidCursor = errors.New("aam: invalid cursor")
	// ErrClosed means the connector was closed.
	ErrClosed = errors.New("aam: connector closed")
	// ErrUnsupported means the connector does not implement the
	// operation; [UnimplementedConnector] returns it.
	ErrUnsupported = errors.New("aam: operation not supported")
	// ErrRaggedRow means a row has more or fewer cells than its header.
	ErrRaggedRow = errors.New("aam: row has the wrong number of cells")
	// ErrInvalidEncoding means a record is not valid UTF-8 text.
	ErrInvalidEncoding = errors.New("aam: invalid text encoding")
	// ErrMalformedRecord means a record breaks its format: a broken
	// quote, a line that is not JSON, a record larger than allowed.
	ErrMalformedRecord = errors.New("aam: malformed record")
)

// UnavailableError says why a source could not be reached. It matches
// [ErrUnavailable] and unwraps to the cause. Target never holds a
// secret: it is a path or a host, not a connection string.
type UnavailableError struct {
	// Kind is the connector kind ("file", "postgres").
	Kind string
	// Target names what was tried: a path, a host and port, a URL
	// without credentials.
	Target string
	// Reason is a short explanation for a person ("no such directory").
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *UnavailableError) Error() string {
	s := "aam: " + e.Kind + " source " + strconv.Quote(e.Target) + " unavailable: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrUnavailable].
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ConfigError names the configuration field a connector rejected. It
// matches [ErrInvalidConfig]. It never holds the field's value.
type ConfigError struct {
	// Kind is the connector kind.
	Kind string
	// Field is the configuration field ("path", "delimiter"); empty
	// when the configuration as a whole is unreadable.
	Field string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *ConfigError) Error() string {
	s := "aam: invalid " + e.Kind + " config"
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// RowError is a record that could not be read: it names the file (or
// object) and the line where the record starts, and wraps the reason
// ([ErrRaggedRow], [ErrInvalidEncoding], [ErrMalformedRecord], ...).
// Row errors travel in [Batch.Errors] alongside the records; they never
// stop a read.
type RowError struct {
	// File names the file or object.
	File string
	// Line is the 1-based line where the record starts; 0 if unknown.
	Line int64
	// Offset is the byte offset of the record in the (decompressed)
	// file; -1 if unknown.
	Offset int64
	// Err is the reason.
	Err error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the reason.
func (e *RowError) Unwrap() error { return e.Err }
