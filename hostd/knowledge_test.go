package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/autonomos/autonomos/nlp"
)

func TestKnowledgeIngestJobAndDelete(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.OnboardDemo = false })
	tokenA, _ := register(t, a, "Acme", "kb-a@example.com")
	tokenB, _ := register(t, a, "Globex", "kb-b@example.com")

	docs := map[string]any{"documents": []map[string]any{
		{"id": "refunds", "title": "Refund policy", "text": "Refunds are granted within 30 days of the invoice date."},
		{"id": "renewals", "title": "Renewals", "text": "Contracts renew every twelve months unless cancelled in writing."},
	}}
	r := do(t, a, "POST", "/api/v1/nlp/documents/ingest", tokenA, docs)
	if r.code != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.code, r.body)
	}
	var job Job
	if err := json.Unmarshal(r.body, &job); err != nil {
		t.Fatal(err)
	}
	if got := r.header.Get("Location"); got != "/api/v1/jobs/"+job.ID {
		t.Fatalf("Location = %q", got)
	}
	if j := waitJob(t, a, tokenA, job.ID); j.Status != JobSucceeded {
		t.Fatalf("ingest job: %+v", j)
	}
	if r := do(t, a, "GET", "/api/v1/jobs/"+job.ID, tokenB, nil); r.code != http.StatusNotFound {
		t.Fatalf("tenant B reads tenant A's job: %d", r.code)
	}
	list := do(t, a, "GET", "/api/v1/nlp/documents", tokenA, nil)
	if !bytes.Contains(list.body, []byte(`"refunds"`)) || !bytes.Contains(list.body, []byte(`"renewals"`)) {
		t.Fatalf("documents after ingest: %s", list.body)
	}

	// Checked before queueing: a duplicate id and a missing text are 400
	// with the place named.
	bad := map[string]any{"documents": []map[string]any{{"id": "x", "text": "a"}, {"id": "x", "text": "b"}}}
	if r := do(t, a, "POST", "/api/v1/nlp/documents/ingest", tokenA, bad); r.code != http.StatusBadRequest || !bytes.Contains(r.body, []byte("documents[1].id")) {
		t.Fatalf("duplicate ids: %d %s", r.code, r.body)
	}
	if r := do(t, a, "POST", "/api/v1/nlp/documents/ingest", tokenA, map[string]any{"documents": []map[string]any{{"id": "y"}}}); r.code != http.StatusBadRequest || !bytes.Contains(r.body, []byte("documents[0].text")) {
		t.Fatalf("missing text: %d %s", r.code, r.body)
	}

	// Another tenant cannot delete it; its owner can, once.
	if r := do(t, a, "DELETE", "/api/v1/nlp/documents/refunds", tokenB, nil); r.code != http.StatusNotFound {
		t.Fatalf("tenant B deletes tenant A's document: %d %s", r.code, r.body)
	}
	if r := do(t, a, "DELETE", "/api/v1/nlp/documents/refunds", tokenA, nil); r.code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	if r := do(t, a, "DELETE", "/api/v1/nlp/documents/refunds", tokenA, nil); r.code != http.StatusNotFound {
		t.Fatalf("second delete: %d %s", r.code, r.body)
	}
	list = do(t, a, "GET", "/api/v1/nlp/documents", tokenA, nil)
	if bytes.Contains(list.body, []byte(`"refunds"`)) || !bytes.Contains(list.body, []byte(`"renewals"`)) {
		t.Fatalf("documents after delete: %s", list.body)
	}
}

// TestKnowledgeKeptAcrossRestart: the embedded default keeps knowledge
// documents in the data directory.
func TestKnowledgeKeptAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir }
	a1 := newTestApp(t, mod)
	token, _ := register(t, a1, "Acme", "kb-restart@example.com")
	doc := map[string]any{"id": "refunds", "title": "Refund policy", "text": "Refunds are granted within 30 days of the invoice date."}
	if r := do(t, a1, "POST", "/api/v1/nlp/documents", token, doc); r.code != http.StatusCreated {
		t.Fatalf("add: %d %s", r.code, r.body)
	}
	a1.close()

	a2 := newTestApp(t, mod)
	if r := do(t, a2, "GET", "/api/v1/nlp/documents", token, nil); r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"refunds"`)) {
		t.Fatalf("documents after restart: %d %s", r.code, r.body)
	}
	ans := decode[nlp.Answer](t, do(t, a2, "POST", "/api/v1/nlp/ask", token, map[string]string{"question": "When are refunds granted?"}))
	if len(ans.Sources) == 0 || ans.Sources[0].DocumentID != "refunds" {
		t.Fatalf("ask after restart: %+v", ans)
	}
}
