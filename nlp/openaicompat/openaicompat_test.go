package openaicompat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/internal/fakeopenai"
	"github.com/autonomos/autonomos/nlp/kbtest"
	"github.com/autonomos/autonomos/nlp/openaicompat"
)

func TestEmbedderBatchesAndOrder(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	e, err := openaicompat.NewEmbedder(&openaicompat.EmbedderConfig{
		Config: openaicompat.Config{BaseURL: srv.BaseURL(), APIKey: "sk-test-secret"}, BatchSize: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"invoice overdue", "pipeline stage", "schema drift", "support ticket", "cash flow"}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Batches(); !slices.Equal(got, []int{2, 2, 1}) {
		t.Fatalf("batches = %v, want [2 2 1]", got)
	}
	h, _ := nlp.NewHashEmbedder(384)
	for i, v := range vecs {
		if len(v) != 384 || nlp.Cosine(v, h.EmbedOne(texts[i])) < 0.999 {
			t.Fatalf("vector %d is not the one for %q (server answers out of order; index must be used)", i, texts[i])
		}
	}
	if srv.Auth[0] != "Bearer sk-test-secret" {
		t.Fatalf("Authorization = %q", srv.Auth[0])
	}
}

func TestEmbedderDimensionMismatch(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	srv.Dim = 100
	e, _ := openaicompat.NewEmbedder(&openaicompat.EmbedderConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}})
	_, err := e.Embed(context.Background(), []string{"x"})
	var de *nlp.DimensionError
	if !errors.As(err, &de) || de.Got != 100 || de.Want != 384 || !errors.Is(err, nlp.ErrEmbedding) {
		t.Fatalf("err = %v, want a DimensionError 100 vs 384", err)
	}
}

func TestLLMCompleteAndErrors(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	srv.Answer = func(system, user string) (string, bool) {
		return "You said: " + user, !strings.Contains(user, "fail")
	}
	l, err := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL(), APIKey: "sk-test-secret"}, Model: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Complete(context.Background(), nlp.CompletionRequest{System: "be brief", User: "hello", MaxTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != "You said: hello" || c.Model != "m1" || c.PromptTokens != 123 || c.CompletionTokens != 45 {
		t.Fatalf("completion = %+v", c)
	}
	_, err = l.Complete(context.Background(), nlp.CompletionRequest{System: "s", User: "please fail with a secret 4111111111111111"})
	if !errors.Is(err, nlp.ErrLLM) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v, want ErrLLM with status 500", err)
	}
	if strings.Contains(err.Error(), "4111") || strings.Contains(err.Error(), "sk-test") {
		t.Fatalf("error carries the server's message or the key: %v", err)
	}
	l2, _ := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{BaseURL: "http://127.0.0.1:1/v1"}})
	if _, err := l2.Complete(context.Background(), nlp.CompletionRequest{User: "x"}); !errors.Is(err, nlp.ErrLLM) {
		t.Fatalf("unreachable server: err = %v, want ErrLLM", err)
	}
}

func TestEmbedderAcceptance(t *testing.T) {
	t.Parallel()
	srv := fakeopenai.New(t)
	e, _ := openaicompat.NewEmbedder(&openaicompat.EmbedderConfig{Config: openaicompat.Config{BaseURL: srv.BaseURL()}, BatchSize: 3})
	kbtest.RunEmbedderTests(t, e)
}
