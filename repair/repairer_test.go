package repair_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
)

func fld(name string, typ drift.FieldType, samples ...string) drift.Field {
	return drift.Field{Name: name, Type: typ, Samples: samples}
}

func mapOf(pairs ...string) canonical.Mapping {
	var m canonical.Mapping
	for i := 0; i+1 < len(pairs); i += 2 {
		m.Fields = append(m.Fields, canonical.FieldMapping{Source: pairs[i], Target: pairs[i+1], Confidence: 1})
	}
	return m
}

func propose(t *testing.T, cfg *repair.RepairerConfig, before []drift.Field, m canonical.Mapping, after []drift.Field) []repair.Repair {
	t.Helper()
	reps, err := repair.NewRepairer(cfg).Propose(context.Background(), drift.Schema{Fields: before}, m, drift.Schema{Fields: after})
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

var idField = fld("id", drift.TypeString, "A-100234", "A-100871", "A-101002")

func TestProposeOnlyMappedGoneFields(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("note", drift.TypeString, "x", "y", "z"), fld("total", drift.TypeNumber, "1200.5", "99.95", "18000")}
	after := []drift.Field{idField, fld("grand_total", drift.TypeNumber, "1200.5", "99.95", "18000")}
	reps := propose(t, nil, before, mapOf("id", "invoice.id", "total", "invoice.amount"), after)
	if len(reps) != 1 || reps[0].Field != "total" || reps[0].To != "grand_total" || reps[0].Target != "invoice.amount" {
		t.Fatalf("repairs = %+v", reps)
	}
	if reps[0].Action != repair.ActionAutoApply || reps[0].Confidence < 0.9 {
		t.Fatalf("a rename with the same values and an aligned snapshot: %+v", reps[0])
	}
	if len(reps[0].Evidence) == 0 || len(reps[0].Candidates) != 1 {
		t.Fatalf("no evidence or candidates: %+v", reps[0])
	}
	// Nothing gone: no repairs, not nil.
	if reps := propose(t, nil, before, mapOf("id", "invoice.id"), append(after, before[1])); reps == nil || len(reps) != 0 {
		t.Fatalf("nothing gone: %+v", reps)
	}
}

func TestProposeGoneIsAlwaysReviewed(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("industry", drift.TypeString, "Banking", "Retail", "Energy")}
	for _, after := range [][]drift.Field{
		{idField},
		{idField, fld("fax", drift.TypeString, "415-555-0101", "", "")},
	} {
		reps := propose(t, nil, before, mapOf("industry", "account.industry"), after)
		if len(reps) != 1 || !reps[0].Gone() || reps[0].Action != repair.ActionReview {
			t.Fatalf("after %v: %+v", after, reps)
		}
	}
}

func TestProposeAmbiguousTwinsGoToReview(t *testing.T) {
	t.Parallel()
	vals := []string{"1999.90", "250.00", "74.99"}
	before := []drift.Field{idField, fld("amount", drift.TypeNumber, vals...)}
	after := []drift.Field{idField, fld("amount_net", drift.TypeNumber, vals...), fld("amount_gross", drift.TypeNumber, vals...)}
	reps := propose(t, nil, before, mapOf("amount", "opportunity.amount"), after)
	if len(reps) != 1 || reps[0].To == "" || reps[0].Action != repair.ActionReview {
		t.Fatalf("two candidates with the same values: %+v", reps)
	}
}

func TestProposeValuesBeatNames(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("emailaddress1", drift.TypeString, "ann@acme.com", "bob@globex.de", "cy@initech.com")}
	after := []drift.Field{idField,
		fld("emailaddress2", drift.TypeString, "ann@gmail.com", "", "cy@home.org"),
		fld("work_mail", drift.TypeString, "ann@acme.com", "bob@globex.de", "cy@initech.com")}
	reps := propose(t, nil, before, mapOf("emailaddress1", "contact.email"), after)
	if len(reps) != 1 || reps[0].To != "work_mail" {
		t.Fatalf("repairs = %+v", reps)
	}
}

