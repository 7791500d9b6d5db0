// Package nlp answers persona questions (CRO, CFO, COO, CTO) over a
// tenant's data and knowledge: persona routing and persona summaries here,
// PII redaction in [github.com/autonomos/autonomos/nlp/redact], the tenant
// knowledge base with hybrid retrieval ([KB], with drivers nlp/memkb and
// nlp/pgvectorkb) and the LLM gateway ([Gateway]).
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
//
// # Knowledge base
//
// A [KB] holds each tenant's documents over a small [KBStore] driver:
// nlp/memkb (in memory: exact cosine and BM25; the embedded default) and
// nlp/pgvectorkb (PostgreSQL + pgvector: HNSW with cosine distance, a
// generated tsvector under GIN, row-level security per tenant). Both pass
// the conformance suite nlp/kbtest, which also holds a labelled question
// set for recall@5.
//
//	kb, _ := nlp.NewKB(memkb.New(), nil)
//	kb.Add(ctx, tenant, nlp.Document{ID: "terms", Title: "Payment terms", Text: text, Tags: []string{"invoices"}})
//	hits, err := kb.Search(ctx, tenant, "when are invoices due?", &nlp.SearchOptions{Persona: nlp.CFO})
//
// [KB.Add] splits a document into chunks by paragraph ([SplitChunks]):
// paragraphs are packed while they fit a token budget (256 by default),
// longer ones are cut between words with an overlap (32). Tokens are
// estimated without a vocabulary by [EstimateTokens]: the larger of
// words plus punctuation marks and bytes/4. Chunks (with their title)
// are embedded by an [Embedder]: [HashEmbedder] by default (feature
// hashing of words, word pairs and character trigrams into 384
// dimensions, L2-normalized, deterministic, no network), or
// nlp/openaicompat for any OpenAI-compatible embeddings endpoint; text
// for a remote embedder is redacted first ([KBConfig].Redactor).
//
// [KB.Search] is hybrid by default: the best [KBConfig].Candidates chunks
// by vector similarity and by full text are fused by reciprocal rank
// fusion ([FuseRRF], k = 60). Documents are tagged with persona names or
// data [Scope]s; [SearchOptions].Persona keeps the documents tagged for
// that persona or its scopes, plus untagged (general) documents.
//
// # Gateway
//
// [Gateway.Ask] answers a question for the tenant in the context:
// redact (nlp/redact), route ([Router]), retrieve ([KB.Search] in the
// persona's scope, all documents when the scope has none), then answer.
// With an [LLM] configured the redacted question and the passages,
// redacted with the same mapping, go to the model with the persona's
// system prompt; its output is scanned with RedactOutput and restored
// for the caller, and the sources it cites as [n] are marked. Without an
// LLM, or when it fails or times out, the answer is extractive: the
// passage sentences sharing the most words with the question, each with
// its citation. The [Answer] reports the persona and confidence, the
// sources with ids, redaction counts, tokens, the fallback reason and
// each step with its duration.
//
// Further errors: [ErrDocumentNotFound], [ErrInvalidDocument],
// [ErrEmptyQuery], [ErrEmbedding] (and [*DimensionError]) and [ErrLLM].
// [KB] and [Gateway] are safe for concurrent use.
package nlp
