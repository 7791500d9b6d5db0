package repairtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// NewBenchDriver returns a fresh, empty driver for one benchmark.
type NewBenchDriver func(b *testing.B) repair.Driver

// RunBenchmarks measures a driver through a [repair.Registry]: saving a
// new version of a 50-field mapping, reading the current version, and a
// drift handled end to end (repairs applied or queued, then approved).
// Each reports ms/op besides ns/op.
func RunBenchmarks(b *testing.B, newDriver NewBenchDriver) {
	b.Run("Save50Fields", func(b *testing.B) {
		reg, ctx := benchRegistry(b, newDriver)
		key := repair.MappingKey{Connection: "bench", Object: "wide"}
		m := wideMapping(50)
		v := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			got, err := reg.Save(ctx, key, m, repair.Change{ExpectedVersion: v, Actor: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			v = got.Version
		}
		reportMS(b)
	})
	b.Run("Current50Fields", func(b *testing.B) {
		reg, ctx := benchRegistry(b, newDriver)
		key := repair.MappingKey{Connection: "bench", Object: "wide"}
		if _, err := reg.Save(ctx, key, wideMapping(50), repair.Change{Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := reg.Current(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
		reportMS(b)
	})
	b.Run("QueueAndApprove", func(b *testing.B) {
		reg, ctx := benchRegistry(b, newDriver)
		key := repair.MappingKey{Connection: "bench", Object: "wide"}
		m := wideMapping(50)
		v, err := reg.Save(ctx, key, m, repair.Change{Actor: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		cur := v.Version
		b.ReportAllocs()
		b.ResetTimer()
		i := 0
		for b.Loop() {
			// Each round renames field_00 back and forth through review.
			from, to := "field_00", "renamed_00"
			if i%2 == 1 {
				from, to = to, from
			}
			i++
			rp := repair.Repair{Field: from, Target: "account.name", To: to, Confidence: 0.8, Action: repair.ActionReview}
			out, err := reg.ApplyRepairs(ctx, key, cur, afterSchema(), []repair.Repair{rp})
			if err != nil {
				b.Fatal(err)
			}
			it, err := reg.Approve(ctx, out.Queued[0].ID, "bench")
			if err != nil {
				b.Fatal(err)
			}
			cur = it.AppliedVersion
		}
		reportMS(b)
	})
}

func benchRegistry(b *testing.B, newDriver NewBenchDriver) (*repair.Registry, context.Context) {
	b.Helper()
	reg := repair.NewRegistry(newDriver(b), nil)
	b.Cleanup(func() { reg.Close() })
	return reg, tenancy.WithTenant(context.Background(), tenancy.New())
}

func wideMapping(n int) canonical.Mapping {
	m := canonical.Mapping{System: "bench", Object: "wide"}
	for i := 0; i < n; i++ {
		m.Fields = append(m.Fields, canonical.FieldMapping{Source: fmt.Sprintf("field_%02d", i), Target: "account.name",
			Confidence: 0.9, Provenance: canonical.ProvenanceHeuristic})
	}
	return m
}

func reportMS(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	}
}
