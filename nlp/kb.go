package nlp

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/autonomos/autonomos/nlp/redact"
	"github.com/autonomos/autonomos/tenancy"
)

// Document is a tenant's knowledge-base document.
type Document struct {
	// ID is chosen by the caller (a URL, a file path, a record id): 1 to
	// 256 bytes of valid UTF-8 without control characters. Adding a
	// document with an existing ID replaces it.
	ID string
	// Title is shown with citations; it is searched with the text.
	Title string
	// Text is the content; it is split into chunks by [SplitChunks].
	Text string
	// Tags restrict which questions the document answers: persona names
	// ("cfo") or data scopes ("invoices"), lower-cased. A document
	// without tags is general and matches every filter.
	Tags []string
	// Metadata is kept with the document and returned by List.
	Metadata map[string]string
	// Added is set by [KB.Add].
	Added time.Time
	// Chunks is the number of chunks, set by [KB.Add].
	Chunks int
}

// StoredChunk is a chunk as a [KBStore] keeps it.
type StoredChunk struct {
	// DocumentID and Seq (0-based, in document order) identify it.
	DocumentID string
	Seq        int
	// Title is the document's title.
	Title string
	// Text is the chunk text; stores index it for full-text search.
	Text string
	// Tags are the document's tags (normalized).
	Tags []string
	// Embedding is the chunk's vector.
	Embedding []float32
}

// Filter restricts a search. The zero value matches everything.
type Filter struct {
	// Tags, when not empty, keep chunks of documents that carry at least
	// one of them, or carry no tag at all (general documents).
	Tags []string
}

// Matches reports whether a chunk with tags passes f. Drivers may use it.
func (f Filter) Matches(tags []string) bool {
	if len(f.Tags) == 0 || len(tags) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(f.Tags, t) {
			return true
		}
	}
	return false
}

// ChunkHit is a chunk found by a store search, with the store's score
// (cosine similarity for vector search, a text-rank for full text; only
// the order matters).
type ChunkHit struct {
	Chunk StoredChunk
	Score float64
}

// KBStore is the driver interface of a knowledge-base store; users call
// [KB], which validates, chunks, embeds and fuses, and drivers stay
// small. Every method is scoped to one tenant and must never see or
// change another tenant's rows. Implementations must be safe for
// concurrent use. nlp/kbtest checks a driver; nlp/memkb and
// nlp/pgvectorkb are the drivers of this module.
type KBStore interface {
	// Put stores doc (its ID, Title, Tags, Metadata, Added, Chunks) and
	// its chunks, replacing a document with the same ID and all of its
	// chunks, atomically.
	Put(ctx context.Context, tenant tenancy.ID, doc Document, chunks []StoredChunk) error
	// List returns the tenant's documents (Text empty) ordered by ID.
	List(ctx context.Context, tenant tenancy.ID) ([]Document, error)
	// Delete removes a document and its chunks, or returns an error
	// wrapping [ErrDocumentNotFound].
	Delete(ctx context.Context, tenant tenancy.ID, id string) error
	// SearchVector returns up to k chunks passing filter, nearest to vec
	// by cosine distance first (Score = cosine similarity). It may be
	// approximate.
	SearchVector(ctx context.Context, tenant tenancy.ID, vec []float32, k int, filter Filter) ([]ChunkHit, error)
	// SearchText returns up to k chunks passing filter that match any
	// word of query, best full-text rank first.
	SearchText(ctx context.Context, tenant tenancy.ID, query string, k int, filter Filter) ([]ChunkHit, error)
}

