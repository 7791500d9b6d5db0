package tenancy

import "errors"

var (
	// ErrNoTenant is returned when a context carries no tenant.
	ErrNoTenant = errors.New("tenancy: no tenant in context")
	// ErrInvalidID is returned when a tenant id is not a valid, non-nil UUID.
	ErrInvalidID = errors.New("tenancy: invalid tenant id")
)
