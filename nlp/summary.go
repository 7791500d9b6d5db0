package nlp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/tenancy"
)

// StageTotal is the open pipeline in one stage.
type StageTotal struct {
	Stage  string
	Count  int
	Amount decimal.Decimal
}

// WinRate counts deals closed in a period; Rate is Won / (Won + Lost), 0
// when none closed.
type WinRate struct {
	Won, Lost int
	Rate      decimal.Decimal
}

// InvoiceTotal sums invoices.
type InvoiceTotal struct {
	Count  int
	Amount decimal.Decimal
}

// ActivityCount counts activities of one kind (call, meeting, email, task).
type ActivityCount struct {
	Kind  string
	Count int
}

// ConnectionStatus is the health of one data connection.
type ConnectionStatus struct {
	Connection string
	// Healthy is false when the last sync failed or is stale.
	Healthy bool
	// DriftEvents counts schema drift events not yet resolved.
	DriftEvents int
	LastSync    time.Time
}

// Figures reads the few figures the persona summaries need from a
// tenant's unified views. nlp defines it and does not import the
// warehouse; hostd wires dcl into it, tests use [MemoryFigures].
// Implementations must be safe for concurrent use, scope every read to
// the tenant and return context errors as they are.
type Figures interface {
	// PipelineByStage returns open opportunities by stage.
	PipelineByStage(ctx context.Context, tenant tenancy.ID) ([]StageTotal, error)
	// WinRate counts opportunities closed won or lost at or after since.
	WinRate(ctx context.Context, tenant tenancy.ID, since time.Time) (WinRate, error)
	// OpenInvoices sums unpaid invoices.
	OpenInvoices(ctx context.Context, tenant tenancy.ID) (InvoiceTotal, error)
	// OverdueInvoices sums unpaid invoices due before asOf.
	OverdueInvoices(ctx context.Context, tenant tenancy.ID, asOf time.Time) (InvoiceTotal, error)
	// ActivityCounts counts activities at or after since, by kind.
	ActivityCounts(ctx context.Context, tenant tenancy.ID, since time.Time) ([]ActivityCount, error)
	// ConnectionHealth reports each data connection of the tenant.
	ConnectionHealth(ctx context.Context, tenant tenancy.ID) ([]ConnectionStatus, error)
}

// Figure is one named figure of a [Summary].
type Figure struct {
	// Name is a stable identifier, e.g. "pipeline.total".
	Name string `json:"name"`
	// Label is for people, e.g. "Open pipeline".
	Label string `json:"label"`
	// Value is exact; in JSON it is a decimal string.
	Value decimal.Decimal `json:"value"`
	// Unit is "amount", "count" or "ratio".
	Unit string `json:"unit"`
}

// Summary is the handful of figures a persona looks at first.
type Summary struct {
	Tenant  tenancy.ID
	Persona Persona
	AsOf    time.Time
	Figures []Figure
}

// Figure returns the figure called name.
func (s Summary) Figure(name string) (Figure, bool) {
	i := slices.IndexFunc(s.Figures, func(f Figure) bool { return f.Name == name })
	if i < 0 {
		return Figure{}, false
	}
	return s.Figures[i], true
}

// String renders the summary as lines "Label: value", ready for a prompt.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s summary as of %s\n", strings.ToUpper(string(s.Persona)), s.AsOf.UTC().Format(time.DateOnly))
	for _, f := range s.Figures {
		v := f.Value.StringFixed(2)
		switch f.Unit {
		case "count":
			v = f.Value.String()
		case "ratio":
			v = f.Value.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%"
		}
		fmt.Fprintf(&b, "%s: %s\n", f.Label, v)
	}
	return b.String()
}

// SummaryWindow is how far back win rates and activity counts look.
const SummaryWindow = 90 * 24 * time.Hour