// KBConfig configures [NewKB]. The zero value is usable.
type KBConfig struct {
	// Embedder embeds chunks and queries. Defaults to a [HashEmbedder]
	// of dimension 384.
	Embedder Embedder
	// Redactor masks personal data in the texts given to the Embedder
	// (chunks at Add, queries at Search); stored text is not changed.
	// Defaults to redact.Default() when Embedder is set to anything but
	// a [HashEmbedder] (a remote service), and to no masking for the
	// local default.
	Redactor *redact.Redactor
	// Chunking sets the chunk budget and overlap. Defaults to the
	// [ChunkConfig] defaults (256 tokens, 32 overlap).
	Chunking ChunkConfig
	// RRFK is the k of reciprocal rank fusion: a chunk at rank r (from 1)
	// in a list scores 1/(RRFK+r). Defaults to 60.
	RRFK int
	// Candidates is how many candidates each of vector and full-text
	// search contributes to the fusion, at least the requested k.
	// Defaults to 40.
	Candidates int
	// Logger receives debug lines. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock for Document.Added. Defaults to time.Now.
	Now func() time.Time
}

// KB is a tenant-scoped knowledge base over a [KBStore]: it validates and
// chunks documents, embeds chunks and queries, and fuses vector and
// full-text results. A KB is safe for concurrent use; it does not own the
// store (close the store yourself).
type KB struct {
	store KBStore
	cfg   KBConfig
}

// NewKB returns a KB over store; cfg may be nil.
func NewKB(store KBStore, cfg *KBConfig) (*KB, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: store is nil", ErrInvalidConfig)
	}
	var c KBConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Embedder == nil {
		c.Embedder, _ = NewHashEmbedder(384)
	}
	if _, local := c.Embedder.(*HashEmbedder); !local && c.Redactor == nil {
		c.Redactor = redact.Default()
	}
	c.Chunking = c.Chunking.withDefaults()
	if err := c.Chunking.validate(); err != nil {
		return nil, err
	}
	if c.RRFK == 0 {
		c.RRFK = 60
	}
	if c.RRFK < 1 {
		return nil, configError("KBConfig.RRFK", "at least 1", c.RRFK)
	}
	if c.Candidates == 0 {
		c.Candidates = 40
	}
	if c.Candidates < 1 || c.Candidates > 1000 {
		return nil, configError("KBConfig.Candidates", "1 to 1000", c.Candidates)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &KB{store: store, cfg: c}, nil
}

// Embedder returns the embedder in use.
func (kb *KB) Embedder() Embedder { return kb.cfg.Embedder }

// Add chunks, embeds and stores doc for tenant, replacing a document with
// the same ID. It returns the stored document (Text empty, Added and
// Chunks set).
func (kb *KB) Add(ctx context.Context, tenant tenancy.ID, doc Document) (Document, error) {
	if err := tenant.Validate(); err != nil {
		return Document{}, err
	}
	if err := validateDocID(doc.ID); err != nil {
		return Document{}, err
	}
	if !utf8.ValidString(doc.Title) || len(doc.Title) > 1024 {
		return Document{}, fmt.Errorf("%w: document %q: Title is not valid UTF-8 of at most 1024 bytes", ErrInvalidDocument, doc.ID)
	}
	if !utf8.ValidString(doc.Text) {
		return Document{}, fmt.Errorf("%w: document %q: Text is not valid UTF-8", ErrInvalidDocument, doc.ID)
	}
	tags, err := normalizeTags(doc.Tags)
	if err != nil {
		return Document{}, fmt.Errorf("%w: document %q: %v", ErrInvalidDocument, doc.ID, err)
	}
	texts, err := SplitChunks(doc.Text, &kb.cfg.Chunking)
	if err != nil {
		return Document{}, err
	}
	if len(texts) == 0 {
		return Document{}, fmt.Errorf("%w: document %q: Text has no words", ErrInvalidDocument, doc.ID)
	}
	// The title is embedded with each chunk so that a chunk far from the
	// heading still carries the document's subject.
	inputs := make([]string, len(texts))
	for i, t := range texts {
		inputs[i] = doc.Title + "\n\n" + t
	}
	vecs, err := kb.embed(ctx, inputs)
	if err != nil {
		return Document{}, fmt.Errorf("nlp: add %q: %w", doc.ID, err)
	}
	chunks := make([]StoredChunk, len(texts))
	for i, t := range texts {
		chunks[i] = StoredChunk{DocumentID: doc.ID, Seq: i, Title: doc.Title, Text: t, Tags: tags, Embedding: vecs[i]}
	}
	stored := Document{
		ID: doc.ID, Title: doc.Title, Tags: tags, Metadata: doc.Metadata,
		Added: kb.cfg.Now().UTC().Truncate(time.Microsecond), Chunks: len(chunks),
	}
	if err := kb.store.Put(ctx, tenant, stored, chunks); err != nil {
		return Document{}, err
	}
	kb.cfg.Logger.DebugContext(ctx, "nlp: document added", "tenant", tenant, "document", doc.ID, "chunks", len(chunks))
	return stored, nil
}

