package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// TestMetricsCountJobsLLMAndStreams: the operational metrics the issue
// names beyond requests (jobs, LLM calls and tokens, stream lag, open
// streams) are exported.
func TestMetricsCountJobsLLMAndStreams(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.OpenAIModel = "test-model" })
	token, tenant := register(t, a, "Acme", "metrics@example.com")
	ctx := tenancy.WithTenant(context.Background(), tenant)

	r := do(t, a, "POST", "/api/v1/nlp/documents/ingest", token, map[string]any{"documents": []map[string]any{{"id": "d1", "title": "t", "text": "Invoices are due in thirty days."}}})
	if r.code != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.code, r.body)
	}
	a.recordLLMUsage(ctx, &nlp.Answer{Mode: nlp.AnswerLLM, Tokens: nlp.Tokens{Prompt: 120, Completion: 30}})
	advisorUsage{a}.RecordUsage(ctx, tenant, repair.Usage{Calls: 1, PromptTokens: 300, CompletionTokens: 40})
	a.jobs.Shutdown(context.Background()) // waits for the ingest job

	m := do(t, a, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`hostd_job_runs_total{kind="kb.ingest",outcome="succeeded"} 1`,
		`hostd_job_duration_seconds_count{kind="kb.ingest"} 1`,
		`hostd_llm_calls_total{caller="ask",model="test-model"} 1`,
		`hostd_llm_calls_total{caller="mapping_advisor",model="test-model"} 1`,
		`hostd_llm_tokens_total{caller="ask",kind="prompt",model="test-model"} 120`,
		`hostd_llm_tokens_total{caller="mapping_advisor",kind="completion",model="test-model"} 40`,
		`hostd_stream_lag_events 0`,
		`hostd_live_streams_open 0`,
	} {
		if !bytes.Contains(m.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
