package repair

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// fakeLLM is an httptest server speaking the chat-completions wire format.
// answer builds the assistant's content from the matcher's request.
type fakeLLM struct {
	srv    *httptest.Server
	calls  atomic.Int64
	answer func(req AdviceRequest) (status int, content string, delay time.Duration)
	auth   atomic.Value
}

func newFakeLLM(t *testing.T, answer func(req AdviceRequest) (int, string, time.Duration)) *fakeLLM {
	t.Helper()
	f := &fakeLLM{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		f.auth.Store(r.Header.Get("Authorization"))
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var body struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) != 2 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var req AdviceRequest
		if err := json.Unmarshal([]byte(body.Messages[1].Content), &req); err != nil {
			http.Error(w, "user message is not the request JSON", http.StatusBadRequest)
			return
		}
		status, content, delay := f.answer(req)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":{"message":"upstream exploded","type":"server_error"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"usage": map[string]any{"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
		})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

const secretKey = "sk-test-SECRET-do-not-print"

func advisedMatcher(t *testing.T, f *fakeLLM, usage UsageRecorder, timeout time.Duration) *Matcher {
	t.Helper()
	adv, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{BaseURL: f.srv.URL + "/v1", APIKey: secretKey, Model: "test-model",
		Timeout: timeout, Usage: usage})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(nil, &MatcherConfig{Advisor: adv, AdviseBelow: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// unsureSchema has a field the heuristics cannot place.
func unsureSchema() drift.Schema {
	return drift.Schema{System: "legacy", Object: "firms", Fields: []drift.Field{
		field("Name", drift.TypeString, "Acme Corporation", "Globex GmbH"),
		field("Sparte", drift.TypeString, "Maschinenbau", "Chemie"),
		field("Employees", drift.TypeInteger, "120", "4000"),
	}}
}

func answerJSON(entries ...string) string {
	return `{"fields":[` + strings.Join(entries, ",") + `]}`
}

func TestAdvisorGoodAnswer(t *testing.T) {
	t.Parallel()
	f := newFakeLLM(t, func(req AdviceRequest) (int, string, time.Duration) {
		if req.Entity != "account" || len(req.Targets) == 0 {
			return 500, "", 0
		}
		return 200, answerJSON(`{"field":"Sparte","target":"account.industry","confidence":0.9,"reason":"German for line of business"}`,
			`{"field":"Name","target":"account.name","confidence":0.95}`), 0
	})
	usage := &UsageCounter{}
	m := advisedMatcher(t, f, usage, time.Second)
	tn := tenancy.New()
	res, err := m.Match(tenancy.WithTenant(context.Background(), tn), unsureSchema())
	if err != nil {
		t.Fatal(err)
	}
	nf, _ := res.Field("Sparte")
	if nf.Target != "account.industry" || nf.Provenance != canonical.ProvenanceLLM || nf.Confidence <= 0 || nf.Confidence > 0.9 {
		t.Errorf("Sparte: %+v", nf)
	}
	name, _ := res.Field("Name")
	if name.Target != "account.name" || name.Provenance != canonical.ProvenanceHeuristic {
		t.Errorf("Name: %+v", name)
	}
	if got := f.auth.Load(); got != "Bearer "+secretKey {
		t.Errorf("Authorization header %v", got)
	}
	u := usage.Usage(tn)
	if u.Calls != 1 || u.PromptTokens != 120 || u.CompletionTokens != 30 {
		t.Errorf("usage %+v", u)
	}
	// Same schema again: answered from the cache, no second call.
	if _, err := m.Match(tenancy.WithTenant(context.Background(), tn), unsureSchema()); err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != 1 || usage.Usage(tn).CacheHits != 1 {
		t.Errorf("calls %d, usage %+v: want one call and one cache hit", f.calls.Load(), usage.Usage(tn))
	}
	// Another tenant is counted apart and does not share the cache.
	other := tenancy.New()
	if _, err := m.Match(tenancy.WithTenant(context.Background(), other), unsureSchema()); err != nil {
		t.Fatal(err)
	}
	if usage.Usage(other).Calls != 1 || usage.Usage(tn).Calls != 1 {
		t.Errorf("per-tenant usage: %+v / %+v", usage.Usage(tn), usage.Usage(other))
	}
}

// TestAdvisorFailuresKeepHeuristics: every kind of failure leaves the
// heuristic answer standing.
func TestAdvisorFailuresKeepHeuristics(t *testing.T) {
	t.Parallel()
	heur, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := heur.Match(context.Background(), unsureSchema())
	if err != nil {
		t.Fatal(err)
	}
	for name, answer := range map[string]func(AdviceRequest) (int, string, time.Duration){
		"server error":   func(AdviceRequest) (int, string, time.Duration) { return 500, "", 0 },
		"malformed json": func(AdviceRequest) (int, string, time.Duration) { return 200, `{"fields": [ {"field": "Netz`, 0 },
		"prose": func(AdviceRequest) (int, string, time.Duration) {
			return 200, "I think Sparte is the industry.", 0
		},
		"unknown target": func(AdviceRequest) (int, string, time.Duration) {
			return 200, answerJSON(`{"field":"Sparte","target":"account.website","confidence":0.99}`), 0
		},
		"other entity": func(AdviceRequest) (int, string, time.Duration) {
			return 200, answerJSON(`{"field":"Sparte","target":"contact.email","confidence":0.99}`), 0
		},
		"bad confidence": func(AdviceRequest) (int, string, time.Duration) {
			return 200, answerJSON(`{"field":"Sparte","target":"account.industry","confidence":7}`), 0
		},
		"unasked field": func(AdviceRequest) (int, string, time.Duration) {
			return 200, answerJSON(`{"field":"Nope","target":"account.industry","confidence":0.9}`), 0
		},
		"timeout": func(AdviceRequest) (int, string, time.Duration) {
			return 200, answerJSON(`{"field":"Sparte","target":"account.industry","confidence":0.9}`), 3 * time.Second
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFakeLLM(t, answer)
			usage := &UsageCounter{}
			m := advisedMatcher(t, f, usage, 200*time.Millisecond)
			tn := tenancy.New()
			start := time.Now()
			got, err := m.Match(tenancy.WithTenant(context.Background(), tn), unsureSchema())
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("took %v: the timeout did not hold", time.Since(start))
			}
			for i, g := range got.Fields {
				w := want.Fields[i]
				if g.Target != w.Target || g.Confidence != w.Confidence || g.Provenance != canonical.ProvenanceHeuristic {
					t.Errorf("%s: got %q %.3f %s, heuristic said %q %.3f", g.Source, g.Target, g.Confidence, g.Provenance, w.Target, w.Confidence)
				}
			}
			if f.calls.Load() == 0 || usage.Usage(tn).Calls == 0 {
				t.Errorf("advisor not asked: calls %d usage %+v", f.calls.Load(), usage.Usage(tn))
			}
		})
	}
}

func TestAdvisorErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	f := newFakeLLM(t, func(AdviceRequest) (int, string, time.Duration) { return 500, "", 0 })
	adv, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{BaseURL: f.srv.URL, APIKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = adv.Advise(context.Background(), AdviceRequest{Entity: "account",
		Fields: []AdviceField{{Name: "x", Samples: []string{"private-sample-value"}}}})
	if !errors.Is(err, ErrAdvisor) {
		t.Fatalf("err %v, want ErrAdvisor", err)
	}
	if strings.Contains(err.Error(), secretKey) || strings.Contains(err.Error(), "private-sample-value") {
		t.Errorf("error leaks: %v", err)
	}
	if _, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{BaseURL: "ftp://x"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad base URL: %v", err)
	}
	if _, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{Timeout: -1}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("negative timeout: %v", err)
	}
}

// TestAdvisorAskedOnlyWhenUnsure: with the default threshold a schema the
// heuristics are sure of costs no call.
func TestAdvisorAskedOnlyWhenUnsure(t *testing.T) {
	t.Parallel()
	f := newFakeLLM(t, func(AdviceRequest) (int, string, time.Duration) { return 200, `{"fields":[]}`, 0 })
	adv, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(nil, &MatcherConfig{Advisor: adv})
	if err != nil {
		t.Fatal(err)
	}
	s := drift.Schema{System: "salesforce", Object: "Account", Fields: []drift.Field{
		field("Id", drift.TypeString, "0015g00000XyZ1aAAK"), field("Name", drift.TypeString, "Acme"),
		field("Website", drift.TypeString, "acme.com"),
	}}
	if _, err := m.Match(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d calls for a schema the heuristics are sure of", n)
	}
}

// TestAdvisorRespectsOneToOne: the advisor cannot hand out a target a
// confident field holds.
func TestAdvisorRespectsOneToOne(t *testing.T) {
	t.Parallel()
	f := newFakeLLM(t, func(req AdviceRequest) (int, string, time.Duration) {
		return 200, answerJSON(`{"field":"Sparte","target":"account.name","confidence":0.9}`), 0
	})
	adv, err := NewOpenAIAdvisor(OpenAIAdvisorConfig{BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(nil, &MatcherConfig{Advisor: adv, AdviseBelow: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	s := unsureSchema()
	s.Fields[1].Samples = []string{"x", "y"} // make it unsure but keep Name confident
	res, err := m.Match(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := res.Field("Name")
	n2, _ := res.Field("Sparte")
	if name.Target != "account.name" || n2.Target == "account.name" {
		t.Errorf("Name -> %q, Sparte -> %q", name.Target, n2.Target)
	}
}
