package memstore_test

import (
	"testing"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/repair/repairtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	repairtest.RunConformanceTests(t, func(t *testing.T) repair.Driver { return memstore.New() })
}
