package repair

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/autonomos/autonomos/tenancy"
	openai "github.com/sashabaranov/go-openai"
)

// OpenAIAdvisorConfig configures an [OpenAIAdvisor].
type OpenAIAdvisorConfig struct {
	// BaseURL is the endpoint's base URL, e.g. "http://localhost:8000/v1"
	// for a local server. Defaults to OpenAI's public API.
	BaseURL string
	// APIKey is the bearer token. It is never logged nor put in errors.
	// Defaults to "" (no Authorization header value).
	APIKey string
	// Model names the chat model. Defaults to "gpt-4o-mini".
	Model string
	// Timeout bounds one request. Defaults to 20s.
	Timeout time.Duration
	// CacheSize bounds the number of cached answers. Defaults to 512.
	CacheSize int
	// Usage receives calls and tokens per tenant. Defaults to nil (not
	// counted).
	Usage UsageRecorder
	// HTTPClient sends the requests. Defaults to a new http.Client.
	HTTPClient *http.Client
}

// OpenAIAdvisor is an [Advisor] over any OpenAI-compatible
// chat-completions endpoint. It asks for a strict JSON answer, rejects
// any target outside the request's list, caches answers by a fingerprint
// of the request and counts calls and tokens per tenant. It is safe for
// concurrent use.
type OpenAIAdvisor struct {
	cfg    OpenAIAdvisorConfig
	client *openai.Client

	mu    sync.Mutex
	cache map[string][]Advice
	order []string
}

var _ Advisor = (*OpenAIAdvisor)(nil)

// NewOpenAIAdvisor returns an advisor configured by cfg.
func NewOpenAIAdvisor(cfg OpenAIAdvisorConfig) (*OpenAIAdvisor, error) {
	if cfg.Model == "" {
		cfg.Model = "gpt-4o-mini"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: advisor timeout %v is negative", ErrInvalidInput, cfg.Timeout)
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 512
	}
	if cfg.CacheSize < 0 {
		return nil, fmt.Errorf("%w: advisor cache size %d is negative", ErrInvalidInput, cfg.CacheSize)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
			return nil, fmt.Errorf("%w: advisor base URL must be http(s)", ErrInvalidInput)
		}
		oc.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	}
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	return &OpenAIAdvisor{cfg: cfg, client: openai.NewClientWithConfig(oc), cache: map[string][]Advice{}}, nil
}

const advisorSystemPrompt = `You map fields of a business system onto a fixed ontology.
You get a source object, the ontology entity it was classified as, the allowed targets
(with type and meaning), the fields you must decide and the other fields with their current targets.
For every field to decide answer the one allowed target that means the same thing, or null when
no target means the same thing (most fields that are not listed targets map to null).
Each target may be used by at most one field, including the context fields.
Answer only with JSON: {"fields":[{"field":"<name>","target":"<entity.field>"|null,"confidence":<0..1>,"reason":"<few words>"}]}`

// advisorAnswer is the JSON the model must produce.
type advisorAnswer struct {
	Fields []struct {
		Field      string   `json:"field"`
		Target     *string  `json:"target"`
		Confidence *float64 `json:"confidence"`
		Reason     string   `json:"reason"`
	} `json:"fields"`
}

// Advise implements [Advisor].
func (a *OpenAIAdvisor) Advise(ctx context.Context, req AdviceRequest) ([]Advice, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("repair: advisor request: %w", err)
	}
	key := fingerprint(req.Tenant, payload, a.cfg.Model)
	if cached, ok := a.cached(key); ok {
		a.record(ctx, req.Tenant, Usage{CacheHits: 1})
		return cached, nil
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	resp, err := a.client.CreateChatCompletion(cctx, openai.ChatCompletionRequest{
		Model:       a.cfg.Model,
		Temperature: 0,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONObject,
		},
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: advisorSystemPrompt},
			{Role: openai.ChatMessageRoleUser, Content: string(payload)},
		},
	})
	if err != nil {
		a.record(ctx, req.Tenant, Usage{Calls: 1, Failures: 1})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &AdvisorError{Reason: "request failed", Err: scrubErr(err)}
	}
	a.record(ctx, req.Tenant, Usage{Calls: 1, PromptTokens: int64(resp.Usage.PromptTokens), CompletionTokens: int64(resp.Usage.CompletionTokens)})
	if len(resp.Choices) == 0 {
		return nil, &AdvisorError{Reason: "no choices in the answer"}
	}
	advice, err := parseAdvice(resp.Choices[0].Message.Content, req)
	if err != nil {
		a.record(ctx, req.Tenant, Usage{Failures: 1})
		return nil, err
	}
	a.store(key, advice)
	return advice, nil
}

