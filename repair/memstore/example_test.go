package memstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// A registry kept in a file survives a restart.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "repair")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "repair.json")
	ctx := tenancy.WithTenant(context.Background(), tenancy.MustParse("6f1c2a1e-8d1b-4c55-9a3e-1f2d3c4b5a69"))
	key := repair.MappingKey{Connection: "csv-drop", Object: "customers.csv"}

	s, err := memstore.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg := repair.NewRegistry(s, nil)
	_, err = reg.Save(ctx, key, canonical.Mapping{Fields: []canonical.FieldMapping{
		{Source: "cust_nm", Target: "account.name", Confidence: 0.93, Provenance: canonical.ProvenanceHeuristic},
	}}, repair.Change{Actor: "onboarding"})
	fmt.Println("saved:", err)
	reg.Close()

	s, _ = memstore.Open(path) // after a restart
	reg = repair.NewRegistry(s, nil)
	defer reg.Close()
	cur, err := reg.Current(ctx, key)
	fmt.Println("version", cur.Version, "cust_nm ->", cur.Mapping.Target("cust_nm"), err)
	// Output:
	// saved: <nil>
	// version 1 cust_nm -> account.name <nil>
}
