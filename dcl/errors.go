package dcl

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the package, matched with errors.Is.
var (
	// ErrInvalidConfig reports a Config or argument that cannot be used.
	ErrInvalidConfig = errors.New("dcl: invalid config")
	// ErrInvalidEvent reports an event that cannot be materialized; the
	// error is an [*InvalidEventError].
	ErrInvalidEvent = errors.New("dcl: invalid event")
	// ErrQueryRefused reports a query the read-only query API does not
	// run; the error is a [*QueryRefusedError].
	ErrQueryRefused = errors.New("dcl: query refused")
	// ErrQueryTimeout reports a query stopped by the warehouse's query
	// timeout. The error also wraps context.DeadlineExceeded.
	ErrQueryTimeout = errors.New("dcl: query timeout")
	// ErrClosed reports use of a closed Warehouse or Engine.
	ErrClosed = errors.New("dcl: closed")
)

// InvalidEventError says why one event cannot be materialized.
type InvalidEventError struct {
	// EventID is the event's ID (may be empty when that is the fault).
	EventID string
	// Field is the canonical field at fault, empty when the fault is the
	// event itself.
	Field string
	// Reason says what is wrong.
	Reason string
}

func (e *InvalidEventError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("dcl: invalid event %q: field %s: %s", e.EventID, e.Field, e.Reason)
	}
	return fmt.Sprintf("dcl: invalid event %q: %s", e.EventID, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidEvent) true.
func (e *InvalidEventError) Is(target error) bool { return target == ErrInvalidEvent }

// RejectedEventsError is returned by [Warehouse.Write] when some events
// were invalid: those were skipped, every other event was committed.
type RejectedEventsError struct {
	// Errs is aligned with the events written: nil for an event that was
	// committed, an [*InvalidEventError] for one that was skipped.
	Errs []error
}

func (e *RejectedEventsError) Error() string {
	n, first := 0, error(nil)
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	return fmt.Sprintf("dcl: %d of %d events rejected, first: %v", n, len(e.Errs), first)
}

// Unwrap returns the rejections.
func (e *RejectedEventsError) Unwrap() []error {
	var out []error
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// Refusal reasons of a [*QueryRefusedError].
const (
	RefusedEmpty         = "empty"        // no statement
	RefusedTooLong       = "too long"     // beyond the size limit
	RefusedNotSelect     = "not a select" // DDL, DML, COPY, ATTACH, PRAGMA, SET, ...
	RefusedMultiple      = "multiple statements"
	RefusedTableFunction = "table function" // read_csv, read_parquet, duckdb_tables(), ...
	RefusedNotATable     = "not a table"    // a file path or URL used as a table
	RefusedForeignSchema = "foreign schema" // another tenant's or a system schema, another catalog
	RefusedUnsupported   = "unsupported"    // a construct the checker does not allow
	RefusedSyntax        = "syntax"         // the parser rejects the text
	RefusedForbiddenFunc = "forbidden function"
)

// QueryRefusedError says why a query was not run. Its text is safe to
// show to the person who wrote the query: it names only what they wrote.
type QueryRefusedError struct {
	// Reason is one of the Refused* constants.
	Reason string
	// Detail names the offending part (a table, a function, a statement
	// type) or the parser's message.
	Detail string
}

func (e *QueryRefusedError) Error() string {
	if e.Detail == "" {
		return "dcl: query refused: " + e.Reason
	}
	return "dcl: query refused: " + e.Reason + ": " + strings.TrimSpace(e.Detail)
}

// Is makes errors.Is(err, ErrQueryRefused) true.
func (e *QueryRefusedError) Is(target error) bool { return target == ErrQueryRefused }
