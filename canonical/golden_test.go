package canonical

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenInput is one case under testdata/golden: a source, a mapping and
// a record (or a CSV header and row), with optional locale, key and a
// calibration sample.
type goldenInput struct {
	Source    Source           `json:"source"`
	Mapping   Mapping          `json:"mapping"`
	Locale    string           `json:"locale"`
	Key       []string         `json:"key"`
	Calibrate []map[string]any `json:"calibrate"`
	Record    json.RawMessage  `json:"record"`
	Header    []string         `json:"header"`
	Row       []string         `json:"row"`
}

// TestGolden normalizes each testdata/golden/*.input.json and compares
// the events, as JSON, with the .golden.json beside it. Run
// go test ./canonical -run TestGolden -update to rewrite them after a
// deliberate change, and read the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.input.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var gi goldenInput
			if err := json.Unmarshal(raw, &gi); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			cfg := &Config{Key: gi.Key, Now: fixedClock, SchemaFingerprint: "sha256:golden"}
			if gi.Locale != "" {
				if cfg.Locale, err = ParseLocale(gi.Locale); err != nil {
					t.Fatal(err)
				}
			}
			n, err := NewNormalizer(testTenant, gi.Source, &gi.Mapping, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if gi.Calibrate != nil {
				n.Calibrate(gi.Calibrate)
			}
			var evs []*Event
			if gi.Header != nil {
				evs, err = n.NormalizeRow(gi.Header, gi.Row, "row 1")
			} else {
				dec := json.NewDecoder(bytes.NewReader(gi.Record))
				dec.UseNumber()
				var rec map[string]any
				if err := dec.Decode(&rec); err != nil {
					t.Fatal(err)
				}
				evs, err = n.Normalize(rec)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if err := Validate(ev); err != nil {
					t.Errorf("event breaks its schema: %v", err)
				}
			}
			got, err := json.MarshalIndent(evs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the normalized events (run with -update and read the diff):\n%s", path, got)
			}
		})
	}
}