// List returns the tenant's documents ordered by ID.
func (kb *KB) List(ctx context.Context, tenant tenancy.ID) ([]Document, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	return kb.store.List(ctx, tenant)
}

// Delete removes a document of tenant and its chunks; a missing document
// gives an error wrapping [ErrDocumentNotFound].
func (kb *KB) Delete(ctx context.Context, tenant tenancy.ID, id string) error {
	if err := tenant.Validate(); err != nil {
		return err
	}
	if err := validateDocID(id); err != nil {
		return err
	}
	return kb.store.Delete(ctx, tenant, id)
}

// SearchOptions tunes [KB.Search]. The zero value (or nil) means hybrid
// search for 5 results without a filter.
type SearchOptions struct {
	// K is the number of results. Defaults to 5.
	K int
	// Filter restricts the documents searched.
	Filter Filter
	// Persona, when set, adds the persona's name and data scopes (see
	// [ProfileOf]) to Filter.Tags.
	Persona Persona
	// Mode picks vector-only, text-only or hybrid search. Defaults to
	// [SearchHybrid].
	Mode SearchMode
}

// SearchMode selects the retrieval method.
type SearchMode string

// The search modes.
const (
	SearchHybrid SearchMode = "hybrid" // vector and full text fused by RRF
	SearchVector SearchMode = "vector" // embedding similarity only
	SearchText   SearchMode = "text"   // full text only
)

// Hit is a search result: a chunk, its fused score and its rank (from 1)
// in the vector and full-text candidate lists (0 when absent from one).
type Hit struct {
	DocumentID string
	Seq        int
	Title      string
	Text       string
	Tags       []string
	Score      float64
	VectorRank int
	TextRank   int
}

// Search finds the chunks of tenant's documents that best answer query.
// In hybrid mode it takes [KBConfig].Candidates from vector search and
// from full-text search and fuses them by reciprocal rank fusion:
// score = sum over lists of 1/(RRFK + rank). Ties keep vector order.
func (kb *KB) Search(ctx context.Context, tenant tenancy.ID, query string, opts *SearchOptions) ([]Hit, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if o.K == 0 {
		o.K = 5
	}
	if o.K < 1 || o.K > 1000 {
		return nil, configError("SearchOptions.K", "1 to 1000", o.K)
	}
	if o.Mode == "" {
		o.Mode = SearchHybrid
	}
	switch o.Mode {
	case SearchHybrid, SearchVector, SearchText:
	default:
		return nil, fmt.Errorf("%w: SearchOptions.Mode %q", ErrInvalidConfig, o.Mode)
	}
	if len(tokenize(query)) == 0 {
		return nil, ErrEmptyQuery
	}
	filter, err := kb.filter(o)
	if err != nil {
		return nil, err
	}
	n := max(kb.cfg.Candidates, o.K)
	var vec, txt []ChunkHit
	var verr, terr error
	// Vector and full-text searches run concurrently: with a database
	// store each is a round trip of its own.
	var wg sync.WaitGroup
	if o.Mode == SearchHybrid || o.Mode == SearchVector {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := kb.embed(ctx, []string{query})
			if err != nil {
				verr = fmt.Errorf("nlp: search: %w", err)
				return
			}
			vec, verr = kb.store.SearchVector(ctx, tenant, vs[0], n, filter)
		}()
	}
	if o.Mode == SearchHybrid || o.Mode == SearchText {
		txt, terr = kb.store.SearchText(ctx, tenant, query, n, filter)
	}
	wg.Wait()
	if verr != nil {
		return nil, verr
	}
	if terr != nil {
		return nil, terr
	}
	hits := FuseRRF(kb.cfg.RRFK, vec, txt)
	if len(hits) > o.K {
		hits = hits[:o.K]
	}
	return hits, nil
}

