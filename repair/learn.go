package repair

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// Verdict is a person's decision about a proposed field mapping.
type Verdict string

// The verdicts.
const (
	VerdictApproved Verdict = "approved"
	VerdictRejected Verdict = "rejected"
)

// Decision is one person's verdict on pairing a source field with a
// target. The matcher reads a tenant's decisions as evidence for that
// tenant's later matches: an approved pairing is proposed again for a
// similar field (by name and values) in any of the tenant's sources; a
// rejected pairing is not proposed again for that field.
type Decision struct {
	// System, Object and Field name the source field.
	System string `json:"system"`
	Object string `json:"object"`
	Field  string `json:"field"`
	// Samples holds a few of the field's values, to recognize the field
	// by its values under another name.
	Samples []string `json:"samples,omitempty"`
	// Target is the "entity.field" approved or rejected.
	Target string `json:"target"`
	// Verdict is approved or rejected.
	Verdict Verdict `json:"verdict"`
	// By names the person.
	By string `json:"by,omitempty"`
	// At is when the decision was made.
	At time.Time `json:"at"`
}

func (d Decision) validate() error {
	switch {
	case strings.TrimSpace(d.Field) == "":
		return fmt.Errorf("%w: decision has no source field", ErrInvalidInput)
	case !strings.Contains(d.Target, "."):
		return fmt.Errorf("%w: decision on %q: target %q is not entity.field", ErrInvalidInput, d.Field, d.Target)
	case d.Verdict != VerdictApproved && d.Verdict != VerdictRejected:
		return fmt.Errorf("%w: decision on %q: verdict %q is neither approved nor rejected", ErrInvalidInput, d.Field, d.Verdict)
	}
	return nil
}

// Memory keeps each tenant's decisions. Every call is scoped by tenant:
// an implementation must never return one tenant's decisions to another.
// Implementations must be safe for concurrent use.
type Memory interface {
	// Record stores a decision for tenant. A later decision on the same
	// (system, object, field, target) replaces the earlier one.
	Record(ctx context.Context, tenant tenancy.ID, d Decision) error
	// Decisions returns tenant's decisions, oldest first.
	Decisions(ctx context.Context, tenant tenancy.ID) ([]Decision, error)
}

// LocalMemory is the in-memory [Memory]. The zero value is ready to use
// and safe for concurrent use.
type LocalMemory struct {
	mu sync.RWMutex
	m  map[tenancy.ID][]Decision
}

var _ Memory = (*LocalMemory)(nil)

// NewLocalMemory returns an empty in-memory Memory.
func NewLocalMemory() *LocalMemory { return &LocalMemory{} }

// Record implements [Memory].
func (l *LocalMemory) Record(ctx context.Context, tenant tenancy.ID, d Decision) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tenant.IsZero() {
		return fmt.Errorf("%w: record decision: no tenant", ErrInvalidInput)
	}
	if err := d.validate(); err != nil {
		return err
	}
	d.Samples = append([]string(nil), d.Samples...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[tenancy.ID][]Decision{}
	}
	list := l.m[tenant]
	for i, o := range list {
		if o.System == d.System && o.Object == d.Object && o.Field == d.Field && o.Target == d.Target {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	l.m[tenant] = append(list, d)
	return nil
}

// Decisions implements [Memory]. The returned slice is a copy.
func (l *LocalMemory) Decisions(ctx context.Context, tenant tenancy.ID) ([]Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tenant.IsZero() {
		return nil, fmt.Errorf("%w: decisions: no tenant", ErrInvalidInput)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]Decision, len(l.m[tenant]))
	for i, d := range l.m[tenant] {
		d.Samples = append([]string(nil), d.Samples...)
		out[i] = d
	}
	return out, nil
}

// applyDecisions folds a tenant's decisions into the score rows of the
// chosen entity.
func (m *Matcher) applyDecisions(ds []Decision, s drift.Schema, fs []fieldState, rows [][]pair, e *entityInfo) {
	tidx := map[string]int{}
	for i, t := range e.targets {
		tidx[t.target] = i
	}
	for _, d := range ds {
		tj, ok := tidx[d.Target]
		if !ok {
			continue
		}
		dni := m.lx.read(d.Field, "")
		for fi := range fs {
			sim := m.decisionSimilarity(s, &fs[fi], d, dni)
			p := &rows[fi][tj]
			switch d.Verdict {
			case VerdictRejected:
				if sim >= 0.85 {
					p.banned, p.score = true, 0
					p.learn = fmt.Sprintf("a person rejected %q -> %s before (similarity %.2f)", d.Field, d.Target, sim)
				}
			case VerdictApproved:
				if sim < 0.7 || p.banned {
					continue
				}
				vf, vs := valueFit(fs[fi].f.Type, fs[fi].p, e.targets[tj].field)
				if vf < 0.5 {
					continue // the values rule the target out
				}
				if boosted := (0.55 + 0.45*sim) * min(1, vf); boosted > p.score {
					p.score, p.value, p.valueS = boosted, vf, vs
					if p.alias == nil {
						p.alias = []string{}
					}
					p.learn = fmt.Sprintf("learned: this tenant approved %q (%s %s) -> %s (similarity %.2f)",
						d.Field, d.System, d.Object, d.Target, sim)
				}
			}
		}
	}
}

// decisionSimilarity compares a source field with the field of a past
// decision by name (concept words and spelling) and by values.
func (m *Matcher) decisionSimilarity(s drift.Schema, f *fieldState, d Decision, dni nameInfo) float64 {
	if f.f.Name == d.Field && s.System == d.System && s.Object == d.Object {
		return 1
	}
	name := max(dice(f.ni.words, dni.words), jaroWinkler(fold(f.f.Name), fold(d.Field)))
	if strings.EqualFold(f.f.Name, d.Field) {
		name = 1
	}
	if len(d.Samples) == 0 || len(f.f.Samples) == 0 {
		return 0.95 * name
	}
	return 0.7*name + 0.3*sampleOverlap(f.f.Samples, d.Samples)
}

// sampleOverlap is the Jaccard similarity of two sample sets, ignoring
// case, surrounding space and empty values.
func sampleOverlap(a, b []string) float64 {
	set := map[string]int{}
	for _, v := range a {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			set[v] |= 1
		}
	}
	for _, v := range b {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			set[v] |= 2
		}
	}
	both := 0
	for _, x := range set {
		if x == 3 {
			both++
		}
	}
	if len(set) == 0 {
		return 0
	}
	return float64(both) / float64(len(set))
}