// Summarize computes the summary of persona p for tenant as of asOf:
//   - CRO: open pipeline total and by stage, win rate over SummaryWindow;
//   - CFO: open and overdue invoice amounts and counts;
//   - COO: activities over SummaryWindow, total and by kind;
//   - CTO: connections, unhealthy connections, unresolved drift events.
//
// It fails with [ErrNoFigures] for a nil f, [ErrUnknownPersona] for an
// unknown persona, and wraps the first error of f with the figure's name.
func Summarize(ctx context.Context, f Figures, tenant tenancy.ID, p Persona, asOf time.Time) (Summary, error) {
	if f == nil {
		return Summary{}, ErrNoFigures
	}
	if err := tenant.Validate(); err != nil {
		return Summary{}, fmt.Errorf("nlp: summarize: %w", err)
	}
	s := Summary{Tenant: tenant, Persona: p, AsOf: asOf}
	wrap := func(what string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("nlp: summarize %s for %s: %s: %w", p, tenant, what, err)
	}
	add := func(name, label string, v decimal.Decimal, unit string) {
		s.Figures = append(s.Figures, Figure{Name: name, Label: label, Value: v, Unit: unit})
	}
	count := func(n int) decimal.Decimal { return decimal.NewFromInt(int64(n)) }
	switch p {
	case CRO:
		stages, err := f.PipelineByStage(ctx, tenant)
		if err != nil {
			return Summary{}, wrap("pipeline by stage", err)
		}
		total, n := decimal.Zero, 0
		for _, st := range stages {
			total, n = total.Add(st.Amount), n+st.Count
		}
		add("pipeline.total", "Open pipeline", total, "amount")
		add("pipeline.count", "Open opportunities", count(n), "count")
		for _, st := range stages {
			add("pipeline.stage."+st.Stage, "Pipeline in "+st.Stage, st.Amount, "amount")
		}
		wr, err := f.WinRate(ctx, tenant, asOf.Add(-SummaryWindow))
		if err != nil {
			return Summary{}, wrap("win rate", err)
		}
		add("win_rate", "Win rate (90 days)", wr.Rate, "ratio")
	case CFO:
		open, err := f.OpenInvoices(ctx, tenant)
		if err != nil {
			return Summary{}, wrap("open invoices", err)
		}
		overdue, err := f.OverdueInvoices(ctx, tenant, asOf)
		if err != nil {
			return Summary{}, wrap("overdue invoices", err)
		}
		add("invoices.open.amount", "Open invoices", open.Amount, "amount")
		add("invoices.open.count", "Open invoice count", count(open.Count), "count")
		add("invoices.overdue.amount", "Overdue invoices", overdue.Amount, "amount")
		add("invoices.overdue.count", "Overdue invoice count", count(overdue.Count), "count")
	case COO:
		acts, err := f.ActivityCounts(ctx, tenant, asOf.Add(-SummaryWindow))
		if err != nil {
			return Summary{}, wrap("activity counts", err)
		}
		n := 0
		for _, a := range acts {
			n += a.Count
		}
		add("activities.total", "Activities (90 days)", count(n), "count")
		for _, a := range acts {
			add("activities."+a.Kind, "Activities: "+a.Kind, count(a.Count), "count")
		}
	case CTO:
		conns, err := f.ConnectionHealth(ctx, tenant)
		if err != nil {
			return Summary{}, wrap("connection health", err)
		}
		bad, drift := 0, 0
		for _, c := range conns {
			if !c.Healthy {
				bad++
			}
			drift += c.DriftEvents
		}
		add("connections.total", "Connections", count(len(conns)), "count")
		add("connections.unhealthy", "Unhealthy connections", count(bad), "count")
		add("drift.open", "Unresolved drift events", count(drift), "count")
	default:
		return Summary{}, fmt.Errorf("%w: %q", ErrUnknownPersona, p)
	}
	return s, nil
}

// Deal is an opportunity in [MemoryFigures].
type Deal struct {
	Stage  string
	Amount decimal.Decimal
	// Outcome is "" while open, "won" or "lost" once closed.
	Outcome  string
	ClosedAt time.Time
}

// Invoice is an invoice in [MemoryFigures].
type Invoice struct {
	Amount decimal.Decimal
	Due    time.Time
	Paid   bool
}

// Activity is an activity in [MemoryFigures].
type Activity struct {
	Kind string
	At   time.Time
}

// TenantData is one tenant's records in [MemoryFigures].
type TenantData struct {
	Deals       []Deal
	Invoices    []Invoice
	Activities  []Activity
	Connections []ConnectionStatus
}

// MemoryFigures is an in-memory [Figures] computed from raw records, for
// tests and examples. The zero value is ready to use; it is safe for
// concurrent use. A tenant without data has empty figures.
type MemoryFigures struct {
	mu   sync.RWMutex
	data map[tenancy.ID]TenantData
}

