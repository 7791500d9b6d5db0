package duckstore_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/tenancy"
)

var benchTenant = tenancy.MustParse("b0b0b0b0-1111-4222-8333-444455556666")

// benchBatch is the events per Write in the benchmarks: a backfill's batch.
const benchBatch = 50000

var stages = []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}

// opportunities returns n canonical opportunity events of 12 fields.
func opportunities(n int) []canonical.Event {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]canonical.Event, n)
	for i := range out {
		key := fmt.Sprintf("006%012d", i)
		at := base.Add(time.Duration(i) * time.Second)
		amount, _ := canonical.NewDecimal(fmt.Sprintf("%d.%02d", 1000+i%250000, i%100))
		prob, _ := canonical.NewDecimal(fmt.Sprint(i % 101))
		out[i] = canonical.Event{
			ID: "ev-" + key, Tenant: benchTenant, Entity: "opportunity", Op: canonical.OpUpsert, SourceKey: key,
			Source: canonical.Source{System: "salesforce", ConnectionID: "sf-prod", Object: "Opportunity"},
			Data: map[string]any{
				"id": key, "account_id": fmt.Sprintf("001%09d", i%50000), "name": fmt.Sprintf("Deal %d", i),
				"stage": stages[i%len(stages)], "amount": amount, "currency": "USD", "probability": prob,
				"close_date": at.AddDate(0, 3, 0).Format(time.DateOnly), "is_closed": i%3 == 0, "is_won": i%6 == 0,
				"owner_id": fmt.Sprintf("005%06d", i%300), "updated_at": at.Format(time.RFC3339),
			},
			OccurredAt: at, IngestedAt: at.Add(time.Minute),
		}
	}
	return out
}

var csvColumns = []string{"id", "account_id", "name", "stage", "amount", "currency", "probability", "close_date", "is_closed", "is_won", "owner_id", "updated_at"}

