// Command matcheval runs the field matcher and the drift repairer on
// evaluation cases (the format of shared/eval/FORMAT.md) and scores them.
//
//	go run ./examples/matcheval -cases DIR [-json]
//
// With -json it prints one JSON object per case, one per line. Without it
// it prints a readable table and the scores: match accuracy (null targets
// included), precision and recall over non-null targets; drift auto-apply
// precision and the recall of all repairs.
//
// With no LLM configured the matcher uses its heuristics alone. To let an
// OpenAI-compatible model advise on unsure fields, set -llm-model (and
// -llm-base-url for a server other than OpenAI's); the API key is read from
// OPENAI_API_KEY.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	cases      string
	json       bool
	llmModel   string
	llmBaseURL string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matcheval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.cases, "cases", "", "directory of case files (*.json)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per case instead of a table")
	fs.StringVar(&o.llmModel, "llm-model", "", "model name of an OpenAI-compatible endpoint (empty: heuristics only)")
	fs.StringVar(&o.llmBaseURL, "llm-base-url", "", "base URL of the OpenAI-compatible endpoint")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.cases == "" {
		fmt.Fprintln(stderr, "matcheval: -cases DIR is required")
		fs.Usage()
		return 2
	}
	cases, err := loadCases(o.cases)
	if err != nil {
		fmt.Fprintln(stderr, "matcheval:", err)
		return 1
	}
	ev, err := newEvaluator(o)
	if err != nil {
		fmt.Fprintln(stderr, "matcheval:", err)
		return 1
	}
	results, err := ev.runAll(ctx, cases)
	if err != nil {
		fmt.Fprintln(stderr, "matcheval:", err)
		return 1
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r.output()); err != nil {
				fmt.Fprintln(stderr, "matcheval:", err)
				return 1
			}
		}
		return 0
	}
	printTable(stdout, results)
	return 0
}

// field is a source field of a case.
type field struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Samples []string `json:"samples"`
}

// caseFile is one case as written on disk.
type caseFile struct {
	path   string
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Source struct {
		System string `json:"system"`
		Object string `json:"object"`
	} `json:"source"`
	Fields   []field            `json:"fields"`
	Expected map[string]*string `json:"expected"`
	Before   *struct {
		Fields  []field           `json:"fields"`
		Mapping map[string]string `json:"mapping"`
	} `json:"before"`
	After *struct {
		Fields []field `json:"fields"`
	} `json:"after"`
}

var validTypes = map[string]bool{
	"string": true, "integer": true, "number": true, "boolean": true,
	"timestamp": true, "date": true, "object": true, "array": true,
}

// typeSynonyms are spellings of the declared types that other tools use.
var typeSynonyms = map[string]string{
	"int": "integer", "long": "integer", "bigint": "integer", "float": "number", "double": "number",
	"decimal": "number", "numeric": "number", "bool": "boolean", "datetime": "timestamp",
	"text": "string", "varchar": "string", "str": "string", "json": "object", "list": "array",
}

// loadCases reads every *.json file of dir, sorted by name, and checks it.
func loadCases(dir string) ([]*caseFile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("cases directory: %w", err)
		}
		return nil, fmt.Errorf("no *.json case files in %s", dir)
	}
	sort.Strings(files)
	ont := canonical.V1()
	var out []*caseFile
	for _, f := range files {
		c, err := loadCase(f, ont)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func loadCase(path string, ont *canonical.Ontology) (*caseFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	c := &caseFile{path: path}
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: not a valid case: %w", path, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if c.Name == "" {
		c.Name = strings.TrimSuffix(filepath.Base(path), ".json")
	}
	checkFields := func(where string, fs []field) (map[string]bool, error) {
		if len(fs) == 0 {
			return nil, bad("%s has no fields", where)
		}
		seen := map[string]bool{}
		for i, f := range fs {
			if strings.TrimSpace(f.Name) == "" {
				return nil, bad("%s field %d has no name", where, i)
			}
			if seen[f.Name] {
				return nil, bad("%s field %q is given twice", where, f.Name)
			}
			if syn, ok := typeSynonyms[strings.ToLower(f.Type)]; ok {
				fs[i].Type = syn
			} else if !validTypes[f.Type] {
				return nil, bad("%s field %q has unknown type %q (want one of string, integer, number, boolean, timestamp, date, object, array)", where, f.Name, f.Type)
			}
			seen[f.Name] = true
		}
		return seen, nil
	}
	checkTarget := func(what, t string) error {
		if _, err := ont.Lookup(t); err != nil {
			return bad("%s: %v", what, err)
		}
		return nil
	}
	switch c.Kind {
	case "match":
		names, err := checkFields("fields:", c.Fields)
		if err != nil {
			return nil, err
		}
		for k, v := range c.Expected {
			if !names[k] {
				return nil, bad("expected names field %q, which is not among the fields", k)
			}
			if v != nil {
				if err := checkTarget(fmt.Sprintf("expected target of field %q", k), *v); err != nil {
					return nil, err
				}
			}
		}
	case "drift":
		if c.Before == nil || c.After == nil {
			return nil, bad("a drift case needs before and after")
		}
		bn, err := checkFields("before:", c.Before.Fields)
		if err != nil {
			return nil, err
		}
		an, err := checkFields("after:", c.After.Fields)
		if err != nil {
			return nil, err
		}
		for k, v := range c.Before.Mapping {
			if !bn[k] {
				return nil, bad("before mapping names field %q, which is not among the before fields", k)
			}
			if err := checkTarget(fmt.Sprintf("before mapping of field %q", k), v); err != nil {
				return nil, err
			}
		}
		for k, v := range c.Expected {
			if _, ok := c.Before.Mapping[k]; !ok {
				return nil, bad("expected names field %q, which is not mapped in before", k)
			}
			if v != nil && !an[*v] {
				return nil, bad("expected repair of field %q names %q, which is not among the after fields", k, *v)
			}
		}
	default:
		return nil, bad("unknown kind %q (want match or drift)", c.Kind)
	}
	return c, nil
}

