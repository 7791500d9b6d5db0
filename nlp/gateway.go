package nlp

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/nlp/redact"
	"github.com/autonomos/autonomos/tenancy"
)

// CompletionRequest is what [Gateway] asks of an [LLM]: a system prompt
// and one user message, both already redacted.
type CompletionRequest struct {
	System    string
	User      string
	MaxTokens int
}

// Completion is an [LLM]'s answer and its token usage as the server
// reported it (zero when it did not).
type Completion struct {
	Text             string
	Model            string
	PromptTokens     int
	CompletionTokens int
}

// LLM completes a chat. Implementations wrap [ErrLLM] in their errors and
// must be safe for concurrent use;
// github.com/autonomos/autonomos/nlp/openaicompat talks to any
// OpenAI-compatible server.
type LLM interface {
	Complete(ctx context.Context, req CompletionRequest) (Completion, error)
}

// GatewayConfig configures [NewGateway]. The zero value is usable.
type GatewayConfig struct {
	// Router routes questions to personas. Defaults to NewRouter(nil).
	Router *Router
	// Redactor masks personal data before text reaches the LLM, the
	// embedder or a log. Defaults to redact.Default().
	Redactor *redact.Redactor
	// LLM answers from the passages. Defaults to nil: extractive answers.
	LLM LLM
	// Passages is how many passages are retrieved and cited. Defaults
	// to 5.
	Passages int
	// ContextTokens is the budget (by [EstimateTokens]) of the passages
	// sent to the LLM; passages past it are dropped. Defaults to 2000.
	ContextTokens int
	// MaxAnswerTokens is the completion limit asked of the LLM. Defaults
	// to 512.
	MaxAnswerTokens int
	// LLMTimeout bounds one LLM call; on timeout the answer is
	// extractive. Defaults to 30s.
	LLMTimeout time.Duration
	// Logger receives one line per question (counts and timings only,
	// never question text). Defaults to slog.Default().
	Logger *slog.Logger
	// Figures, when set, gives each answer the persona's figures from the
	// tenant's data ([Summarize]): they are shown in the answer, sent to
	// the LLM beside the passages, and make the extractive answer when no
	// passage answers. Defaults to nil: answers from knowledge only.
	Figures Figures
	// Now is the clock of the figures. Defaults to time.Now.
	Now func() time.Time
}

// Gateway answers a tenant's questions: it redacts, routes to a persona,
// retrieves from the [KB] and answers through the LLM or, without one or
// when it fails, extractively. A Gateway is safe for concurrent use.
type Gateway struct {
	kb  *KB
	cfg GatewayConfig
}

// NewGateway returns a gateway over kb; cfg may be nil.
func NewGateway(kb *KB, cfg *GatewayConfig) (*Gateway, error) {
	if kb == nil {
		return nil, fmt.Errorf("%w: kb is nil", ErrInvalidConfig)
	}
	var c GatewayConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Router == nil {
		r, err := NewRouter(nil)
		if err != nil {
			return nil, err
		}
		c.Router = r
	}
	if c.Redactor == nil {
		c.Redactor = redact.Default()
	}
	if c.Passages == 0 {
		c.Passages = 5
	}
	if c.Passages < 1 || c.Passages > 50 {
		return nil, configError("GatewayConfig.Passages", "1 to 50", c.Passages)
	}
	if c.ContextTokens == 0 {
		c.ContextTokens = 2000
	}
	if c.ContextTokens < 100 {
		return nil, configError("GatewayConfig.ContextTokens", "at least 100", c.ContextTokens)
	}
	if c.MaxAnswerTokens == 0 {
		c.MaxAnswerTokens = 512
	}
	if c.MaxAnswerTokens < 16 {
		return nil, configError("GatewayConfig.MaxAnswerTokens", "at least 16", c.MaxAnswerTokens)
	}
	if c.LLMTimeout == 0 {
		c.LLMTimeout = 30 * time.Second
	}
	if c.LLMTimeout < 0 {
		return nil, configError("GatewayConfig.LLMTimeout", "positive", c.LLMTimeout)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Gateway{kb: kb, cfg: c}, nil
}

// AskOptions tunes [Gateway.Ask]. The zero value (or nil) routes
// automatically and filters passages by the persona's scopes.
type AskOptions struct {
	// Persona overrides routing.
	Persona Persona
	// AllScopes searches every document, not only those tagged for the
	// persona (and untagged ones).
	AllScopes bool
}

// AnswerMode says how an answer was produced.
type AnswerMode string

// The answer modes.
const (
	AnswerLLM        AnswerMode = "llm"        // written by the LLM from the passages
	AnswerExtractive AnswerMode = "extractive" // sentences taken from the passages
)

// Source is a passage an answer is based on; N is its number in
// citations ("[2]").
type Source struct {
	N          int     `json:"n"`
	DocumentID string  `json:"document_id"`
	Seq        int     `json:"seq"`
	Title      string  `json:"title"`
	Text       string  `json:"text"`
	Score      float64 `json:"score"`
	// Cited is whether the answer refers to it.
	Cited bool `json:"cited"`
}

// Tokens counts the LLM tokens of an answer. Estimated is set when the
// server did not report usage and [EstimateTokens] was used.
type Tokens struct {
	Prompt     int  `json:"prompt"`
	Completion int  `json:"completion"`
	Total      int  `json:"total"`
	Estimated  bool `json:"estimated,omitempty"`
}

// Step reports one stage of [Gateway.Ask]: its name ("redact", "route",
// "retrieve", "llm", "extract", "restore"), its duration and a short
// detail without personal data.
type Step struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Detail   string        `json:"detail"`
}

