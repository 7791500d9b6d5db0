package canonical

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

var (
	testTenant = tenancy.MustParse("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
	testSource = Source{System: "salesforce", ConnectionID: "conn-1", Object: "Opportunity"}
	fixedNow   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func fixedClock() time.Time { return fixedNow }

func opportunityMapping() *Mapping {
	return &Mapping{System: "salesforce", Object: "Opportunity", Fields: []FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1},
		{Source: "CustomerRef.value", Target: "opportunity.account_id", Confidence: 0.9},
		{Source: "Name", Target: "opportunity.name"},
		{Source: "StageName", Target: "opportunity.stage"},
		{Source: "Amount", Target: "opportunity.amount"},
		{Source: "CurrencyIsoCode", Target: "opportunity.currency"},
		{Source: "Probability", Target: "opportunity.probability"},
		{Source: "CloseDate", Target: "opportunity.close_date"},
		{Source: "IsClosed", Target: "opportunity.is_closed"},
		{Source: "IsWon", Target: "opportunity.is_won"},
		{Source: "OwnerId", Target: "opportunity.owner_id"},
		{Source: "CreatedDate", Target: "opportunity.created_at"},
		{Source: "LastModifiedDate", Target: "opportunity.updated_at"},
		{Source: "Description", Target: ""}, // unmapped
		{Source: "Type"},                    // unmapped
	}}
}

func opportunityRecord() map[string]any {
	return map[string]any{
		"Id":               "0065g00000XyZ1AAA",
		"CustomerRef":      map[string]any{"value": "0015g00000Abc", "name": "Acme"},
		"Name":             "  Acme - 200 seats ",
		"StageName":        "Negotiation",
		"Amount":           "1,234.50",
		"CurrencyIsoCode":  "usd",
		"Probability":      json.Number("75"),
		"CloseDate":        "2025-03-04",
		"IsClosed":         false,
		"IsWon":            "no",
		"OwnerId":          "0055g00000Own",
		"CreatedDate":      "2025-01-10T08:00:00.000+0000",
		"LastModifiedDate": "2025-03-04T10:15:00+05:30",
		"Description":      "long text",
		"Type":             "New Business",
	}
}

