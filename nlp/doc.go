// Package nlp answers persona questions (CRO, CFO, COO, CTO) over a
// tenant's data and knowledge: persona routing and persona summaries here,
// PII redaction in [github.com/autonomos/autonomos/nlp/redact]; the tenant
// knowledge base with hybrid retrieval and the LLM gateway are still to
// come (see the project issues).
//
// # Personas
//
// [Profiles] describes the four personas: a title, a description, a
// weighted lexicon, the system prompt for the LLM and the data [Scope]s
// each looks at first (CRO: pipeline and opportunities; CFO: invoices and
// revenue; COO: activities and operations; CTO: connections, drift and
// system health).
//
// # Routing
//
//	r, _ := nlp.NewRouter(nil)
//	rt, err := r.Route(ctx, "Which invoices are overdue?", nil)
//	// rt.Persona == nlp.CFO, rt.Confidence, rt.Margin, rt.Scores, rt.Terms
//
// A question is lower-cased, split into words, stripped of stop words and
// lightly stemmed ("opportunities" -> "opportunity"); its words and word
// pairs are scored against each persona's lexicon (sum of weights) plus
// the cosine similarity between feature-hashed vectors of the question and
// of the persona's description and lexicon. A softmax over the scores
// gives the confidence and the margin to the runner-up. An explicit
// [RouteOptions].Override wins; a question without any lexicon term gets
// [RouterConfig].Fallback; a [Refiner] (an LLM, later) is asked when the
// confidence is below [RouterConfig].RefineBelow, and its failure keeps
// the lexical route.
//
// # Summaries
//
// [Summarize] computes the few figures a persona cares about (pipeline by
// stage and win rate; open and overdue invoices; activity counts;
// connection health and drift) through the small [Figures] interface,
// which nlp defines and hostd implements over dcl's unified views, so nlp
// does not import dcl. [MemoryFigures] is an in-memory implementation for
// tests and examples. Amounts are [github.com/shopspring/decimal] values.
//
// # Errors and concurrency
//
// Errors are [ErrUnknownPersona], [ErrEmptyQuestion], [ErrInvalidConfig]
// and [ErrNoFigures], wrapped with context; context errors come back as
// they are. [Router] and [MemoryFigures] are safe for concurrent use.
//
// # Testing
//
// testdata/routing.jsonl holds 80 labelled questions written with the
// lexicon; TestRoutingAccuracy prints accuracy and the confusion matrix.
// testdata/routing_holdout.jsonl holds 24 questions written afterwards and
// not used for tuning; TestRoutingHoldout prints its accuracy.
package nlp