func toSchema(c *caseFile, fs []field) drift.Schema {
	s := drift.Schema{System: c.Source.System, Object: c.Source.Object}
	for _, f := range fs {
		s.Fields = append(s.Fields, drift.Field{Name: f.Name, Type: drift.FieldType(f.Type), Samples: f.Samples})
	}
	return s
}

// evaluator holds the engines.
type evaluator struct {
	matcher  *repair.Matcher
	repairer *repair.Repairer
}

func newEvaluator(o options) (*evaluator, error) {
	cfg := &repair.MatcherConfig{}
	if o.llmModel != "" {
		adv, err := repair.NewOpenAIAdvisor(repair.OpenAIAdvisorConfig{
			BaseURL: o.llmBaseURL, APIKey: os.Getenv("OPENAI_API_KEY"), Model: o.llmModel, Timeout: 30 * time.Second,
		})
		if err != nil {
			return nil, err
		}
		cfg.Advisor = adv
	}
	m, err := repair.NewMatcher(nil, cfg)
	if err != nil {
		return nil, err
	}
	return &evaluator{matcher: m, repairer: repair.NewRepairer(nil)}, nil
}

// prediction is the matcher's answer for one field.
type prediction struct {
	Target     *string `json:"target"`
	Confidence float64 `json:"confidence"`
}

// repairOut is the repairer's answer for one gone field.
type repairOut struct {
	To         *string `json:"to"`
	Confidence float64 `json:"confidence"`
	Action     string  `json:"action"`
}

// result is the outcome of one case.
type result struct {
	c           *caseFile
	entity      string
	order       []string // field order for the table
	predictions map[string]prediction
	repairs     map[string]repairOut
}

