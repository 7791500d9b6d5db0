package memstore_test

import (
	"testing"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/drift/drifttest"
	"github.com/autonomos/autonomos/drift/memstore"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	drifttest.RunConformanceTests(t, func(t *testing.T) drift.Driver { return memstore.New() })
}
