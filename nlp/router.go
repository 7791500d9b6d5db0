package nlp

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
)

// RouterConfig tunes a [Router]. nil means defaults.
type RouterConfig struct {
	// Profiles are the personas to route between. Defaults to [Profiles]().
	Profiles []Profile
	// DescriptionWeight scales the cosine similarity between the question
	// and each persona's description and lexicon (0..1) against the
	// lexicon score (a sum of term weights). Defaults to 4.
	DescriptionWeight float64
	// Temperature of the softmax that turns scores into a confidence;
	// lower is more decisive. Defaults to 1.5.
	Temperature float64
	// Dim is the size of the hashed term vectors. Defaults to 2048.
	Dim int
	// Fallback is the persona chosen when a question has no term of any
	// persona. Defaults to [COO].
	Fallback Persona
	// Refiner, when set, is asked to confirm or change routes whose
	// confidence is below RefineBelow. Defaults to nil (no refinement).
	Refiner Refiner
	// RefineBelow is the confidence under which the Refiner is asked.
	// Defaults to 0.6.
	RefineBelow float64
	// Logger receives refiner failures. Defaults to slog.Default().
	Logger *slog.Logger
}

// Refiner refines a lexical route, typically with an LLM. It receives the
// question (already redacted) and the lexical route with its scores and
// returns the persona it prefers and its confidence in [0, 1].
// Implementations must be safe for concurrent use.
type Refiner interface {
	Refine(ctx context.Context, question string, lexical Route) (Persona, float64, error)
}

// RouteSource says what decided a route.
type RouteSource string

// The route sources.
const (
	SourceLexicon  RouteSource = "lexicon"  // term scores and description similarity
	SourceOverride RouteSource = "override" // RouteOptions.Override
	SourceRefiner  RouteSource = "refiner"  // the configured Refiner
	SourceFallback RouteSource = "fallback" // no signal; RouterConfig.Fallback
)

// RouteOptions are per-question options of [Router.Route].
type RouteOptions struct {
	// Override forces the persona (the user picked one); the scores are
	// still computed and reported.
	Override Persona
}

// Route is the outcome of routing one question.
type Route struct {
	Persona Persona
	// Confidence is the softmax probability of Persona over the scores
	// (1 for an override, the refiner's own value when it decided).
	Confidence float64
	// Margin is the softmax probability of the best persona minus that of
	// the runner-up: near 0 means the question is ambiguous.
	Margin float64
	// Scores are the raw scores per persona (lexicon + weighted
	// similarity).
	Scores map[Persona]float64
	// Terms are the lexicon terms that matched, per persona.
	Terms  map[Persona][]string
	Source RouteSource
	// RefinerErr is set when the Refiner failed and the lexical route was
	// kept.
	RefinerErr error
}

// Router classifies questions to personas. It is safe for concurrent use
// and immutable after [NewRouter].
type Router struct {
	cfg      RouterConfig
	profiles []Profile
	lex      []map[string]float64 // per profile, normalized terms
	desc     [][]float64          // per profile, hashed description vector
}

// NewRouter builds a Router from cfg (nil means defaults). It fails with
// [ErrInvalidConfig] naming the bad field.
func NewRouter(cfg *RouterConfig) (*Router, error) {
	var c RouterConfig
	if cfg != nil {
		c = *cfg
	}
	if len(c.Profiles) == 0 {
		c.Profiles = Profiles()
	}
	if c.DescriptionWeight == 0 {
		c.DescriptionWeight = 4
	}
	if c.Temperature == 0 {
		c.Temperature = 1.5
	}
	if c.Dim == 0 {
		c.Dim = 2048
	}
	if c.Fallback == "" {
		c.Fallback = COO
	}
	if c.RefineBelow == 0 {
		c.RefineBelow = 0.6
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.DescriptionWeight < 0:
		return nil, fmt.Errorf("%w: DescriptionWeight %v is negative", ErrInvalidConfig, c.DescriptionWeight)
	case c.Temperature < 0:
		return nil, fmt.Errorf("%w: Temperature %v is negative", ErrInvalidConfig, c.Temperature)
	case c.Dim < 16:
		return nil, fmt.Errorf("%w: Dim %d is below 16", ErrInvalidConfig, c.Dim)
	case c.RefineBelow < 0 || c.RefineBelow > 1:
		return nil, fmt.Errorf("%w: RefineBelow %v is outside [0, 1]", ErrInvalidConfig, c.RefineBelow)
	}
	r := &Router{cfg: c}
	seen := map[Persona]bool{}
	for i, p := range c.Profiles {
		if p.Persona == "" || seen[p.Persona] {
			return nil, fmt.Errorf("%w: Profiles[%d] has an empty or duplicate persona %q", ErrInvalidConfig, i, p.Persona)
		}
		seen[p.Persona] = true
		lex := make(map[string]float64, len(p.Lexicon))
		descTerms := terms(tokenize(p.Description))
		for term, w := range p.Lexicon {
			if w <= 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("%w: Profiles[%d].Lexicon[%q] = %v is not a positive weight", ErrInvalidConfig, i, term, w)
			}
			toks := tokenize(term)
			if len(toks) == 0 || len(toks) > 2 {
				return nil, fmt.Errorf("%w: Profiles[%d].Lexicon[%q] is not one or two words", ErrInvalidConfig, i, term)
			}
			key := strings.Join(toks, " ")
			lex[key] = max(lex[key], w)
			descTerms = append(descTerms, toks...)
		}
		r.profiles = append(r.profiles, p)
		r.lex = append(r.lex, lex)
		r.desc = append(r.desc, hashedVector(descTerms, c.Dim))
	}
	if !seen[c.Fallback] {
		return nil, fmt.Errorf("%w: Fallback %q is not among the profiles", ErrInvalidConfig, c.Fallback)
	}
	return r, nil
}

