package nlp_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/internal/fakeopenai"
	"github.com/autonomos/autonomos/nlp/kbtest"
	"github.com/autonomos/autonomos/nlp/memkb"
	"github.com/autonomos/autonomos/nlp/openaicompat"
	"github.com/autonomos/autonomos/tenancy"
)

var gwTenant = tenancy.MustParse("33333333-3333-4333-8333-333333333333")

// newGateway loads kbtest's corpus (plus a document holding an e-mail
// address) into a memkb through emb and returns a gateway with llm.
func newGateway(t *testing.T, emb nlp.Embedder, llm nlp.LLM) *nlp.Gateway {
	t.Helper()
	kb, err := nlp.NewKB(memkb.New(), &nlp.KBConfig{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := kbtest.Corpus()
	docs = append(docs, nlp.Document{ID: "finance/contacts", Title: "Collections contact", Tags: []string{"cfo"},
		Text: "Questions about overdue invoices go to the collections desk at collections@acme.example, who call customers after 45 days."})
	ctx := context.Background()
	for _, d := range docs {
		if _, err := kb.Add(ctx, gwTenant, d); err != nil {
			t.Fatal(err)
		}
	}
	g, err := nlp.NewGateway(kb, &nlp.GatewayConfig{LLM: llm, LLMTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func stepNames(a *nlp.Answer) []string {
	var out []string
	for _, s := range a.Steps {
		out = append(out, s.Name)
	}
	return out
}

func TestAskExtractive(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil, nil)
	ctx := tenancy.WithTenant(context.Background(), gwTenant)
	a, err := g.Ask(ctx, "When does an unpaid invoice go to collections? Reply to jane.doe@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != nlp.AnswerExtractive || a.Persona != nlp.CFO || a.RouteSource != nlp.SourceLexicon || a.Confidence <= 0.25 {
		t.Fatalf("answer = %+v, want extractive, routed to cfo", a)
	}
	if a.Redactions != 1 || a.Tokens.Total != 0 || a.Fallback != "" {
		t.Fatalf("redactions %d, tokens %+v, fallback %q; want 1, 0, none", a.Redactions, a.Tokens, a.Fallback)
	}
	if !slices.Equal(stepNames(a), []string{"redact", "route", "retrieve", "extract"}) {
		t.Fatalf("steps = %v", stepNames(a))
	}
	if len(a.Sources) == 0 || a.Sources[0].N != 1 {
		t.Fatalf("sources = %+v", a.Sources)
	}
	var cited []string
	for _, s := range a.Sources {
		if s.Cited {
			cited = append(cited, s.DocumentID)
		}
		if !slices.Contains([]string{"policy/invoicing", "policy/expenses", "finance/revenue-recognition", "finance/contacts", "sales/commission",
			"hr/vacation", "hr/remote-work", "company/office"}, s.DocumentID) {
			t.Fatalf("source %s is outside the CFO scope and not general", s.DocumentID)
		}
	}
	if !slices.Contains(cited, "policy/invoicing") || !strings.Contains(a.Text, "escalated to collections") || !strings.Contains(a.Text, "[") {
		t.Fatalf("answer %q (cited %v) does not quote the invoicing policy with a citation", a.Text, cited)
	}
	if strings.Contains(a.Text, "jane.doe") {
		t.Fatalf("answer echoes the question's e-mail address: %q", a.Text)
	}
}

func TestAskLLM(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	srv.Answer = func(system, user string) (string, bool) {
		// Echo the placeholder of the asker's address and invent one.
		q := user[strings.Index(user, "Question:"):]
		ph := q[strings.Index(q, "[EMAIL_"):][:len("[EMAIL_1]")]
		return "Unpaid invoices go to collections after 45 days [1]. I will write to " + ph + " and copy ceo@acme.example [2].", true
	}
	emb, err := openaicompat.NewEmbedder(&openaicompat.EmbedderConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	llm, err := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}})
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, emb, llm)
	ctx := tenancy.WithTenant(context.Background(), gwTenant)
	q := "When does an unpaid invoice go to collections? Answer to jane.doe@example.com, card 4111 1111 1111 1111"
	a, err := g.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != nlp.AnswerLLM || a.Persona != nlp.CFO || a.Fallback != "" {
		t.Fatalf("answer = %+v, want an LLM answer for the cfo", a)
	}
	if a.Tokens != (nlp.Tokens{Prompt: 123, Completion: 45, Total: 168}) {
		t.Fatalf("tokens = %+v, want the server's usage", a.Tokens)
	}
	if a.Redactions != 2 || a.Masked < 4 {
		t.Fatalf("redactions %d, masked %d; want 2 in the question and the passage and output e-mails masked too", a.Redactions, a.Masked)
	}
	if !strings.Contains(a.Text, "jane.doe@example.com") || !strings.Contains(a.Text, "ceo@acme.example") || strings.Contains(a.Text, "[EMAIL_") {
		t.Fatalf("answer %q: want the caller's values restored", a.Text)
	}
	if !a.Sources[0].Cited || !a.Sources[1].Cited || (len(a.Sources) > 2 && a.Sources[2].Cited) {
		t.Fatalf("cited flags = %+v, want [1] and [2] only", a.Sources)
	}
	if !slices.Equal(stepNames(a), []string{"redact", "route", "retrieve", "llm", "restore"}) {
		t.Fatalf("steps = %v", stepNames(a))
	}
	// Nothing personal left this process: not in embeddings input, not in
	// the chat messages.
	sawQuestion := false
	for _, in := range srv.Received() {
		for _, secret := range []string{"jane.doe", "4111", "collections@acme.example"} {
			if strings.Contains(in, secret) {
				t.Fatalf("the server received %q in %q", secret, in)
			}
		}
		sawQuestion = sawQuestion || strings.Contains(in, "Question: When does an unpaid invoice go to collections? Answer to [EMAIL_")
	}
	if !sawQuestion {
		t.Fatal("the redacted question did not reach the LLM")
	}
}

func TestAskLLMFailureFallsBack(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	srv.Answer = func(system, user string) (string, bool) { return "", false }
	llm, _ := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}})
	g := newGateway(t, nil, llm)
	ctx := tenancy.WithTenant(context.Background(), gwTenant)
	a, err := g.Ask(ctx, "How long are database backups kept?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != nlp.AnswerExtractive || a.Fallback != "llm failed" || a.Persona != nlp.CTO {
		t.Fatalf("answer = %+v, want an extractive fallback for the cto", a)
	}
	if !strings.Contains(a.Text, "35 days") || !slices.Equal(stepNames(a), []string{"redact", "route", "retrieve", "llm", "extract"}) {
		t.Fatalf("answer %q, steps %v", a.Text, stepNames(a))
	}
	// An override and AllScopes.
	a, err = g.Ask(ctx, "How long are database backups kept?", &nlp.AskOptions{Persona: nlp.COO, AllScopes: true})
	if err != nil || a.Persona != nlp.COO || a.RouteSource != nlp.SourceOverride || a.Sources[0].DocumentID != "it/backups" {
		t.Fatalf("override: %+v, %v", a, err)
	}
}

func TestAskErrors(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil, nil)
	if _, err := g.Ask(context.Background(), "hello invoices", nil); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Fatalf("no tenant: %v", err)
	}
	ctx := tenancy.WithTenant(context.Background(), gwTenant)
	if _, err := g.Ask(ctx, "   ", nil); err == nil {
		t.Fatal("empty question accepted")
	}
	if _, err := g.Ask(ctx, "invoices", &nlp.AskOptions{Persona: "ceo"}); !errors.Is(err, nlp.ErrUnknownPersona) {
		t.Fatalf("unknown persona: %v", err)
	}
	other := tenancy.WithTenant(context.Background(), tenancy.MustParse("44444444-4444-4444-8444-444444444444"))
	a, err := g.Ask(other, "When does an unpaid invoice go to collections?", nil)
	if err != nil || len(a.Sources) != 0 || !strings.Contains(a.Text, "no passage") {
		t.Fatalf("another tenant got %+v, %v; want no sources", a, err)
	}
}
