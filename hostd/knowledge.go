package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
)

// maxIngestDocuments bounds one ingestion job.
const maxIngestDocuments = 1000

func (a *app) knowledgeRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/nlp/documents", out: struct {
			Documents []documentJSON `json:"documents"`
		}{}, tag: "nlp", summary: "The tenant's knowledge documents (without their text).", auth: true, ok: 200, handler: a.handle(a.listDocuments)},
		{method: "POST", path: "/api/v1/nlp/documents", in: documentJSON{}, out: documentJSON{}, tag: "nlp", summary: "Add or replace a knowledge document; it is searchable when this returns.", auth: true, body: "{id, title, text, tags?, metadata?}", ok: 201, errors: []int{400, 413}, handler: a.handle(a.addDocument)},
		{method: "POST", path: "/api/v1/nlp/documents/ingest", in: ingestRequest{}, out: Job{}, tag: "nlp", summary: fmt.Sprintf("Add or replace up to %d documents as a job (chunking and embedding happen in the background); poll the job for the ids added.", maxIngestDocuments), auth: true, body: "{documents: [{id, title, text, tags?, metadata?}]}", ok: 202, errors: []int{400, 413}, handler: a.handle(a.ingestDocuments)},
		{method: "DELETE", path: "/api/v1/nlp/documents/{id}", tag: "nlp", summary: "Delete a knowledge document and its chunks.", auth: true, ok: 204, errors: []int{404}, handler: a.handle(a.deleteDocument)},
	}
}

// registerKnowledgeJobs registers "kb.ingest": documents added one by one,
// each one a replace, so a retried job gives the same knowledge base.
func (a *app) registerKnowledgeJobs() {
	a.registerJob("kb.ingest", func(ctx context.Context, tenant tenancy.ID, args json.RawMessage) (any, error) {
		var in ingestRequest
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, fmt.Errorf("kb.ingest job arguments: %w", err)
		}
		added := make([]string, 0, len(in.Documents))
		for i, d := range in.Documents {
			if _, err := a.kb.Add(ctx, tenant, d.document()); err != nil {
				return map[string]any{"added": added}, fmt.Errorf("documents[%d] (id %q): %w", i, d.ID, err)
			}
			added = append(added, d.ID)
		}
		return map[string]any{"added": added}, nil
	})
}

// documentJSON is the wire form of an nlp.Document.
type documentJSON struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Text     string            `json:"text,omitempty"`
	Tags     []string          `json:"tags,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Added    time.Time         `json:"added,omitzero"`
	Chunks   int               `json:"chunks"`
}

func (d documentJSON) document() nlp.Document {
	return nlp.Document{ID: d.ID, Title: d.Title, Text: d.Text, Tags: d.Tags, Metadata: d.Metadata}
}

func docJSON(d nlp.Document, withText bool) documentJSON {
	j := documentJSON{ID: d.ID, Title: d.Title, Tags: d.Tags, Metadata: d.Metadata, Added: d.Added, Chunks: d.Chunks}
	if withText {
		j.Text = d.Text
	}
	return j
}

type ingestRequest struct {
	Documents []documentJSON `json:"documents"`
}

func (a *app) listDocuments(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	docs, err := a.kb.List(r.Context(), tenant)
	if err != nil {
		return err
	}
	out := make([]documentJSON, 0, len(docs))
	for _, d := range docs {
		out = append(out, docJSON(d, false))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}

func (a *app) addDocument(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req documentJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := a.kb.Add(r.Context(), tenant, req.document())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, docJSON(d, false))
}

// ingestDocuments checks what can be checked at once (ids, titles, text
// present; no id twice) and queues the rest.
func (a *app) ingestDocuments(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req ingestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch n := len(req.Documents); {
	case n == 0:
		return badRequest("documents: at least one document is required")
	case n > maxIngestDocuments:
		return badRequest("documents: %d documents, at most %d per job", n, maxIngestDocuments)
	}
	seen := make(map[string]int, len(req.Documents))
	for i, d := range req.Documents {
		switch {
		case d.ID == "":
			return badRequest("documents[%d].id: required", i)
		case d.Text == "":
			return badRequest("documents[%d].text: required (id %q)", i, d.ID)
		}
		if j, dup := seen[d.ID]; dup {
			return badRequest("documents[%d].id: %q is also documents[%d].id", i, d.ID, j)
		}
		seen[d.ID] = i
	}
	job, err := a.jobs.Submit(r.Context(), tenant, "kb.ingest", fmt.Sprintf("%d documents", len(req.Documents)), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, http.StatusAccepted, job)
}

func (a *app) deleteDocument(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	if err := a.kb.Delete(r.Context(), tenant, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