// Profile returns the router's profile of p.
func (r *Router) Profile(p Persona) (Profile, bool) {
	for _, pr := range r.profiles {
		if pr.Persona == p {
			return pr, true
		}
	}
	return Profile{}, false
}

// Route classifies question. An override in opts wins (and must name a
// known persona); otherwise the best score wins, the Refiner is asked
// when the confidence is low, and a question without any signal gets the
// fallback persona. Route fails with [ErrEmptyQuestion] for a question
// without words; a context error is returned as it is.
func (r *Router) Route(ctx context.Context, question string, opts *RouteOptions) (Route, error) {
	if err := ctx.Err(); err != nil {
		return Route{}, err
	}
	var o RouteOptions
	if opts != nil {
		o = *opts
	}
	if o.Override != "" {
		if _, ok := r.Profile(o.Override); !ok {
			return Route{}, fmt.Errorf("%w: override %q", ErrUnknownPersona, o.Override)
		}
	}
	toks := tokenize(question)
	if len(toks) == 0 && o.Override == "" {
		return Route{}, ErrEmptyQuestion
	}
	ts := terms(toks)
	qv := hashedVector(ts, r.cfg.Dim)
	rt := Route{Scores: make(map[Persona]float64, len(r.profiles)), Terms: map[Persona][]string{}}
	scores := make([]float64, len(r.profiles))
	signal := false
	for i, p := range r.profiles {
		lexScore := 0.0
		for _, t := range ts {
			if w, ok := r.lex[i][t]; ok {
				lexScore += w
				rt.Terms[p.Persona] = append(rt.Terms[p.Persona], t)
			}
		}
		sim := max(0, dot(qv, r.desc[i]))
		scores[i] = lexScore + r.cfg.DescriptionWeight*sim
		rt.Scores[p.Persona] = scores[i]
		if lexScore > 0 {
			signal = true
		}
	}
	probs := softmax(scores, r.cfg.Temperature)
	best, second := 0, -1
	for i := 1; i < len(probs); i++ {
		if probs[i] > probs[best] || probs[i] == probs[best] && r.profiles[i].Persona < r.profiles[best].Persona {
			best = i
		}
	}
	for i := range probs {
		if i != best && (second < 0 || probs[i] > probs[second]) {
			second = i
		}
	}
	rt.Persona, rt.Confidence, rt.Source = r.profiles[best].Persona, probs[best], SourceLexicon
	if second >= 0 {
		rt.Margin = probs[best] - probs[second]
	} else {
		rt.Margin = probs[best]
	}
	switch {
	case o.Override != "":
		rt.Persona, rt.Confidence, rt.Source = o.Override, 1, SourceOverride
		return rt, nil
	case !signal:
		rt.Persona, rt.Source = r.cfg.Fallback, SourceFallback
		rt.Confidence = probs[slices.IndexFunc(r.profiles, func(p Profile) bool { return p.Persona == r.cfg.Fallback })]
	}
	if r.cfg.Refiner != nil && rt.Confidence < r.cfg.RefineBelow {
		p, conf, err := r.cfg.Refiner.Refine(ctx, question, rt)
		switch {
		case err != nil && ctx.Err() != nil:
			return Route{}, ctx.Err()
		case err != nil:
			rt.RefinerErr = err
			r.cfg.Logger.WarnContext(ctx, "nlp: persona refiner failed; keeping the lexical route", "err", err)
		default:
			if _, ok := r.Profile(p); !ok {
				rt.RefinerErr = fmt.Errorf("%w: refiner returned %q", ErrUnknownPersona, p)
				break
			}
			rt.Persona, rt.Confidence, rt.Source = p, min(max(conf, 0), 1), SourceRefiner
		}
	}
	return rt, nil
}

// softmax of xs / t (t > 0), stable against overflow.
func softmax(xs []float64, t float64) []float64 {
	out := make([]float64, len(xs))
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	var sum float64
	for i, x := range xs {
		out[i] = math.Exp((x - m) / t)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
