package graphstore

import (
	"errors"
	"fmt"

	"github.com/autonomos/autonomos/tenancy"
)

var (
	// ErrNotFound is returned when a tenant has no stored graph.
	ErrNotFound = errors.New("graphstore: not found")

	// ErrVersionConflict matches every [*VersionConflictError] with
	// errors.Is: a save was made against a version that is no longer the
	// stored one.
	ErrVersionConflict = errors.New("graphstore: version conflict")

	// ErrInvalidGraph matches every [*InvalidGraphError] with errors.Is.
	ErrInvalidGraph = errors.New("graphstore: invalid graph")

	// ErrClosed is returned by every method of a [Store] after Close.
	ErrClosed = errors.New("graphstore: store is closed")

	// ErrCorrupt is returned when a stored value cannot be decoded as a
	// graph. The stored value is left as it is.
	ErrCorrupt = errors.New("graphstore: stored graph is corrupt")

	// ErrUnavailable is returned by the fallback driver when the primary
	// is down and the in-memory copy cannot answer for the tenant (it has
	// never seen the tenant's state), and for deletes during an outage.
	ErrUnavailable = errors.New("graphstore: backend unavailable")
)

// VersionConflictError reports an optimistic-concurrency failure: the
// caller saved a graph read at version Expected, but the stored version is
// Actual (0 means no graph is stored). Reload, reapply the change and save
// again, or use [Store.Update], which does that.
//
// errors.Is(err, ErrVersionConflict) reports true for it.
type VersionConflictError struct {
	// Tenant is the tenant whose graph was being saved.
	Tenant tenancy.ID
	// Expected is the version the caller's graph was read at.
	Expected int64
	// Actual is the version that is stored; 0 when none is.
	Actual int64
}

// Error implements error.
func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("graphstore: version conflict for tenant %s: saved against version %d, stored version is %d",
		e.Tenant, e.Expected, e.Actual)
}

// Is reports whether target is [ErrVersionConflict].
func (e *VersionConflictError) Is(target error) bool { return target == ErrVersionConflict }

// InvalidGraphError reports a graph that [Store.Save] refused. Path names
// the offending part ("nodes[3].id", "edges[0].confidence").
//
// errors.Is(err, ErrInvalidGraph) reports true for it.
type InvalidGraphError struct {
	// Path locates the problem inside the graph.
	Path string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *InvalidGraphError) Error() string {
	return fmt.Sprintf("graphstore: invalid graph: %s: %s", e.Path, e.Reason)
}

// Is reports whether target is [ErrInvalidGraph].
func (e *InvalidGraphError) Is(target error) bool { return target == ErrInvalidGraph }