func (kb *KB) filter(o SearchOptions) (Filter, error) {
	tags, err := normalizeTags(o.Filter.Tags)
	if err != nil {
		return Filter{}, fmt.Errorf("%w: SearchOptions.Filter: %v", ErrInvalidConfig, err)
	}
	if o.Persona != "" {
		p, ok := ProfileOf(o.Persona)
		if !ok {
			return Filter{}, fmt.Errorf("%w: SearchOptions.Persona %q", ErrUnknownPersona, o.Persona)
		}
		tags = append(tags, string(p.Persona))
		for _, s := range p.Scopes {
			tags = append(tags, string(s))
		}
		slices.Sort(tags)
		tags = slices.Compact(tags)
	}
	return Filter{Tags: tags}, nil
}

// FuseRRF fuses ranked lists by reciprocal rank fusion with constant k:
// each chunk scores the sum of 1/(k+rank) over the lists it appears in
// (rank from 1). The first list is taken as the vector list and the
// second as the text list for [Hit].VectorRank and TextRank. Ties are
// broken by the best rank, then by document id and sequence.
func FuseRRF(k int, vector, text []ChunkHit) []Hit {
	type key struct {
		doc string
		seq int
	}
	byKey := map[key]*Hit{}
	var order []*Hit
	add := func(list []ChunkHit, isVec bool) {
		for i, h := range list {
			kk := key{h.Chunk.DocumentID, h.Chunk.Seq}
			hit := byKey[kk]
			if hit == nil {
				hit = &Hit{DocumentID: h.Chunk.DocumentID, Seq: h.Chunk.Seq, Title: h.Chunk.Title, Text: h.Chunk.Text, Tags: h.Chunk.Tags}
				byKey[kk] = hit
				order = append(order, hit)
			}
			if isVec {
				if hit.VectorRank != 0 {
					continue
				}
				hit.VectorRank = i + 1
			} else {
				if hit.TextRank != 0 {
					continue
				}
				hit.TextRank = i + 1
			}
			hit.Score += 1 / float64(k+i+1)
		}
	}
	add(vector, true)
	add(text, false)
	best := func(h *Hit) int {
		r := 1 << 30
		if h.VectorRank > 0 {
			r = h.VectorRank
		}
		if h.TextRank > 0 && h.TextRank < r {
			r = h.TextRank
		}
		return r
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if best(a) != best(b) {
			return best(a) < best(b)
		}
		if a.DocumentID != b.DocumentID {
			return a.DocumentID < b.DocumentID
		}
		return a.Seq < b.Seq
	})
	out := make([]Hit, len(order))
	for i, h := range order {
		out[i] = *h
	}
	return out
}

func (kb *KB) embed(ctx context.Context, texts []string) ([][]float32, error) {
	if kb.cfg.Redactor != nil {
		masked := make([]string, len(texts))
		for i, t := range texts {
			masked[i] = kb.cfg.Redactor.Redact(t).Text
		}
		texts = masked
	}
	vecs, err := kb.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("%w: %d vectors for %d texts", ErrEmbedding, len(vecs), len(texts))
	}
	dim := kb.cfg.Embedder.Dimension()
	for _, v := range vecs {
		if len(v) != dim {
			return nil, &DimensionError{Want: dim, Got: len(v)}
		}
	}
	return vecs, nil
}

func validateDocID(id string) error {
	if id == "" || len(id) > 256 || !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%w: ID %q: want 1 to 256 bytes of UTF-8 without control characters", ErrInvalidDocument, truncate(id, 40))
	}
	return nil
}

func normalizeTags(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(in))
	for _, t := range in {
		n := normalizeTag(t)
		if n == "" || len(n) > 64 || !utf8.ValidString(n) {
			return nil, fmt.Errorf("tag %q: want 1 to 64 bytes of UTF-8", truncate(t, 40))
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