func (r *result) output() map[string]any {
	out := map[string]any{"case": r.c.Name, "kind": r.c.Kind}
	if r.c.Kind == "match" {
		out["predictions"] = r.predictions
	} else {
		out["repairs"] = r.repairs
	}
	return out
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (ev *evaluator) runAll(ctx context.Context, cases []*caseFile) ([]*result, error) {
	var out []*result
	for _, c := range cases {
		r := &result{c: c}
		switch c.Kind {
		case "match":
			res, err := ev.matcher.Match(ctx, toSchema(c, c.Fields))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.path, err)
			}
			r.entity = res.Entity
			r.predictions = map[string]prediction{}
			for _, f := range res.Fields {
				r.order = append(r.order, f.Source)
				r.predictions[f.Source] = prediction{Target: strPtr(f.Target), Confidence: f.Confidence}
			}
		case "drift":
			before, after := toSchema(c, c.Before.Fields), toSchema(c, c.After.Fields)
			m := canonical.Mapping{System: c.Source.System, Object: c.Source.Object}
			for _, f := range c.Before.Fields {
				m.Fields = append(m.Fields, canonical.FieldMapping{Source: f.Name, Target: c.Before.Mapping[f.Name]})
			}
			reps, err := ev.repairer.Propose(ctx, before, m, after)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.path, err)
			}
			r.repairs = map[string]repairOut{}
			for _, rp := range reps {
				r.order = append(r.order, rp.Field)
				r.repairs[rp.Field] = repairOut{To: strPtr(rp.To), Confidence: rp.Confidence, Action: string(rp.Action)}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// scores are the evaluation's figures.
type scores struct {
	MatchFields, MatchRight        int
	MatchPredicted, MatchTruth, TP int
	DriftRepairs, DriftRight       int
	DriftAuto, DriftAutoRight      int
	MatchCases, DriftCases         int
}

func (s scores) accuracy() float64  { return ratio(s.MatchRight, s.MatchFields) }
func (s scores) precision() float64 { return ratio(s.TP, s.MatchPredicted) }
func (s scores) recall() float64    { return ratio(s.TP, s.MatchTruth) }
func (s scores) autoPrecision() float64 {
	if s.DriftAuto == 0 {
		return 1
	}
	return ratio(s.DriftAutoRight, s.DriftAuto)
}
func (s scores) driftRecall() float64 { return ratio(s.DriftRight, s.DriftRepairs) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// score compares results with the cases' expectations.
func score(results []*result) scores {
	var s scores
	for _, r := range results {
		switch r.c.Kind {
		case "match":
			s.MatchCases++
			for name, p := range r.predictions {
				w, labelled := r.c.Expected[name]
				if !labelled {
					continue // not scored: the case does not say
				}
				want := deref(w)
				got := deref(p.Target)
				s.MatchFields++
				if got == want {
					s.MatchRight++
				}
				if got != "" {
					s.MatchPredicted++
					if got == want {
						s.TP++
					}
				}
				if want != "" {
					s.MatchTruth++
				}
			}
		case "drift":
			s.DriftCases++
			for name, w := range r.c.Expected {
				s.DriftRepairs++
				rp, ok := r.repairs[name]
				right := ok && deref(rp.To) == deref(w)
				if right {
					s.DriftRight++
				}
				if ok && rp.Action == string(repair.ActionAutoApply) {
					s.DriftAuto++
					if right {
						s.DriftAutoRight++
					}
				}
			}
		}
	}
	return s
}

func show(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func printTable(w io.Writer, results []*result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tKIND\tFIELD\tEXPECTED\tGOT\tCONF\tACTION\tOK")
	for _, r := range results {
		for _, name := range r.order {
			switch r.c.Kind {
			case "match":
				p := r.predictions[name]
				w, labelled := r.c.Expected[name]
				want, got := deref(w), deref(p.Target)
				exp, ok := show(want), mark(want == got)
				if !labelled {
					exp, ok = "(not labelled)", ""
				}
				fmt.Fprintf(tw, "%s\tmatch:%s\t%s\t%s\t%s\t%.2f\t\t%s\n", r.c.Name, r.entity, name, exp, show(got), p.Confidence, ok)
			case "drift":
				rp := r.repairs[name]
				want, wanted := r.c.Expected[name]
				exp := "(not expected)"
				if wanted {
					exp = show(deref(want))
				}
				fmt.Fprintf(tw, "%s\tdrift\t%s\t%s\t%s\t%.2f\t%s\t%s\n", r.c.Name, name, exp, show(deref(rp.To)), rp.Confidence, rp.Action, mark(wanted && deref(want) == deref(rp.To)))
			}
		}
	}
	tw.Flush()
	s := score(results)
	fmt.Fprintln(w)
	if s.MatchCases > 0 {
		fmt.Fprintf(w, "match: %d cases, %d fields: accuracy %.3f, precision %.3f, recall %.3f (over non-null targets)\n",
			s.MatchCases, s.MatchFields, s.accuracy(), s.precision(), s.recall())
	}
	if s.DriftCases > 0 {
		fmt.Fprintf(w, "drift: %d cases, %d repairs: auto-apply precision %.3f (%d of %d), recall of all repairs %.3f\n",
			s.DriftCases, s.DriftRepairs, s.autoPrecision(), s.DriftAutoRight, s.DriftAuto, s.driftRecall())
	}
	if s.MatchCases > 0 {
		printReliability(w, results)
	}
}

// printReliability prints, per confidence band, how many match decisions
// fell in it and how many of them were right: a calibrated matcher's
// share right is close to the band's mean confidence.
func printReliability(w io.Writer, results []*result) {
	bands := []float64{0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0000001}
	n := make([]int, len(bands)-1)
	right := make([]int, len(bands)-1)
	sum := make([]float64, len(bands)-1)
	for _, r := range results {
		if r.c.Kind != "match" {
			continue
		}
		for name, p := range r.predictions {
			want, labelled := r.c.Expected[name]
			if !labelled {
				continue
			}
			for b := 0; b+1 < len(bands); b++ {
				if p.Confidence >= bands[b] && p.Confidence < bands[b+1] {
					n[b]++
					sum[b] += p.Confidence
					if deref(want) == deref(p.Target) {
						right[b]++
					}
				}
			}
		}
	}
	fmt.Fprintln(w, "\nreliability of match confidences:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BAND\tDECISIONS\tMEAN CONFIDENCE\tSHARE RIGHT")
	for b := range n {
		if n[b] == 0 {
			continue
		}
		fmt.Fprintf(tw, "[%.2f, %.2f)\t%d\t%.3f\t%.3f\n", bands[b], min(1, bands[b+1]), n[b], sum[b]/float64(n[b]), float64(right[b])/float64(n[b]))
	}
	tw.Flush()
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "WRONG"
}
