package kbtest

import (
	"context"
	"math"
	"testing"

	"github.com/autonomos/autonomos/nlp"
)

// RunEmbedderTests checks an [nlp.Embedder] of your own: one vector per
// text in order, all of [nlp.Embedder.Dimension] length, unit length
// (within 1e-3) for texts with words, the same vector for the same text
// within a call, a paraphrase closer than an unrelated text, and an empty
// batch answered without error.
func RunEmbedderTests(t *testing.T, e nlp.Embedder) {
	t.Helper()
	ctx := context.Background()
	texts := []string{
		"Which invoices are overdue by more than 30 days?",
		"Which overdue invoices are more than 30 days late?",
		"The Salesforce connector failed to sync because of schema drift.",
		"Which invoices are overdue by more than 30 days?",
	}
	vs, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(vs), len(texts))
	}
	for i, v := range vs {
		if len(v) != e.Dimension() {
			t.Fatalf("vector %d has length %d, Dimension() is %d", i, len(v), e.Dimension())
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(math.Sqrt(n)-1) > 1e-3 {
			t.Errorf("vector %d has norm %.4f, want 1", i, math.Sqrt(n))
		}
	}
	if c := nlp.Cosine(vs[0], vs[3]); c < 0.999 {
		t.Errorf("the same text gave vectors of cosine %.4f", c)
	}
	if near, far := nlp.Cosine(vs[0], vs[1]), nlp.Cosine(vs[0], vs[2]); near <= far {
		t.Errorf("paraphrase cosine %.3f is not above unrelated %.3f", near, far)
	}
	if out, err := e.Embed(ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("Embed(nil) = %d vectors, %v; want none and no error", len(out), err)
	}
}
