package nlp

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
)

// Embedder turns texts into vectors of a fixed dimension. Embed returns
// one vector per text, in order; vectors should be L2-normalized, since
// stores rank by cosine distance. Implementations must be safe for
// concurrent use. [HashEmbedder] is the local default;
// github.com/autonomos/autonomos/nlp/openaicompat calls any
// OpenAI-compatible embeddings endpoint.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Dimension is the length of every vector Embed returns.
	Dimension() int
}

// HashEmbedder is a local [Embedder] that needs no model and no network:
// feature hashing (the "hashing trick") of the normalized words of a text
// (see [Terms]), its word pairs and the character trigrams of each word
// (with word boundaries marked), each hashed by FNV-1a into one of Dim
// buckets with a sign taken from the hash, then L2-normalized. Words
// weigh 1, pairs 0.7 and trigrams 0.3 (so inflections and typos still
// overlap). The result is deterministic across runs and platforms. It
// captures shared vocabulary, not meaning: synonyms do not match.
//
// The zero value is not usable; use [NewHashEmbedder]. A HashEmbedder is
// safe for concurrent use.
type HashEmbedder struct {
	dim int
}

// NewHashEmbedder returns a [HashEmbedder] of dimension dim (at least 16;
// 0 means 384).
func NewHashEmbedder(dim int) (*HashEmbedder, error) {
	if dim == 0 {
		dim = 384
	}
	if dim < 16 {
		return nil, configError("HashEmbedder dimension", "at least 16", dim)
	}
	return &HashEmbedder{dim: dim}, nil
}

// Dimension returns the vector length.
func (h *HashEmbedder) Dimension() int { return h.dim }

// Embed embeds each text; a text without words gives the zero vector.
func (h *HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%256 == 255 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i] = h.EmbedOne(t)
	}
	return out, nil
}

// EmbedOne embeds one text.
func (h *HashEmbedder) EmbedOne(text string) []float32 {
	v := make([]float64, h.dim)
	toks := tokenize(text)
	add := func(s string, w float64) {
		f := fnv.New64a()
		f.Write([]byte(s))
		x := f.Sum64()
		if x>>63 == 1 {
			w = -w
		}
		v[(x&math.MaxInt64)%uint64(h.dim)] += w
	}
	for i, t := range toks {
		add("w:"+t, 1)
		if i > 0 {
			add("p:"+toks[i-1]+" "+t, 0.7)
		}
		g := "<" + t + ">"
		r := []rune(g)
		for j := 0; j+3 <= len(r); j++ {
			add("c:"+string(r[j:j+3]), 0.3)
		}
	}
	var n float64
	for _, x := range v {
		n += x * x
	}
	out := make([]float32, h.dim)
	if n == 0 {
		return out
	}
	n = math.Sqrt(n)
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out
}

// Cosine returns the cosine similarity of a and b (0 when either is zero
// or their lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return d / math.Sqrt(na*nb)
}

var _ Embedder = (*HashEmbedder)(nil)

// normalizeTag lower-cases and trims a tag.
func normalizeTag(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
