package repair

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

func firmSchema(system, object, webField string, samples ...string) drift.Schema {
	return drift.Schema{System: system, Object: object, Fields: []drift.Field{
		field("Name", drift.TypeString, "Acme Corporation", "Globex GmbH"),
		field(webField, drift.TypeString, samples...),
		field("Employees", drift.TypeInteger, "120", "4000"),
	}}
}

// TestLearnedApprovalNoLeak: a field approved once by tenant A is
// recognized in another of A's sources, and never for tenant B.
func TestLearnedApprovalNoLeak(t *testing.T) {
	t.Parallel()
	mem := NewLocalMemory()
	a, b := tenancy.New(), tenancy.New()
	ctx := context.Background()
	if err := mem.Record(ctx, a, Decision{System: "legacy", Object: "firms", Field: "Sparte",
		Samples: []string{"Maschinenbau", "Chemie"}, Target: "account.industry", Verdict: VerdictApproved, By: "ann", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(nil, &MatcherConfig{Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	s := firmSchema("other_crm", "companies", "sparte_", "Chemie", "Handel")

	resA, err := m.Match(tenancy.WithTenant(ctx, a), s)
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := resA.Field("sparte_")
	if fa.Target != "account.industry" || fa.Provenance != canonical.ProvenanceLearned {
		t.Fatalf("tenant A: %s -> %q (%s), want account.industry learned; %v", fa.Source, fa.Target, fa.Provenance, fa.Evidence)
	}
	if !strings.Contains(strings.Join(fa.Evidence, " "), "Sparte") {
		t.Errorf("evidence does not cite the approval: %v", fa.Evidence)
	}
	for name, c := range map[string]context.Context{"tenant B": tenancy.WithTenant(ctx, b), "no tenant": ctx} {
		res, err := m.Match(c, s)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := res.Field("sparte_")
		if f.Target != "" || f.Provenance == canonical.ProvenanceLearned {
			t.Errorf("%s sees tenant A's decision: %s -> %q (%s)", name, f.Source, f.Target, f.Provenance)
		}
	}
	// B's own memory is empty.
	if ds, err := mem.Decisions(ctx, b); err != nil || len(ds) != 0 {
		t.Errorf("tenant B decisions: %v, %v", ds, err)
	}
}

// TestLearnedRejection: a rejected pairing is not proposed again to that
// tenant, and still is to others.
func TestLearnedRejection(t *testing.T) {
	t.Parallel()
	mem := NewLocalMemory()
	a, b := tenancy.New(), tenancy.New()
	ctx := context.Background()
	s := firmSchema("crm", "accounts", "Website", "www.acme.com", "globex.de")
	m, err := NewMatcher(nil, &MatcherConfig{Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Match(tenancy.WithTenant(ctx, a), s)
	if f, _ := before.Field("Website"); f.Target != "account.domain" {
		t.Fatalf("precondition: Website -> %q", f.Target)
	}
	if err := mem.Record(ctx, a, Decision{System: "crm", Object: "accounts", Field: "Website", Target: "account.domain",
		Verdict: VerdictRejected, By: "bob"}); err != nil {
		t.Fatal(err)
	}
	after, _ := m.Match(tenancy.WithTenant(ctx, a), s)
	f, _ := after.Field("Website")
	if f.Target == "account.domain" {
		t.Errorf("rejected pairing proposed again: %v", f.Evidence)
	}
	if !strings.Contains(strings.Join(f.Evidence, " "), "rejected") {
		t.Errorf("evidence does not say it was rejected: %v", f.Evidence)
	}
	other, _ := m.Match(tenancy.WithTenant(ctx, b), s)
	if f, _ := other.Field("Website"); f.Target != "account.domain" {
		t.Errorf("tenant B affected by A's rejection: %q", f.Target)
	}
	// A later approval replaces the rejection.
	if err := mem.Record(ctx, a, Decision{System: "crm", Object: "accounts", Field: "Website", Target: "account.domain",
		Verdict: VerdictApproved, By: "bob"}); err != nil {
		t.Fatal(err)
	}
	again, _ := m.Match(tenancy.WithTenant(ctx, a), s)
	if f, _ := again.Field("Website"); f.Target != "account.domain" {
		t.Errorf("approval after rejection: %q", f.Target)
	}
}

func TestLocalMemoryValidation(t *testing.T) {
	t.Parallel()
	mem := NewLocalMemory()
	ctx := context.Background()
	tn := tenancy.New()
	for name, d := range map[string]Decision{
		"no field":    {Target: "account.name", Verdict: VerdictApproved},
		"bad target":  {Field: "x", Target: "name", Verdict: VerdictApproved},
		"bad verdict": {Field: "x", Target: "account.name", Verdict: "maybe"},
	} {
		if err := mem.Record(ctx, tn, d); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if err := mem.Record(ctx, tenancy.Nil, Decision{Field: "x", Target: "account.name", Verdict: VerdictApproved}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("zero tenant: err %v", err)
	}
	if _, err := mem.Decisions(ctx, tenancy.Nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("zero tenant decisions: err %v", err)
	}
	d := Decision{Field: "x", Target: "account.name", Verdict: VerdictApproved, Samples: []string{"a"}}
	if err := mem.Record(ctx, tn, d); err != nil {
		t.Fatal(err)
	}
	got, _ := mem.Decisions(ctx, tn)
	got[0].Samples[0] = "mutated"
	again, _ := mem.Decisions(ctx, tn)
	if again[0].Samples[0] != "a" {
		t.Error("Decisions returned shared storage")
	}
}

type failingMemory struct{}

func (failingMemory) Record(context.Context, tenancy.ID, Decision) error { return errors.New("down") }
func (failingMemory) Decisions(context.Context, tenancy.ID) ([]Decision, error) {
	return nil, errors.New("down")
}

func TestMemoryFailureKeepsHeuristics(t *testing.T) {
	t.Parallel()
	m, err := NewMatcher(nil, &MatcherConfig{Memory: failingMemory{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Match(tenancy.WithTenant(context.Background(), tenancy.New()), firmSchema("crm", "accounts", "Website", "acme.com"))
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Field("Website"); f.Target != "account.domain" {
		t.Errorf("Website -> %q", f.Target)
	}
}
