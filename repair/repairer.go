package repair

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
)

// Action says what the engine would do with a proposed repair.
type Action string

// The actions of a repair.
const (
	// ActionAutoApply means the repair is sure enough to be applied
	// without a person (subject to Safe Mode, see [Policy]).
	ActionAutoApply Action = "auto_apply"
	// ActionReview means the repair goes to the review queue.
	ActionReview Action = "review"
)

// Candidate is one added field scored as the replacement of a gone field.
type Candidate struct {
	// Field is the candidate field of the new schema.
	Field string `json:"field"`
	// Score is the candidate's own probability of being the replacement,
	// before competition with other candidates is taken into account.
	Score float64 `json:"score"`
}

// Repair is the repairer's proposal for one mapped source field that is
// gone from the new schema.
type Repair struct {
	// Field is the old source field that is gone.
	Field string `json:"field"`
	// Target is the "entity.field" the old field carried.
	Target string `json:"target"`
	// To is the field of the new schema that now carries Target, or ""
	// when the data is gone with no replacement.
	To string `json:"to"`
	// Confidence is the probability, in [0, 1], that To is right (for a
	// "gone" repair: that no field of the new schema carries Target).
	Confidence float64 `json:"confidence"`
	// Action is ActionAutoApply when Confidence reaches the repairer's
	// threshold and the repair is a replacement; ActionReview otherwise.
	// "Gone" repairs are always reviewed: see [Repairer.Propose].
	Action Action `json:"action"`
	// Evidence lists the reasons for the proposal in plain words.
	Evidence []string `json:"evidence,omitempty"`
	// Candidates lists the scored candidates, best first (at most five),
	// so that a reviewer can pick another one.
	Candidates []Candidate `json:"candidates,omitempty"`
}

// Gone reports whether the repair says the field has no replacement.
func (r Repair) Gone() bool { return r.To == "" }

