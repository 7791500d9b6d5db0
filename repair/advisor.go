package repair

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// Advisor is asked about the fields the heuristics are unsure of, for
// instance a language model (see [OpenAIAdvisor]). The matcher validates
// every answer against the ontology and keeps its own decision for any
// field the advisor fails on or answers wrongly.
type Advisor interface {
	// Advise returns one piece of advice per field it has an opinion on.
	Advise(ctx context.Context, req AdviceRequest) ([]Advice, error)
}

// AdviceRequest is what the matcher asks an advisor.
type AdviceRequest struct {
	// Tenant is the tenant the schema belongs to, for usage accounting.
	Tenant tenancy.ID `json:"-"`
	// System, Object and Entity describe the source object and the entity
	// it was classified as.
	System string `json:"system"`
	Object string `json:"object"`
	Entity string `json:"entity"`
	// Targets lists the targets the advisor may choose from.
	Targets []AdviceTarget `json:"targets"`
	// Fields lists the unsure fields.
	Fields []AdviceField `json:"fields"`
	// Context lists the object's other fields and where they went, so the
	// advisor does not hand out a target that is already taken.
	Context []AdviceField `json:"context,omitempty"`
}

// AdviceTarget is one allowed target.
type AdviceTarget struct {
	Target      string `json:"target"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// AdviceField is one source field put to the advisor.
type AdviceField struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Samples    []string `json:"samples,omitempty"`
	Current    string   `json:"current_target,omitempty"`
	Confidence float64  `json:"current_confidence,omitempty"`
}

// Advice is an advisor's answer for one field: Target "" means the field
// maps to nothing.
type Advice struct {
	Field      string  `json:"field"`
	Target     string  `json:"target"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason,omitempty"`
}

// maxAdviceFields bounds one request.
const maxAdviceFields = 25

// advise asks the advisor about unsure fields and folds valid answers into
// res. Any failure leaves the heuristic answer standing.
func (m *Matcher) advise(ctx context.Context, tenant tenancy.ID, s drift.Schema, res *MatchResult, e *entityInfo) {
	req := AdviceRequest{Tenant: tenant, System: s.System, Object: s.Object, Entity: e.name}
	unsure := map[string]int{}
	for i, f := range res.Fields {
		af := AdviceField{Name: f.Source, Type: string(s.Fields[i].Type), Samples: firstSamples(s.Fields[i].Samples, 5),
			Current: f.Target, Confidence: f.Confidence}
		if f.Confidence < m.cfg.AdviseBelow && f.Provenance == canonical.ProvenanceHeuristic && len(req.Fields) < maxAdviceFields {
			unsure[f.Source] = i
			req.Fields = append(req.Fields, af)
		} else {
			af.Samples = nil
			req.Context = append(req.Context, af)
		}
	}
	if len(req.Fields) == 0 {
		return
	}
	valid := map[string]bool{}
	for _, t := range e.targets {
		req.Targets = append(req.Targets, AdviceTarget{Target: t.target, Type: string(t.field.Type), Description: t.field.Description})
		valid[t.target] = true
	}
	advice, err := m.cfg.Advisor.Advise(ctx, req)
	if err != nil {
		m.cfg.Logger.WarnContext(ctx, "repair: advisor failed; heuristic answers stand", "object", s.Object, "err", err)
		return
	}
	// Targets held by fields the advisor was not asked about stay theirs.
	taken := map[string]int{}
	for i, f := range res.Fields {
		if f.Target != "" {
			taken[f.Target] = i
		}
	}
	sort.SliceStable(advice, func(a, b int) bool { return advice[a].Confidence > advice[b].Confidence })
	done := map[string]bool{}
	for _, a := range advice {
		i, ok := unsure[a.Field]
		if !ok || done[a.Field] {
			continue
		}
		if a.Target != "" && !valid[a.Target] {
			m.cfg.Logger.WarnContext(ctx, "repair: advisor proposed an unknown target; ignored", "field", a.Field, "target", a.Target)
			continue
		}
		conf := min(0.9, max(0, a.Confidence))
		f := &res.Fields[i]
		if a.Target == f.Target {
			f.Confidence = round3(max(f.Confidence, 1-(1-f.Confidence)*(1-0.6*conf)))
			f.Evidence = append(f.Evidence, fmt.Sprintf("llm agrees (%.2f)", conf))
			done[a.Field] = true
			continue
		}
		if a.Target != "" {
			if j, held := taken[a.Target]; held && j != i {
				if _, otherUnsure := unsure[res.Fields[j].Source]; !otherUnsure || done[res.Fields[j].Source] {
					continue
				}
				other := &res.Fields[j]
				other.Evidence = append(other.Evidence, fmt.Sprintf("llm gave %s to %q", other.Target, f.Source))
				other.Target, other.Confidence, other.Provenance = "", 0.5, canonical.ProvenanceLLM
			}
		}
		if f.Target != "" {
			delete(taken, f.Target)
		}
		if a.Target != "" {
			taken[a.Target] = i
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("llm: %s (%.2f) %s", orNone(a.Target), conf, a.Reason))
		f.Target, f.Confidence, f.Provenance = a.Target, round3(0.9*conf), canonical.ProvenanceLLM
		done[a.Field] = true
	}
}

func orNone(t string) string {
	if t == "" {
		return "no target"
	}
	return t
}

func firstSamples(s []string, n int) []string {
	var out []string
	for _, v := range s {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if len(v) > 80 {
			v = v[:80]
		}
		out = append(out, v)
		if len(out) == n {
			break
		}
	}
	return out
}

// Usage counts an advisor's calls and tokens.
type Usage struct {
	Calls            int64 `json:"calls"`
	Failures         int64 `json:"failures"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	CacheHits        int64 `json:"cache_hits"`
}

// UsageRecorder receives an advisor's usage per tenant. Implementations
// must be safe for concurrent use.
type UsageRecorder interface {
	RecordUsage(ctx context.Context, tenant tenancy.ID, u Usage)
}

// UsageCounter is the in-memory [UsageRecorder]. The zero value is ready
// to use and safe for concurrent use.
type UsageCounter struct {
	mu sync.Mutex
	m  map[tenancy.ID]Usage
}

var _ UsageRecorder = (*UsageCounter)(nil)

// RecordUsage adds u to tenant's totals.
func (c *UsageCounter) RecordUsage(_ context.Context, tenant tenancy.ID, u Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[tenancy.ID]Usage{}
	}
	t := c.m[tenant]
	t.Calls += u.Calls
	t.Failures += u.Failures
	t.PromptTokens += u.PromptTokens
	t.CompletionTokens += u.CompletionTokens
	t.CacheHits += u.CacheHits
	c.m[tenant] = t
}

// Usage returns tenant's totals.
func (c *UsageCounter) Usage(tenant tenancy.ID) Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[tenant]
}
