package repair

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/drift"
)

// matchCase is a match case in the format of ../shared/eval/FORMAT.md.
type matchCase struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Source struct {
		System string `json:"system"`
		Object string `json:"object"`
	} `json:"source"`
	Fields []struct {
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Samples []string `json:"samples"`
	} `json:"fields"`
	Expected map[string]*string `json:"expected"`
}

func (c matchCase) schema() drift.Schema {
	s := drift.Schema{System: c.Source.System, Object: c.Source.Object}
	for _, f := range c.Fields {
		s.Fields = append(s.Fields, drift.Field{Name: f.Name, Type: drift.FieldType(f.Type), Samples: f.Samples})
	}
	return s
}

func loadMatchCases(t testing.TB, dir string) []matchCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []matchCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c matchCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Kind == "match" {
			out = append(out, c)
		}
	}
	return out
}

type matchOutcome struct {
	conf    float64
	correct bool
	mapped  bool
}

type matchScore struct {
	total, right         int
	tp, predicted, truth int
	outcomes             []matchOutcome
	errors               []string
}

func (s matchScore) accuracy() float64  { return float64(s.right) / float64(max(1, s.total)) }
func (s matchScore) precision() float64 { return float64(s.tp) / float64(max(1, s.predicted)) }
func (s matchScore) recall() float64    { return float64(s.tp) / float64(max(1, s.truth)) }

func scoreMatchCases(t testing.TB, m *Matcher, dir string) matchScore {
	t.Helper()
	var sc matchScore
	for _, c := range loadMatchCases(t, dir) {
		res, err := m.Match(context.Background(), c.schema())
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, f := range res.Fields {
			want := ""
			if e := c.Expected[f.Source]; e != nil {
				want = *e
			}
			ok := f.Target == want
			sc.total++
			if ok {
				sc.right++
			} else {
				sc.errors = append(sc.errors, fmt.Sprintf("%s [%s]: %s -> %q (%.2f), want %q; %s", c.Name, res.Entity, f.Source, f.Target, f.Confidence, want, strings.Join(f.Evidence, " | ")))
			}
			if f.Target != "" {
				sc.predicted++
				if ok {
					sc.tp++
				}
			}
			if want != "" {
				sc.truth++
			}
			sc.outcomes = append(sc.outcomes, matchOutcome{conf: f.Confidence, correct: ok, mapped: f.Target != ""})
		}
	}
	return sc
}

func reliability(outs []matchOutcome) string {
	var b strings.Builder
	bins := []float64{0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01}
	fmt.Fprintf(&b, "%-12s %6s %8s %8s\n", "confidence", "n", "mean", "right")
	for i := 0; i+1 < len(bins); i++ {
		n, right, sum := 0, 0, 0.0
		for _, o := range outs {
			if o.conf >= bins[i] && o.conf < bins[i+1] {
				n++
				sum += o.conf
				if o.correct {
					right++
				}
			}
		}
		if n > 0 {
			fmt.Fprintf(&b, "[%.2f,%.2f) %6d %8.3f %8.3f\n", bins[i], bins[i+1], n, sum/float64(n), float64(right)/float64(n))
		}
	}
	return b.String()
}

func devDir() string { return filepath.Join("..", "..", "shared", "eval", "dev") }

func TestMatchDevTargets(t *testing.T) {
	if _, err := os.Stat(devDir()); err != nil {
		t.Skipf("no dev cases at %s", devDir())
	}
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := scoreMatchCases(t, m, devDir())
	t.Logf("dev: accuracy %.3f precision %.3f recall %.3f over %d fields", sc.accuracy(), sc.precision(), sc.recall(), sc.total)
	for _, e := range sc.errors {
		t.Log(e)
	}
	if sc.accuracy() < 0.95 {
		t.Errorf("dev match accuracy %.3f < 0.95", sc.accuracy())
	}
}

func TestMatchOwnCases(t *testing.T) {
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := scoreMatchCases(t, m, filepath.Join("testdata", "cases"))
	if sc.total == 0 {
		t.Fatal("no own match cases")
	}
	t.Logf("own: accuracy %.3f precision %.3f recall %.3f over %d fields", sc.accuracy(), sc.precision(), sc.recall(), sc.total)
	for _, e := range sc.errors {
		t.Log(e)
	}
	// A floor well under today's figure: it catches regressions without
	// turning the held-out cases into a tuning target.
	if sc.accuracy() < 0.8 {
		t.Errorf("own-case match accuracy %.3f < 0.8", sc.accuracy())
	}
}

func TestCalibrationReport(t *testing.T) {
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []matchOutcome
	for _, d := range []string{devDir(), filepath.Join("testdata", "cases")} {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		sc := scoreMatchCases(t, m, d)
		t.Logf("reliability on %s:\n%s", d, reliability(sc.outcomes))
		all = append(all, sc.outcomes...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].conf < all[j].conf })
	_ = all
}

// TestMatchHoldout runs the second batch of own cases, written after the
// first round of tuning and kept out of it: its figure is the honest
// estimate for unseen vendors.
func TestMatchHoldout(t *testing.T) {
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11", "holdout12", "holdout13", "holdout14", "holdout15", "holdout16", "holdout17", "holdout18", "holdout19", "holdout20", "holdout21", "holdout22", "holdout23", "holdout24", "holdout25", "holdout26", "holdout27", "holdout28", "holdout29", "holdout30", "holdout31", "holdout32", "holdout33", "holdout34", "holdout35", "holdout37"} {
		sc := scoreMatchCases(t, m, filepath.Join("testdata", dir))
		if sc.total == 0 {
			t.Fatalf("no cases in %s", dir)
		}
		t.Logf("%s: accuracy %.3f precision %.3f recall %.3f over %d fields", dir, sc.accuracy(), sc.precision(), sc.recall(), sc.total)
		for _, e := range sc.errors {
			t.Log(e)
		}
		if sc.accuracy() < 0.75 {
			t.Errorf("%s match accuracy %.3f < 0.75", dir, sc.accuracy())
		}
	}
}
