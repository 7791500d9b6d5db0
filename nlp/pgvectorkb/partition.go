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
// for [Migrate]). It is one transaction that takes about as long as
// building an index of the tenant's chunks. While it runs, writes to
// the knowledge base wait (every tenant's); searches go on, except
// during the final swap, which is short: the delete from the shared
// partition and the attach of the new one, whose indexes are built by
// then. It does nothing for a tenant that has its partition already.
// cfg may be nil.
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
		// Locks in the order writers take them (documents, then chunks),
		// so that no Put deadlocks with this: SHARE ROW EXCLUSIVE on
		// kb_documents is also what ATTACH takes there to check the
		// cloned foreign key, and it keeps a second Dedicate out. SHARE
		// on the shared partition stops writes to it, so the copy below
		// misses nothing, and lets searches through.
		for _, s := range []string{
			`LOCK TABLE kb_documents IN SHARE ROW EXCLUSIVE MODE`,
			`LOCK TABLE kb_chunks_shared IN SHARE MODE`,
		} {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		// The definitions of kb_chunks' partitioned indexes, for the new
		// table: ATTACH adopts an index that matches instead of building
		// one while it holds its lock.
		var defs []string
		rows, err := tx.Query(ctx, `SELECT pg_get_indexdef(indexrelid) FROM pg_index
			WHERE indrelid = 'kb_chunks'::regclass AND NOT indisprimary ORDER BY indexrelid`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			defs = append(defs, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// The literal is a tenancy.ID's canonical text: no quoting issue.
		lit := "'" + tenant.String() + "'"
		stmts := []string{
			`CREATE TABLE ` + ident + ` (LIKE kb_chunks INCLUDING DEFAULTS INCLUDING GENERATED)`,
			`INSERT INTO ` + ident + ` (tenant_id, doc_id, seq, title, content, tags, embedding)
				SELECT tenant_id, doc_id, seq, title, content, tags, embedding FROM kb_chunks_shared WHERE tenant_id = ` + lit,
			`ALTER TABLE ` + ident + ` ADD PRIMARY KEY (tenant_id, doc_id, seq)`,
			// Spares ATTACH its scan of the new table.
			`ALTER TABLE ` + ident + ` ADD CONSTRAINT kb_chunks_tenant CHECK (tenant_id = ` + lit + `)`,
		}
		for _, d := range defs {
			// "CREATE [UNIQUE] INDEX name ON ONLY public.kb_chunks USING ..."
			i := strings.Index(d, " USING ")
			if i < 0 {
				continue // not expected; ATTACH builds what is missing
			}
			create := "CREATE INDEX ON "
			if strings.HasPrefix(d, "CREATE UNIQUE INDEX ") {
				create = "CREATE UNIQUE INDEX ON "
			}
			stmts = append(stmts, create+ident+d[i:])
		}
		stmts = append(stmts,
			`LOCK TABLE kb_chunks_shared IN ACCESS EXCLUSIVE MODE`,
			`DELETE FROM kb_chunks_shared WHERE tenant_id = `+lit,
			`ALTER TABLE kb_chunks ATTACH PARTITION `+ident+` FOR VALUES IN (`+lit+`)`,
			`ALTER TABLE `+ident+` DROP CONSTRAINT kb_chunks_tenant`,
			`ALTER TABLE `+ident+` ENABLE ROW LEVEL SECURITY`,
			`ALTER TABLE `+ident+` FORCE ROW LEVEL SECURITY`,
			`CREATE POLICY tenant_isolation ON `+ident+` AS PERMISSIVE FOR ALL USING `+policySQL+` WITH CHECK `+policySQL,
			`ANALYZE `+ident,
		)
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(ctx, "dedicate a partition", tenant, err)
}

// policySQL is the row-level security expression of migration 00001.
const policySQL = `(tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`
