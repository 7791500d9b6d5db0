package nlp_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/kbtest"
)

func TestEstimateTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"hello", 2},              // 5 bytes / 4 rounds up to 2 > 1 word
		{"a b c d", 4},            // words win
		{"Invoices, overdue!", 5}, // 18 bytes -> 5 > 2 words + 2 marks
		{"x, y, z.", 6},           // 3 words + 3 marks
		{strings.Repeat("a", 400), 100},
	} {
		if got := nlp.EstimateTokens(tc.in); got != tc.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestSplitChunks(t *testing.T) {
	t.Parallel()
	cfg := &nlp.ChunkConfig{MaxTokens: 20, Overlap: 4}
	// Short paragraphs are packed together; blank lines separate them.
	got, err := nlp.SplitChunks("One two three.\n\n\nFour  five\nsix.\n\n", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"One two three.\n\nFour five six."}) {
		t.Fatalf("packed = %q", got)
	}
	// A paragraph over budget is cut between words, with overlap.
	var words []string
	for i := range 50 {
		words = append(words, "w"+string(rune('a'+i%26)))
	}
	got, err = nlp.SplitChunks("Intro.\n\n"+strings.Join(words, " ")+"\n\nOutro.", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "Intro." || got[len(got)-1] != "Outro." || len(got) < 4 {
		t.Fatalf("chunks = %q", got)
	}
	for i, c := range got {
		if n := nlp.EstimateTokens(c); n > 20 {
			t.Errorf("chunk %d has %d tokens, budget 20", i, n)
		}
	}
	for i := 2; i < len(got)-1; i++ {
		prev := strings.Fields(got[i-1])
		first := strings.Fields(got[i])[0]
		if !slices.Contains(prev[len(prev)-4:], first) || first == prev[0] {
			t.Errorf("chunk %d %q does not start within the last 4 words of chunk %d %q", i, got[i], i-1, got[i-1])
		}
	}
	if _, err := nlp.SplitChunks("x", &nlp.ChunkConfig{MaxTokens: 20, Overlap: 10}); !errors.Is(err, nlp.ErrInvalidConfig) {
		t.Fatalf("overlap of half the budget: %v", err)
	}
}

func FuzzSplitChunks(f *testing.F) {
	f.Add("Hello world.\n\nSecond paragraph here.", 16, 2)
	f.Add(strings.Repeat("longword ", 100), 20, 9)
	f.Add("\xff\xfe\n\n\n", 32, 0)
	f.Fuzz(func(t *testing.T, text string, max, overlap int) {
		chunks, err := nlp.SplitChunks(text, &nlp.ChunkConfig{MaxTokens: max, Overlap: overlap})
		if err != nil {
			return
		}
		if max == 0 {
			max = 256 // the default
		}
		words := 0
		for _, c := range chunks {
			if strings.TrimSpace(c) == "" {
				t.Fatalf("empty chunk in %q", chunks)
			}
			// A chunk is over budget only when it is one word too long.
			if nlp.EstimateTokens(c) > max && len(strings.Fields(c)) > 1 {
				t.Fatalf("chunk %q has %d tokens, budget %d", c, nlp.EstimateTokens(c), max)
			}
			words += len(strings.Fields(c))
		}
		if words < len(strings.Fields(text)) {
			t.Fatalf("%d words in chunks, %d in text: words lost", words, len(strings.Fields(text)))
		}
		if utf8.ValidString(text) {
			for _, c := range chunks {
				if !utf8.ValidString(c) {
					t.Fatalf("chunk %q is not valid UTF-8", c)
				}
			}
		}
	})
}

func TestHashEmbedder(t *testing.T) {
	t.Parallel()
	h, err := nlp.NewHashEmbedder(0)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := h.Embed(context.Background(), []string{"Overdue invoices by customer", "overdue invoice per customer", "Schema drift on the Salesforce connector", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 || len(vs[0]) != 384 || h.Dimension() != 384 {
		t.Fatalf("got %d vectors of %d", len(vs), len(vs[0]))
	}
	var norm float64
	for _, x := range vs[0] {
		norm += float64(x) * float64(x)
	}
	if norm < 0.999 || norm > 1.001 {
		t.Fatalf("squared norm %v, want 1", norm)
	}
	same, other := nlp.Cosine(vs[0], vs[1]), nlp.Cosine(vs[0], vs[2])
	if same < 0.6 || other > 0.2 {
		t.Fatalf("cosine(paraphrase) = %.2f, cosine(unrelated) = %.2f", same, other)
	}
	if nlp.Cosine(vs[3], vs[0]) != 0 {
		t.Fatal("empty text should embed to the zero vector")
	}
	// Deterministic: a fixed input gives fixed values on every platform.
	again := h.EmbedOne("Overdue invoices by customer")
	if !slices.Equal(again, vs[0]) {
		t.Fatal("not deterministic")
	}
	if _, err := nlp.NewHashEmbedder(8); !errors.Is(err, nlp.ErrInvalidConfig) {
		t.Fatalf("dim 8: %v", err)
	}
}

func TestFuseRRF(t *testing.T) {
	t.Parallel()
	c := func(id string) nlp.ChunkHit { return nlp.ChunkHit{Chunk: nlp.StoredChunk{DocumentID: id}} }
	hits := nlp.FuseRRF(60, []nlp.ChunkHit{c("a"), c("b"), c("c")}, []nlp.ChunkHit{c("c"), c("d"), c("a")})
	var got []string
	for _, h := range hits {
		got = append(got, h.DocumentID)
	}
	// a: 1/61+1/63, c: 1/63+1/61 tie -> best rank 1 both -> id order; b: 1/62; d: 1/62.
	if !slices.Equal(got, []string{"a", "c", "b", "d"}) {
		t.Fatalf("order = %v", got)
	}
	if hits[0].VectorRank != 1 || hits[0].TextRank != 3 || hits[1].VectorRank != 3 || hits[1].TextRank != 1 {
		t.Fatalf("ranks = %+v", hits[:2])
	}
	if want := 1.0/61 + 1.0/63; hits[0].Score != want {
		t.Fatalf("score %v, want %v", hits[0].Score, want)
	}
}

func TestHashEmbedderAcceptance(t *testing.T) {
	t.Parallel()
	h, _ := nlp.NewHashEmbedder(256)
	kbtest.RunEmbedderTests(t, h)
}
