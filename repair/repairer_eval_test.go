package repair_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
)

// driftCase is one drift case of ../shared/eval/FORMAT.md.
type driftCase struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Source struct {
		System string `json:"system"`
		Object string `json:"object"`
	} `json:"source"`
	Before struct {
		Fields  []drift.Field     `json:"fields"`
		Mapping map[string]string `json:"mapping"`
	} `json:"before"`
	After struct {
		Fields []drift.Field `json:"fields"`
	} `json:"after"`
	Expected map[string]*string `json:"expected"`
}

func loadDriftCases(t *testing.T, dir string) []driftCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []driftCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c driftCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Kind == "drift" {
			out = append(out, c)
		}
	}
	return out
}

func (c driftCase) inputs() (drift.Schema, canonical.Mapping, drift.Schema) {
	before := drift.Schema{System: c.Source.System, Object: c.Source.Object, Fields: c.Before.Fields}
	after := drift.Schema{System: c.Source.System, Object: c.Source.Object, Fields: c.After.Fields}
	m := canonical.Mapping{System: c.Source.System, Object: c.Source.Object}
	for _, f := range c.Before.Fields {
		m.Fields = append(m.Fields, canonical.FieldMapping{Source: f.Name, Target: c.Before.Mapping[f.Name]})
	}
	return before, m, after
}

type driftScore struct {
	cases, repairs, recalled, auto, autoRight int
}

func (s driftScore) precision() float64 {
	if s.auto == 0 {
		return 1
	}
	return float64(s.autoRight) / float64(s.auto)
}

func (s driftScore) recall() float64 {
	if s.repairs == 0 {
		return 1
	}
	return float64(s.recalled) / float64(s.repairs)
}

func scoreDrift(t *testing.T, dir string) driftScore {
	t.Helper()
	r := repair.NewRepairer(nil)
	var s driftScore
	for _, c := range loadDriftCases(t, dir) {
		s.cases++
		before, m, after := c.inputs()
		reps, err := r.Propose(context.Background(), before, m, after)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		got := map[string]repair.Repair{}
		for _, rp := range reps {
			got[rp.Field] = rp
		}
		if len(got) != len(c.Expected) {
			t.Errorf("%s: %d repairs, expected %d", c.Name, len(got), len(c.Expected))
		}
		for field, want := range c.Expected {
			s.repairs++
			w := ""
			if want != nil {
				w = *want
			}
			rp, ok := got[field]
			right := ok && rp.To == w
			if right {
				s.recalled++
			}
			if ok && rp.Action == repair.ActionAutoApply {
				s.auto++
				if right {
					s.autoRight++
				}
			}
			t.Logf("%-50s %-28s want %-30q got %-30q conf %.3f %-10s ok=%v", c.Name, field, w, rp.To, rp.Confidence, rp.Action, right)
			if !right || testing.Verbose() {
				for _, e := range rp.Evidence {
					t.Logf("      %s", e)
				}
			}
		}
	}
	t.Logf("%s: cases %d repairs %d recalled %d auto %d auto-right %d precision %.3f recall %.3f",
		dir, s.cases, s.repairs, s.recalled, s.auto, s.autoRight, s.precision(), s.recall())
	return s
}

// TestProposeDevTargets asserts the targets on the shared dev
// drift cases: auto-apply precision 1.0, recall of all repairs >= 0.8.
func TestProposeDevTargets(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "eval", "dev")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared eval cases not available: %v", err)
	}
	s := scoreDrift(t, dir)
	if s.cases == 0 {
		t.Fatal("no drift cases found")
	}
	if p := s.precision(); p < 1 {
		t.Errorf("auto-apply precision %.3f, want 1.0", p)
	}
	if r := s.recall(); r < 0.8 {
		t.Errorf("recall %.3f, want >= 0.8", r)
	}
}

// TestProposeOwnCases runs the repairer's own drift cases (other vendors,
// written before tuning) with the same targets.
func TestProposeOwnCases(t *testing.T) {
	s := scoreDrift(t, filepath.Join("testdata", "drift"))
	if s.cases == 0 {
		t.Skip("no drift cases in testdata/drift yet")
	}
	if p := s.precision(); p < 1 {
		t.Errorf("auto-apply precision %.3f, want 1.0", p)
	}
	if r := s.recall(); r < 0.8 {
		t.Errorf("recall %.3f, want >= 0.8", r)
	}
}