func TestProposeLowInformationValuesAreNotProof(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("is_won", drift.TypeBoolean, "true", "false", "false")}
	after := []drift.Field{idField, fld("flag_a", drift.TypeBoolean, "true", "false", "false")}
	reps := propose(t, nil, before, mapOf("is_won", "opportunity.is_won"), after)
	if len(reps) != 1 || reps[0].Action != repair.ActionReview {
		t.Fatalf("booleans with an unrelated name were auto-applied: %+v", reps)
	}
}

func TestProposeUnalignedNeedsSameName(t *testing.T) {
	t.Parallel()
	// The snapshots sampled other records: values cannot confirm.
	before := []drift.Field{fld("id", drift.TypeString, "1", "2", "3"), fld("deal_amount", drift.TypeNumber, "100", "250", "75")}
	after := []drift.Field{fld("id", drift.TypeString, "7", "8", "9"), fld("opportunity_size", drift.TypeNumber, "900", "40", "1250")}
	reps := propose(t, nil, before, mapOf("deal_amount", "opportunity.amount"), after)
	if len(reps) != 1 || reps[0].Action == repair.ActionAutoApply {
		t.Fatalf("an unconfirmed rename was auto-applied: %+v", reps)
	}
	after[1].Name = "dealAmount"
	reps = propose(t, nil, before, mapOf("deal_amount", "opportunity.amount"), after)
	if len(reps) != 1 || reps[0].To != "dealAmount" {
		t.Fatalf("same name after normalization: %+v", reps)
	}
}

func TestProposeEpochToTimestamp(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("paid", drift.TypeInteger, "1709337600", "1711929600", "")}
	after := []drift.Field{idField, fld("paid_at", drift.TypeTimestamp, "2024-03-02T00:00:00Z", "2024-04-01 00:00:00", "")}
	reps := propose(t, nil, before, mapOf("paid", "invoice.paid_at"), after)
	if len(reps) != 1 || reps[0].To != "paid_at" || reps[0].Action != repair.ActionAutoApply {
		t.Fatalf("repairs = %+v", reps)
	}
}

func TestProposeThresholdConfig(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("total", drift.TypeNumber, "1200.5", "99.95", "18000")}
	after := []drift.Field{idField, fld("grand_total", drift.TypeNumber, "1200.5", "99.95", "18000")}
	reps := propose(t, &repair.RepairerConfig{AutoApplyThreshold: 1}, before, mapOf("total", "invoice.amount"), after)
	if reps[0].Action != repair.ActionReview {
		t.Fatalf("threshold 1 auto-applied %+v", reps[0])
	}
	// A custom name similarity is used.
	calls := 0
	cfg := &repair.RepairerConfig{NameSimilarity: func(a, b string) float64 { calls++; return 0 }}
	propose(t, cfg, before, mapOf("total", "invoice.amount"), after)
	if calls == 0 {
		t.Fatal("NameSimilarity not called")
	}
	hints := 0
	cfg = &repair.RepairerConfig{TargetHint: func(name, target string) float64 { hints++; return 0 }}
	propose(t, cfg, before, mapOf("total", "invoice.amount"), after)
	if hints == 0 {
		t.Fatal("TargetHint not called")
	}
}

func TestProposeErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := drift.Schema{Fields: []drift.Field{idField}}
	r := repair.NewRepairer(nil)
	_, err := r.Propose(ctx, drift.Schema{Fields: []drift.Field{idField, idField}}, mapOf(), good)
	var se *repair.SchemaError
	if !errors.As(err, &se) || !errors.Is(err, repair.ErrInvalidSchema) || se.Which != "before" || se.Field != "id" {
		t.Fatalf("duplicate field: %v", err)
	}
	_, err = r.Propose(ctx, good, mapOf(), drift.Schema{Fields: []drift.Field{{Name: " "}}})
	if !errors.As(err, &se) || se.Which != "after" {
		t.Fatalf("empty name: %v", err)
	}
	for _, cfg := range []*repair.RepairerConfig{{AutoApplyThreshold: 1.5}, {AutoApplyThreshold: -1}, {MinCandidateScore: 1}} {
		if _, err := repair.NewRepairer(cfg).Propose(ctx, good, mapOf(), good); !errors.Is(err, repair.ErrInvalidInput) {
			t.Fatalf("config %+v: %v", cfg, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Propose(cctx, good, mapOf(), good); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// wideSchemas returns a 50-field object before and after 5 renames.
func wideSchemas() (drift.Schema, canonical.Mapping, drift.Schema) {
	var before, after drift.Schema
	var m canonical.Mapping
	for i := 0; i < 50; i++ {
		samples := []string{strconv.Itoa(1000 + i*37), fmt.Sprintf("v%d-%d", i, i*i), ""}
		f := fld(fmt.Sprintf("field_%02d", i), drift.TypeString, samples...)
		before.Fields = append(before.Fields, f)
		m.Fields = append(m.Fields, canonical.FieldMapping{Source: f.Name, Target: "account.name", Confidence: 1})
		if i%10 == 0 {
			f.Name = fmt.Sprintf("renamed_%02d", i)
		}
		after.Fields = append(after.Fields, f)
	}
	return before, m, after
}

// BenchmarkPropose measures repairing a 50-field object after 5 renames.
func BenchmarkPropose(b *testing.B) {
	before, m, after := wideSchemas()
	r := repair.NewRepairer(nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Propose(ctx, before, m, after); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/object")
}

func FuzzPropose(f *testing.F) {
	f.Add("Amount", "125000", "48000.5", "Deal_Value__c", "125000", "48000.5", "number", "integer")
	f.Add("created", "1709251200", "", "created_at", "2024-03-01 00:00:00", "", "integer", "timestamp")
	f.Add("x", "", "", "y", "", "", "", "object")
	f.Add("ÄÖÜ__c", "1e308", "-0", "hs_äöü", "NaN", "Inf", "string", "boolean")
	f.Fuzz(func(t *testing.T, oldName, o1, o2, newName, n1, n2, oldType, newType string) {
		if oldName == "" || newName == "" || oldName == newName || oldName == "id" || newName == "id" {
			return
		}
		before := drift.Schema{Fields: []drift.Field{idField, {Name: oldName, Type: drift.FieldType(oldType), Samples: []string{o1, o2}}}}
		after := drift.Schema{Fields: []drift.Field{idField, {Name: newName, Type: drift.FieldType(newType), Samples: []string{n1, n2}}}}
		reps, err := repair.NewRepairer(nil).Propose(context.Background(), before, mapOf(oldName, "account.name"), after)
		if err != nil {
			if errors.Is(err, repair.ErrInvalidSchema) {
				return
			}
			t.Fatal(err)
		}
		if len(reps) != 1 {
			t.Fatalf("%d repairs", len(reps))
		}
		rp := reps[0]
		if rp.Confidence < 0 || rp.Confidence > 1 || rp.Confidence != rp.Confidence {
			t.Fatalf("confidence %v", rp.Confidence)
		}
		if rp.To != "" && rp.To != newName {
			t.Fatalf("To %q", rp.To)
		}
		if rp.Action == repair.ActionAutoApply && (rp.To == "" || rp.Confidence < 0.9) {
			t.Fatalf("auto-apply of %+v", rp)
		}
	})
}

func TestProposeSiblingQualifiersGoToReview(t *testing.T) {
	t.Parallel()
	vals := []string{"Germany", "United States", "France"}
	before := []drift.Field{idField, fld("billing_country", drift.TypeString, vals...)}
	after := []drift.Field{idField, fld("shipping_country", drift.TypeString, vals...)}
	reps := propose(t, nil, before, mapOf("billing_country", "account.country"), after)
	if len(reps) != 1 || reps[0].To != "shipping_country" || reps[0].Action != repair.ActionReview {
		t.Fatalf("billing -> shipping: %+v", reps)
	}
	// Without the sibling qualifier the same values are applied.
	after[1].Name = "country_name"
	reps = propose(t, nil, before, mapOf("billing_country", "account.country"), after)
	if len(reps) != 1 || reps[0].Action != repair.ActionAutoApply {
		t.Fatalf("billing_country -> country_name: %+v", reps)
	}
}

func TestProposeScaledValuesAreReviewed(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("amount", drift.TypeNumber, "129.99", "45.5", "1040")}
	after := []drift.Field{idField, fld("amount_cents", drift.TypeInteger, "12999", "4550", "104000")}
	reps := propose(t, nil, before, mapOf("amount", "invoice.amount"), after)
	if len(reps) != 1 || reps[0].To != "amount_cents" || reps[0].Action != repair.ActionReview {
		t.Fatalf("cents: %+v", reps)
	}
	// Not a power of ten: no scaling evidence, the aligned values disagree.
	after[1].Samples = []string{"12999", "4551", "104000"}
	reps = propose(t, nil, before, mapOf("amount", "invoice.amount"), after)
	if len(reps) != 1 || reps[0].Action == repair.ActionAutoApply {
		t.Fatalf("near-cents: %+v", reps)
	}
}

func TestProposeReformattedValuesStillMatch(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField,
		fld("tel", drift.TypeString, "(415) 555-0132", "+49 89 1234567", "512.555.0199"),
		fld("web", drift.TypeString, "https://www.acme.com/", "globex.de", "http://initech.com/about")}
	after := []drift.Field{idField,
		fld("phone_e164", drift.TypeString, "+14155550132", "+49891234567", "+15125550199"),
		fld("website_domain", drift.TypeString, "acme.com", "globex.de", "initech.com")}
	reps := propose(t, nil, before, mapOf("tel", "account.phone", "web", "account.domain"), after)
	got := map[string]string{}
	for _, r := range reps {
		got[r.Field] = r.To
	}
	if got["tel"] != "phone_e164" || got["web"] != "website_domain" {
		t.Fatalf("repairs = %+v", reps)
	}
}

func TestProposeCoincidentValuesNeedNames(t *testing.T) {
	t.Parallel()
	users := []string{"0055g00000AbCdEAA1", "0055g00000FgHiJAA3", "0055g00000AbCdEAA1"}
	before := []drift.Field{idField, fld("OwnerId", drift.TypeString, users...)}
	after := []drift.Field{idField, fld("CreatedById", drift.TypeString, users...)}
	reps := propose(t, nil, before, mapOf("OwnerId", "opportunity.owner_id"), after)
	if len(reps) != 1 || reps[0].Action == repair.ActionAutoApply {
		t.Fatalf("owner -> creator auto-applied on coincident values: %+v", reps)
	}
	// A candidate whose values equal an unchanged field's: reviewed.
	amounts := []string{"129900", "4500", "77000"}
	before = []drift.Field{idField, fld("total", drift.TypeInteger, amounts...), fld("amount_due", drift.TypeInteger, amounts...)}
	after = []drift.Field{idField, fld("amount_due", drift.TypeInteger, amounts...), fld("total_amount", drift.TypeInteger, amounts...)}
	reps = propose(t, nil, before, mapOf("total", "invoice.amount"), after)
	if len(reps) != 1 || reps[0].To != "total_amount" || reps[0].Action == repair.ActionAutoApply {
		t.Fatalf("twin values auto-applied: %+v", reps)
	}
}

// TestProposePartlyOverlappingSnapshots: the snapshots sampled partly
// other records (a third in common); a renamed field shares as much as the
// unchanged fields do, which confirms it as well as identical samples.
func TestProposePartlyOverlappingSnapshots(t *testing.T) {
	t.Parallel()
	series := func(prefix string, from, n int) []string {
		var out []string
		for i := from; i < from+n; i++ {
			out = append(out, fmt.Sprintf("%s%05d", prefix, i*7919%100000))
		}
		return out
	}
	before := []drift.Field{
		fld("id", drift.TypeString, series("ACC-", 0, 12)...),
		fld("name", drift.TypeString, series("Company ", 0, 12)...),
		fld("acct_owner", drift.TypeString, series("usr_", 0, 12)...),
	}
	after := []drift.Field{
		fld("id", drift.TypeString, series("ACC-", 8, 12)...),
		fld("name", drift.TypeString, series("Company ", 8, 12)...),
		fld("account_owner", drift.TypeString, series("usr_", 8, 12)...),
		fld("account_creator", drift.TypeString, series("usr_", 50, 12)...),
	}
	reps := propose(t, nil, before, mapOf("id", "account.id", "acct_owner", "account.owner_id"), after)
	if len(reps) != 1 || reps[0].To != "account_owner" || reps[0].Action != repair.ActionAutoApply {
		t.Fatalf("repairs = %+v", reps)
	}
}

// A date column now sent as epoch milliseconds carries the same days: a
// rename. Two different times of day on the same days are not one field.
func TestProposeDateToEpochMillis(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("LAST_UPDATE_DATE", drift.TypeDate, "14-NOV-25", "03-SEP-24", "18-NOV-25", "21-NOV-25")}
	after := []drift.Field{idField, fld("LAST_UPDATE_EPOCH_MS", drift.TypeInteger, "1763112600000", "1725373815000", "1763462045000", "1763719380000")}
	reps := propose(t, nil, before, mapOf("LAST_UPDATE_DATE", "account.updated_at"), after)
	if len(reps) != 1 || reps[0].To != "LAST_UPDATE_EPOCH_MS" {
		t.Fatalf("date -> epoch ms: %+v", reps)
	}
	before = []drift.Field{idField, fld("created_at", drift.TypeTimestamp, "2025-11-14T09:30:00Z", "2024-09-03T14:30:15Z", "2025-11-18T10:34:05Z")}
	after = []drift.Field{idField, fld("reminder_at", drift.TypeTimestamp, "2025-11-14T16:00:00Z", "2024-09-03T08:00:00Z", "2025-11-18T18:45:00Z")}
	reps = propose(t, nil, before, mapOf("created_at", "account.created_at"), after)
	if len(reps) != 1 || reps[0].Action == repair.ActionAutoApply && reps[0].To == "reminder_at" {
		t.Fatalf("times of day on the same days were taken as one field: %+v", reps)
	}
}

// Dates with month names reformatted to ISO dates are the same values.
func TestProposeMonthNameDatesReformatted(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("Close Date", drift.TypeString, "November 28, 2025", "December 5, 2025", "January 16, 2026")}
	after := []drift.Field{idField, fld("Expected Close", drift.TypeDate, "2025-11-28", "2025-12-05", "2026-01-16")}
	reps := propose(t, nil, before, mapOf("Close Date", "opportunity.close_date"), after)
	if len(reps) != 1 || reps[0].To != "Expected Close" {
		t.Fatalf("repairs = %+v", reps)
	}
}

