// Package openaicompat implements [nlp.Embedder] and [nlp.LLM] over any
// server that speaks the OpenAI embeddings and chat-completions wire
// formats (OpenAI, Azure OpenAI behind a compatible proxy, vLLM, Ollama,
// LiteLLM, llama.cpp server), with github.com/sashabaranov/go-openai.
//
//	emb, err := openaicompat.NewEmbedder(&openaicompat.EmbedderConfig{
//		Config: openaicompat.Config{BaseURL: "http://localhost:11434/v1", APIKey: key},
//	})
//	llm, err := openaicompat.NewLLM(&openaicompat.LLMConfig{Config: openaicompat.Config{APIKey: key}})
//
// Errors wrap [nlp.ErrEmbedding] or [nlp.ErrLLM] and carry the HTTP
// status, never the API key or the server's message body (which may
// quote the input). There are no retries here: the gateway falls back to
// an extractive answer when the LLM fails. Both types are safe for
// concurrent use.
package openaicompat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/autonomos/autonomos/nlp"
)

// Config is the connection shared by [EmbedderConfig] and [LLMConfig].
type Config struct {
	// BaseURL is the API root, up to and including the version
	// ("https://api.openai.com/v1"). Defaults to OpenAI's.
	BaseURL string
	// APIKey is sent as a bearer token. Defaults to "" (no
	// Authorization header), for local servers.
	APIKey string
	// HTTPClient sends the requests. Defaults to an http.Client with a
	// 60s timeout.
	HTTPClient *http.Client
}

func (c Config) client() *openai.Client {
	oc := openai.DefaultConfig(c.APIKey)
	if c.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.HTTPClient != nil {
		oc.HTTPClient = c.HTTPClient
	} else {
		oc.HTTPClient = &http.Client{Timeout: 60e9}
	}
	return openai.NewClientWithConfig(oc)
}

// EmbedderConfig configures [NewEmbedder].
type EmbedderConfig struct {
	Config
	// Model is the embedding model. Defaults to "text-embedding-3-small".
	Model string
	// Dimensions is the vector length asked for (the "dimensions"
	// request field) and checked in responses. Defaults to 384, the
	// dimension of nlp/pgvectorkb.
	Dimensions int
	// OmitDimensions leaves "dimensions" out of requests, for servers
	// and models that reject it; Dimensions is still checked. Defaults
	// to false.
	OmitDimensions bool
	// BatchSize is the number of texts per request. Defaults to 64.
	BatchSize int
}

// Embedder is an [nlp.Embedder] over an embeddings endpoint.
type Embedder struct {
	c   *openai.Client
	cfg EmbedderConfig
}

var _ nlp.Embedder = (*Embedder)(nil)

// NewEmbedder returns an Embedder; cfg may be nil.
func NewEmbedder(cfg *EmbedderConfig) (*Embedder, error) {
	var c EmbedderConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Model == "" {
		c.Model = string(openai.SmallEmbedding3)
	}
	if c.Dimensions == 0 {
		c.Dimensions = 384
	}
	if c.Dimensions < 1 {
		return nil, fmt.Errorf("%w: EmbedderConfig.Dimensions is %d, want positive", nlp.ErrInvalidConfig, c.Dimensions)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.BatchSize < 1 || c.BatchSize > 2048 {
		return nil, fmt.Errorf("%w: EmbedderConfig.BatchSize is %d, want 1 to 2048", nlp.ErrInvalidConfig, c.BatchSize)
	}
	return &Embedder{c: c.client(), cfg: c}, nil
}

// Dimension returns the configured vector length.
func (e *Embedder) Dimension() int { return e.cfg.Dimensions }

// Embed embeds texts in batches of BatchSize, one request per batch, in
// order.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		batch := texts[start:min(len(texts), start+e.cfg.BatchSize)]
		req := openai.EmbeddingRequestStrings{Input: batch, Model: openai.EmbeddingModel(e.cfg.Model)}
		if !e.cfg.OmitDimensions {
			req.Dimensions = e.cfg.Dimensions
		}
		resp, err := e.c.CreateEmbeddings(ctx, req)
		if err != nil {
			return nil, apiError(ctx, nlp.ErrEmbedding, "embeddings", err)
		}
		if len(resp.Data) != len(batch) {
			return nil, fmt.Errorf("%w: embeddings: %d vectors for %d inputs", nlp.ErrEmbedding, len(resp.Data), len(batch))
		}
		vecs := make([][]float32, len(batch))
		for _, d := range resp.Data {
			if d.Index < 0 || d.Index >= len(batch) || vecs[d.Index] != nil {
				return nil, fmt.Errorf("%w: embeddings: bad or repeated index %d", nlp.ErrEmbedding, d.Index)
			}
			if len(d.Embedding) != e.cfg.Dimensions {
				return nil, &nlp.DimensionError{Want: e.cfg.Dimensions, Got: len(d.Embedding)}
			}
			vecs[d.Index] = d.Embedding
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// LLMConfig configures [NewLLM].
type LLMConfig struct {
	Config
	// Model is the chat model. Defaults to "gpt-4o-mini".
	Model string
	// Temperature is the sampling temperature. Defaults to 0.2.
	Temperature float32
}

// LLM is an [nlp.LLM] over a chat-completions endpoint.
type LLM struct {
	c   *openai.Client
	cfg LLMConfig
}

var _ nlp.LLM = (*LLM)(nil)

// NewLLM returns an LLM; cfg may be nil.
func NewLLM(cfg *LLMConfig) (*LLM, error) {
	var c LLMConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Model == "" {
		c.Model = openai.GPT4oMini
	}
	if c.Temperature == 0 {
		c.Temperature = 0.2
	}
	if c.Temperature < 0 || c.Temperature > 2 {
		return nil, fmt.Errorf("%w: LLMConfig.Temperature is %v, want 0 to 2", nlp.ErrInvalidConfig, c.Temperature)
	}
	return &LLM{c: c.client(), cfg: c}, nil
}

// Complete sends the system prompt and the user message and returns the
// first choice with the usage the server reported.
func (l *LLM) Complete(ctx context.Context, req nlp.CompletionRequest) (nlp.Completion, error) {
	resp, err := l.c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: l.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: req.System},
			{Role: openai.ChatMessageRoleUser, Content: req.User},
		},
		MaxTokens:   req.MaxTokens,
		Temperature: l.cfg.Temperature,
	})
	if err != nil {
		return nlp.Completion{}, apiError(ctx, nlp.ErrLLM, "chat completion", err)
	}
	if len(resp.Choices) == 0 {
		return nlp.Completion{}, fmt.Errorf("%w: chat completion: no choices", nlp.ErrLLM)
	}
	return nlp.Completion{
		Text:             resp.Choices[0].Message.Content,
		Model:            resp.Model,
		PromptTokens:     resp.Usage.PromptTokens,
		CompletionTokens: resp.Usage.CompletionTokens,
	}, nil
}

// apiError keeps the status and the error type, not the message body.
func apiError(ctx context.Context, kind error, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %s: %w", kind, op, ctx.Err())
	}
	var ae *openai.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%w: %s: status %d (%s)", kind, op, ae.HTTPStatusCode, ae.Type)
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %s: status %d", kind, op, re.HTTPStatusCode)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL is left out: it may carry credentials.
		return fmt.Errorf("%w: %s: %s: %w", kind, op, ue.Op, ue.Err)
	}
	return fmt.Errorf("%w: %s: request failed", kind, op)
}
