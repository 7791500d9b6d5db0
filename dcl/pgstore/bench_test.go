package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/tenancy"
)

const (
	benchEvents = 100_000
	benchBatch  = 10_000
)

var stages = []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}

// opportunities returns n canonical opportunity events of 12 fields (the
// shape of dcl/duckstore's benchmark).
func opportunities(tenant tenancy.ID, n int) []canonical.Event {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]canonical.Event, n)
	for i := range out {
		key := fmt.Sprintf("006%012d", i)
		at := base.Add(time.Duration(i) * time.Second)
		amount, _ := canonical.NewDecimal(fmt.Sprintf("%d.%02d", 1000+i%250000, i%100))
		prob, _ := canonical.NewDecimal(fmt.Sprint(i % 101))
		out[i] = canonical.Event{
			ID: "ev-" + key, Tenant: tenant, Entity: "opportunity", Op: canonical.OpUpsert, SourceKey: key,
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

// BenchmarkMaterializePG writes 100k opportunity events through
// dcl.Warehouse into PostgreSQL in batches of 10k (one transaction
// each), as the application role under row-level security. Each
// iteration writes a new tenant, so every row is an insert; the Replay
// variant writes the same events again (every row a conflict that the
// newer-wins condition leaves unchanged).
func BenchmarkMaterializePG(b *testing.B) {
	w, _ := newWarehouse(b, nil)
	if w == nil {
		return
	}
	ctx := context.Background()
	events := opportunities(tenancy.ID(uuid.New()), benchEvents)
	write := func(b *testing.B, tenant tenancy.ID) {
		for i := range events {
			events[i].Tenant = tenant
		}
		b.StartTimer()
		for i := 0; i < len(events); i += benchBatch {
			if err := w.Write(ctx, tenant, events[i:min(i+benchBatch, len(events))]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	}
	b.Run("Insert", func(b *testing.B) {
		b.ReportAllocs()
		b.StopTimer()
		for range b.N {
			write(b, tenancy.ID(uuid.New()))
		}
		b.ReportMetric(float64(b.N*benchEvents)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("Replay", func(b *testing.B) {
		b.ReportAllocs()
		b.StopTimer()
		tenant := tenancy.ID(uuid.New())
		write(b, tenant)
		b.ResetTimer()
		b.StopTimer()
		for range b.N {
			write(b, tenant)
		}
		b.ReportMetric(float64(b.N*benchEvents)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkUnifiedQueryPG times queries of account_unified over 30k
// accounts from 3 sources (90k rows; 3 domain clusters of 3 members per
// account, names differing in legal suffixes), through the read-only
// query API, and reports p50 and p95 in milliseconds.
func BenchmarkUnifiedQueryPG(b *testing.B) {
	const accounts = 30_000
	w, _ := newWarehouse(b, &dcl.Config{MaxRows: 100})
	if w == nil {
		return
	}
	ctx := context.Background()
	tenant := tenancy.ID(uuid.New())
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for s, system := range []string{"salesforce", "hubspot", "netsuite"} {
		events := make([]canonical.Event, 0, accounts)
		for i := range accounts {
			key := fmt.Sprintf("%s-%d", system, i)
			events = append(events, canonical.Event{
				ID: "ev-" + key, Tenant: tenant, Entity: "account", Op: canonical.OpUpsert, SourceKey: key,
				Source: canonical.Source{System: system, ConnectionID: system + "-1", Object: "Account"},
				Data: map[string]any{"id": key, "name": fmt.Sprintf("Company %d %s", i, []string{"Inc", "GmbH", "Ltd"}[s]),
					"domain": fmt.Sprintf("company%d.example", i), "employee_count": int64(i + s)},
				OccurredAt: base.Add(time.Duration(s) * time.Hour), IngestedAt: base.Add(time.Duration(s)*time.Hour + time.Second),
			})
		}
		for i := 0; i < len(events); i += benchBatch {
			if err := w.Write(ctx, tenant, events[i:min(i+benchBatch, len(events))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	// one untimed pass: the first reads after a bulk load set hint bits
	if _, err := w.Query(ctx, tenant, "SELECT count(*) FROM account_unified"); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, sql string }{
		{"Count", "SELECT count(*), sum(member_count) FROM account_unified"},
		{"TopBySize", "SELECT cluster_id, name, member_count, sources FROM account_unified ORDER BY employee_count DESC LIMIT 10"},
	} {
		b.Run(q.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := w.Query(ctx, tenant, q.sql)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				if q.name == "Count" && fmt.Sprint(res.Rows[0]) != fmt.Sprintf("[%d %d]", accounts, 3*accounts) {
					b.Fatalf("count = %v, want %d clusters of 3", res.Rows[0], accounts)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[(len(lat)*95)/100].Microseconds())/1000, "p95_ms")
		})
	}
}
