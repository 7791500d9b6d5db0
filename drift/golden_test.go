package drift

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestInferGolden infers the schema of a CSV with one column per
// pattern family and compares it, stats and samples included, with
// testdata/infer/deals.schema.golden (go test -update rewrites it).
func TestInferGolden(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "infer", "deals.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := InferCSV("csv", "deals.csv", f, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "infer", "deals.schema.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schema differs from %s (run with -update if intended):\n%s", golden, got)
	}
}
