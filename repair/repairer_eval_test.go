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

// TestProposeTwinDistractorForcesReview takes every case where a repair is
// auto-applied, adds a copy of the chosen field under another name (a
// distractor the values cannot tell apart), and checks that the repair
// then goes to review: a sure repair must be sure against every rival.
func TestProposeTwinDistractorForcesReview(t *testing.T) {
	dirs := []string{filepath.Join("testdata", "drift")}
	if dev := filepath.Join("..", "..", "shared", "eval", "dev"); dirExists(dev) {
		dirs = append(dirs, dev)
	}
	r := repair.NewRepairer(nil)
	ctx := context.Background()
	checked := 0
	for _, dir := range dirs {
		for _, c := range loadDriftCases(t, dir) {
			before, m, after := c.inputs()
			reps, err := r.Propose(ctx, before, m, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, rp := range reps {
				if rp.Action != repair.ActionAutoApply {
					continue
				}
				f, _ := after.Field(rp.To)
				twin := f
				twin.Name = rp.To + "_copy"
				after2 := after
				after2.Fields = append(append([]drift.Field(nil), after.Fields...), twin)
				reps2, err := r.Propose(ctx, before, m, after2)
				if err != nil {
					t.Fatal(err)
				}
				for _, rp2 := range reps2 {
					if rp2.Field == rp.Field && rp2.Action == repair.ActionAutoApply {
						t.Errorf("%s: %s -> %s still auto-applied (%.3f) beside its twin", c.Name, rp.Field, rp2.To, rp2.Confidence)
					}
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no auto-applied repair to check")
	}
	t.Logf("%d auto-applied repairs checked against a twin", checked)
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// TestProposeWithoutTheReplacement takes every auto-applied repair and
// removes the chosen field from the new schema: what remains must not be
// auto-applied in its place (the runner-up is not good enough).
func TestProposeWithoutTheReplacement(t *testing.T) {
	dirs := []string{filepath.Join("testdata", "drift")}
	if dev := filepath.Join("..", "..", "shared", "eval", "dev"); dirExists(dev) {
		dirs = append(dirs, dev)
	}
	r := repair.NewRepairer(nil)
	ctx := context.Background()
	checked := 0
	for _, dir := range dirs {
		for _, c := range loadDriftCases(t, dir) {
			before, m, after := c.inputs()
			reps, err := r.Propose(ctx, before, m, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, rp := range reps {
				if rp.Action != repair.ActionAutoApply {
					continue
				}
				after2 := after
				after2.Fields = nil
				for _, f := range after.Fields {
					if f.Name != rp.To {
						after2.Fields = append(after2.Fields, f)
					}
				}
				reps2, err := r.Propose(ctx, before, m, after2)
				if err != nil {
					t.Fatal(err)
				}
				for _, rp2 := range reps2 {
					if rp2.Field == rp.Field && rp2.Action == repair.ActionAutoApply {
						t.Errorf("%s: without %s, %s -> %s is auto-applied (%.3f)", c.Name, rp.To, rp.Field, rp2.To, rp2.Confidence)
					}
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no auto-applied repair to check")
	}
}

// TestProposeHoldoutDrift runs the drift cases of the fresh held-out
// sets: a wrong auto-applied repair is the worst outcome, so precision
// must stay 1.0 there too.
func TestProposeHoldoutDrift(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "holdout*"))
	if err != nil {
		t.Fatal(err)
	}
	var total driftScore
	for _, dir := range dirs {
		s := scoreDrift(t, dir)
		total.cases += s.cases
		total.repairs += s.repairs
		total.recalled += s.recalled
		total.auto += s.auto
		total.autoRight += s.autoRight
	}
	if total.cases < 20 {
		t.Fatalf("only %d drift cases in the held-out sets", total.cases)
	}
	t.Logf("%d cases, %d repairs: recall %.3f, %d auto-applied, precision %.3f", total.cases, total.repairs, total.recall(), total.auto, total.precision())
	if p := total.precision(); p < 1 {
		t.Errorf("auto-apply precision %.3f, want 1.0", p)
	}
	if r := total.recall(); r < 0.9 {
		t.Errorf("recall %.3f, want >= 0.9", r)
	}
}
