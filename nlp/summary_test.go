package nlp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/tenancy"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func testFigures(t *testing.T) (*MemoryFigures, tenancy.ID, tenancy.ID, time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a, b := tenancy.New(), tenancy.New()
	m := &MemoryFigures{}
	m.Set(a, TenantData{
		Deals: []Deal{
			{Stage: "proposal", Amount: dec("1200.50")},
			{Stage: "proposal", Amount: dec("800.00")},
			{Stage: "discovery", Amount: dec("5000")},
			{Stage: "closed", Amount: dec("999"), Outcome: "won", ClosedAt: now.AddDate(0, 0, -10)},
			{Stage: "closed", Amount: dec("999"), Outcome: "won", ClosedAt: now.AddDate(0, 0, -20)},
			{Stage: "closed", Amount: dec("999"), Outcome: "lost", ClosedAt: now.AddDate(0, 0, -30)},
			{Stage: "closed", Amount: dec("999"), Outcome: "lost", ClosedAt: now.AddDate(-1, 0, 0)}, // outside the window
		},
		Invoices: []Invoice{
			{Amount: dec("100.10"), Due: now.AddDate(0, 0, -5)},
			{Amount: dec("200.20"), Due: now.AddDate(0, 0, 5)},
			{Amount: dec("300.30"), Due: now.AddDate(0, 0, -50), Paid: true},
		},
		Activities: []Activity{
			{Kind: "call", At: now.AddDate(0, 0, -1)}, {Kind: "call", At: now.AddDate(0, 0, -2)},
			{Kind: "meeting", At: now.AddDate(0, 0, -3)}, {Kind: "meeting", At: now.AddDate(0, -6, 0)},
		},
		Connections: []ConnectionStatus{
			{Connection: "salesforce", Healthy: true, DriftEvents: 2},
			{Connection: "netsuite", Healthy: false, DriftEvents: 1},
		},
	})
	m.Set(b, TenantData{Invoices: []Invoice{{Amount: dec("7"), Due: now.AddDate(0, 0, -1)}}})
	return m, a, b, now
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	m, a, b, now := testFigures(t)
	ctx := context.Background()
	want := map[Persona]map[string]string{
		CRO: {"pipeline.total": "7000.5", "pipeline.count": "3", "pipeline.stage.proposal": "2000.5", "pipeline.stage.discovery": "5000", "win_rate": "0.6667"},
		CFO: {"invoices.open.amount": "300.3", "invoices.open.count": "2", "invoices.overdue.amount": "100.1", "invoices.overdue.count": "1"},
		COO: {"activities.total": "3", "activities.call": "2", "activities.meeting": "1"},
		CTO: {"connections.total": "2", "connections.unhealthy": "1", "drift.open": "3"},
	}
	for p, figs := range want {
		s, err := Summarize(ctx, m, a, p, now)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(s.Figures) != len(figs) {
			t.Errorf("%s: %d figures, want %d: %v", p, len(s.Figures), len(figs), s.Figures)
		}
		for name, v := range figs {
			f, ok := s.Figure(name)
			if !ok || !f.Value.Equal(dec(v)) {
				t.Errorf("%s %s = %v (found %v), want %s", p, name, f.Value, ok, v)
			}
		}
	}
	// Tenant b sees only its own invoice.
	s, err := Summarize(ctx, m, b, CFO, now)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Figure("invoices.open.amount"); !f.Value.Equal(dec("7")) {
		t.Errorf("tenant b open invoices = %v, want 7", f.Value)
	}
	if _, err := Summarize(ctx, m, a, "ceo", now); !errors.Is(err, ErrUnknownPersona) {
		t.Errorf("unknown persona: %v", err)
	}
	if _, err := Summarize(ctx, nil, a, CFO, now); !errors.Is(err, ErrNoFigures) {
		t.Errorf("nil figures: %v", err)
	}
	if _, err := Summarize(ctx, m, tenancy.Nil, CFO, now); err == nil {
		t.Error("nil tenant accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Summarize(cctx, m, a, CTO, now); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

type failingFigures struct{ *MemoryFigures }

var errBoom = errors.New("boom")

func (*failingFigures) OverdueInvoices(context.Context, tenancy.ID, time.Time) (InvoiceTotal, error) {
	return InvoiceTotal{}, errBoom
}

func TestSummarizeWrapsErrors(t *testing.T) {
	t.Parallel()
	_, err := Summarize(context.Background(), &failingFigures{&MemoryFigures{}}, tenancy.New(), CFO, time.Now())
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want wrapped errBoom", err)
	}
}
