package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// dclFigures is nlp.Figures over the tenant's warehouse (through its
// read-only query API, so every read is the tenant's own) and its
// connections: nlp defines the interface, hostd wires dcl into it, and nlp
// never imports dcl. Amounts are summed as exact decimals by the
// warehouse and read back as text.
type dclFigures struct{ a *app }

var _ nlp.Figures = (*dclFigures)(nil)

func (f *dclFigures) query(ctx context.Context, tenant tenancy.ID, q string) ([][]any, error) {
	if err := f.a.ensureTenant(ctx, tenant); err != nil {
		return nil, err
	}
	res, err := f.a.warehouse.Query(ctx, tenant, q)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return res.Rows, nil
}

// sqlTime renders t as a timestamp literal (t is ours, not user text).
func sqlTime(t time.Time) string {
	return "CAST('" + t.UTC().Format("2006-01-02 15:04:05") + "+00' AS TIMESTAMPTZ)"
}

func decimalOf(v any) (decimal.Decimal, error) {
	if v == nil {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(fmt.Sprint(v))
	if err != nil {
		return decimal.Zero, fmt.Errorf("amount %q: %w", fmt.Sprint(v), err)
	}
	return d, nil
}

func intOf(v any) int {
	n, _ := toInt64(v)
	return int(n)
}

// A deal is closed when the source says so, or, when it does not, when
// its stage starts with "closed" ("Closed Won", "closed_lost"); open is
// neither closed nor won.
const (
	closedDeal = "coalesce(is_closed, lower(coalesce(stage, '')) LIKE 'closed%')"
	openDeal   = "NOT " + closedDeal + " AND NOT coalesce(is_won, false)"
)

// PipelineByStage implements nlp.Figures.
func (f *dclFigures) PipelineByStage(ctx context.Context, tenant tenancy.ID) ([]nlp.StageTotal, error) {
	rows, err := f.query(ctx, tenant, `SELECT coalesce(stage, '(none)') AS stage, CAST(count(*) AS BIGINT) AS n,
		CAST(coalesce(sum(amount), 0) AS VARCHAR) AS amount
		FROM opportunity WHERE NOT _deleted AND `+openDeal+` GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	out := make([]nlp.StageTotal, 0, len(rows))
	for _, r := range rows {
		amt, err := decimalOf(r[2])
		if err != nil {
			return nil, err
		}
		out = append(out, nlp.StageTotal{Stage: fmt.Sprint(r[0]), Count: intOf(r[1]), Amount: amt})
	}
	return out, nil
}

// WinRate implements nlp.Figures: deals closed (won, or closed and not
// won) with a close date at or after since.
func (f *dclFigures) WinRate(ctx context.Context, tenant tenancy.ID, since time.Time) (nlp.WinRate, error) {
	rows, err := f.query(ctx, tenant, `SELECT
		CAST(count(*) FILTER (WHERE coalesce(is_won, false)) AS BIGINT),
		CAST(count(*) FILTER (WHERE `+closedDeal+` AND NOT coalesce(is_won, false)) AS BIGINT)
		FROM opportunity WHERE NOT _deleted AND close_date >= CAST(`+sqlTime(since)+` AS DATE)`)
	if err != nil {
		return nlp.WinRate{}, err
	}
	var w nlp.WinRate
	if len(rows) == 1 {
		w.Won, w.Lost = intOf(rows[0][0]), intOf(rows[0][1])
	}
	if n := w.Won + w.Lost; n > 0 {
		w.Rate = decimal.NewFromInt(int64(w.Won)).DivRound(decimal.NewFromInt(int64(n)), 4)
	}
	return w, nil
}

// unpaid means not paid and not void or draft; the amount still due is
// the balance when the source has one, else the total.
const unpaidInvoice = `NOT _deleted AND paid_at IS NULL AND lower(coalesce(status, '')) NOT IN ('paid', 'void', 'voided', 'draft', 'cancelled', 'canceled')`

func (f *dclFigures) invoices(ctx context.Context, tenant tenancy.ID, extra string) (nlp.InvoiceTotal, error) {
	rows, err := f.query(ctx, tenant, `SELECT CAST(count(*) AS BIGINT), CAST(coalesce(sum(coalesce(balance, amount)), 0) AS VARCHAR)
		FROM invoice WHERE `+unpaidInvoice+extra)
	if err != nil {
		return nlp.InvoiceTotal{}, err
	}
	var t nlp.InvoiceTotal
	if len(rows) == 1 {
		t.Count = intOf(rows[0][0])
		if t.Amount, err = decimalOf(rows[0][1]); err != nil {
			return nlp.InvoiceTotal{}, err
		}
	}
	return t, nil
}

// OpenInvoices implements nlp.Figures.
func (f *dclFigures) OpenInvoices(ctx context.Context, tenant tenancy.ID) (nlp.InvoiceTotal, error) {
	return f.invoices(ctx, tenant, "")
}

// OverdueInvoices implements nlp.Figures.
func (f *dclFigures) OverdueInvoices(ctx context.Context, tenant tenancy.ID, asOf time.Time) (nlp.InvoiceTotal, error) {
	return f.invoices(ctx, tenant, " AND due_at < CAST("+sqlTime(asOf)+" AS DATE)")
}

// ActivityCounts implements nlp.Figures.
func (f *dclFigures) ActivityCounts(ctx context.Context, tenant tenancy.ID, since time.Time) ([]nlp.ActivityCount, error) {
	rows, err := f.query(ctx, tenant, `SELECT coalesce(lower(type), 'other'), CAST(count(*) AS BIGINT)
		FROM activity WHERE NOT _deleted AND occurred_at >= `+sqlTime(since)+` GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	out := make([]nlp.ActivityCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, nlp.ActivityCount{Kind: fmt.Sprint(r[0]), Count: intOf(r[1])})
	}
	return out, nil
}

// ConnectionHealth implements nlp.Figures from the mesh's connections and
// the registry's pending reviews (drift that waits for a person).
func (f *dclFigures) ConnectionHealth(ctx context.Context, tenant tenancy.ID) ([]nlp.ConnectionStatus, error) {
	cs, err := f.a.mesh.Connections(ctx, tenant)
	if err != nil {
		return nil, err
	}
	tctx := tenancy.WithTenant(ctx, tenant)
	out := make([]nlp.ConnectionStatus, 0, len(cs))
	for _, c := range cs {
		pending, err := f.a.registry.Reviews(tctx, repair.ReviewFilter{Status: repair.ReviewPending, Connection: c.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, nlp.ConnectionStatus{
			Connection:  c.ID,
			Healthy:     c.Health.Status == mesh.HealthHealthy,
			DriftEvents: len(pending),
			LastSync:    c.Health.LastSyncAt,
		})
	}
	return out, nil
}
