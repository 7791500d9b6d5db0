package memstore_test

import (
	"context"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/mesh/meshtest"
)

func TestConformance(t *testing.T) {
	meshtest.RunConformanceTests(t, meshtest.HarnessFunc(func(ctx context.Context, t *testing.T) mesh.Store {
		return memstore.New()
	}))
}
