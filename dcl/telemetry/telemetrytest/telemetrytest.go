// Package telemetrytest is the conformance suite of telemetry drivers.
package telemetrytest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/tenancy"
)

// RunConformanceTests runs the shared semantics against fresh, empty
// drivers made by newDriver.
func RunConformanceTests(t *testing.T, newDriver func(t *testing.T) telemetry.Driver) {
	ctx := context.Background()
	a := tenancy.MustParse("11111111-2222-4333-8444-555555555555")
	b := tenancy.MustParse("66666666-7777-4888-9999-000000000000")
	newRec := func(t *testing.T) *telemetry.Recorder {
		r, err := telemetry.New(newDriver(t))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("TotalsPerTenantAndModel", func(t *testing.T) {
		r := newRec(t)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(r.Record(ctx, a, "gpt-4o", 100, 20))
		must(r.Record(ctx, a, "gpt-4o", 50, 5))
		must(r.Record(ctx, a, "org:model:v2", 7, 0)) // colons in a model name
		must(r.Record(ctx, b, "gpt-4o", 1, 1))
		got, err := r.Totals(ctx, a)
		must(err)
		want := telemetry.Totals{
			"gpt-4o":       {Calls: 2, PromptTokens: 150, CompletionTokens: 25},
			"org:model:v2": {Calls: 1, PromptTokens: 7},
		}
		if len(got) != len(want) || got["gpt-4o"] != want["gpt-4o"] || got["org:model:v2"] != want["org:model:v2"] {
			t.Errorf("totals of a = %+v, want %+v", got, want)
		}
		if s := got.Sum(); s.Calls != 3 || s.Tokens() != 182 {
			t.Errorf("sum = %+v, want 3 calls, 182 tokens", s)
		}
		gotB, err := r.Totals(ctx, b)
		must(err)
		if gotB["gpt-4o"] != (telemetry.Usage{Calls: 1, PromptTokens: 1, CompletionTokens: 1}) || len(gotB) != 1 {
			t.Errorf("totals of b = %+v", gotB)
		}
	})
	t.Run("EmptyTenant", func(t *testing.T) {
		got, err := newRec(t).Totals(ctx, a)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("totals = %v, %v; want empty, nil", got, err)
		}
	})
	t.Run("ConcurrentRecordsAllCounted", func(t *testing.T) {
		r := newRec(t)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					if err := r.Record(ctx, a, "m", 3, 2); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		got, err := r.Totals(ctx, a)
		if err != nil || got["m"] != (telemetry.Usage{Calls: 200, PromptTokens: 600, CompletionTokens: 400}) {
			t.Errorf("totals = %+v, %v; want 200 calls", got, err)
		}
	})
	t.Run("InvalidInput", func(t *testing.T) {
		r := newRec(t)
		for _, tc := range []struct {
			tenant tenancy.ID
			model  string
			p, c   int64
		}{{a, "", 1, 1}, {a, "m", -1, 0}, {a, string(make([]byte, 300)), 1, 1}, {tenancy.Nil, "m", 1, 1}} {
			if err := r.Record(ctx, tc.tenant, tc.model, tc.p, tc.c); !errors.Is(err, telemetry.ErrInvalidInput) {
				t.Errorf("Record(%v, %.10q, %d, %d) = %v, want ErrInvalidInput", tc.tenant, tc.model, tc.p, tc.c, err)
			}
		}
		if got, _ := r.Totals(ctx, a); len(got) != 0 {
			t.Errorf("invalid records were counted: %v", got)
		}
	})
}
