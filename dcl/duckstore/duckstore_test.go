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

// duckDialectQueries are DuckDB-only queries the query API must run,
// beside the suite's portable ones.
var duckDialectQueries = []string{
	"SELECT id, row_number() OVER (PARTITION BY stage ORDER BY amount DESC) AS rn FROM opportunity QUALIFY rn = 1",
	"SELECT list_transform([1, 2], x -> x + 1), date_trunc('month', close_date), strftime(created_at, '%Y') FROM opportunity",
	"SELECT * EXCLUDE (_key) FROM opportunity",
	"SELECT n FROM range(3) t(n)",
}

func TestConformance(t *testing.T) {
	warehousetest.RunConformanceTestsWith(t, func(t *testing.T) driver.Warehouse { return newStore(t) },
		warehousetest.Options{DialectQueries: duckDialectQueries})
}
