package repair

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
)

func newTestMatcher(t testing.TB) *Matcher {
	t.Helper()
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSplitName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][][]string{
		"NumberOfEmployees":          {{"number", "of", "employees"}},
		"CustomerRef.value":          {{"customer", "ref"}, {"value"}},
		"hs_lastmodifieddate":        {{"hs", "lastmodifieddate"}},
		"Deal_Value__c":              {{"deal", "value", "c"}},
		"address1_country":           {{"address", "country"}},
		"HTTPServerURL":              {{"http", "server", "url"}},
		"Währung":                    {{"wahrung"}},
		"status_transitions.paid_at": {{"status", "transitions"}, {"paid", "at"}},
	} {
		if got := splitName(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadName(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	for _, tc := range []struct {
		raw, entity string
		words       []string
		idref, tmp  bool
	}{
		{"numberofemployees", "account", []string{"employees"}, false, false},
		{"emp_cnt", "account", []string{"employees"}, false, false},
		{"Jahresumsatz", "account", []string{"revenue"}, false, false},
		{"Bedrijfsnaam", "account", []string{"name"}, false, false},
		{"AccountId", "contact", []string{"account"}, true, false},
		{"AccountId", "account", nil, true, false},
		{"hs_lastmodifieddate", "deal", []string{"updated"}, false, true},
		{"CurrencyIsoCode", "opportunity", []string{"currency"}, false, false},
		{"_parentcustomerid_value", "contact", []string{"parent"}, true, false},
		{"fecha_cierre", "opportunity", []string{"close"}, false, true},
		{"acct_mgr", "account", []string{"owner"}, false, false},
		{"Familienname", "contact", []string{"last_name"}, false, false},
		{"betaaldatum", "invoice", []string{"paid"}, false, true},
		{"Telefonnummer", "account", []string{"phone"}, false, false},
		{"data_criacao", "contact", []string{"created"}, false, true},
		{"Rechnungsbetrag", "invoice", []string{"amount"}, false, false},
		{"SLSREP", "account", []string{"owner"}, false, false},
	} {
		ni := m.forEntity(m.lx.read(tc.raw, ""), tc.entity)
		if len(ni.words) == 0 {
			ni.words = nil
		}
		if !reflect.DeepEqual(ni.words, tc.words) || ni.idref != tc.idref || ni.temporal != tc.tmp {
			t.Errorf("read(%q, %s) = %q idref=%v temporal=%v, want %q idref=%v temporal=%v",
				tc.raw, tc.entity, ni.words, ni.idref, ni.temporal, tc.words, tc.idref, tc.tmp)
		}
	}
}

// TestHungarianOptimal checks the assignment against brute force on small
// random matrices.
func TestHungarianOptimal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		n, k := 1+r.IntN(5), 1+r.IntN(5)
		p := make([][]float64, n)
		for i := range p {
			p[i] = make([]float64, k)
			for j := range p[i] {
				if r.Float64() < 0.7 {
					p[i][j] = r.Float64()
				}
			}
		}
		got := hungarianMax(p)
		used := map[int]bool{}
		sum := 0.0
		for i, j := range got {
			if j < 0 {
				continue
			}
			if used[j] {
				t.Fatalf("column %d assigned twice: %v", j, got)
			}
			used[j] = true
			sum += p[i][j]
		}
		if best := bruteMax(p, 0, map[int]bool{}); sum < best-1e-9 {
			t.Fatalf("matrix %v: got %v sum %.4f, optimum %.4f", p, got, sum, best)
		}
	}
}

func bruteMax(p [][]float64, i int, used map[int]bool) float64 {
	if i == len(p) {
		return 0
	}
	best := bruteMax(p, i+1, used)
	for j := range p[i] {
		if used[j] || p[i][j] <= 0 {
			continue
		}
		used[j] = true
		best = max(best, p[i][j]+bruteMax(p, i+1, used))
		used[j] = false
	}
	return best
}

func field(name string, typ drift.FieldType, samples ...string) drift.Field {
	return drift.Field{Name: name, Type: typ, Samples: samples}
}

