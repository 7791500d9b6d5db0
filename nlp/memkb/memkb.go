// Package memkb is the in-memory [nlp.KBStore]: exact cosine similarity
// over every chunk of a tenant, and BM25 (k1 = 1.2, b = 0.75) over
// [nlp.Terms] for full text. It is the embedded default and the test
// double of nlp/pgvectorkb. [New] keeps nothing across restarts; [Open]
// keeps the documents and their chunks (with their embeddings, so nothing
// is embedded again) in a file.
//
// Search cost is linear in the tenant's chunks, which is fine up to some
// tens of thousands of chunks per tenant. A Store is safe for concurrent
// use; its zero value is not usable, call [New].
package memkb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
)

// Store is an in-memory knowledge-base store.
type Store struct {
	mu      sync.RWMutex
	tenants map[tenancy.ID]*tenantKB
	// path is the file of Open's store; "" for New's.
	path string
}

type tenantKB struct {
	docs   map[string]nlp.Document
	chunks map[string][]*chunk // by document id
	// df counts the chunks containing each term; total sums their lengths.
	df    map[string]int
	n     int
	total int
}

type chunk struct {
	c     nlp.StoredChunk
	tf    map[string]int
	terms int
}

var _ nlp.KBStore = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{tenants: map[tenancy.ID]*tenantKB{}} }

// fileDoc is one document with its chunks in the file.
type fileDoc struct {
	Tenant tenancy.ID        `json:"tenant"`
	Doc    nlp.Document      `json:"document"`
	Chunks []nlp.StoredChunk `json:"chunks"`
}

// Open returns a store kept in the JSON file at path (mode 0600), loading
// what it holds; a missing file is an empty store. Every Put and Delete
// rewrites the file atomically before it returns (the cost grows with the
// store: this is for the modest knowledge bases of one process), and one
// whose write fails is undone. One process may use the file at a time.
func Open(path string) (*Store, error) {
	s := New()
	s.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memkb: read %s: %w", path, err)
	}
	var docs []fileDoc
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("memkb: %s is not a knowledge-base file: %w", path, err)
	}
	for i, d := range docs {
		if err := d.Tenant.Validate(); err != nil || d.Doc.ID == "" {
			return nil, fmt.Errorf("memkb: %s: entry %d: no valid tenant or document id", path, i)
		}
		s.tenant(d.Tenant, true).insert(d.Doc, newChunks(d.Chunks))
	}
	return s, nil
}

// saveLocked writes the whole store to the file; s.mu must be held.
func (s *Store) saveLocked() error {
	var docs []fileDoc
	for id, t := range s.tenants {
		for docID, d := range t.docs {
			fd := fileDoc{Tenant: id, Doc: d, Chunks: make([]nlp.StoredChunk, len(t.chunks[docID]))}
			for i, c := range t.chunks[docID] {
				fd.Chunks[i] = c.c
			}
			docs = append(docs, fd)
		}
	}
	sort.Slice(docs, func(i, j int) bool {
		if docs[i].Tenant != docs[j].Tenant {
			return docs[i].Tenant.String() < docs[j].Tenant.String()
		}
		return docs[i].Doc.ID < docs[j].Doc.ID
	})
	b, err := json.Marshal(docs)
	if err != nil {
		return fmt.Errorf("memkb: encode: %w", err)
	}
	if err := atomicfile.Write(s.path, b); err != nil {
		return fmt.Errorf("memkb: %w", err)
	}
	return nil
}

// newChunks indexes chunks for BM25.
func newChunks(chunks []nlp.StoredChunk) []*chunk {
	cs := make([]*chunk, len(chunks))
	for i, c := range chunks {
		c.Tags = slices.Clone(c.Tags)
		c.Embedding = slices.Clone(c.Embedding)
		tf := map[string]int{}
		terms := nlp.Terms(c.Title + " " + c.Text)
		for _, w := range terms {
			tf[w]++
		}
		cs[i] = &chunk{c: c, tf: tf, terms: len(terms)}
	}
	return cs
}

// insert adds a document that is not in t.
func (t *tenantKB) insert(doc nlp.Document, cs []*chunk) {
	t.docs[doc.ID] = doc
	t.chunks[doc.ID] = cs
	for _, c := range cs {
		for w := range c.tf {
			t.df[w]++
		}
		t.n++
		t.total += c.terms
	}
}

func (s *Store) tenant(id tenancy.ID, create bool) *tenantKB {
	t := s.tenants[id]
	if t == nil && create {
		t = &tenantKB{docs: map[string]nlp.Document{}, chunks: map[string][]*chunk{}, df: map[string]int{}}
		s.tenants[id] = t
	}
	return t
}

