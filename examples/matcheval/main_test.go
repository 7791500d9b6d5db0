package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot walks up from the working directory to the go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func evalDir(t *testing.T, rel ...string) string {
	return filepath.Join(append([]string{moduleRoot(t)}, rel...)...)
}

func runEval(t *testing.T, dir string) []*result {
	t.Helper()
	cases, err := loadCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := newEvaluator(options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ev.runAll(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDevTargets asserts the targets on the shared dev cases.
func TestDevTargets(t *testing.T) {
	dir := evalDir(t, "..", "shared", "eval", "dev")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared dev cases not available: %v", err)
	}
	s := score(runEval(t, dir))
	t.Logf("dev: match accuracy %.3f precision %.3f recall %.3f; drift auto-apply precision %.3f recall %.3f",
		s.accuracy(), s.precision(), s.recall(), s.autoPrecision(), s.driftRecall())
	if s.MatchCases == 0 || s.DriftCases == 0 {
		t.Fatalf("dev set has %d match and %d drift cases; want both kinds", s.MatchCases, s.DriftCases)
	}
	if s.accuracy() < 0.95 {
		t.Errorf("match accuracy %.3f < 0.95", s.accuracy())
	}
	if s.autoPrecision() < 1 {
		t.Errorf("drift auto-apply precision %.3f < 1", s.autoPrecision())
	}
	if s.driftRecall() < 0.8 {
		t.Errorf("drift recall %.3f < 0.8", s.driftRecall())
	}
}

// TestOwnCases reports the figures on the repair package's own cases for
// other vendors (both batches) and keeps a floor under them.
func TestOwnCases(t *testing.T) {
	for _, sub := range []string{"cases", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11", "holdout12", "holdout13", "holdout14", "holdout15", "holdout16", "holdout17"} {
		s := score(runEval(t, evalDir(t, "repair", "testdata", sub)))
		t.Logf("own %s: %d fields, match accuracy %.3f precision %.3f recall %.3f",
			sub, s.MatchFields, s.accuracy(), s.precision(), s.recall())
		if s.MatchFields == 0 {
			t.Fatalf("no match cases in %s", sub)
		}
		if s.accuracy() < 0.8 {
			t.Errorf("%s: match accuracy %.3f < 0.8", sub, s.accuracy())
		}
	}
}

// TestJSONOutput checks the -json form: one object per case with the
// fields of FORMAT.md.
func TestJSONOutput(t *testing.T) {
	dir := evalDir(t, "..", "shared", "eval", "dev")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared dev cases not available: %v", err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-cases", dir, "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sc := bufio.NewScanner(&out)
	n := 0
	for sc.Scan() {
		n++
		var obj struct {
			Case        string                     `json:"case"`
			Kind        string                     `json:"kind"`
			Predictions map[string]json.RawMessage `json:"predictions"`
			Repairs     map[string]struct {
				To         *string `json:"to"`
				Confidence float64 `json:"confidence"`
				Action     string  `json:"action"`
			} `json:"repairs"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		switch obj.Kind {
		case "match":
			if len(obj.Predictions) == 0 {
				t.Errorf("%s: no predictions", obj.Case)
			}
			for f, raw := range obj.Predictions {
				var p struct {
					Target     *string  `json:"target"`
					Confidence *float64 `json:"confidence"`
				}
				if err := json.Unmarshal(raw, &p); err != nil || p.Confidence == nil || *p.Confidence < 0 || *p.Confidence > 1 {
					t.Errorf("%s.%s: bad prediction %s", obj.Case, f, raw)
				}
				if !strings.Contains(string(raw), `"target"`) {
					t.Errorf("%s.%s: target missing (null must be explicit): %s", obj.Case, f, raw)
				}
			}
		case "drift":
			for f, r := range obj.Repairs {
				if r.Action != "auto_apply" && r.Action != "review" {
					t.Errorf("%s.%s: action %q", obj.Case, f, r.Action)
				}
			}
		default:
			t.Errorf("line %d: kind %q", n, obj.Kind)
		}
	}
	if n != len(files) {
		t.Errorf("%d lines for %d case files", n, len(files))
	}
}

// TestBadInput checks that a malformed case is reported with its file and
// field, and that the command exits non-zero.
func TestBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"badtype":   {`{"name":"x","kind":"match","source":{"system":"s","object":"o"},"fields":[{"name":"Amount","type":"money","samples":[]}],"expected":{"Amount":null}}`, `field "Amount" has unknown type "money"`},
		"badtarget": {`{"name":"x","kind":"match","source":{"system":"s","object":"o"},"fields":[{"name":"Amount","type":"number"}],"expected":{"Amount":"deal.amount"}}`, `expected target of field "Amount"`},
		"badkind":   {`{"name":"x","kind":"guess","source":{"system":"s","object":"o"}}`, `unknown kind "guess"`},
		"badjson":   {`{"name": "x",`, `not a valid case`},
		"noname":    {`{"name":"x","kind":"match","source":{"system":"s","object":"o"},"fields":[{"name":"","type":"string"}],"expected":{}}`, `field 0 has no name`},
		"driftref":  {`{"name":"x","kind":"drift","source":{"system":"s","object":"o"},"before":{"fields":[{"name":"A","type":"string"}],"mapping":{"A":"account.name"}},"after":{"fields":[{"name":"B","type":"string"}]},"expected":{"A":"C"}}`, `names "C", which is not among the after fields`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name+".json")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"-cases", dir}, &out, &errb)
			if code == 0 {
				t.Fatalf("exit 0 on bad input; stdout %s", out.String())
			}
			if !strings.Contains(errb.String(), path) || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("error %q does not name the file and %q", errb.String(), tc.want)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, &out, &errb); code != 2 {
		t.Errorf("no -cases: exit %d, want 2", code)
	}
}

// TestTable checks the readable form prints the scores.
func TestTable(t *testing.T) {
	var out, errb bytes.Buffer
	dir := evalDir(t, "repair", "testdata", "holdout")
	if code := run(context.Background(), []string{"-cases", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "match: 8 cases") || !strings.Contains(out.String(), "accuracy") ||
		!strings.Contains(out.String(), "reliability of match confidences") {
		t.Errorf("table lacks the scores:\n%s", out.String())
	}
}

// TestLenientLabelsAndTypeSynonyms: a field the case does not label is
// predicted but not scored, and common type spellings are accepted.
func TestLenientLabelsAndTypeSynonyms(t *testing.T) {
	dir := t.TempDir()
	body := `{"name":"x","kind":"match","source":{"system":"crm","object":"Account"},
	"fields":[{"name":"Name","type":"varchar","samples":["Acme"]},{"name":"AnnualRevenue","type":"decimal","samples":["1000"]}],
	"expected":{"Name":"account.name"}}`
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runEval(t, dir)
	s := score(res)
	if s.MatchFields != 1 || s.MatchRight != 1 {
		t.Errorf("scored %d fields, %d right; want 1 and 1", s.MatchFields, s.MatchRight)
	}
	if p := res[0].predictions["AnnualRevenue"]; p.Target == nil || *p.Target != "account.annual_revenue" {
		t.Errorf("AnnualRevenue predicted %v", p.Target)
	}
}
