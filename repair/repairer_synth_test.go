package repair_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
)

// synthCase is a match case (see ../shared/eval/FORMAT.md) used as the
// "before" of synthetic drifts.
type synthCase struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Source struct {
		System string `json:"system"`
		Object string `json:"object"`
	} `json:"source"`
	Fields   []drift.Field      `json:"fields"`
	Expected map[string]*string `json:"expected"`
}

func loadSynthSources(t *testing.T) []synthCase {
	t.Helper()
	var dirs []string
	for _, d := range []string{filepath.Join("..", "..", "shared", "eval", "dev"), filepath.Join("testdata", "cases"),
		filepath.Join("testdata", "holdout"), filepath.Join("testdata", "holdout2"), filepath.Join("testdata", "holdout3"), filepath.Join("testdata", "holdout4")} {
		if dirExists(d) {
			dirs = append(dirs, d)
		}
	}
	var out []synthCase
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c synthCase
			if json.Unmarshal(b, &c) != nil || c.Kind != "match" || len(c.Fields) < 3 {
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// restyle renames a field the way vendors and migrations do.
func restyle(name string, style int) string {
	words := splitWords(name)
	switch style % 5 {
	case 0: // snake_case <-> CamelCase
		if strings.Contains(name, "_") || strings.Contains(name, ".") {
			for i, w := range words {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
			return strings.Join(words, "")
		}
		return strings.Join(words, "_")
	case 1: // a Salesforce custom field
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, "_") + "__c"
	case 2: // a HubSpot-style prefix
		return "hs_" + strings.Join(words, "_")
	case 3: // a migration suffix
		return strings.Join(words, "_") + "_v2"
	default: // an opaque name: only the values can tell
		return fmt.Sprintf("col_%d", len(name)*7+3)
	}
}

func splitWords(name string) []string {
	var words []string
	var cur []rune
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if len(cur) > 0 {
				words = append(words, strings.ToLower(string(cur)))
				cur = nil
			}
			continue
		}
		if len(cur) > 0 && unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]) {
			words = append(words, strings.ToLower(string(cur)))
			cur = nil
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		words = append(words, strings.ToLower(string(cur)))
	}
	if len(words) == 0 {
		words = []string{"x"}
	}
	return words
}

type synthOutcome struct{ repairs, recalled, auto, autoWrong int }

