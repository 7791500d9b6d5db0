package duckstore_test

import (
	"testing"

	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
)

func newStore(t testing.TB) *duckstore.Store {
	t.Helper()
	s, err := duckstore.Open("", &duckstore.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	warehousetest.RunConformanceTests(t, func(t *testing.T) driver.Warehouse { return newStore(t) })
}