func TestMatchOneToOneAndPrimaryPhone(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "crm", Object: "people", Fields: []drift.Field{
		field("mobile_phone", drift.TypeString, "+49 171 2345678", "0171 999 1234"),
		field("phone", drift.TypeString, "+49 89 1234567", "(415) 555-0132"),
		field("fax", drift.TypeString, "+49 89 1234568", ""),
		field("e_mail", drift.TypeString, "a@b.de", "c@d.com"),
		field("email_2", drift.TypeString, "x@y.de", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "contact" {
		t.Fatalf("entity %s, want contact", res.Entity)
	}
	want := map[string]string{"phone": "contact.phone", "mobile_phone": "", "fax": "", "e_mail": "contact.email", "email_2": ""}
	seen := map[string]string{}
	for _, f := range res.Fields {
		if f.Target != want[f.Source] {
			t.Errorf("%s -> %q, want %q (%v)", f.Source, f.Target, want[f.Source], f.Evidence)
		}
		if f.Target != "" {
			if other, dup := seen[f.Target]; dup {
				t.Errorf("%s taken by %s and %s", f.Target, other, f.Source)
			}
			seen[f.Target] = f.Source
		}
		if f.Confidence < 0 || f.Confidence > 1 || len(f.Evidence) == 0 {
			t.Errorf("%s: confidence %v, evidence %v", f.Source, f.Confidence, f.Evidence)
		}
	}
}

func TestMatchReferencesOnChosenEntity(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "books", Object: "bills", Fields: []drift.Field{
		field("bill_id", drift.TypeString, "B-1001", "B-1002"),
		field("CustomerRef.value", drift.TypeString, "58", "61"),
		field("sales_rep", drift.TypeString, "jsmith", "mmueller"),
		field("grand_total", drift.TypeNumber, "100.5", "20"),
		field("contact_email", drift.TypeString, "a@b.com", "c@d.com"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "invoice" {
		t.Fatalf("entity %s, want invoice", res.Entity)
	}
	for src, want := range map[string]string{
		"bill_id": "invoice.id", "CustomerRef.value": "invoice.account_id", "grand_total": "invoice.amount",
		"contact_email": "", // an invoice has no e-mail: the other entity's field maps to nothing
		"sales_rep":     "", // nor an owner
	} {
		f, _ := res.Field(src)
		if f.Target != want {
			t.Errorf("%s -> %q, want %q (%v)", src, f.Target, want, f.Evidence)
		}
	}
}

func TestMatchAbstainsOnUnknown(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "erp", Object: "accounts", Fields: []drift.Field{
		field("Name", drift.TypeString, "Acme", "Globex"),
		field("zz_frobnication_level", drift.TypeInteger, "3", "7"),
		field("internal_notes_blob", drift.TypeString, "see call", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Fields[1:] {
		if f.Target != "" {
			t.Errorf("%s -> %s, want abstention", f.Source, f.Target)
		}
		if f.Confidence < 0.8 {
			t.Errorf("%s: abstention confidence %.2f, want high for a field nothing resembles", f.Source, f.Confidence)
		}
	}
	if res.Fields[0].Target != "account.name" {
		t.Errorf("Name -> %q", res.Fields[0].Target)
	}
}

func TestMatchBadInput(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	_, err := m.Match(context.Background(), drift.Schema{Object: "x", Fields: []drift.Field{{Name: "a"}, {Name: "a"}}})
	if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate field: err %v", err)
	}
	_, err = m.Match(context.Background(), drift.Schema{Object: "x", Fields: []drift.Field{{Name: " "}}})
	if !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("blank field: err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Match(ctx, drift.Schema{Object: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err %v", err)
	}
	res, err := m.Match(context.Background(), drift.Schema{Object: "empty"})
	if err != nil || len(res.Fields) != 0 {
		t.Errorf("empty schema: %v, %v", res, err)
	}
	if _, err := NewMatcher(nil, &MatcherConfig{Threshold: 2}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("threshold 2: err %v", err)
	}
}

func TestMappingFromResult(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		field("Amount", drift.TypeNumber, "100"), field("Foo__c", drift.TypeString, "x"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	mp := res.Mapping()
	if mp.Target("Amount") != "opportunity.amount" || mp.Target("Foo__c") != "" || len(mp.Fields) != 2 {
		t.Errorf("mapping %+v", mp)
	}
	ont := canonical.V1()
	for _, f := range mp.Fields {
		if f.Target != "" {
			if _, err := ont.Lookup(f.Target); err != nil {
				t.Error(err)
			}
		}
	}
}

// bench50 builds a 50-field object from the own cases.
func bench50(t testing.TB) drift.Schema {
	s := drift.Schema{System: "bench", Object: "Account"}
	seen := map[string]bool{}
	for _, c := range loadMatchCases(t, filepath.Join("testdata", "cases")) {
		for _, f := range c.schema().Fields {
			if len(s.Fields) == 50 {
				return s
			}
			name := f.Name
			if seen[name] {
				name = fmt.Sprintf("%s_%d", name, len(s.Fields))
			}
			seen[name] = true
			f.Name = name
			s.Fields = append(s.Fields, f)
		}
	}
	return s
}

func BenchmarkMatch50(b *testing.B) {
	m := newTestMatcher(b)
	s := bench50(b)
	if len(s.Fields) != 50 {
		b.Fatalf("%d fields", len(s.Fields))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Match(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms")
}

func TestMatchForeignObjectMapsNothing(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	for _, obj := range []string{"tickets", "order_lines.csv", "Products", "customer_orders", "jira_issues", "Incidents"} {
		res, err := m.Match(context.Background(), drift.Schema{System: "x", Object: obj, Fields: []drift.Field{
			field("id", drift.TypeString, "T-1"), field("subject", drift.TypeString, "Help"),
			field("status", drift.TypeString, "open"), field("created_at", drift.TypeTimestamp, "2025-01-01T00:00:00Z"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Entity != "" {
			t.Errorf("%s: entity %q, want none", obj, res.Entity)
		}
		for _, f := range res.Fields {
			if f.Target != "" {
				t.Errorf("%s.%s -> %s", obj, f.Source, f.Target)
			}
		}
	}
	// A customer export is not a foreign object.
	res, _ := m.Match(context.Background(), drift.Schema{Object: "customers_export.csv", Fields: []drift.Field{field("name", drift.TypeString, "Acme")}})
	if res.Entity != "account" {
		t.Errorf("customers_export.csv: entity %q", res.Entity)
	}
}

func TestMatchNumberedVariantsAndNamespaces(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "salesforce", Object: "Account", Fields: []drift.Field{
		field("Phone2", drift.TypeString, "+1 415 555 0100"),
		field("Phone1", drift.TypeString, "+1 415 555 0101"),
		field("acme__Annual_Turnover__c", drift.TypeNumber, "1000000"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{"Phone1": "account.phone", "Phone2": "", "acme__Annual_Turnover__c": "account.annual_revenue"} {
		if f, _ := res.Field(src); f.Target != want {
			t.Errorf("%s -> %q, want %q (%v)", src, f.Target, want, f.Evidence)
		}
	}
}

// TestMatchDistractorsMapToNothing: common vendor fields with no
// counterpart in the ontology stay unmapped even when nothing better
// competes for the target they resemble.
func TestMatchDistractorsMapToNothing(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	for obj, names := range map[string][]string{
		"Account": {"AccountNumber", "Site", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "Ownership",
			"TickerSymbol", "Description", "AccountSource", "YearStarted", "DunsNumber", "MasterRecordId"},
		"contacts": {"salutation", "middle_name", "department", "birthdate", "mailing_street", "assistant_name",
			"reports_to_id", "email_bounced_reason", "do_not_call", "account_name"},
		"Opportunity": {"Description", "NextStep", "TotalOpportunityQuantity", "Pricebook2Id", "CampaignId", "FiscalYear", "LossReason__c"},
		"Lead":        {"Salutation", "Name", "Street", "City", "State", "PostalCode", "Rating", "ConvertedDate", "IsUnreadByOwner"},
		"Task":        {"WhatId", "Description", "IsHighPriority", "ReminderDateTime", "CallDisposition", "Who.Name", "What.Name"},
	} {
		s := drift.Schema{System: "crm", Object: obj, Fields: []drift.Field{field("Id", drift.TypeString, "X1", "X2")}}
		// A description stands in for a task's subject or a deal's name
		// only when the record has none.
		switch obj {
		case "Task":
			s.Fields = append(s.Fields, field("Subject", drift.TypeString, "Call back", "Send quote"))
		case "Opportunity":
			s.Fields = append(s.Fields, field("Name", drift.TypeString, "Acme renewal", "Globex upsell"))
		}
		for _, n := range names {
			s.Fields = append(s.Fields, field(n, drift.TypeString, "Abc Def", "Ghi Jkl"))
		}
		res, err := m.Match(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Fields[1:] {
			if f.Source == "Subject" || obj == "Opportunity" && f.Source == "Name" {
				continue
			}
			if f.Target != "" {
				t.Errorf("%s.%s -> %s (%.2f): %v", obj, f.Source, f.Target, f.Confidence, f.Evidence)
			}
		}
	}
}

// TestMatchWideObject: a very wide object is matched quickly and still one
// to one.
func TestMatchWideObject(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	s := drift.Schema{System: "x", Object: "accounts"}
	for i := 0; i < 800; i++ {
		s.Fields = append(s.Fields, field(fmt.Sprintf("phone_%d_name", i), drift.TypeString, "+1 415 555 0100", "Acme"))
	}
	res, err := m.Match(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range res.Fields {
		if f.Target != "" && seen[f.Target] {
			t.Fatalf("%s taken twice", f.Target)
		}
		seen[f.Target] = true
	}
}

func TestGreedyMatchesHungarianOnClearCases(t *testing.T) {
	t.Parallel()
	p := [][]float64{{0.9, 0.1, 0}, {0.2, 0.8, 0}, {0, 0, 0.7}, {0.5, 0, 0}}
	if g, h := greedyMax(p), hungarianMax(p); !reflect.DeepEqual(g, h) {
		t.Errorf("greedy %v, hungarian %v", g, h)
	}
}

// TestMatchObjectWordsAreContext: a "contacts" object whose records turn
// out to be companies (their names carry legal forms) is read as
// accounts, and "contact_id"/"contact_name" as the record's own key and
// name.
func TestMatchObjectWordsAreContext(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	res, err := m.Match(context.Background(), drift.Schema{System: "books", Object: "contacts", Fields: []drift.Field{
		field("contact_id", drift.TypeString, "4600001", "4600002", "4600003"),
		field("contact_name", drift.TypeString, "Acme Corporation", "Globex GmbH", "Initech Inc."),
		field("website", drift.TypeString, "acme.com", "globex.de", ""),
		field("currency_code", drift.TypeString, "USD", "EUR", "USD"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "account" {
		t.Fatalf("entity %s, want account (%v)", res.Entity, res.EntityEvidence)
	}
	wantTargets(t, res, map[string]string{"contact_id": "account.id", "contact_name": "account.name", "website": "account.domain"})
}

// A key in a vendor's own words: the first field, a key marker after
// words the lexicon does not know, distinct id-like values. A named key
// wins over it.
func TestMatchFirstFieldKey(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	fields := []drift.Field{
		field("CardCode", drift.TypeString, "C20000", "C23900", "C40001"),
		field("CompanyName", drift.TypeString, "Acme Inc.", "Globex GmbH", "Initech LLC"),
		field("SalesPersonCode", drift.TypeInteger, "4", "7", "4"),
		field("Website", drift.TypeString, "acme.com", "globex.de", "initech.com"),
	}
	res, err := m.Match(context.Background(), drift.Schema{System: "erp", Object: "BusinessPartners", Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CardCode": "account.id", "CompanyName": "account.name", "SalesPersonCode": "account.owner_id", "Website": "account.domain"}
	for _, f := range res.Fields {
		if f.Target != want[f.Source] {
			t.Errorf("%s -> %q, want %q", f.Source, f.Target, want[f.Source])
		}
	}
	// With a named key, the first field is not the key.
	withID := append([]drift.Field{fields[0], field("Id", drift.TypeString, "9f1", "9f2", "9f3")}, fields[1:]...)
	res, err = m.Match(context.Background(), drift.Schema{System: "erp", Object: "BusinessPartners", Fields: withID})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Field("Id"); f.Target != "account.id" {
		t.Errorf("Id -> %q, want account.id", f.Target)
	}
	if f, _ := res.Field("CardCode"); f.Target == "account.id" {
		t.Errorf("CardCode took account.id from the named key")
	}
}

// The system's own name in field names says nothing ("Apollo Contact
// Id"); billing systems' contacts and customers are the accounts they
// bill; a field named a phone holding local numbers is the phone.
func TestMatchSystemWordsBillingPartiesLocalPhones(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "apollo", Object: "contacts", Fields: []drift.Field{
		field("Apollo Contact Id", drift.TypeString, "64a1f0c2e1", "64a1f0c2e2", "64a1f0c2e3"),
		field("First Name", drift.TypeString, "Ana", "Ben", "Chloe"),
		field("Email", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.com"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Field("Apollo Contact Id"); f.Target != "contact.id" {
		t.Errorf("Apollo Contact Id -> %q, want contact.id", f.Target)
	}
	billing := []drift.Field{
		field("ContactID", drift.TypeString, "bd2270c3-8706-4c11-9cfb-000b551c3f51", "a1b2c3d4-8706-4c11-9cfb-000b551c3f52", "c3d4e5f6-8706-4c11-9cfb-000b551c3f53"),
		field("Name", drift.TypeString, "Acme Ltd", "Globex GmbH", "Initech Pty Ltd"),
		field("FirstName", drift.TypeString, "Ana", "Ben", "Chloe"),
		field("EmailAddress", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.com"),
		field("Phones.DEFAULT.PhoneNumber", drift.TypeString, "8006001", "5556789", "98765432"),
	}
	res, err = m.Match(ctx, drift.Schema{System: "xero", Object: "Contacts", Fields: billing})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "account" {
		t.Fatalf("xero Contacts read as %q, want account", res.Entity)
	}
	wantTargets(t, res, map[string]string{"ContactID": "account.id", "Name": "account.name", "Phones.DEFAULT.PhoneNumber": "account.phone"})
	// The same object in a CRM is people.
	res, err = m.Match(ctx, drift.Schema{System: "crm", Object: "Contacts", Fields: billing[2:4]})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "contact" {
		t.Errorf("crm Contacts read as %q, want contact", res.Entity)
	}
}

// JSON:API containers ("relationships.owner.data.id") are not dates; a
// tax amount is not the invoice's amount, a total including tax is; a
// recruiting object is outside the ontology; long opaque keys are keys.
func TestMatchContainersTaxAndOpaqueKeys(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	long := strings.Repeat("AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZi", 4)
	res, err := m.Match(ctx, drift.Schema{System: "x", Object: "invoices", Fields: []drift.Field{
		field("id", drift.TypeString, long+"A=", long+"B=", long+"C="),
		field("relationships.customer.data.id", drift.TypeString, "cus_17", "cus_23", "cus_17"),
		field("BTW-bedrag", drift.TypeNumber, "21.00", "42.00", "8.40"),
		field("Totaal incl. BTW", drift.TypeNumber, "121.00", "242.00", "48.40"),
		field("Factuurnummer", drift.TypeString, "F-2025-001", "F-2025-002", "F-2025-003"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"id": "invoice.id", "relationships.customer.data.id": "invoice.account_id", "BTW-bedrag": "",
		"Totaal incl. BTW": "invoice.amount", "Factuurnummer": "invoice.number"}
	for src, w := range want {
		if f, _ := res.Field(src); f.Target != w {
			t.Errorf("%s -> %q, want %q", src, f.Target, w)
		}
	}
	res, err = m.Match(ctx, drift.Schema{System: "ats", Object: "candidates", Fields: []drift.Field{
		field("id", drift.TypeString, "1", "2"), field("first_name", drift.TypeString, "Ana", "Ben"),
		field("email", drift.TypeString, "ana@x.io", "ben@y.io"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "" {
		t.Errorf("candidates read as %q, want no entity", res.Entity)
	}
}

// Columns a loading tool adds map to nothing, however key-like; CJK
// headers are segmented into known words.
func TestMatchLoaderColumnsAndCJKHeaders(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "zoho", Object: "leads", Fields: []drift.Field{
		field("_airbyte_raw_id", drift.TypeString, "0b1c6f9e-1f0a-4c4e-9d55-1a2b3c4d5e6f", "1c2d7e8f-2a1b-4d5f-8e66-2b3c4d5e6f70", "2d3e8f90-3b2c-4e6a-9f77-3c4d5e6f7081"),
		field("_fivetran_synced", drift.TypeTimestamp, "2025-11-20T03:00:00Z", "2025-11-20T03:00:00Z", "2025-11-20T03:00:01Z"),
		field("id", drift.TypeString, "4876876000000624001", "4876876000000624002", "4876876000000624003"),
		field("Email", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.com"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"_airbyte_raw_id": "", "_fivetran_synced": "", "id": "lead.id", "Email": "lead.email"})
	res, err = m.Match(ctx, drift.Schema{System: "csv", Object: "torihikisaki", Fields: []drift.Field{
		field("取引先コード", drift.TypeString, "C0001", "C0002", "C0003"),
		field("取引先名", drift.TypeString, "株式会社アクメ", "グロービクス株式会社", "イニテック合同会社"),
		field("業種", drift.TypeString, "製造業", "小売業", "情報通信業"),
		field("従業員数", drift.TypeInteger, "120", "45", "3000"),
		field("更新日時", drift.TypeTimestamp, "2025-11-20 10:00:00", "2025-11-19 09:30:00", "2025-11-18 17:45:00"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "account" {
		t.Fatalf("取引先 read as %q, want account", res.Entity)
	}
	for src, want := range map[string]string{"取引先コード": "account.id", "取引先名": "account.name", "業種": "account.industry",
		"従業員数": "account.employee_count", "更新日時": "account.updated_at"} {
		if f, _ := res.Field(src); f.Target != want {
			t.Errorf("%s -> %q, want %q", src, f.Target, want)
		}
	}
}

// A "lead" object whose fields are a deal's is a deal; an employee's
// number is the rep's key, not a headcount; vouchers are invoices.
func TestMatchDealsNamedLeadsEmployeeNumbersVouchers(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "odoo", Object: "crm.lead", Fields: []drift.Field{
		field("id", drift.TypeInteger, "41", "42", "43"),
		field("stage_id", drift.TypeString, "Qualified", "Proposition", "Won"),
		field("probability", drift.TypeNumber, "20", "60", "100"),
		field("date_deadline", drift.TypeDate, "2025-12-01", "2026-01-15", "2025-11-30"),
		field("salesPerson.employeeNumber", drift.TypeInteger, "7", "12", "7"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "opportunity" {
		t.Fatalf("crm.lead with deal fields read as %q, want opportunity", res.Entity)
	}
	for src, want := range map[string]string{"stage_id": "opportunity.stage", "date_deadline": "opportunity.close_date",
		"salesPerson.employeeNumber": "opportunity.owner_id"} {
		if f, _ := res.Field(src); f.Target != want {
			t.Errorf("%s -> %q, want %q", src, f.Target, want)
		}
	}
	// A lead object with a person's fields stays a lead.
	res, err = m.Match(ctx, drift.Schema{System: "crm", Object: "leads", Fields: []drift.Field{
		field("first_name", drift.TypeString, "Ana", "Ben"), field("last_name", drift.TypeString, "Lopez", "Okafor"),
		field("stage", drift.TypeString, "new", "working"), field("probability", drift.TypeNumber, "10", "30"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "lead" {
		t.Errorf("leads with person fields read as %q, want lead", res.Entity)
	}
	res, err = m.Match(ctx, drift.Schema{System: "lexoffice", Object: "voucherlist", Fields: []drift.Field{
		field("voucherNumber", drift.TypeString, "RE0001", "RE0002", "RE0003"),
		field("voucherDate", drift.TypeTimestamp, "2025-11-01T00:00:00.000+01:00", "2025-11-03T00:00:00.000+01:00", "2025-11-07T00:00:00.000+01:00"),
		field("totalAmount", drift.TypeNumber, "119.00", "238.00", "59.50"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"voucherNumber": "invoice.number", "voucherDate": "invoice.issued_at", "totalAmount": "invoice.amount"})
}

// Twilio's sid is a key, an e-mail's message date is when it happened,
// a deal's revenue is its amount, chat channels are outside the ontology.
func TestMatchSidMessageDateDealRevenueChannels(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "salesforce", Object: "EmailMessage", Fields: []drift.Field{
		field("sid", drift.TypeString, "CA1f3b", "CA2e4c", "CA3d5d"),
		field("Subject", drift.TypeString, "Renewal", "Intro", "Quote"),
		field("MessageDate", drift.TypeTimestamp, "2025-11-18T14:22:05Z", "2025-11-19T08:03:51Z", "2025-11-20T10:00:00Z"),
		field("CreatedDate", drift.TypeTimestamp, "2025-11-18T14:22:09Z", "2025-11-19T08:03:55Z", "2025-11-20T10:00:04Z"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"sid": "activity.id", "MessageDate": "activity.occurred_at"})
	res, err = m.Match(ctx, drift.Schema{System: "oracle", Object: "opportunities", Fields: []drift.Field{
		field("OptyId", drift.TypeInteger, "300100", "300101", "300102"),
		field("Name", drift.TypeString, "Renewal 2026", "Upsell", "New logo"),
		field("Revenue", drift.TypeNumber, "120000", "45000.50", "9800"),
		field("WinProb", drift.TypeInteger, "40", "70", "10"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Field("Revenue"); f.Target != "opportunity.amount" {
		t.Errorf("Revenue -> %q, want opportunity.amount", f.Target)
	}
	res, err = m.Match(ctx, drift.Schema{System: "slack", Object: "conversations_list.channels", Fields: []drift.Field{
		field("id", drift.TypeString, "C012AB3CD", "C023BC4DE"), field("created", drift.TypeInteger, "1700000000", "1700500000"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "" {
		t.Errorf("channels read as %q, want no entity", res.Entity)
	}
}

// Accounts of other kinds (financial, bank, ad) are outside the ontology;
// multi-value fields sent as arrays of objects are read by their values;
// ERP "contacts" are the accounts billed.
func TestMatchOtherAccountsObjectValuesERPContacts(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	for _, obj := range []string{"FinServ__FinancialAccount__c", "bank_accounts", "AdAccounts"} {
		res, err := m.Match(ctx, drift.Schema{System: "x", Object: obj, Fields: []drift.Field{
			field("Id", drift.TypeString, "a0B1", "a0B2"), field("Name", drift.TypeString, "Checking 1", "Savings 2"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Entity != "" {
			t.Errorf("%s read as %q, want no entity", obj, res.Entity)
		}
	}
	res, err := m.Match(ctx, drift.Schema{System: "crm", Object: "crm.lead.list", Fields: []drift.Field{
		field("ID", drift.TypeString, "101", "102", "103"),
		field("NAME", drift.TypeString, "Ivan", "Olga", "Petr"),
		field("LAST_NAME", drift.TypeString, "Smirnov", "Ivanova", "Petrov"),
		field("PHONE", drift.TypeArray, `[{"ID":"1","VALUE_TYPE":"WORK","VALUE":"+7 495 123-45-67"}]`, `[{"ID":"2","VALUE_TYPE":"MOBILE","VALUE":"+7 916 123-45-67"}]`, `[]`),
		field("EMAIL", drift.TypeArray, `[{"ID":"3","VALUE":"a.smirnov@metall.ru"}]`, `[]`, `[{"ID":"4","VALUE":"zakaz@metall.ru"}]`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"PHONE": "lead.phone", "EMAIL": "lead.email"})
	res, err = m.Match(ctx, drift.Schema{System: "bling", Object: "contatos", Fields: []drift.Field{
		field("id", drift.TypeInteger, "15596468981", "15596468982", "15596468983"),
		field("nome", drift.TypeString, "Metalúrgica Souza Ltda", "Padaria Pão Quente ME", "João Pereira"),
		field("telefone", drift.TypeString, "(11) 3456-7890", "(21) 2233-4455", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "account" {
		t.Errorf("bling contatos read as %q, want account", res.Entity)
	}
}

// A report joining accounts to deals keeps "Account Name" off the deal's
// name; a contact export with company columns stays a contact export;
// funding rounds are outside the ontology.
func TestMatchJoinedReportsContactExportsFundingRounds(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "salesforce", Object: "opportunities_with_accounts", Fields: []drift.Field{
		field("Account Name", drift.TypeString, "Acme Corporation", "Globex Inc.", "Initech LLC"),
		field("Opportunity Name", drift.TypeString, "Acme - 500 Widgets", "Globex Renewal FY26", "Initech - Expansion"),
		field("Stage", drift.TypeString, "Prospecting", "Negotiation/Review", "Closed Won"),
		field("Amount", drift.TypeString, "USD 125,000.00", "EUR 48,000.50", "USD 12,000.00"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Field("Opportunity Name"); f.Target != "opportunity.name" {
		t.Errorf("Opportunity Name -> %q, want opportunity.name", f.Target)
	}
	if f, _ := res.Field("Account Name"); f.Target == "opportunity.name" {
		t.Errorf("Account Name took the deal's name")
	}
	res, err = m.Match(ctx, drift.Schema{System: "zoominfo", Object: "zoominfo_contact_export", Fields: []drift.Field{
		field("First Name", drift.TypeString, "Ana", "Ben", "Chloe"),
		field("Last Name", drift.TypeString, "Lopez", "Okafor", "Dubois"),
		field("Email Address", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.fr"),
		field("Company Name", drift.TypeString, "Acme Corporation", "Globex GmbH", "Initech SA"),
		field("Website", drift.TypeString, "acme.com", "globex.de", "initech.fr"),
		field("Employees", drift.TypeInteger, "1200", "85", "40"),
		field("Primary Industry", drift.TypeString, "Manufacturing", "Retail", "Software"),
		field("Revenue (in 000s USD)", drift.TypeInteger, "250000", "12000", "4000"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "contact" {
		t.Errorf("a contact export read as %q, want contact (%v)", res.Entity, res.EntityEvidence)
	}
	res, err = m.Match(ctx, drift.Schema{System: "crunchbase", Object: "funding_rounds_export", Fields: []drift.Field{
		field("Organization Name", drift.TypeString, "Acme", "Globex"), field("Money Raised Currency", drift.TypeString, "USD", "EUR"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entity != "" {
		t.Errorf("funding rounds read as %q, want no entity", res.Entity)
	}
}

// A legacy table's own prefix on its column names is dropped, fused
// ("PRSPFNM") or as a first token ("CUSMST_CITY"); a prefix that means
// something ("customer_") or a path ("properties.name") is kept.
func TestMatchTablePrefixes(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	res, err := m.Match(ctx, drift.Schema{System: "vsam", Object: "prospects", Fields: []drift.Field{
		field("PRSPNO", drift.TypeString, "P000101", "P000102", "P000103"),
		field("PRSPFNM", drift.TypeString, "ANA", "BEN", "CHLOE"),
		field("PRSPLNM", drift.TypeString, "LOPEZ", "OKAFOR", "DUBOIS"),
		field("PRSPEML", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.fr"),
		field("PRSPADDT", drift.TypeString, "20250103", "20250211", "20250302"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"PRSPFNM": "lead.first_name", "PRSPLNM": "lead.last_name", "PRSPEML": "lead.email"})
	res, err = m.Match(ctx, drift.Schema{System: "erp", Object: "customers", Fields: []drift.Field{
		field("CUSMST_NAME", drift.TypeString, "Acme Corp", "Globex GmbH", "Initech SA"),
		field("CUSMST_CTRY", drift.TypeString, "US", "DE", "FR"),
		field("CUSMST_PHONE", drift.TypeString, "+1 415 555 0101", "+49 30 1234567", "+33 1 23 45 67 89"),
		field("CUSMST_CURR", drift.TypeString, "USD", "EUR", "EUR"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"CUSMST_NAME": "account.name", "CUSMST_CTRY": "account.country", "CUSMST_PHONE": "account.phone"})
	if p := m.tablePrefix([]drift.Field{{Name: "customer_id"}, {Name: "customer_name"}, {Name: "customer_email"}, {Name: "customer_phone"}}); p != "" {
		t.Errorf("customer_ taken as a table prefix %q", p)
	}
	if p := m.tablePrefix([]drift.Field{{Name: "properties.name"}, {Name: "properties.domain"}, {Name: "properties.phone"}, {Name: "properties.city"}}); p != "" {
		t.Errorf("a path taken as a table prefix %q", p)
	}
}

// Headers in Polish, Turkish, Russian and Indonesian read as their
// English counterparts; "#" reads as a number.
func TestMatchMoreLanguagesAndNumberSign(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	for _, tc := range []struct {
		object string
		fields []drift.Field
		want   map[string]string
	}{
		{"faturalar", []drift.Field{
			field("Fatura No", drift.TypeString, "FTR2025-0001", "FTR2025-0002", "FTR2025-0003"),
			field("Fatura Tarihi", drift.TypeString, "15.01.2025", "03.02.2025", "20.02.2025"),
			field("Vade Tarihi", drift.TypeString, "14.02.2025", "05.03.2025", "22.03.2025"),
			field("Döviz", drift.TypeString, "TRY", "EUR", "TRY"),
		}, map[string]string{"Fatura Tarihi": "invoice.issued_at", "Vade Tarihi": "invoice.due_at", "Döviz": "invoice.currency"}},
		{"сделки", []drift.Field{
			field("Название сделки", drift.TypeString, "Поставка оборудования", "Сервисный контракт", "Лицензии 2026"),
			field("Этап", drift.TypeString, "Переговоры", "Квалификация", "Закрыта"),
			field("Сумма", drift.TypeNumber, "1 250 000", "480 000,50", "99 000"),
			field("Дата закрытия", drift.TypeString, "31.12.2025", "15.01.2026", "01.11.2025"),
		}, map[string]string{"Название сделки": "opportunity.name", "Этап": "opportunity.stage", "Дата закрытия": "opportunity.close_date"}},
		{"kontak", []drift.Field{
			field("Nama Depan", drift.TypeString, "Budi", "Siti", "Agus"),
			field("Nama Belakang", drift.TypeString, "Santoso", "Rahayu", "Wijaya"),
			field("Jabatan", drift.TypeString, "Manajer", "Direktur", "Staf"),
			field("Tanggal Dibuat", drift.TypeString, "2025-01-03", "2025-02-11", "2025-03-02"),
		}, map[string]string{"Nama Depan": "contact.first_name", "Nama Belakang": "contact.last_name", "Tanggal Dibuat": "contact.created_at"}},
		{"Customers_v2_final.xlsx", []drift.Field{
			field("Contact #", drift.TypeString, "C-1001", "C-1002", "C-1003"),
			field("First name", drift.TypeString, "Ana", "Ben", "Chloe"),
			field("Email", drift.TypeString, "ana@acme.com", "ben@globex.de", "chloe@initech.fr"),
			field("Direct line", drift.TypeString, "+1 415 555 0101", "+49 30 1234567", "+33 1 23 45 67 89"),
		}, map[string]string{"Contact #": "contact.id", "Direct line": "contact.phone"}},
	} {
		res, err := m.Match(ctx, drift.Schema{System: "csv", Object: tc.object, Fields: tc.fields})
		if err != nil {
			t.Fatal(err)
		}
		for src, want := range tc.want {
			if f, _ := res.Field(src); f.Target != want {
				t.Errorf("%s: %s -> %q, want %q", tc.object, src, f.Target, want)
			}
		}
	}
}

// wantTargets checks the targets of some fields of a match.
func wantTargets(t *testing.T, res *MatchResult, want map[string]string) {
	t.Helper()
	for src, w := range want {
		if f, _ := res.Field(src); f.Target != w {
			t.Errorf("%s -> %q, want %q", src, f.Target, w)
		}
	}
}

// Bills to pay and corrections are not invoices sent: a document naming
// a vendor and no customer, credit notes, payment intents; dbt's
// snapshot columns map to nothing.
func TestMatchPayablesAndToolColumns(t *testing.T) {
	t.Parallel()
	m := newTestMatcher(t)
	ctx := context.Background()
	for _, s := range []drift.Schema{
		{System: "quickbooks", Object: "Bill", Fields: []drift.Field{
			field("Id", drift.TypeString, "145", "146", "147"), field("DocNumber", drift.TypeString, "B-1001", "B-1002", "B-1003"),
			field("VendorRef.value", drift.TypeString, "56", "57", "56"), field("TotalAmt", drift.TypeNumber, "1200.00", "80.50", "310.00"),
			field("DueDate", drift.TypeDate, "2025-12-01", "2025-12-15", "2026-01-02"),
		}},
		{System: "xero", Object: "CreditNotes", Fields: []drift.Field{
			field("CreditNoteID", drift.TypeString, "aa1", "aa2"), field("Total", drift.TypeNumber, "100.00", "25.00"),
		}},
		{System: "stripe", Object: "payment_intents", Fields: []drift.Field{
			field("id", drift.TypeString, "pi_1", "pi_2"), field("amount", drift.TypeInteger, "1000", "2500"),
		}},
	} {
		res, err := m.Match(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Entity != "" {
			t.Errorf("%s/%s read as %q, want no entity", s.System, s.Object, res.Entity)
		}
	}
	res, err := m.Match(ctx, drift.Schema{System: "snowflake", Object: "dim_customer", Fields: []drift.Field{
		field("CUSTOMER_ID", drift.TypeString, "C1", "C2", "C3"), field("CUSTOMER_NAME", drift.TypeString, "Acme Inc.", "Globex GmbH", "Initech SA"),
		field("DBT_UPDATED_AT", drift.TypeTimestamp, "2025-11-20T03:00:00Z", "2025-11-20T03:00:00Z", "2025-11-21T03:00:00Z"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantTargets(t, res, map[string]string{"DBT_UPDATED_AT": ""})
}