// writeCSV writes the events' data (and lineage) as a CSV file.
func writeCSV(tb testing.TB, events []canonical.Event) string {
	path := filepath.Join(tb.TempDir(), "opportunities.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "_key,_source_system,_connection_id,_source_object,_source_key,_event_id,_occurred_at,_ingested_at,_version_at,_deleted")
	for _, c := range csvColumns {
		fmt.Fprint(w, ",", c)
	}
	fmt.Fprintln(w)
	for i := range events {
		e := &events[i]
		occ, ing := e.OccurredAt.Format(time.RFC3339), e.IngestedAt.Format(time.RFC3339)
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s,%s,%s,false", e.SourceKey, e.Source.System, e.Source.ConnectionID, e.Source.Object, e.SourceKey, e.ID, occ, ing, occ)
		for _, c := range csvColumns {
			fmt.Fprint(w, ",", e.Data[c])
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// csvAnchor loads path into a typed table with DuckDB's own CSV reader,
// in a separate in-memory database where external access is allowed,
// and returns the wall and CPU time the load took.
func csvAnchor(tb testing.TB, path string) (wall, cpu time.Duration) {
	db, err := sql.Open("duckdb", "?threads=2")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	// the shape of the driver's table: no primary key (see mergeSQL)
	_, err = db.Exec(`CREATE TABLE opportunity (_key VARCHAR, _source_system VARCHAR, _connection_id VARCHAR, _source_object VARCHAR,
		_source_key VARCHAR, _event_id VARCHAR, _occurred_at TIMESTAMPTZ, _ingested_at TIMESTAMPTZ, _version_at TIMESTAMPTZ, _deleted BOOLEAN,
		id VARCHAR, account_id VARCHAR, name VARCHAR, stage VARCHAR, amount DECIMAL(38,9), currency VARCHAR, probability DECIMAL(38,9),
		close_date DATE, is_closed BOOLEAN, is_won BOOLEAN, owner_id VARCHAR, updated_at TIMESTAMPTZ)`)
	if err != nil {
		tb.Fatal(err)
	}
	start, startCPU := time.Now(), cpuTime()
	if _, err := db.Exec(`INSERT INTO opportunity SELECT * FROM read_csv(?, header = true, auto_detect = false, columns = {
		'_key': 'VARCHAR', '_source_system': 'VARCHAR', '_connection_id': 'VARCHAR', '_source_object': 'VARCHAR', '_source_key': 'VARCHAR',
		'_event_id': 'VARCHAR', '_occurred_at': 'TIMESTAMPTZ', '_ingested_at': 'TIMESTAMPTZ', '_version_at': 'TIMESTAMPTZ', '_deleted': 'BOOLEAN',
		'id': 'VARCHAR', 'account_id': 'VARCHAR', 'name': 'VARCHAR', 'stage': 'VARCHAR', 'amount': 'DECIMAL(38,9)', 'currency': 'VARCHAR',
		'probability': 'DECIMAL(38,9)', 'close_date': 'DATE', 'is_closed': 'BOOLEAN', 'is_won': 'BOOLEAN', 'owner_id': 'VARCHAR', 'updated_at': 'TIMESTAMPTZ'})`, path); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start), cpuTime() - startCPU
}

func benchMaterialize(b *testing.B, n int) {
	events := opportunities(n)
	path := writeCSV(b, events)
	ctx := context.Background()
	var ours, anchor, oursCPU, anchorCPU time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, err := duckstore.Open("", &duckstore.Config{Threads: 2})
		if err != nil {
			b.Fatal(err)
		}
		w, err := dcl.New(s, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.EnsureTenant(ctx, benchTenant); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, startCPU := time.Now(), cpuTime()
		for i := 0; i < n; i += benchBatch {
			if err := w.Write(ctx, benchTenant, events[i:min(i+benchBatch, n)]); err != nil {
				b.Fatal(err)
			}
		}
		ours += time.Since(start)
		oursCPU += cpuTime() - startCPU
		b.StopTimer()
		res, err := w.Query(ctx, benchTenant, "SELECT count(*) FROM opportunity")
		if err != nil || fmt.Sprint(res.Rows[0][0]) != fmt.Sprint(n) {
			b.Fatalf("rows = %v (%v), want %d", res, err, n)
		}
		_ = w.Close()
		wall, cpu := csvAnchor(b, path)
		anchor += wall
		anchorCPU += cpu
		b.StartTimer()
	}
	oursRate := float64(n*b.N) / ours.Seconds()
	anchorRate := float64(n*b.N) / anchor.Seconds()
	b.ReportMetric(oursRate, "events/s")
	b.ReportMetric(anchorRate, "csv-rows/s")
	b.ReportMetric(oursRate/anchorRate, "ratio")
	if oursCPU > 0 && anchorCPU > 0 {
		// the same rates per CPU second of the process: steadier than
		// the wall clock on a shared machine
		b.ReportMetric(float64(n*b.N)/oursCPU.Seconds(), "cpu-events/s")
		b.ReportMetric(anchorCPU.Seconds()/oursCPU.Seconds(), "cpu-ratio")
	}
}

// BenchmarkMaterialize1M materializes 1M canonical opportunity events (12
// fields) through dcl.Warehouse in batches of benchBatch, and in the same run
// loads the same rows with DuckDB's read_csv into a typed table of the
// same shape (the anchor); ratio is our rate over the anchor's.
func BenchmarkMaterialize1M(b *testing.B)   { benchMaterialize(b, 1_000_000) }
func BenchmarkMaterialize100k(b *testing.B) { benchMaterialize(b, 100_000) }

func accounts(n int) []canonical.Event {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	systems := []string{"salesforce", "hubspot", "netsuite"}
	out := make([]canonical.Event, n)
	for i := range out {
		sys := systems[i%3]
		company := i / 3 // the same company in the three sources
		key := fmt.Sprintf("%s-%d", sys, company)
		at := base.Add(time.Duration(i) * time.Second)
		data := map[string]any{"id": key, "name": fmt.Sprintf("Company %d Inc.", company), "industry": nil, "employee_count": int64(company % 5000)}
		if sys != "netsuite" || company%2 == 0 { // half of netsuite's have no domain: name match
			data["domain"] = fmt.Sprintf("company%d.com", company)
		}
		if sys == "salesforce" {
			data["industry"] = "Software"
		}
		out[i] = canonical.Event{
			ID: "ev-" + key, Tenant: benchTenant, Entity: "account", Op: canonical.OpUpsert, SourceKey: key,
			Source: canonical.Source{System: sys, ConnectionID: sys + "-prod", Object: "Account"}, Data: data,
			OccurredAt: at, IngestedAt: at,
		}
	}
	return out
}

func benchUnified(b *testing.B, n int) {
	ctx := context.Background()
	s, err := duckstore.Open("", &duckstore.Config{Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	w, err := dcl.New(s, &dcl.Config{QueryTimeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	events := accounts(n)
	for i := 0; i < n; i += benchBatch {
		if err := w.Write(ctx, benchTenant, events[i:min(i+benchBatch, n)]); err != nil {
			b.Fatal(err)
		}
	}
	const q = "SELECT count(*), sum(member_count), count(industry) FROM account_unified"
	var took []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := w.Query(ctx, benchTenant, q)
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if got := fmt.Sprint(res.Rows[0][0]); got != fmt.Sprint(n/3) {
			b.Fatalf("clusters = %s, want %d", got, n/3)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "ms-p50")
	b.ReportMetric(pct(0.95), "ms-p95")
}

// BenchmarkUnifiedQuery1M resolves 1M account rows from 3 sources (every
// company in each source; half of one source without a domain, matched
// by name) into golden records on each query.
func BenchmarkUnifiedQuery1M(b *testing.B)   { benchUnified(b, 999_999) }
func BenchmarkUnifiedQuery100k(b *testing.B) { benchUnified(b, 99_999) }

// BenchmarkReplay1M writes 1M opportunity events a second time, as a
// stream replay does: every record is already stored at that version,
// so nothing changes, and events/s is the rate at which a replay is
// recognized as one.
func BenchmarkReplay1M(b *testing.B) {
	const n = 1_000_000
	events := opportunities(n)
	ctx := context.Background()
	s, err := duckstore.Open("", &duckstore.Config{Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	w, err := dcl.New(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	write := func() {
		for i := 0; i < n; i += benchBatch {
			if err := w.Write(ctx, benchTenant, events[i:min(i+benchBatch, n)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	write()
	before, err := w.Query(ctx, benchTenant, "SELECT count(*), max(_event_id), sum(amount) FROM opportunity")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		write()
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	after, err := w.Query(ctx, benchTenant, "SELECT count(*), max(_event_id), sum(amount) FROM opportunity")
	if err != nil || fmt.Sprint(after.Rows) != fmt.Sprint(before.Rows) {
		b.Fatalf("after the replay %v (%v), before %v", after, err, before)
	}
}