// Answer is the result of [Gateway.Ask], with every step reported.
type Answer struct {
	// Text is the answer for the caller, with the caller's own values
	// restored in place of placeholders.
	Text string     `json:"text"`
	Mode AnswerMode `json:"mode"`
	// Persona, Confidence and RouteSource come from the [Router].
	Persona     Persona     `json:"persona"`
	Confidence  float64     `json:"confidence"`
	RouteSource RouteSource `json:"route_source"`
	Sources     []Source    `json:"sources"`
	// Redactions counts the values masked in the question; Masked adds
	// those masked in the passages and in the LLM's output.
	Redactions int    `json:"redactions"`
	Masked     int    `json:"masked"`
	Tokens     Tokens `json:"tokens"`
	// Fallback says why the answer is extractive although an LLM is
	// configured ("" otherwise).
	Fallback string `json:"fallback,omitempty"`
	// Figures are the persona's figures from the tenant's data when the
	// gateway has [GatewayConfig].Figures and they could be computed.
	Figures []Figure `json:"figures,omitempty"`
	Steps   []Step   `json:"steps"`
}

// Ask answers question for the tenant that ctx carries
// ([tenancy.FromContext]; [tenancy.ErrNoTenant] without one).
//
// The question is redacted first; only the redacted text is embedded,
// searched, routed and sent to the LLM, along with passages redacted with
// the same mapping. The LLM's output is scanned with
// [redact.Redaction.RedactOutput] (the masked form is what may be logged)
// and restored for the caller. Without an LLM, or when it fails or times
// out, the answer is extractive: the passage sentences that share the
// most words with the question, each with its citation. Errors come from
// the tenant, the question or retrieval only; an LLM failure is reported
// in [Answer].Fallback.
func (g *Gateway) Ask(ctx context.Context, question string, opts *AskOptions) (*Answer, error) {
	tenant, err := tenancy.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	var o AskOptions
	if opts != nil {
		o = *opts
	}
	if o.Persona != "" {
		if _, err := ParsePersona(string(o.Persona)); err != nil {
			return nil, err
		}
	}
	ans := &Answer{}
	step := func(name string, start time.Time, detail string) {
		ans.Steps = append(ans.Steps, Step{Name: name, Duration: time.Since(start), Detail: detail})
	}

	t0 := time.Now()
	rd := g.cfg.Redactor.Redact(question)
	ans.Redactions, ans.Masked = rd.Count, rd.Count
	step("redact", t0, rd.String())

	t0 = time.Now()
	rt, err := g.cfg.Router.Route(ctx, rd.Text, &RouteOptions{Override: o.Persona})
	if err != nil {
		return nil, err
	}
	ans.Persona, ans.Confidence, ans.RouteSource = rt.Persona, rt.Confidence, rt.Source
	step("route", t0, fmt.Sprintf("%s (%s, confidence %.2f)", rt.Persona, rt.Source, rt.Confidence))

	t0 = time.Now()
	so := &SearchOptions{K: g.cfg.Passages}
	if !o.AllScopes {
		so.Persona = rt.Persona
	}
	hits, err := g.kb.Search(ctx, tenant, rd.Text, so)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("%d passages", len(hits))
	if len(hits) == 0 && !o.AllScopes {
		// Nothing tagged for the persona: answer from everything rather
		// than from nothing.
		so.Persona = ""
		if hits, err = g.kb.Search(ctx, tenant, rd.Text, so); err != nil {
			return nil, err
		}
		detail = fmt.Sprintf("%d passages (none in the %s scope; searched all)", len(hits), rt.Persona)
	} else if !o.AllScopes {
		detail += " in the " + string(rt.Persona) + " scope"
	}
	budget := 0
	for i, h := range hits {
		budget += EstimateTokens(h.Text)
		if i > 0 && budget > g.cfg.ContextTokens {
			hits = hits[:i]
			break
		}
	}
	ans.Sources = make([]Source, len(hits))
	for i, h := range hits {
		ans.Sources[i] = Source{N: i + 1, DocumentID: h.DocumentID, Seq: h.Seq, Title: h.Title, Text: h.Text, Score: h.Score}
	}
	step("retrieve", t0, detail)

	var summary *Summary
	if g.cfg.Figures != nil {
		t0 = time.Now()
		s, err := Summarize(ctx, g.cfg.Figures, tenant, rt.Persona, g.cfg.Now().UTC())
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			// Missing data (no warehouse yet, a source not synced) must
			// not cost the question its answer from knowledge.
			step("figures", t0, "figures unavailable")
			g.cfg.Logger.WarnContext(ctx, "nlp: persona figures unavailable", "tenant", tenant, "persona", rt.Persona, "error", err)
		default:
			summary = &s
			ans.Figures = s.Figures
			step("figures", t0, fmt.Sprintf("%d %s figures", len(s.Figures), rt.Persona))
		}
	}

	if g.cfg.LLM != nil && (len(hits) > 0 || summary != nil) {
		if text, ok := g.askLLM(ctx, rd, rt.Persona, summary, ans); ok {
			ans.Text, ans.Mode = text, AnswerLLM
		}
	} else if g.cfg.LLM != nil {
		ans.Fallback = "no passages to answer from"
	}
	if ans.Mode == "" {
		t0 = time.Now()
		ans.Text = extractive(rd.Text, ans.Sources)
		if len(ans.Sources) == 0 && summary != nil && len(summary.Figures) > 0 {
			ans.Text = "No passage of the knowledge base answers this; the " + strings.ToUpper(string(rt.Persona)) + " figures from your data:\n" + summary.String()
		}
		ans.Mode = AnswerExtractive
		step("extract", t0, fmt.Sprintf("%d sources cited", countCited(ans.Sources)))
	}
	g.cfg.Logger.InfoContext(ctx, "nlp: question answered", "tenant", tenant, "persona", ans.Persona,
		"mode", ans.Mode, "sources", len(ans.Sources), "redactions", ans.Redactions, "tokens", ans.Tokens.Total, "fallback", ans.Fallback)
	return ans, nil
}

