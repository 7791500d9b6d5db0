// Package telemetry counts LLM use per tenant and model: calls, prompt
// tokens and completion tokens, readable as totals. A [Recorder] holds a
// small [Driver]: memtelemetry keeps the counts in memory (embedded
// mode), redistelemetry in Redis (server mode, shared by replicas).
// telemetrytest is the conformance suite both run.
//
//	rec, err := telemetry.New(memtelemetry.New())
//	err = rec.Record(ctx, tenant, "gpt-4o-mini", 1200, 300)
//	totals, err := rec.Totals(ctx, tenant) // totals["gpt-4o-mini"].Calls == 1
//
// A Recorder is safe for concurrent use; counts are added atomically, so
// concurrent records from several replicas are never lost.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/autonomos/autonomos/tenancy"
)

// ErrInvalidInput reports a model name or token count that cannot be
// recorded.
var ErrInvalidInput = errors.New("telemetry: invalid input")

// MaxModelLength is the longest model name accepted, in bytes.
const MaxModelLength = 200

// Usage is what was counted for one model, or in total.
type Usage struct {
	Calls            int64 `json:"calls"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
}

// Tokens is prompt plus completion tokens.
func (u Usage) Tokens() int64 { return u.PromptTokens + u.CompletionTokens }

// Add returns u plus o.
func (u Usage) Add(o Usage) Usage {
	return Usage{Calls: u.Calls + o.Calls, PromptTokens: u.PromptTokens + o.PromptTokens, CompletionTokens: u.CompletionTokens + o.CompletionTokens}
}

// Totals maps a model name to its usage.
type Totals map[string]Usage

// Sum is the usage over every model.
func (t Totals) Sum() Usage {
	var s Usage
	for _, u := range t {
		s = s.Add(u)
	}
	return s
}

// Driver stores the counters. Add must be atomic: concurrent Adds are
// all counted.
type Driver interface {
	// Add adds u to the tenant's counters of model.
	Add(ctx context.Context, tenant tenancy.ID, model string, u Usage) error
	// Totals returns the tenant's counters by model; empty, not nil, when
	// none.
	Totals(ctx context.Context, tenant tenancy.ID) (Totals, error)
}

// Recorder records LLM calls. It is safe for concurrent use.
type Recorder struct{ d Driver }

// New returns a Recorder over d.
func New(d Driver) (*Recorder, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrInvalidInput)
	}
	return &Recorder{d: d}, nil
}

// Record counts one call of model for tenant with its token counts.
func (r *Recorder) Record(ctx context.Context, tenant tenancy.ID, model string, promptTokens, completionTokens int64) error {
	if err := tenant.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	switch {
	case model == "" || len(model) > MaxModelLength || !utf8.ValidString(model):
		return fmt.Errorf("%w: model name must be 1 to %d bytes of UTF-8", ErrInvalidInput, MaxModelLength)
	case promptTokens < 0 || completionTokens < 0:
		return fmt.Errorf("%w: negative token count (%d, %d) for model %q", ErrInvalidInput, promptTokens, completionTokens, model)
	}
	if err := r.d.Add(ctx, tenant, model, Usage{Calls: 1, PromptTokens: promptTokens, CompletionTokens: completionTokens}); err != nil {
		return fmt.Errorf("telemetry: record for tenant %s: %w", tenant, err)
	}
	return nil
}

// Totals returns the tenant's usage by model.
func (r *Recorder) Totals(ctx context.Context, tenant tenancy.ID) (Totals, error) {
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	t, err := r.d.Totals(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("telemetry: totals for tenant %s: %w", tenant, err)
	}
	return t, nil
}
