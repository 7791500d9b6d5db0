package pgstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// batchUpsertSQL is the one-row form of upsertSQL, for the pgx.Batch
// write path that BenchmarkWritePath compares with COPY + staging.
func batchUpsertSQL(t *driver.Table) string {
	var cols, ph, set []string
	for i, n := range columnNames(t) {
		q := ident(n)
		cols = append(cols, q)
		ph = append(ph, fmt.Sprintf("$%d", i+2))
		if n != "_key" {
			set = append(set, q+" = excluded."+q)
		}
	}
	return fmt.Sprintf(`INSERT INTO %s AS cur (tenant_id, %s) VALUES ($1, %s)
ON CONFLICT (tenant_id, _key) DO UPDATE SET %s
WHERE (excluded._version_at, excluded._ingested_at, excluded._event_id) > (cur._version_at, cur._ingested_at, cur._event_id)`,
		qualified(t.Entity), strings.Join(cols, ", "), strings.Join(ph, ", "), strings.Join(set, ", "))
}

// writeBatchPgxBatch is the alternative write path: one queued INSERT
// ... ON CONFLICT per row, sent as a pgx.Batch (one round trip).
func writeBatchPgxBatch(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, b *driver.Batch) error {
	q := batchUpsertSQL(&b.Table)
	src := &rowSource{rows: b.Rows, vals: make([]any, len(lineage)+len(b.Table.Columns)), i: -1}
	var batch pgx.Batch
	for src.Next() {
		v, _ := src.Values()
		args := append([]any{tenant.String()}, v...)
		batch.Queue(q, args...)
	}
	return tx.SendBatch(ctx, &batch).Close()
}

func benchRows(n int) driver.Batch {
	tables := Tables(nil)
	var t driver.Table
	for _, x := range tables {
		if x.Entity == "opportunity" {
			t = x
		}
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := driver.Batch{Table: t}
	for i := range n {
		key := fmt.Sprintf("006%012d", i)
		at := base.Add(time.Duration(i) * time.Second)
		vals := make([]any, len(t.Columns))
		for j, c := range t.Columns {
			switch c.Type {
			case canonical.TypeDecimal, canonical.TypePercent:
				d, _ := canonical.NewDecimal(fmt.Sprintf("%d.%02d", i%100000, i%100))
				vals[j] = d
			case canonical.TypeBoolean:
				vals[j] = i%2 == 0
			case canonical.TypeDate, canonical.TypeTimestamp:
				vals[j] = at
			case canonical.TypeInteger:
				vals[j] = int64(i)
			default:
				vals[j] = fmt.Sprintf("%s-%d", c.Name, i%1000)
			}
		}
		b.Rows = append(b.Rows, driver.Row{
			Key: driver.RecordKey("salesforce", "sf-prod", "Opportunity", key), SourceSystem: "salesforce",
			ConnectionID: "sf-prod", SourceObject: "Opportunity", SourceKey: key, EventID: "ev-" + key,
			OccurredAt: at, IngestedAt: at.Add(time.Minute), Values: vals,
		})
	}
	return b
}

// BenchmarkWritePath compares the two ways of sending a 10k-row batch
// (inserts of a new tenant each time), under the same transaction and
// row-level security: COPY into the staging table then one INSERT ...
// SELECT ... ON CONFLICT (what Write does), and a pgx.Batch of one
// INSERT ... ON CONFLICT per row.
func BenchmarkWritePath(b *testing.B) {
	roles := testenv.PostgresRoles(b)
	if roles == nil {
		return
	}
	ctx := context.Background()
	if err := Migrate(ctx, roles.Owner, &MigrateConfig{AppRole: roles.AppRole}); err != nil {
		b.Fatal(err)
	}
	batch := benchRows(10_000)
	for _, path := range []struct {
		name  string
		write func(context.Context, pgx.Tx, tenancy.ID, *driver.Batch) error
	}{{"CopyStaging", writeBatch}, {"PgxBatch", writeBatchPgxBatch}} {
		b.Run(path.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tenant := tenancy.ID(uuid.New())
				err := pgtenant.RunTx(ctx, roles.App, tenant, func(tx pgx.Tx) error { return path.write(ctx, tx, tenant, &batch) })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch.Rows))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