// askLLM asks the LLM and returns the restored answer, or false after
// recording why not.
func (g *Gateway) askLLM(ctx context.Context, rd *redact.Redaction, p Persona, summary *Summary, ans *Answer) (string, bool) {
	t0 := time.Now()
	prof, _ := g.cfg.Router.Profile(p)
	var b strings.Builder
	if summary != nil && len(summary.Figures) > 0 {
		// Figures are aggregates (no personal values), but they pass the
		// same output redaction as passages.
		text, n := rd.RedactOutput(summary.String())
		ans.Masked += n
		b.WriteString("Figures from the tenant's data:\n")
		b.WriteString(text)
		b.WriteString("\n")
	}
	b.WriteString("Passages:\n")
	passageMasked := 0
	for _, s := range ans.Sources {
		text, n := rd.RedactOutput(s.Text)
		title, m := rd.RedactOutput(s.Title)
		passageMasked += n + m
		fmt.Fprintf(&b, "[%d] %s\n%s\n\n", s.N, title, text)
	}
	fmt.Fprintf(&b, "Question: %s", rd.Text)
	req := CompletionRequest{
		System:    prof.SystemPrompt + " Cite the passages you use by their number in brackets, like [1].",
		User:      b.String(),
		MaxTokens: g.cfg.MaxAnswerTokens,
	}
	ans.Masked += passageMasked
	cctx, cancel := context.WithTimeout(ctx, g.cfg.LLMTimeout)
	defer cancel()
	c, err := g.cfg.LLM.Complete(cctx, req)
	if err == nil && strings.TrimSpace(c.Text) == "" {
		err = fmt.Errorf("%w: empty answer", ErrLLM)
	}
	if err != nil {
		reason := "llm failed"
		if cctx.Err() != nil && ctx.Err() == nil {
			reason = "llm timed out"
		}
		ans.Fallback = reason
		ans.Steps = append(ans.Steps, Step{Name: "llm", Duration: time.Since(t0), Detail: reason})
		g.cfg.Logger.WarnContext(ctx, "nlp: llm failed, answering extractively", "error", err)
		return "", false
	}
	ans.Tokens = Tokens{Prompt: c.PromptTokens, Completion: c.CompletionTokens}
	if c.PromptTokens == 0 && c.CompletionTokens == 0 {
		ans.Tokens = Tokens{Prompt: EstimateTokens(req.System) + EstimateTokens(req.User), Completion: EstimateTokens(c.Text), Estimated: true}
	}
	ans.Tokens.Total = ans.Tokens.Prompt + ans.Tokens.Completion
	ans.Steps = append(ans.Steps, Step{Name: "llm", Duration: time.Since(t0),
		Detail: fmt.Sprintf("%s, %d tokens, %d passage values masked", c.Model, ans.Tokens.Total, passageMasked)})

	t0 = time.Now()
	masked, n := rd.RedactOutput(c.Text)
	ans.Masked += n
	markCited(masked, ans.Sources)
	out := rd.Restore(masked)
	ans.Steps = append(ans.Steps, Step{Name: "restore", Duration: time.Since(t0), Detail: fmt.Sprintf("%d output values masked, %d sources cited", n, countCited(ans.Sources))})
	return out, true
}