var _ Figures = (*MemoryFigures)(nil)

// Set replaces the records of tenant.
func (m *MemoryFigures) Set(tenant tenancy.ID, d TenantData) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[tenancy.ID]TenantData{}
	}
	m.data[tenant] = d
}

func (m *MemoryFigures) get(ctx context.Context, tenant tenancy.ID) (TenantData, error) {
	if err := ctx.Err(); err != nil {
		return TenantData{}, err
	}
	if err := tenant.Validate(); err != nil {
		return TenantData{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.data[tenant], nil
}

// PipelineByStage implements [Figures]; stages come sorted by name.
func (m *MemoryFigures) PipelineByStage(ctx context.Context, tenant tenancy.ID) ([]StageTotal, error) {
	d, err := m.get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	by := map[string]*StageTotal{}
	for _, deal := range d.Deals {
		if deal.Outcome != "" {
			continue
		}
		st := by[deal.Stage]
		if st == nil {
			st = &StageTotal{Stage: deal.Stage}
			by[deal.Stage] = st
		}
		st.Count++
		st.Amount = st.Amount.Add(deal.Amount)
	}
	out := make([]StageTotal, 0, len(by))
	for _, st := range by {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b StageTotal) int { return strings.Compare(a.Stage, b.Stage) })
	return out, nil
}

// WinRate implements [Figures].
func (m *MemoryFigures) WinRate(ctx context.Context, tenant tenancy.ID, since time.Time) (WinRate, error) {
	d, err := m.get(ctx, tenant)
	if err != nil {
		return WinRate{}, err
	}
	var w WinRate
	for _, deal := range d.Deals {
		if deal.ClosedAt.Before(since) {
			continue
		}
		switch deal.Outcome {
		case "won":
			w.Won++
		case "lost":
			w.Lost++
		}
	}
	if n := w.Won + w.Lost; n > 0 {
		w.Rate = decimal.NewFromInt(int64(w.Won)).DivRound(decimal.NewFromInt(int64(n)), 4)
	}
	return w, nil
}

// OpenInvoices implements [Figures].
func (m *MemoryFigures) OpenInvoices(ctx context.Context, tenant tenancy.ID) (InvoiceTotal, error) {
	return m.invoices(ctx, tenant, time.Time{})
}

// OverdueInvoices implements [Figures].
func (m *MemoryFigures) OverdueInvoices(ctx context.Context, tenant tenancy.ID, asOf time.Time) (InvoiceTotal, error) {
	if asOf.IsZero() {
		return InvoiceTotal{}, fmt.Errorf("nlp: overdue invoices: zero asOf")
	}
	return m.invoices(ctx, tenant, asOf)
}

// invoices sums unpaid invoices, only those due before asOf when asOf is
// set.
func (m *MemoryFigures) invoices(ctx context.Context, tenant tenancy.ID, asOf time.Time) (InvoiceTotal, error) {
	d, err := m.get(ctx, tenant)
	if err != nil {
		return InvoiceTotal{}, err
	}
	var t InvoiceTotal
	for _, inv := range d.Invoices {
		if inv.Paid || !asOf.IsZero() && !inv.Due.Before(asOf) {
			continue
		}
		t.Count++
		t.Amount = t.Amount.Add(inv.Amount)
	}
	return t, nil
}

// ActivityCounts implements [Figures]; kinds come sorted by name.
func (m *MemoryFigures) ActivityCounts(ctx context.Context, tenant tenancy.ID, since time.Time) ([]ActivityCount, error) {
	d, err := m.get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	by := map[string]int{}
	for _, a := range d.Activities {
		if !a.At.Before(since) {
			by[a.Kind]++
		}
	}
	out := make([]ActivityCount, 0, len(by))
	for k, n := range by {
		out = append(out, ActivityCount{Kind: k, Count: n})
	}
	slices.SortFunc(out, func(a, b ActivityCount) int { return strings.Compare(a.Kind, b.Kind) })
	return out, nil
}

// ConnectionHealth implements [Figures].
func (m *MemoryFigures) ConnectionHealth(ctx context.Context, tenant tenancy.ID) ([]ConnectionStatus, error) {
	d, err := m.get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return slices.Clone(d.Connections), nil
}
