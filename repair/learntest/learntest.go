// Package learntest is the conformance suite for implementations of
// [repair.Memory], the store of people's approved and rejected mappings
// the matcher learns from. Every implementation's tests run
// [RunConformanceTests]; the in-memory [repair.LocalMemory] does, and so
// can a database-backed one.
package learntest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// NewMemory returns a fresh, empty Memory for one test.
type NewMemory func(t *testing.T) repair.Memory

// RunConformanceTests runs the shared semantics of repair.Memory against
// the implementation newMemory builds.
func RunConformanceTests(t *testing.T, newMemory NewMemory) {
	t.Helper()
	ctx := context.Background()
	approve := func(field, target string) repair.Decision {
		return repair.Decision{System: "crm", Object: "accounts", Field: field, Samples: []string{"acme.com", "globex.de"},
			Target: target, Verdict: repair.VerdictApproved, By: "ann", At: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		m := newMemory(t)
		tn := tenancy.New()
		d := approve("Website", "account.domain")
		if err := m.Record(ctx, tn, d); err != nil {
			t.Fatal(err)
		}
		got, err := m.Decisions(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d decisions, want 1", len(got))
		}
		g := got[0]
		if g.System != d.System || g.Object != d.Object || g.Field != d.Field || g.Target != d.Target ||
			g.Verdict != d.Verdict || g.By != d.By || !g.At.Equal(d.At) || fmt.Sprint(g.Samples) != fmt.Sprint(d.Samples) {
			t.Errorf("got %+v, want %+v", g, d)
		}
	})

	t.Run("TenantsAreIsolated", func(t *testing.T) {
		m := newMemory(t)
		a, b := tenancy.New(), tenancy.New()
		if err := m.Record(ctx, a, approve("Website", "account.domain")); err != nil {
			t.Fatal(err)
		}
		got, err := m.Decisions(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("tenant B sees %d of tenant A's decisions", len(got))
		}
	})

	t.Run("LaterDecisionReplaces", func(t *testing.T) {
		m := newMemory(t)
		tn := tenancy.New()
		d := approve("Website", "account.domain")
		d.Verdict = repair.VerdictRejected
		if err := m.Record(ctx, tn, d); err != nil {
			t.Fatal(err)
		}
		d.Verdict = repair.VerdictApproved
		if err := m.Record(ctx, tn, d); err != nil {
			t.Fatal(err)
		}
		if err := m.Record(ctx, tn, approve("Phone", "account.phone")); err != nil {
			t.Fatal(err)
		}
		got, err := m.Decisions(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("%d decisions, want 2: %+v", len(got), got)
		}
		for _, g := range got {
			if g.Field == "Website" && g.Verdict != repair.VerdictApproved {
				t.Errorf("Website verdict %s, want the later approval", g.Verdict)
			}
		}
	})

	t.Run("RejectsBadInput", func(t *testing.T) {
		m := newMemory(t)
		tn := tenancy.New()
		for name, d := range map[string]repair.Decision{
			"no field":    {Target: "account.name", Verdict: repair.VerdictApproved},
			"bad target":  {Field: "x", Target: "nothing", Verdict: repair.VerdictApproved},
			"bad verdict": {Field: "x", Target: "account.name", Verdict: "perhaps"},
		} {
			if err := m.Record(ctx, tn, d); !errors.Is(err, repair.ErrInvalidInput) {
				t.Errorf("%s: err %v, want ErrInvalidInput", name, err)
			}
		}
		if err := m.Record(ctx, tenancy.Nil, approve("x", "account.name")); !errors.Is(err, repair.ErrInvalidInput) {
			t.Errorf("zero tenant: err %v", err)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		m := newMemory(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		if err := m.Record(c, tenancy.New(), approve("x", "account.name")); !errors.Is(err, context.Canceled) {
			t.Errorf("Record: err %v", err)
		}
		if _, err := m.Decisions(c, tenancy.New()); !errors.Is(err, context.Canceled) {
			t.Errorf("Decisions: err %v", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		m := newMemory(t)
		tn := tenancy.New()
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.Record(ctx, tn, approve(fmt.Sprintf("f%d", i), "account.name")); err != nil {
					t.Error(err)
				}
				if _, err := m.Decisions(ctx, tn); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := m.Decisions(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 16 {
			t.Errorf("%d decisions after 16 concurrent records", len(got))
		}
	})
}