var citeRE = regexp.MustCompile(`\[(\d{1,2})(?:\s*,\s*(\d{1,2}))*\]`)

// markCited sets Cited on the sources text refers to as [n] or [n, m].
func markCited(text string, srcs []Source) {
	for _, m := range citeRE.FindAllString(text, -1) {
		for _, f := range strings.FieldsFunc(m, func(r rune) bool { return r == '[' || r == ']' || r == ',' || r == ' ' }) {
			if n, err := strconv.Atoi(f); err == nil && n >= 1 && n <= len(srcs) {
				srcs[n-1].Cited = true
			}
		}
	}
}

func countCited(srcs []Source) int {
	n := 0
	for _, s := range srcs {
		if s.Cited {
			n++
		}
	}
	return n
}

// extractive answers with up to three sentences of the sources that share
// the most question words (ties: the better-ranked source, then the
// earlier sentence), each followed by its citation, and marks them cited.
func extractive(question string, srcs []Source) string {
	if len(srcs) == 0 {
		return "The knowledge base has no passage that answers this question."
	}
	qs := map[string]bool{}
	for _, w := range tokenize(question) {
		qs[w] = true
	}
	type cand struct {
		src, pos int
		text     string
		score    float64
	}
	var cs []cand
	for i, s := range srcs {
		for j, sent := range sentences(s.Text) {
			seen := map[string]bool{}
			var sc float64
			for _, w := range tokenize(sent) {
				if qs[w] && !seen[w] {
					seen[w] = true
					sc++
				}
			}
			// A small bonus for the better-ranked source.
			sc += 0.25 / float64(i+1)
			cs = append(cs, cand{i, j, sent, sc})
		}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].score > cs[b].score })
	if len(cs) > 3 {
		cs = cs[:3]
	}
	// Keep sentences whose score is at least half the best.
	best := cs[0].score
	cs = slices.DeleteFunc(cs, func(c cand) bool { return c.score < best/2 })
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s [%d]", c.text, srcs[c.src].N)
		srcs[c.src].Cited = true
	}
	return b.String()
}

// sentences splits text after '.', '!' or '?' followed by a space, and at
// paragraph breaks.
func sentences(text string) []string {
	var out []string
	for _, para := range strings.Split(text, "\n\n") {
		start := 0
		for i := 0; i < len(para); i++ {
			c := para[i]
			if (c == '.' || c == '!' || c == '?') && (i+1 == len(para) || para[i+1] == ' ') {
				if s := strings.TrimSpace(para[start : i+1]); s != "" {
					out = append(out, s)
				}
				start = i + 1
			}
		}
		if s := strings.TrimSpace(para[start:]); s != "" {
			out = append(out, s)
		}
	}
	return out
}
