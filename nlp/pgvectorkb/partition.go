package pgvectorkb

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// DedicateConfig configures [Dedicate]. The zero value is usable.
type DedicateConfig struct {
	// MaintenanceWorkMem is maintenance_work_mem for the transaction
	// that builds the new partition's indexes, such as "1GB". An HNSW
	// build is much slower once its graph outgrows this memory (about
	// 1.5 KB per chunk with the default index options). Defaults to the
	// server's setting.
	MaintenanceWorkMem string
}

// PartitionName returns the name of the partition of kb_chunks that
// [Dedicate] creates for tenant.
func PartitionName(tenant tenancy.ID) string {
	return "kb_chunks_t_" + strings.ReplaceAll(tenant.String(), "-", "")
}

// Dedicate gives tenant a partition of kb_chunks of its own (see
// migration 00003): its chunks move out of the shared DEFAULT partition
// into [PartitionName](tenant), which gets HNSW, full-text and
// primary-key indexes holding that tenant's rows only, and the same
// row-level security policy. Searches of the tenant then walk an HNSW
// graph without other tenants' vectors: better recall at the same
// hnsw.ef_search and less work per search. Worth it for tenants with
// many chunks (tens of thousands); the others share the DEFAULT
// partition and its indexes. Chunks the tenant adds later go to its
// partition.
//
// Run it as the role that owns the tables (pool is such a role's, as
// for [Migrate]); it is one transaction, holds an ACCESS EXCLUSIVE lock
// on the shared partition while it runs (writes and searches of every
// tenant in it wait) and builds the indexes of the new partition, so it
// takes about as long as building an index of that many chunks. It does
// nothing for a tenant that has its partition already. cfg may be nil.
func Dedicate(ctx context.Context, pool pgtenant.Beginner, tenant tenancy.ID, cfg *DedicateConfig) error {
	if err := tenant.Validate(); err != nil {
		return err
	}
	var c DedicateConfig
	if cfg != nil {
		c = *cfg
	}
	name := PartitionName(tenant)
	ident := pgx.Identifier{name}.Sanitize()
	// The transaction's tenant is the one moved: under row-level security
	// (FORCE binds the owner too) its rows are the only ones the copy and
	// the delete see.
	err := pgtenant.RunTx(ctx, pool, tenant, func(tx pgx.Tx) error {
		if c.MaintenanceWorkMem != "" {
			if _, err := tx.Exec(ctx, `SELECT set_config('maintenance_work_mem', $1, true)`, c.MaintenanceWorkMem); err != nil {
				return fmt.Errorf("%w: DedicateConfig.MaintenanceWorkMem %q: %v", nlp.ErrInvalidConfig, c.MaintenanceWorkMem, err)
			}
		}
		// Serializes concurrent calls; ATTACH needs this lock on the
		// DEFAULT partition anyway.
		if _, err := tx.Exec(ctx, `LOCK TABLE kb_chunks_shared IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		// The literal is a tenancy.ID's canonical text: no quoting issue.
		lit := "'" + tenant.String() + "'"
		policy := `(tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`
		for _, s := range []string{
			`CREATE TABLE ` + ident + ` (LIKE kb_chunks INCLUDING DEFAULTS INCLUDING GENERATED)`,
			`INSERT INTO ` + ident + ` (tenant_id, doc_id, seq, title, content, tags, embedding)
				SELECT tenant_id, doc_id, seq, title, content, tags, embedding FROM kb_chunks_shared WHERE tenant_id = ` + lit,
			`DELETE FROM kb_chunks_shared WHERE tenant_id = ` + lit,
			// ATTACH builds the partitioned indexes' counterparts on the
			// new partition and clones the foreign key.
			`ALTER TABLE kb_chunks ATTACH PARTITION ` + ident + ` FOR VALUES IN (` + lit + `)`,
			`ALTER TABLE ` + ident + ` ENABLE ROW LEVEL SECURITY`,
			`ALTER TABLE ` + ident + ` FORCE ROW LEVEL SECURITY`,
			`CREATE POLICY tenant_isolation ON ` + ident + ` AS PERMISSIVE FOR ALL USING ` + policy + ` WITH CHECK ` + policy,
			`ANALYZE ` + ident,
		} {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(ctx, "dedicate a partition", tenant, err)
}
