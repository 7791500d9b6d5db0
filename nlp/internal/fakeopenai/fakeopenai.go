// Package fakeopenai is an httptest server speaking the OpenAI
// embeddings and chat-completions wire formats, for tests of nlp's
// gateway and of nlp/openaicompat. Embeddings come from
// [nlp.HashEmbedder]; chat answers from a function the test sets.
package fakeopenai

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/autonomos/autonomos/nlp"
)

// Server is a fake OpenAI-compatible server.
type Server struct {
	*httptest.Server
	// Answer returns the assistant's reply to the system and user
	// messages; ok false makes the server answer 500.
	Answer func(system, user string) (reply string, ok bool)
	// Dim overrides the vector length returned (0: the requested one).
	Dim int

	mu sync.Mutex
	// EmbedBatches records the number of inputs per embeddings request.
	EmbedBatches []int
	// Inputs records every embeddings input and chat message received.
	Inputs []string
	// Auth records the Authorization headers received.
	Auth []string
}

// New starts a server closed at the end of the test.
func New(t testing.TB) *Server {
	s := &Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// URL returns the base URL including /v1.
func (s *Server) BaseURL() string { return s.Server.URL + "/v1" }

// Received returns a copy of the recorded inputs.
func (s *Server) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Inputs...)
}

// Batches returns a copy of the recorded embedding batch sizes.
func (s *Server) Batches() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.EmbedBatches...)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "server_error"}})
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input      []string `json:"input"`
		Model      string   `json:"model"`
		Dimensions int      `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, 400, "bad json")
		return
	}
	s.mu.Lock()
	s.EmbedBatches = append(s.EmbedBatches, len(req.Input))
	s.Inputs = append(s.Inputs, req.Input...)
	s.Auth = append(s.Auth, r.Header.Get("Authorization"))
	dim := s.Dim
	s.mu.Unlock()
	if dim == 0 {
		dim = req.Dimensions
	}
	if dim == 0 {
		dim = 1536
	}
	h, err := nlp.NewHashEmbedder(dim)
	if err != nil {
		writeError(w, 400, err.Error())
		return
	}
	data := make([]map[string]any, len(req.Input))
	// Answer in reverse order: clients must use "index".
	for i, in := range req.Input {
		data[len(req.Input)-1-i] = map[string]any{"object": "embedding", "index": i, "embedding": h.EmbedOne(in)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": 10 * len(req.Input), "total_tokens": 10 * len(req.Input)},
	})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, 400, "bad json")
		return
	}
	var system, user string
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			system = m.Content
		case "user":
			user = m.Content
		}
	}
	s.mu.Lock()
	s.Inputs = append(s.Inputs, system, user)
	s.Auth = append(s.Auth, r.Header.Get("Authorization"))
	answer := s.Answer
	s.mu.Unlock()
	if answer == nil {
		writeError(w, 500, "no answer configured")
		return
	}
	reply, ok := answer(system, user)
	if !ok {
		writeError(w, 500, "the model is overloaded; prompt was: "+user)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": reply}}},
		"usage": map[string]int{"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168},
	})
}