// TestProposeSynthetic derives drifts from every match case of the project
// and of the matcher's own vendors (renames in several styles, removals,
// distractors that share the type but not the values) and checks that no
// automatic repair is wrong. Recall is reported, not asserted.
func TestProposeSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("synthetic drifts take seconds")
	}
	sources := loadSynthSources(t)
	if len(sources) == 0 {
		t.Skip("no match cases found")
	}
	r := repair.NewRepairer(nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	outcomes := map[string]*synthOutcome{}
	var bins [5]struct{ n, right int } // confidence <0.5, <0.7, <0.85, <0.9, >=0.9
	record := func(kind string, c synthCase, field, want string, reps []repair.Repair) {
		o := outcomes[kind]
		if o == nil {
			o = &synthOutcome{}
			outcomes[kind] = o
		}
		for _, rp := range reps {
			if rp.Field != field {
				continue
			}
			o.repairs++
			if rp.To == want {
				o.recalled++
			}
			b := 4
			switch {
			case rp.Confidence < 0.5:
				b = 0
			case rp.Confidence < 0.7:
				b = 1
			case rp.Confidence < 0.85:
				b = 2
			case rp.Confidence < 0.9:
				b = 3
			}
			bins[b].n++
			if rp.To == want {
				bins[b].right++
			}
			if rp.Action == repair.ActionAutoApply {
				o.auto++
				if rp.To != want {
					o.autoWrong++
					t.Errorf("%s/%s: %s -> %q auto-applied (%.3f), want %q\n\t%s", kind, c.Name, field, rp.To, rp.Confidence, want, strings.Join(rp.Evidence, "\n\t"))
				}
			}
		}
	}
	for ci, c := range sources {
		mapping := canonical.Mapping{System: c.Source.System, Object: c.Source.Object}
		var mapped []int
		for i, f := range c.Fields {
			tgt := ""
			if e := c.Expected[f.Name]; e != nil {
				tgt = *e
			}
			mapping.Fields = append(mapping.Fields, canonical.FieldMapping{Source: f.Name, Target: tgt, Confidence: 1})
			if tgt != "" {
				mapped = append(mapped, i)
			}
		}
		before := drift.Schema{System: c.Source.System, Object: c.Source.Object, Fields: c.Fields}
		for k, i := range mapped {
			x := c.Fields[i]
			newName := restyle(x.Name, ci+k)
			if _, clash := before.Field(newName); clash || newName == x.Name {
				continue
			}
			// Another field of a different case, same type, other values.
			other := sources[(ci+k+1)%len(sources)]
			var foreign *drift.Field
			for _, f := range other.Fields {
				if f.Type == x.Type {
					ff := withName(f, f.Name)
					ff.Samples = otherValues(f.Samples)
					foreign = &ff
					break
				}
			}

			// 1. rename
			after := replaceField(before, x.Name, []drift.Field{withName(x, newName)})
			reps, err := r.Propose(ctx, before, mapping, after)
			if err != nil {
				t.Fatal(err)
			}
			record("rename", c, x.Name, newName, reps)

			// 2. rename, and the new snapshot sampled other records
			after = resample(replaceField(before, x.Name, []drift.Field{withName(x, newName)}))
			reps, _ = r.Propose(ctx, before, mapping, after)
			record("rename,resampled", c, x.Name, newName, reps)

			if foreign == nil {
				continue
			}
			// 2. removal, with an unrelated field added
			after = replaceField(before, x.Name, []drift.Field{withName(*foreign, "extra_"+strings.ToLower(foreign.Name))})
			reps, _ = r.Propose(ctx, before, mapping, after)
			record("removed+unrelated", c, x.Name, "", reps)

			// 3. removal, with a same-typed look-alike: the old name with a
			// suffix, other values
			after = replaceField(before, x.Name, []drift.Field{withName(*foreign, x.Name+"_old")})
			reps, _ = r.Propose(ctx, before, mapping, after)
			record("removed+lookalike", c, x.Name, "", reps)

			// 3b. the same with other records sampled
			after = resample(replaceField(before, x.Name, []drift.Field{withName(*foreign, x.Name+"_old")}))
			reps, _ = r.Propose(ctx, before, mapping, after)
			record("removed+lookalike,resampled", c, x.Name, "", reps)

			// 4. rename beside a look-alike distractor
			d := withName(*foreign, x.Name+"_prev")
			if rng.IntN(2) == 0 {
				d.Name = "old_" + x.Name
			}
			after = replaceField(before, x.Name, []drift.Field{d, withName(x, newName)})
			reps, _ = r.Propose(ctx, before, mapping, after)
			record("rename+distractor", c, x.Name, newName, reps)
		}
	}
	var total synthOutcome
	kinds := make([]string, 0, len(outcomes))
	for k := range outcomes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		o := outcomes[k]
		t.Logf("%-18s repairs %4d recalled %4d (%.3f) auto-applied %4d wrong %d", k, o.repairs, o.recalled, float64(o.recalled)/float64(max(1, o.repairs)), o.auto, o.autoWrong)
		total.repairs += o.repairs
		total.recalled += o.recalled
		total.auto += o.auto
		total.autoWrong += o.autoWrong
	}
	t.Logf("all: %d repairs, recall %.3f, %d auto-applied, auto-apply precision %.3f", total.repairs,
		float64(total.recalled)/float64(max(1, total.repairs)), total.auto, 1-float64(total.autoWrong)/float64(max(1, total.auto)))
	for i, name := range []string{"[0, 0.5)", "[0.5, 0.7)", "[0.7, 0.85)", "[0.85, 0.9)", "[0.9, 1]"} {
		t.Logf("confidence %-11s %4d repairs, %.3f right", name, bins[i].n, float64(bins[i].right)/float64(max(1, bins[i].n)))
	}
	if total.repairs < 50 {
		t.Fatalf("only %d synthetic repairs", total.repairs)
	}
}

// resample makes every field of s show other values, as when the new
// snapshot sampled other records.
func resample(s drift.Schema) drift.Schema {
	out := s
	out.Fields = make([]drift.Field, len(s.Fields))
	for i, f := range s.Fields {
		f.Samples = otherValues(f.Samples)
		out.Fields[i] = f
	}
	return out
}

// otherValues changes every value so that none can equal a value of the
// original case (test data reuse the same instants and amounts across
// vendors): numbers are scaled, digits shifted, words prefixed.
func otherValues(samples []string) []string {
	out := make([]string, len(samples))
	for i, v := range samples {
		switch {
		case strings.TrimSpace(v) == "":
			out[i] = v
		case strings.IndexFunc(v, unicode.IsDigit) >= 0:
			out[i] = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return '0' + (r-'0'+1)%10
				}
				return r
			}, v)
		default:
			out[i] = "Other " + v
		}
	}
	return out
}

func withName(f drift.Field, name string) drift.Field {
	f.Name = name
	f.Samples = append([]string(nil), f.Samples...)
	return f
}

// replaceField returns s with the named field replaced by fs (in place).
func replaceField(s drift.Schema, name string, fs []drift.Field) drift.Schema {
	out := s
	out.Fields = nil
	for _, f := range s.Fields {
		if f.Name == name {
			out.Fields = append(out.Fields, fs...)
			continue
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}