func newOppNormalizer(t testing.TB, cfg *Config) *Normalizer {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.Now == nil {
		cfg.Now = fixedClock
	}
	n, err := NewNormalizer(testTenant, testSource, opportunityMapping(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func normalizeOne(t testing.TB, n *Normalizer, rec map[string]any) *Event {
	t.Helper()
	evs, err := n.Normalize(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	return evs[0]
}

func TestNormalizeOpportunity(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, &Config{SchemaFingerprint: "fp-1"})
	ev := normalizeOne(t, n, opportunityRecord())
	want := map[string]any{
		"id":          "0065g00000XyZ1AAA",
		"account_id":  "0015g00000Abc",
		"name":        "Acme - 200 seats",
		"stage":       "Negotiation",
		"amount":      "1234.50",
		"currency":    "USD",
		"probability": "75",
		"close_date":  "2025-03-04",
		"is_closed":   false,
		"is_won":      false,
		"owner_id":    "0055g00000Own",
		"created_at":  "2025-01-10T08:00:00Z",
		"updated_at":  "2025-03-04T04:45:00Z",
	}
	if len(ev.Data) != len(want) {
		t.Errorf("data has %d fields, want %d: %v", len(ev.Data), len(want), ev.Data)
	}
	for k, w := range want {
		got := ev.Data[k]
		if d, ok := got.(Decimal); ok {
			got = decString(d)
		}
		if got != w {
			t.Errorf("data[%s] = %#v, want %#v", k, got, w)
		}
	}
	if _, ok := ev.Data["amount"].(Decimal); !ok {
		t.Errorf("amount is %T, want Decimal", ev.Data["amount"])
	}
	if ev.Tenant != testTenant || ev.Source != testSource || ev.Entity != "opportunity" || ev.Op != OpUpsert {
		t.Errorf("envelope = %+v", ev)
	}
	if ev.SourceKey != "0065g00000XyZ1AAA" || ev.SchemaFingerprint != "fp-1" {
		t.Errorf("key %q fingerprint %q", ev.SourceKey, ev.SchemaFingerprint)
	}
	if !ev.OccurredAt.Equal(time.Date(2025, 3, 4, 4, 45, 0, 0, time.UTC)) || ev.OccurredAt.Location() != time.UTC {
		t.Errorf("occurred_at = %v", ev.OccurredAt)
	}
	if !ev.IngestedAt.Equal(fixedNow) {
		t.Errorf("ingested_at = %v", ev.IngestedAt)
	}
	if len(ev.Problems) != 0 {
		t.Errorf("problems: %+v", ev.Problems)
	}
	if len(ev.ID) != 32 {
		t.Errorf("id %q is not 32 hex digits", ev.ID)
	}
	if err := Validate(ev); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestEventIDDeterministic(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	base := normalizeOne(t, n, opportunityRecord()).ID

	// Same version, other ingest time, other map: same id.
	n2 := newOppNormalizer(t, &Config{Now: func() time.Time { return fixedNow.Add(time.Hour) }, SchemaFingerprint: "other"})
	if id := normalizeOne(t, n2, opportunityRecord()).ID; id != base {
		t.Errorf("replay gave id %s, want %s", id, base)
	}
	// An unmapped field changes nothing the event carries.
	rec := opportunityRecord()
	rec["Description"] = "edited"
	if id := normalizeOne(t, n, rec).ID; id != base {
		t.Errorf("unmapped change gave id %s, want %s", id, base)
	}
	// Equal canonical values from other raw forms: same id.
	rec = opportunityRecord()
	rec["Amount"] = "$1,234.50"
	rec["CurrencyIsoCode"] = "USD"
	if id := normalizeOne(t, n, rec).ID; id != base {
		t.Errorf("same canonical content gave id %s, want %s", id, base)
	}

	changes := map[string]func(m map[string]any){
		"amount":     func(m map[string]any) { m["Amount"] = "1234.5" }, // scale is part of the value
		"updated_at": func(m map[string]any) { m["LastModifiedDate"] = "2025-03-04T10:16:00+05:30" },
		"null":       func(m map[string]any) { m["StageName"] = nil },
		"absent":     func(m map[string]any) { delete(m, "StageName") },
		"problem":    func(m map[string]any) { m["Amount"] = "lots" },
		"problem2":   func(m map[string]any) { m["Amount"] = "heaps" },
		"key":        func(m map[string]any) { m["Id"] = "0065g00000XyZ1AAB" },
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		rec := opportunityRecord()
		change(rec)
		id := normalizeOne(t, n, rec).ID
		if prev, dup := seen[id]; dup {
			t.Errorf("change %s gave the id of %s", name, prev)
		}
		seen[id] = name
	}
	del, err := n.NormalizeRecord(Record{Fields: opportunityRecord(), Op: OpDelete})
	if err != nil || del[0].ID == base || del[0].Op != OpDelete {
		t.Errorf("delete event: %v %+v", err, del)
	}
	other, err := NewNormalizer(tenancy.MustParse("11111111-2222-4333-8444-555555555555"), testSource, opportunityMapping(), &Config{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if normalizeOne(t, other, opportunityRecord()).ID == base {
		t.Error("another tenant gave the same id")
	}
	conn := testSource
	conn.ConnectionID = "conn-2"
	other, _ = NewNormalizer(testTenant, conn, opportunityMapping(), &Config{Now: fixedClock})
	if normalizeOne(t, other, opportunityRecord()).ID == base {
		t.Error("another connection gave the same id")
	}
}

func TestNormalizeProblemsKeepTheRecord(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	rec := opportunityRecord()
	rec["Amount"] = "about 5k"
	rec["CloseDate"] = "03/04/2025"
	rec["CurrencyIsoCode"] = "$"
	rec["IsWon"] = "perhaps"
	rec["StageName"] = map[string]any{"label": "x"}
	ev := normalizeOne(t, n, rec)
	wantProblems := map[string]string{
		"amount":     "Amount",
		"close_date": "CloseDate",
		"currency":   "CurrencyIsoCode",
		"is_won":     "IsWon",
		"stage":      "StageName",
	}
	if len(ev.Problems) != len(wantProblems) {
		t.Fatalf("problems = %+v", ev.Problems)
	}
	for _, p := range ev.Problems {
		if wantProblems[p.Field] != p.SourceField {
			t.Errorf("problem %+v names the wrong source field", p)
		}
		if v, ok := ev.Data[p.Field]; !ok || v != nil {
			t.Errorf("field %s = %v, %v; want present and null", p.Field, v, ok)
		}
		if p.Reason == "" {
			t.Errorf("problem %+v has no reason", p)
		}
	}
	for _, p := range ev.Problems {
		switch p.Field {
		case "close_date":
			if p.Raw != "03/04/2025" || !strings.HasPrefix(p.Reason, "ambiguous:") {
				t.Errorf("close_date problem = %+v", p)
			}
		case "stage":
			if p.Raw != `{"label":"x"}` {
				t.Errorf("stage raw = %q", p.Raw)
			}
		}
	}
	if ev.Data["name"] != "Acme - 200 seats" {
		t.Errorf("other fields lost: %v", ev.Data)
	}
	if err := Validate(ev); err != nil {
		t.Errorf("an event with problems is still valid: %v", err)
	}
}

func TestNormalizeAbsentAndNull(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	rec := opportunityRecord()
	delete(rec, "Amount")
	rec["StageName"] = nil
	rec["CustomerRef"] = nil // a null parent makes the nested field null
	rec["Probability"] = ""
	ev := normalizeOne(t, n, rec)
	if _, ok := ev.Data["amount"]; ok {
		t.Error("absent field present in data")
	}
	for _, f := range []string{"stage", "account_id", "probability"} {
		if v, ok := ev.Data[f]; !ok || v != nil {
			t.Errorf("%s = %v, %v; want null", f, v, ok)
		}
	}
	if len(ev.Problems) != 0 {
		t.Errorf("null is not a problem: %+v", ev.Problems)
	}
}

func TestNormalizeMissingKey(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	for _, id := range []any{nil, "", "  ", map[string]any{"x": 1}} {
		rec := opportunityRecord()
		rec["Id"] = id
		evs, err := n.NormalizeRecord(Record{Fields: rec, Ref: "row 17"})
		var mk *MissingKeyError
		if !errors.As(err, &mk) || !errors.Is(err, ErrMissingKey) {
			t.Fatalf("id %#v: err = %v, want *MissingKeyError", id, err)
		}
		if evs != nil {
			t.Errorf("events returned with the error")
		}
		if mk.Record != "row 17" || mk.Entity != "opportunity" || mk.Object != "Opportunity" || len(mk.Fields) != 1 || mk.Fields[0] != "Id" {
			t.Errorf("error = %+v", mk)
		}
		if msg := err.Error(); !strings.Contains(msg, "row 17") || !strings.Contains(msg, "Id") {
			t.Errorf("message %q does not name the record and field", msg)
		}
	}
	rec := opportunityRecord()
	delete(rec, "Id")
	_, err := n.Normalize(rec)
	var mk *MissingKeyError
	if !errors.As(err, &mk) || mk.Record != "record" {
		t.Errorf("absent id: %v", err)
	}
}

func TestNormalizeDeclaredKey(t *testing.T) {
	t.Parallel()
	m := &Mapping{System: "csv", Object: "deals.csv", Fields: []FieldMapping{
		{Source: "deal name", Target: "opportunity.name"},
		{Source: "value", Target: "opportunity.amount"},
	}}
	if _, err := NewNormalizer(testTenant, Source{ConnectionID: "c"}, m, nil); !errors.Is(err, ErrInvalidMapping) {
		t.Fatalf("no id and no key: %v", err)
	}
	n, err := NewNormalizer(testTenant, Source{ConnectionID: "c"}, m, &Config{Key: []string{"region", "no"}, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if n.Source().System != "csv" || n.Source().Object != "deals.csv" {
		t.Errorf("source not filled from the mapping: %+v", n.Source())
	}
	ev := normalizeOne(t, n, map[string]any{"deal name": "Big", "value": 10.5, "region": "EU", "no": 42})
	if ev.SourceKey != "EU|42" || ev.Data["id"] != "EU|42" {
		t.Errorf("key %q id %v", ev.SourceKey, ev.Data["id"])
	}
	_, err = n.Normalize(map[string]any{"deal name": "Big", "region": "EU"})
	var mk *MissingKeyError
	if !errors.As(err, &mk) || len(mk.Fields) != 2 {
		t.Errorf("partial key: %v", err)
	}
}

func TestNewNormalizerErrors(t *testing.T) {
	t.Parallel()
	good := opportunityMapping()
	for name, tc := range map[string]struct {
		tenant tenancy.ID
		m      *Mapping
		cfg    *Config
		err    error
	}{
		"zero tenant":    {tenancy.Nil, good, nil, tenancy.ErrInvalidID},
		"nil mapping":    {testTenant, nil, nil, ErrInvalidMapping},
		"unknown target": {testTenant, &Mapping{Fields: []FieldMapping{{Source: "a", Target: "opportunity.colour"}}}, nil, ErrUnknownTarget},
		"bad target":     {testTenant, &Mapping{Fields: []FieldMapping{{Source: "a", Target: "amount"}}}, nil, ErrUnknownTarget},
		"duplicate": {testTenant, &Mapping{Fields: []FieldMapping{
			{Source: "Id", Target: "opportunity.id"}, {Source: "Phone", Target: "opportunity.name"}, {Source: "Name", Target: "opportunity.name"},
		}}, nil, ErrInvalidMapping},
		"no source":     {testTenant, &Mapping{Fields: []FieldMapping{{Target: "opportunity.id"}}}, nil, ErrInvalidMapping},
		"nothing":       {testTenant, &Mapping{Fields: []FieldMapping{{Source: "x"}}}, nil, ErrInvalidMapping},
		"bad separator": {testTenant, good, &Config{Locale: Locale{DecimalSeparator: ';'}}, ErrInvalidConfig},
		"bad region":    {testTenant, good, &Config{Locale: Locale{Region: "USA"}}, ErrInvalidConfig},
	} {
		if _, err := NewNormalizer(tc.tenant, testSource, tc.m, tc.cfg); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.err)
		}
	}
	n := newOppNormalizer(t, nil)
	if _, err := n.NormalizeRecord(Record{Fields: opportunityRecord(), Op: "merge"}); err == nil {
		t.Error("unknown op accepted")
	}
}

func TestNormalizePhoneUsesRecordCountry(t *testing.T) {
	t.Parallel()
	m := &Mapping{System: "hubspot", Object: "contacts", Fields: []FieldMapping{
		{Source: "id", Target: "contact.id"},
		{Source: "properties.phone", Target: "contact.phone"},
		{Source: "properties.country", Target: "contact.country"},
		{Source: "properties.email", Target: "contact.email"},
	}}
	n, err := NewNormalizer(testTenant, Source{ConnectionID: "hs"}, m, &Config{Locale: Locale{Region: "US"}, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		country any
		phone   string
		want    any
	}{
		{"Deutschland", "030 123456", "+4930123456"},
		{"GB", "020 7946 0958", "+442079460958"},
		{nil, "(415) 555-0100", "+14155550100"},        // the configured region
		{"Atlantis", "(415) 555-0100", "+14155550100"}, // an unreadable country falls back too
		{"FR", "+1 415 555 0100", "+14155550100"},      // an explicit code wins
	} {
		ev := normalizeOne(t, n, map[string]any{"id": 7, "properties": map[string]any{
			"phone": tc.phone, "country": tc.country, "email": "A@B.io",
		}})
		if ev.Data["phone"] != tc.want {
			t.Errorf("country %v phone %q = %v, want %v", tc.country, tc.phone, ev.Data["phone"], tc.want)
		}
		if ev.SourceKey != "7" || ev.Data["email"] != "a@b.io" {
			t.Errorf("key %q email %v", ev.SourceKey, ev.Data["email"])
		}
	}
	n, _ = NewNormalizer(testTenant, Source{ConnectionID: "hs"}, m, &Config{Now: fixedClock})
	ev := normalizeOne(t, n, map[string]any{"id": "x", "properties": map[string]any{"phone": "(415) 555-0100"}})
	if ev.Data["phone"] != "4155550100" {
		t.Errorf("no country: phone = %v, want digits", ev.Data["phone"])
	}
}

func TestNormalizeRow(t *testing.T) {
	t.Parallel()
	m := &Mapping{System: "csv", Object: "accounts.csv", Fields: []FieldMapping{
		{Source: "Account ID", Target: "account.id"},
		{Source: "Company", Target: "account.name"},
		{Source: "Website", Target: "account.domain"},
		{Source: "Employees", Target: "account.employee_count"},
		{Source: "Revenue", Target: "account.annual_revenue"},
		{Source: "Country", Target: "account.country"},
		{Source: "Updated", Target: "account.updated_at"},
	}}
	n, err := NewNormalizer(testTenant, Source{ConnectionID: "files"}, m, &Config{
		Locale: Locale{DateOrder: DayFirst, DecimalSeparator: ','}, Now: fixedClock,
	})
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"\ufeffAccount ID", "Company", "Website", "Employees", "Revenue", "Country", "Updated"}
	evs, err := n.NormalizeRow(header, []string{"A-1", "Müller GmbH", "https://www.mueller.de/", "1.200", "1.234.567,89 €", "Deutschland", "03/04/2025 09:00"}, "row 2")
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	want := map[string]any{"id": "A-1", "name": "Müller GmbH", "domain": "mueller.de", "employee_count": int64(1200),
		"annual_revenue": "1234567.89", "country": "DE", "updated_at": "2025-04-03T09:00:00Z"}
	for k, w := range want {
		got := ev.Data[k]
		if d, ok := got.(Decimal); ok {
			got = decString(d)
		}
		if got != w {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
	// A short row lacks its last columns; an empty cell is null.
	evs, err = n.NormalizeRow(header, []string{"A-2", "", "acme.com"}, "row 3")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := evs[0].Data["name"]; !ok || v != nil {
		t.Errorf("empty cell: %v %v", v, ok)
	}
	if _, ok := evs[0].Data["country"]; ok {
		t.Error("missing column present")
	}
	// Another header with the columns moved.
	evs, err = n.NormalizeRow([]string{"Company", "Account ID"}, []string{"Beta", "B-1"}, "")
	if err != nil || evs[0].SourceKey != "B-1" || evs[0].Data["name"] != "Beta" {
		t.Errorf("moved columns: %v %+v", err, evs)
	}
	_, err = n.NormalizeRow(header, []string{"", "Nameless"}, "row 9")
	var mk *MissingKeyError
	if !errors.As(err, &mk) || mk.Record != "row 9" {
		t.Errorf("row without key: %v", err)
	}
}

func TestNormalizeMultipleEntities(t *testing.T) {
	t.Parallel()
	m := &Mapping{System: "csv", Object: "deals.csv", Fields: []FieldMapping{
		{Source: "deal_id", Target: "opportunity.id"},
		{Source: "deal_amount", Target: "opportunity.amount"},
		{Source: "company_id", Target: "account.id"},
		{Source: "company_site", Target: "account.domain"},
	}}
	n, err := NewNormalizer(testTenant, Source{ConnectionID: "c"}, m, &Config{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.Entities(), ","); got != "account,opportunity" {
		t.Errorf("entities = %s", got)
	}
	evs, err := n.Normalize(map[string]any{"deal_id": "D1", "deal_amount": 5, "company_id": "C1", "company_site": "c.io"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%v %d", err, len(evs))
	}
	if evs[0].Entity != "account" || evs[0].SourceKey != "C1" || evs[1].Entity != "opportunity" || evs[1].SourceKey != "D1" {
		t.Errorf("events = %+v %+v", evs[0], evs[1])
	}
	if evs[0].ID == evs[1].ID {
		t.Error("two entities share an id")
	}
	if _, err := n.Normalize(map[string]any{"deal_id": "D1"}); !errors.Is(err, ErrMissingKey) {
		t.Errorf("one entity without key: %v", err)
	}
}

func TestCalibratePercent(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	sample := []map[string]any{{"Probability": 0.1}, {"Probability": 1}, {"Probability": "0.75"}, {"Probability": nil}}
	rec := opportunityRecord()
	rec["Probability"] = 1
	if ev := normalizeOne(t, n, rec); len(ev.Problems) != 1 || ev.Problems[0].Field != "probability" {
		t.Fatalf("before calibration 1 is ambiguous: %+v", ev.Problems)
	}
	got := n.Calibrate(sample)
	if got["opportunity.probability"] != ScaleFraction || len(got) != 1 {
		t.Fatalf("Calibrate = %v", got)
	}
	ev := normalizeOne(t, n, rec)
	if d, ok := ev.Data["probability"].(Decimal); !ok || decString(d) != "100" {
		t.Errorf("after calibration 1 = %v", ev.Data["probability"])
	}
	// A pinned scale is kept.
	p := newOppNormalizer(t, &Config{PercentScales: map[string]PercentScale{"opportunity.probability": ScaleHundred}})
	if got := p.Calibrate(sample); len(got) != 0 {
		t.Errorf("pinned scale recalibrated: %v", got)
	}
	ev = normalizeOne(t, p, rec)
	if d := ev.Data["probability"].(Decimal); decString(d) != "1" {
		t.Errorf("pinned 0..100: 1 = %s", decString(d))
	}
}

func TestNormalizeInputTypes(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	rec := opportunityRecord()
	rec["Id"] = json.Number("12345678901234567890")
	rec["Amount"] = 85000.5
	rec["Probability"] = 0.35
	rec["CloseDate"] = time.Date(2025, 3, 4, 23, 0, 0, 0, time.FixedZone("", -5*3600))
	rec["LastModifiedDate"] = int64(1741083300123)
	rec["CreatedDate"] = json.Number("1741083300")
	rec["IsClosed"] = 1
	rec["IsWon"] = "Y"
	rec["OwnerId"] = 42
	ev := normalizeOne(t, n, rec)
	check := map[string]any{
		"id": "12345678901234567890", "amount": "85000.5", "probability": "35", "close_date": "2025-03-04",
		"updated_at": "2025-03-04T10:15:00.123Z", "created_at": "2025-03-04T10:15:00Z", "is_closed": true, "is_won": true, "owner_id": "42",
	}
	for k, w := range check {
		got := ev.Data[k]
		if d, ok := got.(Decimal); ok {
			got = decString(d)
		}
		if got != w {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
	if len(ev.Problems) != 0 {
		t.Errorf("problems: %+v", ev.Problems)
	}
}

// bsonM stands for a driver's named map type (bson.M).
type bsonM map[string]any

func TestNormalizeNestedPaths(t *testing.T) {
	t.Parallel()
	m := &Mapping{Fields: []FieldMapping{
		{Source: "_id", Target: "contact.id"},
		{Source: "emails.0.address", Target: "contact.email"},
		{Source: "org.ref", Target: "contact.account_id"},
		{Source: "name.first", Target: "contact.first_name"},
	}}
	n, err := NewNormalizer(testTenant, Source{System: "mongo", ConnectionID: "m", Object: "people"}, m, &Config{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	ev := normalizeOne(t, n, map[string]any{
		"_id":        "p1",
		"emails":     []any{map[string]any{"address": "X@Y.com"}},
		"org":        bsonM{"ref": "o1"},
		"name.first": "Literal", // a key with a dot wins over the path
		"name":       map[string]any{"first": "Nested"},
	})
	if ev.Data["email"] != "x@y.com" || ev.Data["account_id"] != "o1" || ev.Data["first_name"] != "Literal" {
		t.Errorf("data = %v", ev.Data)
	}
	ev = normalizeOne(t, n, map[string]any{"_id": "p2", "emails": []any{}, "org": "flat"})
	for _, f := range []string{"email", "account_id", "first_name"} {
		if _, ok := ev.Data[f]; ok {
			t.Errorf("%s present for a path that does not resolve", f)
		}
	}
}

func TestNormalizerConcurrent(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	want := normalizeOne(t, n, opportunityRecord()).ID
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if i%50 == 0 && g == 0 {
					n.Calibrate([]map[string]any{{"Probability": 50}})
				}
				evs, err := n.Normalize(opportunityRecord())
				if err != nil || evs[0].ID != want {
					t.Errorf("goroutine %d: %v %s", g, err, evs[0].ID)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWithSchemaFingerprint(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, &Config{SchemaFingerprint: "a"})
	m := n.WithSchemaFingerprint("b")
	a, b := normalizeOne(t, n, opportunityRecord()), normalizeOne(t, m, opportunityRecord())
	if a.SchemaFingerprint != "a" || b.SchemaFingerprint != "b" || a.ID != b.ID {
		t.Errorf("fingerprints %q %q ids %s %s", a.SchemaFingerprint, b.SchemaFingerprint, a.ID, b.ID)
	}
}

func TestNormalizeRowReusedHeaderSlice(t *testing.T) {
	t.Parallel()
	m := &Mapping{Fields: []FieldMapping{{Source: "id", Target: "account.id"}, {Source: "name", Target: "account.name"}}}
	n, err := NewNormalizer(testTenant, Source{ConnectionID: "c"}, m, &Config{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"id", "name"}
	if evs, err := n.NormalizeRow(header, []string{"1", "A"}, ""); err != nil || evs[0].Data["name"] != "A" {
		t.Fatalf("%v %v", err, evs)
	}
	header[0], header[1] = "name", "id" // a reader that reuses its slice
	evs, err := n.NormalizeRow(header, []string{"B", "2"}, "")
	if err != nil || evs[0].SourceKey != "2" || evs[0].Data["name"] != "B" {
		t.Fatalf("stale column index: %v %+v", err, evs[0])
	}
}