// RepairerConfig configures a [Repairer]. The zero value (or nil) gives
// the defaults.
type RepairerConfig struct {
	// AutoApplyThreshold is the confidence at or above which a replacement
	// is proposed for automatic application. It must be in (0, 1].
	// Defaults to 0.9.
	AutoApplyThreshold float64
	// MinCandidateScore is the score below which a candidate is not
	// proposed as a replacement; when no candidate reaches it the field is
	// reported gone. It must be in (0, 1). Defaults to 0.5.
	MinCandidateScore float64
	// NameSimilarity scores two source field names in [0, 1]. It lets a
	// caller plug in the matcher's lexicon. Defaults to the repairer's own
	// token similarity (affix stripping, abbreviations, synonyms).
	NameSimilarity func(a, b string) float64
	// TargetHint scores in [0, 1] how plausible a source field name is for
	// an ontology target "entity.field"; it lets a caller plug in the
	// matcher's name evidence. Defaults to the share of the target field's
	// words (after synonyms) found in the name.
	TargetHint func(name, target string) float64
	// Logger receives debug records about scoring. Defaults to a logger
	// that discards everything.
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with every zero field set to its default.
// It accepts a nil receiver.
func (c *RepairerConfig) WithDefaults() RepairerConfig {
	var out RepairerConfig
	if c != nil {
		out = *c
	}
	if out.AutoApplyThreshold == 0 {
		out.AutoApplyThreshold = 0.9
	}
	if out.MinCandidateScore == 0 {
		out.MinCandidateScore = 0.5
	}
	if out.NameSimilarity == nil {
		out.NameSimilarity = repNameSimilarity
	}
	if out.TargetHint == nil {
		out.TargetHint = repTargetHint
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return out
}

func (c RepairerConfig) validate() error {
	if !(c.AutoApplyThreshold > 0 && c.AutoApplyThreshold <= 1) {
		return fmt.Errorf("%w: RepairerConfig.AutoApplyThreshold %v is not in (0, 1]", ErrInvalidInput, c.AutoApplyThreshold)
	}
	if !(c.MinCandidateScore > 0 && c.MinCandidateScore < 1) {
		return fmt.Errorf("%w: RepairerConfig.MinCandidateScore %v is not in (0, 1)", ErrInvalidInput, c.MinCandidateScore)
	}
	return nil
}

// Repairer proposes repairs of a mapping after schema drift. It holds no
// state between calls and is safe for concurrent use.
type Repairer struct {
	cfg RepairerConfig
	err error
}

// NewRepairer returns a repairer configured by cfg; nil means defaults.
// An invalid configuration is reported by every call to Propose.
func NewRepairer(cfg *RepairerConfig) *Repairer {
	c := cfg.WithDefaults()
	return &Repairer{cfg: c, err: c.validate()}
}

// Threshold returns the auto-apply threshold in use.
func (r *Repairer) Threshold() float64 {
	if r == nil {
		return 0.9
	}
	return r.cfg.AutoApplyThreshold
}

// Propose returns one [Repair] for every field of before that is mapped
// (has a non-empty target in mapping) and is gone from after, in the order
// of before's fields.
//
// Every gone field (mapped or not) is scored against every added field of
// after (present in after, not in before) on the evidence of its values
// (shared sample values after normalization of numbers, epochs and
// dates; the distribution of lengths, shapes and numeric ranges), its
// declared type (equal, a safe widening, a conversion), its name (tokens
// after stripping vendor affixes and expanding abbreviations) and whether
// the new name is a plausible name for the mapped target. When the samples
// of the fields that did not change are the same in both schemas, the
// snapshots cover the same records, and a candidate whose values differ
// from the gone field's is strong evidence against it.
//
// Gone and added fields are then paired one to one, best pairs first. A
// pairing's confidence is the candidate's posterior against its rivals
// (other candidates for the field and other gone fields wanting the same
// candidate); a rival that is plausible on its own caps it below the
// threshold, and a pairing not confirmed by shared values is capped below
// the threshold unless the names are the same after normalization.
//
// In short, a replacement is only applied on its own when shared,
// specific values confirm it (or the names are the same words), no rival
// is plausible, and the evidence adds up to the threshold.
//
// A field with no candidate reaching MinCandidateScore is reported gone
// (To == "") and is always sent to review, never unmapped on its own: a
// mapping of a field that no longer exists produces nothing, so waiting
// for a person costs nothing, while an automatic unmapping would hide a
// rename the repairer failed to see.
func (r *Repairer) Propose(ctx context.Context, before drift.Schema, mapping canonical.Mapping, after drift.Schema) ([]Repair, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil *Repairer (use NewRepairer)", ErrInvalidInput)
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := repCheckSchema("before", before); err != nil {
		return nil, err
	}
	if err := repCheckSchema("after", after); err != nil {
		return nil, err
	}
	targets := make(map[string]string, len(mapping.Fields))
	for _, fm := range mapping.Fields {
		if fm.Target != "" {
			targets[fm.Source] = fm.Target
		}
	}
	afterNames := make(map[string]bool, len(after.Fields))
	for _, f := range after.Fields {
		afterNames[f.Name] = true
	}
	beforeNames := make(map[string]bool, len(before.Fields))
	for _, f := range before.Fields {
		beforeNames[f.Name] = true
	}

	var gone, added []*repProfile
	var anyMappedGone bool
	for _, f := range before.Fields {
		if !afterNames[f.Name] {
			gone = append(gone, newRepProfile(f))
			if targets[f.Name] != "" {
				anyMappedGone = true
			}
		}
	}
	if !anyMappedGone {
		return []Repair{}, nil
	}
	for _, f := range after.Fields {
		// A column a loading tool added describes the copy, never the
		// record: it cannot carry a renamed field.
		if !beforeNames[f.Name] && !isLoaderColumn(f.Name) {
			added = append(added, newRepProfile(f))
		}
	}
	// Profiles of the fields present in both schemas, old and new.
	var kept, unchanged []*repProfile
	for _, f := range before.Fields {
		if af, ok := after.Field(f.Name); ok {
			kept = append(kept, newRepProfile(f))
			unchanged = append(unchanged, newRepProfile(af))
		}
	}
	align := repAlignment(kept, unchanged)

	// Score every (gone, added) pair.
	scores := make([][]repPair, len(gone))
	for i, g := range gone {
		scores[i] = make([]repPair, len(added))
		for j, a := range added {
			scores[i][j] = r.repScore(g, a, targets[g.field.Name], align)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	assign := repAssign(scores, r.cfg.MinCandidateScore)

	var out []Repair
	for i, g := range gone {
		target := targets[g.field.Name]
		if target == "" {
			continue
		}
		rep := Repair{Field: g.field.Name, Target: target, Action: ActionReview}
		cands := make([]Candidate, 0, len(added))
		for j, a := range added {
			cands = append(cands, Candidate{Field: a.field.Name, Score: repRound3(scores[i][j].p)})
		}
		sort.SliceStable(cands, func(x, y int) bool { return cands[x].Score > cands[y].Score })
		if len(cands) > 5 {
			cands = cands[:5]
		}
		if len(cands) > 0 {
			rep.Candidates = cands
		}
		if align.same >= 0 {
			rep.Evidence = append(rep.Evidence, fmt.Sprintf("snapshots: %.0f%% of unchanged fields have the same samples, %.0f%% of their values in common",
				100*align.same, 100*align.overlap))
		}
		j := assign[i]
		if j < 0 {
			// Gone: the posterior of "no candidate" against all of them.
			sumL := 0.0
			for jj := range added {
				sumL += repOdds(scores[i][jj].p)
			}
			rep.Confidence = repRound3(math.Min(0.99, 1/(1+sumL)))
			switch {
			case len(added) == 0:
				rep.Evidence = append(rep.Evidence, "no field was added to the new schema")
			case len(cands) > 0:
				rep.Evidence = append(rep.Evidence, fmt.Sprintf("no added field is a likely replacement (best %s scored %.2f)", cands[0].Field, cands[0].Score))
			}
			rep.Evidence = append(rep.Evidence, "gone repairs are always reviewed")
			out = append(out, rep)
			continue
		}
		best := scores[i][j]
		rep.To = added[j].field.Name
		// Rivals: other candidates for this field, other gone fields for
		// this candidate.
		sumL, p2, rival := 0.0, 0.0, ""
		for jj := range added {
			if jj == j {
				continue
			}
			sumL += repOdds(scores[i][jj].p)
			if scores[i][jj].p > p2 {
				p2, rival = scores[i][jj].p, added[jj].field.Name
			}
		}
		for ii := range gone {
			if ii == i {
				continue
			}
			sumL += repOdds(scores[ii][j].p)
			if scores[ii][j].p > p2 {
				p2, rival = scores[ii][j].p, "gone field "+gone[ii].field.Name
			}
		}
		l1 := repOdds(best.p)
		conf := l1 / (1 + l1 + sumL)
		rep.Evidence = append(rep.Evidence, best.evidence...)
		if capAt := 1 - p2/2; conf > capAt {
			conf = capAt
		}
		if p2 >= 0.1 {
			rep.Evidence = append(rep.Evidence, fmt.Sprintf("rival: %s scored %.2f", rival, p2))
		}
		if qa, qb, ok := repQualifierConflict(rep.Field, rep.To); ok && conf > valueUnconfirmedCap {
			conf = valueUnconfirmedCap
			rep.Evidence = append(rep.Evidence, fmt.Sprintf("name: %q and %q name sibling fields: capped below automatic repair", qa, qb))
		}
		if best.nameSim < 0.5 && best.hint < 1 && conf > valueUnconfirmedCap {
			conf = valueUnconfirmedCap
			rep.Evidence = append(rep.Evidence, "name: neither like the old name nor like the target: capped below automatic repair")
		}
		if twin := repTwin(added[j], unchanged); twin != "" && !best.sameName && conf > valueUnconfirmedCap {
			conf = valueUnconfirmedCap
			rep.Evidence = append(rep.Evidence, fmt.Sprintf("values: %s has the same values, so values cannot tell them apart: capped below automatic repair", twin))
		}
		if !best.valueConfirmed && !best.sameName && conf > valueUnconfirmedCap {
			conf = valueUnconfirmedCap
			rep.Evidence = append(rep.Evidence, "not confirmed by shared values: capped below automatic repair")
		}
		rep.Confidence = repRound3(conf)
		if rep.Confidence >= r.cfg.AutoApplyThreshold {
			rep.Action = ActionAutoApply
		}
		r.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "repair proposed",
			slog.String("field", rep.Field), slog.String("to", rep.To),
			slog.Float64("confidence", rep.Confidence), slog.String("action", string(rep.Action)))
		out = append(out, rep)
	}
	if out == nil {
		out = []Repair{}
	}
	return out, nil
}

// valueUnconfirmedCap bounds the confidence of a replacement that no shared
// sample value confirms and whose name differs after normalization.
const valueUnconfirmedCap = 0.85

func repCheckSchema(which string, s drift.Schema) error {
	seen := make(map[string]bool, len(s.Fields))
	for i, f := range s.Fields {
		if strings.TrimSpace(f.Name) == "" {
			return &SchemaError{Which: which, Field: f.Name, Reason: fmt.Sprintf("field %d has no name", i)}
		}
		if seen[f.Name] {
			return &SchemaError{Which: which, Field: f.Name, Reason: "name used twice"}
		}
		seen[f.Name] = true
	}
	return nil
}

func repOdds(p float64) float64 {
	p = math.Min(p, 0.995)
	return p / (1 - p)
}

func repRound3(x float64) float64 { return math.Round(x*1000) / 1000 }

func repSigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
