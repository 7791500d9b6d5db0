package repair_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/autonomos/autonomos/repair"
)

// The flag is named for this file so that it cannot clash with another
// -update flag in the package's tests.
var updateRepairs = flag.Bool("update-repairs", false, "rewrite testdata/drift_golden from the repairer's output")

// TestProposeGolden pins the repairer's full output (targets, confidences,
// actions, evidence, candidates) on the package's drift cases, so that any
// change of behaviour shows in review. Run with -update-repairs to accept
// a change.
func TestProposeGolden(t *testing.T) {
	r := repair.NewRepairer(nil)
	for _, c := range loadDriftCases(t, filepath.Join("testdata", "drift")) {
		before, m, after := c.inputs()
		reps, err := r.Propose(context.Background(), before, m, after)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		got, err := json.MarshalIndent(reps, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "drift_golden", c.Name+".golden.json")
		if *updateRepairs {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run TestProposeGolden -update-repairs)", c.Name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: output differs from %s (run with -update-repairs to accept):\n%s", c.Name, path, got)
		}
	}
}
