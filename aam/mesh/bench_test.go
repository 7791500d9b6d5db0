package mesh_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
)

// BenchmarkSyncCSV100k syncs a 100k-row accounts CSV through the whole
// mesh (discover, drift, mapping, read, normalize, in-process publish,
// cursor saves) and reports rows/s.
func BenchmarkSyncCSV100k(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("account_id,company_name,website,industry,billing_country,annual_revenue\n")
	for i := range rows {
		fmt.Fprintf(&sb, "A-%d,Company %d Ltd,c%d.example.com,Software,US,%d\n", i, i, i, 1000+i)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		broker := memstream.New(&memstream.Config{MaxLen: rows})
		pub, _ := broker.NewPublisher(nil)
		reg := repair.NewRegistry(repairmem.New(), nil)
		m, err := mesh.New(memstore.New(), reg, pub, nil)
		if err != nil {
			b.Fatal(err)
		}
		c := mesh.Connection{Tenant: tenantA, ID: "bench", Kind: "file", Config: mesh.MustSourceConfig(map[string]string{"path": dir})}
		if _, err := m.AddConnection(ctx, c); err != nil {
			b.Fatal(err)
		}
		if err := m.SetSafeMode(ctx, tenantA, "bench", false, "bench"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := m.Sync(ctx, tenantA, "bench")
		b.StopTimer()
		if err != nil || st.EventsPublished != rows {
			b.Fatalf("sync: %+v, %v", st, err)
		}
		pub.Close()
		reg.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
