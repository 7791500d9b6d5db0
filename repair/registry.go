package repair

import (
	"fmt"

	"github.com/autonomos/autonomos/tenancy"
)

// MappingKey names one versioned mapping: the mapping of one source object
// of one connection of one tenant.
type MappingKey struct {
	// Tenant owns the mapping.
	Tenant tenancy.ID `json:"tenant_id"`
	// Connection identifies the tenant's connection to a source.
	Connection string `json:"connection_id"`
	// Object is the source object, table or file name.
	Object string `json:"object"`
}

// String returns "tenant/connection/object".
func (k MappingKey) String() string {
	return fmt.Sprintf("%s/%s/%s", k.Tenant, k.Connection, k.Object)
}
