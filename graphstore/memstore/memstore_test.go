package memstore_test

import (
	"context"
	"testing"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
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