// parseAdvice reads the model's answer strictly: valid JSON of the agreed
// shape, fields that were asked about, targets from the request's list.
// Entries that break a rule are dropped; an answer with no valid entry is
// an error.
func parseAdvice(content string, req AdviceRequest) ([]Advice, error) {
	content = strings.TrimSpace(content)
	// Some servers wrap JSON in a Markdown fence despite the JSON mode.
	content = strings.TrimPrefix(strings.TrimSuffix(content, "```"), "```json")
	content = strings.TrimSpace(strings.TrimPrefix(content, "```"))
	var ans advisorAnswer
	dec := json.NewDecoder(bytes.NewReader([]byte(content)))
	if err := dec.Decode(&ans); err != nil {
		return nil, &AdvisorError{Reason: "answer is not the agreed JSON", Err: err}
	}
	asked := map[string]bool{}
	for _, f := range req.Fields {
		asked[f.Name] = true
	}
	allowed := map[string]bool{}
	for _, t := range req.Targets {
		allowed[t.Target] = true
	}
	var out []Advice
	for _, f := range ans.Fields {
		if !asked[f.Field] || f.Confidence == nil || *f.Confidence < 0 || *f.Confidence > 1 {
			continue
		}
		t := ""
		if f.Target != nil {
			t = *f.Target
			if !allowed[t] {
				continue
			}
		}
		reason := f.Reason
		if len(reason) > 200 {
			reason = reason[:200]
		}
		out = append(out, Advice{Field: f.Field, Target: t, Confidence: *f.Confidence, Reason: reason})
	}
	if len(out) == 0 && len(ans.Fields) > 0 {
		return nil, &AdvisorError{Reason: "no valid entry in the answer"}
	}
	return out, nil
}

// AdvisorError reports a failed or unusable advisor answer. The matcher
// keeps its own decisions when it gets one.
type AdvisorError struct {
	Reason string
	Err    error
}

func (e *AdvisorError) Error() string {
	if e.Err != nil {
		return "repair: advisor: " + e.Reason + ": " + e.Err.Error()
	}
	return "repair: advisor: " + e.Reason
}

// Unwrap returns the underlying error and makes errors.Is(err, ErrAdvisor)
// true.
func (e *AdvisorError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrAdvisor, e.Err}
	}
	return []error{ErrAdvisor}
}

// ErrAdvisor is matched by every [*AdvisorError].
var ErrAdvisor = errors.New("repair: advisor failed")

// scrubErr keeps an API error's status and type but never echoes request
// contents or credentials.
func scrubErr(err error) error {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("status %d: %s", apiErr.HTTPStatusCode, apiErr.Type)
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return fmt.Errorf("status %d", reqErr.HTTPStatusCode)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return errors.New("transport error")
}

func fingerprint(t tenancy.ID, payload []byte, model string) string {
	h := sha256.New()
	h.Write([]byte(t.String()))
	h.Write([]byte{0})
	h.Write([]byte(model))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

func (a *OpenAIAdvisor) cached(key string) ([]Advice, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.cache[key]
	return append([]Advice(nil), v...), ok
}

func (a *OpenAIAdvisor) store(key string, v []Advice) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[key]; !ok {
		a.order = append(a.order, key)
	}
	a.cache[key] = append([]Advice(nil), v...)
	for len(a.order) > a.cfg.CacheSize {
		delete(a.cache, a.order[0])
		a.order = a.order[1:]
	}
}

func (a *OpenAIAdvisor) record(ctx context.Context, t tenancy.ID, u Usage) {
	if a.cfg.Usage != nil {
		a.cfg.Usage.RecordUsage(ctx, t, u)
	}
}
