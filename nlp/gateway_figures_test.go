package nlp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/internal/fakeopenai"
	"github.com/autonomos/autonomos/nlp/memkb"
	"github.com/autonomos/autonomos/nlp/openaicompat"
	"github.com/autonomos/autonomos/tenancy"
)

var figuresNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func figuresGateway(t *testing.T, f nlp.Figures, llm nlp.LLM) *nlp.Gateway {
	t.Helper()
	kb, err := nlp.NewKB(memkb.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := nlp.NewGateway(kb, &nlp.GatewayConfig{Figures: f, LLM: llm, Now: func() time.Time { return figuresNow }})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func pipelineData() nlp.TenantData {
	return nlp.TenantData{Deals: []nlp.Deal{
		{Stage: "Proposal", Amount: decimal.RequireFromString("1200.50")},
		{Stage: "Negotiation", Amount: decimal.RequireFromString("800")},
	}}
}

// TestAskAnswersFromFigures: with no passage in the knowledge base, the
// extractive answer gives the persona's figures from the tenant's data,
// and they ride on the answer; another tenant's data never does.
func TestAskAnswersFromFigures(t *testing.T) {
	t.Parallel()
	figs := &nlp.MemoryFigures{}
	figs.Set(gwTenant, pipelineData())
	g := figuresGateway(t, figs, nil)

	a, err := g.Ask(tenancy.WithTenant(context.Background(), gwTenant), "What is our open pipeline by stage?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Persona != nlp.CRO || len(a.Sources) != 0 {
		t.Fatalf("answer %+v: want the CRO with no passages", a)
	}
	total, ok := nlp.Summary{Figures: a.Figures}.Figure("pipeline.total")
	if !ok || !total.Value.Equal(decimal.RequireFromString("2000.50")) {
		t.Fatalf("figures %+v: want pipeline.total 2000.50", a.Figures)
	}
	if !strings.Contains(a.Text, "2000.50") || !strings.Contains(a.Text, "CRO") {
		t.Fatalf("answer text %q: want the figures", a.Text)
	}
	if !hasStep(a, "figures") {
		t.Fatalf("steps %v: want a figures step", stepNames(a))
	}

	other := tenancy.MustParse("44444444-4444-4444-8444-444444444444")
	b, err := g.Ask(tenancy.WithTenant(context.Background(), other), "What is our open pipeline by stage?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if total, _ := (nlp.Summary{Figures: b.Figures}).Figure("pipeline.total"); !total.Value.IsZero() || strings.Contains(b.Text, "2000.50") {
		t.Fatalf("another tenant's answer shows this tenant's pipeline: %+v", b)
	}
}

type brokenFigures struct{ nlp.MemoryFigures }

func (*brokenFigures) PipelineByStage(context.Context, tenancy.ID) ([]nlp.StageTotal, error) {
	return nil, errors.New("warehouse not ready")
}

// TestAskWithoutFiguresStillAnswers: figures that cannot be computed cost
// the question nothing but the figures.
func TestAskWithoutFiguresStillAnswers(t *testing.T) {
	t.Parallel()
	g := figuresGateway(t, &brokenFigures{}, nil)
	a, err := g.Ask(tenancy.WithTenant(context.Background(), gwTenant), "What is our open pipeline by stage?", nil)
	if err != nil {
		t.Fatalf("Ask failed because the figures did: %v", err)
	}
	if len(a.Figures) != 0 || a.Mode != nlp.AnswerExtractive || !hasStep(a, "figures") {
		t.Fatalf("answer %+v: want no figures, an extractive answer and the figures step reported", a)
	}
}

// TestAskSendsFiguresToTheLLM: the LLM gets the figures even when no
// passage matched, and answers.
func TestAskSendsFiguresToTheLLM(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	var got string
	srv.Answer = func(system, user string) (string, bool) {
		got = user
		return "Open pipeline is 2000.50.", true
	}
	llm, err := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}})
	if err != nil {
		t.Fatal(err)
	}
	figs := &nlp.MemoryFigures{}
	figs.Set(gwTenant, pipelineData())
	g := figuresGateway(t, figs, llm)
	a, err := g.Ask(tenancy.WithTenant(context.Background(), gwTenant), "What is our open pipeline?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != nlp.AnswerLLM || !strings.Contains(got, "Figures from the tenant's data") || !strings.Contains(got, "2000.50") {
		t.Fatalf("mode %s, LLM input %q: want the figures sent and an LLM answer", a.Mode, got)
	}
}

func hasStep(a *nlp.Answer, name string) bool {
	for _, s := range a.Steps {
		if s.Name == name {
			return true
		}
	}
	return false
}