// A loader's bookkeeping column arriving with the drift is never taken
// for a renamed field, even with values like the gone field's.
func TestProposeIgnoresLoaderColumns(t *testing.T) {
	t.Parallel()
	vals := []string{"2025-11-14T09:30:00Z", "2024-09-03T14:30:15Z", "2025-11-18T10:34:05Z"}
	before := []drift.Field{idField, fld("updated_at", drift.TypeTimestamp, vals...)}
	after := []drift.Field{idField, fld("_airbyte_extracted_at", drift.TypeTimestamp, vals...)}
	reps := propose(t, nil, before, mapOf("updated_at", "account.updated_at"), after)
	if len(reps) != 1 || !reps[0].Gone() {
		t.Fatalf("repairs = %+v, want updated_at gone", reps)
	}
}

// An export that drops the offset and one that writes it hold the same
// times: "2023/5/12 14:22:10" is "2023-05-12T14:22:10+08:00".
func TestProposeWallClockTimesReformatted(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("创建日期", drift.TypeString, "2023/5/12 14:22:10", "2024/1/3 09:05:00", "2022/11/30 17:40:45")}
	after := []drift.Field{idField, fld("创建时间", drift.TypeTimestamp, "2023-05-12T14:22:10+08:00", "2024-01-03T09:05:00+08:00", "2022-11-30T17:40:45+08:00")}
	reps := propose(t, nil, before, mapOf("创建日期", "account.created_at"), after)
	if len(reps) != 1 || reps[0].To != "创建时间" {
		t.Fatalf("repairs = %+v", reps)
	}
}

// US exports' "M/D/YYYY h:mm pm" times renamed and written as RFC 3339
// are the same values.
func TestProposeUSTimesReformatted(t *testing.T) {
	t.Parallel()
	before := []drift.Field{idField, fld("datecreated", drift.TypeString, "1/9/2023 5:45 pm", "11/22/2019 8:03 am", "3/15/2021 9:10 pm")}
	after := []drift.Field{idField, fld("dateCreated", drift.TypeTimestamp, "2023-01-09T17:45:00Z", "2019-11-22T08:03:00Z", "2021-03-15T21:10:00Z")}
	reps := propose(t, nil, before, mapOf("datecreated", "account.created_at"), after)
	if len(reps) != 1 || reps[0].To != "dateCreated" {
		t.Fatalf("repairs = %+v", reps)
	}
}
