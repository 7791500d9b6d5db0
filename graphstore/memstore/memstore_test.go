package memstore_test

import (
	"context"
	"testing"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
	"github.com/autonomos/autonomos/tenancy"
)

type harness struct{}

func (harness) MakeDriver(context.Context) (graphstore.Driver, error) { return memstore.New(), nil }
func (harness) Close()                                                {}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.RunConformanceTests(t, func(context.Context, *testing.T) (storetest.Harness, error) {
		return harness{}, nil
	})
}

func BenchmarkMemstore(b *testing.B) {
	storetest.RunBenchmarks(b, func(b *testing.B) *graphstore.Store {
		s, err := graphstore.New(memstore.New(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestLoadSharedDoesNotCopy: the in-memory driver hands out its stored
// graph to LoadShared (the same pointer each time, no allocation), while
// Load still copies.
func TestLoadSharedDoesNotCopy(t *testing.T) {
	ctx := context.Background()
	s, err := graphstore.New(memstore.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tenant := tenancy.New()
	if _, err := s.Save(ctx, tenant, storetest.SmallGraph(30, "shared")); err != nil {
		t.Fatal(err)
	}
	a, err := s.LoadShared(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.LoadShared(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("LoadShared returned two different graphs; want the stored one both times")
	}
	if l, err := s.Load(ctx, tenant); err != nil || l == a {
		t.Errorf("Load returned the shared graph (%v); want a copy", err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = s.LoadShared(ctx, tenant) }); n != 0 {
		t.Errorf("LoadShared allocates %v times, want 0", n)
	}
}
