package tenancy

import "errors"

var (
	// ErrNoTenant is returned when a context carries no tenant.
	ErrNoTenant = errors.New("tenancy: no tenant in context")
	// ErrInvalidID is returned when a tenant id is not a valid, non-nil UUID.
	ErrInvalidID = errors.New("tenancy: invalid tenant id")
	// ErrInvalidKey is returned when a Redis key prefix or part cannot be
	// used (see [Keyspace]) or a key does not parse.
	ErrInvalidKey = errors.New("tenancy: invalid key")
)