// Put stores doc and its chunks, replacing an earlier version.
func (s *Store) Put(ctx context.Context, tenant tenancy.ID, doc nlp.Document, chunks []nlp.StoredChunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tenant.Validate(); err != nil {
		return err
	}
	cs := newChunks(chunks)
	doc.Text = ""
	doc.Tags = slices.Clone(doc.Tags)
	doc.Metadata = maps.Clone(doc.Metadata)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenant, true)
	old, had := t.docs[doc.ID]
	oldChunks := t.chunks[doc.ID]
	t.remove(doc.ID)
	t.insert(doc, cs)
	if s.path != "" {
		if err := s.saveLocked(); err != nil {
			t.remove(doc.ID)
			if had {
				t.insert(old, oldChunks)
			}
			return err
		}
	}
	return nil
}

func (t *tenantKB) remove(id string) bool {
	if _, ok := t.docs[id]; !ok {
		return false
	}
	for _, c := range t.chunks[id] {
		for w := range c.tf {
			if t.df[w]--; t.df[w] == 0 {
				delete(t.df, w)
			}
		}
		t.n--
		t.total -= c.terms
	}
	delete(t.docs, id)
	delete(t.chunks, id)
	return true
}

// List returns the tenant's documents ordered by ID.
func (s *Store) List(ctx context.Context, tenant tenancy.ID) ([]nlp.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(tenant, false)
	if t == nil {
		return []nlp.Document{}, nil
	}
	out := make([]nlp.Document, 0, len(t.docs))
	for _, d := range t.docs {
		d.Tags = slices.Clone(d.Tags)
		d.Metadata = maps.Clone(d.Metadata)
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Delete removes a document and its chunks.
func (s *Store) Delete(ctx context.Context, tenant tenancy.ID, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenant, false)
	if t == nil {
		return fmt.Errorf("%w: %q", nlp.ErrDocumentNotFound, id)
	}
	old, oldChunks := t.docs[id], t.chunks[id]
	if !t.remove(id) {
		return fmt.Errorf("%w: %q", nlp.ErrDocumentNotFound, id)
	}
	if s.path != "" {
		if err := s.saveLocked(); err != nil {
			t.insert(old, oldChunks)
			return err
		}
	}
	return nil
}

// SearchVector ranks every chunk of the tenant by exact cosine similarity.
func (s *Store) SearchVector(ctx context.Context, tenant tenancy.ID, vec []float32, k int, filter nlp.Filter) ([]nlp.ChunkHit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, nil
	}
	var hits []nlp.ChunkHit
	for _, cs := range t.chunks {
		for _, c := range cs {
			if !filter.Matches(c.c.Tags) {
				continue
			}
			hits = append(hits, nlp.ChunkHit{Chunk: c.c, Score: nlp.Cosine(vec, c.c.Embedding)})
		}
	}
	return top(hits, k), nil
}

// SearchText ranks the tenant's chunks by BM25 over the query's terms.
func (s *Store) SearchText(ctx context.Context, tenant tenancy.ID, query string, k int, filter nlp.Filter) ([]nlp.ChunkHit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := nlp.Terms(query)
	slices.Sort(q)
	q = slices.Compact(q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(tenant, false)
	if t == nil || t.n == 0 || len(q) == 0 {
		return nil, nil
	}
	const k1, b = 1.2, 0.75
	avg := float64(t.total) / float64(t.n)
	idf := make([]float64, len(q))
	for i, w := range q {
		df := float64(t.df[w])
		idf[i] = math.Log(1 + (float64(t.n)-df+0.5)/(df+0.5))
	}
	var hits []nlp.ChunkHit
	for _, cs := range t.chunks {
		for _, c := range cs {
			if !filter.Matches(c.c.Tags) {
				continue
			}
			var score float64
			for i, w := range q {
				f := float64(c.tf[w])
				if f == 0 {
					continue
				}
				score += idf[i] * f * (k1 + 1) / (f + k1*(1-b+b*float64(c.terms)/avg))
			}
			if score > 0 {
				hits = append(hits, nlp.ChunkHit{Chunk: c.c, Score: score})
			}
		}
	}
	return top(hits, k), nil
}

// top sorts by score (ties by document id and sequence) and keeps k,
// returning copies the caller may change.
func top(hits []nlp.ChunkHit, k int) []nlp.ChunkHit {
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Chunk.DocumentID != b.Chunk.DocumentID {
			return a.Chunk.DocumentID < b.Chunk.DocumentID
		}
		return a.Chunk.Seq < b.Chunk.Seq
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	for i := range hits {
		hits[i].Chunk.Tags = slices.Clone(hits[i].Chunk.Tags)
		hits[i].Chunk.Embedding = slices.Clone(hits[i].Chunk.Embedding)
	}
	return hits
}
