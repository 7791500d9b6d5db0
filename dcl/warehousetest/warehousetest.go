// Package warehousetest is the conformance suite of warehouse drivers
// ([driver.Warehouse]). Every driver's tests run [RunConformanceTests];
// a user's own driver can prove its behaviour the same way:
//
//	func TestConformance(t *testing.T) {
//		warehousetest.RunConformanceTests(t, func(t *testing.T) driver.Warehouse {
//			s, err := mystore.Open(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s // the suite closes it
//		})
//	}
package warehousetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// NewDriver returns a fresh, empty driver for one test. The suite closes
// it at the end of the test.
type NewDriver func(t *testing.T) driver.Warehouse

// Options adds a driver's own cases to the suite. The zero value runs
// the shared cases only.
type Options struct {
	// DialectQueries are read-only queries in the driver's SQL dialect
	// that the query API must run (QUALIFY, lambdas, the dialect's
	// date formatting, ...), checked in the QueryRefusals test after
	// the shared queries, which are written in SQL both DuckDB and
	// PostgreSQL accept. They run as tenant A over the tables of the
	// ontology, with one opportunity row stored. Defaults to none.
	DialectQueries []string
}

// RunConformanceTests runs the shared semantics of warehouse drivers
// against drivers made by newDriver. It is RunConformanceTestsWith
// with zero Options.
func RunConformanceTests(t *testing.T, newDriver NewDriver) {
	t.Helper()
	RunConformanceTestsWith(t, newDriver, Options{})
}

// RunConformanceTestsWith runs the shared semantics of warehouse
// drivers against drivers made by newDriver, with the driver's own
// cases from opts.
func RunConformanceTestsWith(t *testing.T, newDriver NewDriver, opts Options) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, w *dcl.Warehouse)
	}{
		{"TypedValuesRoundTrip", testTypedValues},
		{"SameEventsTwiceChangeNothing", testIdempotent},
		{"OlderVersionNeverOverwritesNewer", testOlderNeverWins},
		{"NewestWinsWithinBatch", testNewestWithinBatch},
		{"DeleteIsTombstone", testDelete},
		{"InvalidEventsRejectedOthersCommitted", testRejected},
		{"TenantIsolation", testTenantIsolation},
		{"QueryRefusals", func(t *testing.T, w *dcl.Warehouse) { testRefusals(t, w, opts.DialectQueries) }},
		{"QueryRowCap", testRowCap},
		{"UnifiedAccounts", testUnifiedAccounts},
		{"UnifiedContactsByEmail", testUnifiedContacts},
		{"LargeMixedBatch", testLargeMixedBatch},
		{"ConcurrentWritersOneRowPerRecord", testConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t)
			cfg := &dcl.Config{MaxRows: 1000}
			if tc.name == "QueryRowCap" {
				cfg.MaxRows = 2
			}
			w, err := dcl.New(d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			tc.fn(t, w)
		})
	}
}

var (
	tenantA = tenancy.MustParse("0a6f7c1e-3b2d-4c5e-9f80-112233445566")
	tenantB = tenancy.MustParse("7d1e2f3a-4b5c-4d6e-8f90-aabbccddeeff")
	t0      = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
)

func dec(t *testing.T, s string) canonical.Decimal {
	t.Helper()
	d, err := canonical.NewDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Event returns an upsert event of tenant for entity from source system
// and connection, with occurred at t0 plus version minutes.
func Event(tenant tenancy.ID, entity, system, key string, version int, data map[string]any) canonical.Event {
	return canonical.Event{
		ID:         fmt.Sprintf("%s-%s-%s-v%d", system, entity, key, version),
		Tenant:     tenant,
		Source:     canonical.Source{System: system, ConnectionID: system + "-1", Object: entity},
		Entity:     entity,
		Op:         canonical.OpUpsert,
		SourceKey:  key,
		Data:       data,
		OccurredAt: t0.Add(time.Duration(version) * time.Minute),
		IngestedAt: t0.Add(time.Duration(version)*time.Minute + time.Second),
	}
}

func write(t *testing.T, w *dcl.Warehouse, tenant tenancy.ID, events ...canonical.Event) {
	t.Helper()
	if err := w.Write(context.Background(), tenant, events); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func query(t *testing.T, w *dcl.Warehouse, tenant tenancy.ID, q string) *driver.Result {
	t.Helper()
	res, err := w.Query(context.Background(), tenant, q)
	if err != nil {
		t.Fatalf("Query(%q): %v", q, err)
	}
	return res
}

// dump renders every row of a query as text, for comparisons.
func dump(t *testing.T, w *dcl.Warehouse, tenant tenancy.ID, q string) []string {
	t.Helper()
	res := query(t, w, tenant, q)
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = strings.TrimSuffix(fmt.Sprintln(r...), "\n")
	}
	sort.Strings(out)
	return out
}

func opportunity(t *testing.T, key string, version int, amount string) canonical.Event {
	return Event(tenantA, "opportunity", "salesforce", key, version, map[string]any{
		"id": key, "account_id": "acc-1", "name": "Deal " + key, "stage": "Proposal",
		"amount": dec(t, amount), "currency": "EUR", "probability": dec(t, "35"),
		"close_date": "2025-06-30", "is_closed": false, "is_won": false, "owner_id": "u-7",
		"created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-03-04T09:30:00Z",
	})
}

func testTypedValues(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA, opportunity(t, "op-1", 1, "12345678901234567890.123456789"))
	res := query(t, w, tenantA, "SELECT id, amount, probability, close_date, is_closed, created_at, _source_system, _connection_id, _source_key, _event_id FROM opportunity")
	if len(res.Rows) != 1 {
		t.Fatalf("rows = %d, want 1", len(res.Rows))
	}
	r := res.Rows[0]
	if r[0] != "op-1" {
		t.Errorf("id = %v", r[0])
	}
	amount, ok := r[1].(canonical.Decimal)
	if !ok || !amount.Equal(dec(t, "12345678901234567890.123456789").Decimal) {
		t.Errorf("amount = %v (%T), want exactly 12345678901234567890.123456789", r[1], r[1])
	}
	if p, ok := r[2].(canonical.Decimal); !ok || !p.Equal(dec(t, "35").Decimal) {
		t.Errorf("probability = %v (%T)", r[2], r[2])
	}
	if d, ok := r[3].(time.Time); !ok || !d.Equal(time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("close_date = %v (%T)", r[3], r[3])
	}
	if r[4] != false {
		t.Errorf("is_closed = %v (%T)", r[4], r[4])
	}
	if ts, ok := r[5].(time.Time); !ok || !ts.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("created_at = %v (%T)", r[5], r[5])
	}
	want := []any{"salesforce", "salesforce-1", "op-1", "salesforce-opportunity-op-1-v1"}
	if !reflect.DeepEqual(r[6:], want) {
		t.Errorf("lineage = %v, want %v", r[6:], want)
	}
}

func testIdempotent(t *testing.T, w *dcl.Warehouse) {
	var events []canonical.Event
	for i := range 50 {
		events = append(events, opportunity(t, fmt.Sprintf("op-%d", i), 1+i%3, fmt.Sprintf("%d.50", i*100)))
	}
	write(t, w, tenantA, events...)
	q := "SELECT * FROM opportunity"
	first := dump(t, w, tenantA, q)
	if len(first) != 50 {
		t.Fatalf("rows = %d, want 50", len(first))
	}
	write(t, w, tenantA, events...)
	write(t, w, tenantA, events[10:20]...)
	if again := dump(t, w, tenantA, q); !reflect.DeepEqual(first, again) {
		t.Errorf("tables changed by replaying the same events:\nbefore %v\nafter  %v", first[:2], again[:2])
	}
}

func amountOf(t *testing.T, w *dcl.Warehouse, key string) string {
	t.Helper()
	res := query(t, w, tenantA, "SELECT amount FROM opportunity WHERE _source_key = '"+key+"'")
	if len(res.Rows) != 1 {
		t.Fatalf("rows for %s = %d, want 1", key, len(res.Rows))
	}
	d, ok := res.Rows[0][0].(canonical.Decimal)
	if !ok {
		t.Fatalf("amount is %T", res.Rows[0][0])
	}
	return d.Decimal.String()
}

func testOlderNeverWins(t *testing.T, w *dcl.Warehouse) {
	// newer first, then older
	write(t, w, tenantA, opportunity(t, "a", 5, "500"))
	write(t, w, tenantA, opportunity(t, "a", 2, "200"))
	if got := amountOf(t, w, "a"); got != "500" {
		t.Errorf("after newer then older: amount %s, want 500", got)
	}
	// older first, then newer
	write(t, w, tenantA, opportunity(t, "b", 2, "200"))
	write(t, w, tenantA, opportunity(t, "b", 5, "500"))
	if got := amountOf(t, w, "b"); got != "500" {
		t.Errorf("after older then newer: amount %s, want 500", got)
	}
	// same occurred_at, later ingestion wins (a reprocessed record)
	e1 := opportunity(t, "c", 3, "300")
	e2 := opportunity(t, "c", 3, "301")
	e2.ID += "-re"
	e2.IngestedAt = e1.IngestedAt.Add(time.Hour)
	write(t, w, tenantA, e2)
	write(t, w, tenantA, e1)
	if got := amountOf(t, w, "c"); got != "301" {
		t.Errorf("same occurred_at: amount %s, want the later ingestion's 301", got)
	}
	// unknown occurred_at: ingestion time orders the versions
	u1, u2 := opportunity(t, "d", 1, "1"), opportunity(t, "d", 2, "2")
	u1.OccurredAt, u2.OccurredAt = time.Time{}, time.Time{}
	write(t, w, tenantA, u2)
	write(t, w, tenantA, u1)
	if got := amountOf(t, w, "d"); got != "2" {
		t.Errorf("no occurred_at: amount %s, want 2", got)
	}
}

func testNewestWithinBatch(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA, opportunity(t, "a", 3, "300"), opportunity(t, "a", 9, "900"), opportunity(t, "a", 1, "100"))
	if got := amountOf(t, w, "a"); got != "900" {
		t.Errorf("amount %s, want 900", got)
	}
}

func testDelete(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA, Event(tenantA, "account", "hubspot", "1", 1, map[string]any{"id": "1", "name": "Acme", "domain": "acme.com"}))
	del := Event(tenantA, "account", "hubspot", "1", 3, nil)
	del.Op = canonical.OpDelete
	write(t, w, tenantA, del)
	// a late, older upsert does not bring the record back
	write(t, w, tenantA, Event(tenantA, "account", "hubspot", "1", 2, map[string]any{"id": "1", "name": "Acme Old"}))
	res := query(t, w, tenantA, "SELECT _deleted, name FROM account")
	if len(res.Rows) != 1 || res.Rows[0][0] != true || res.Rows[0][1] != nil {
		t.Errorf("account rows = %v, want one tombstone [true <nil>]", res.Rows)
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM account_members"); fmt.Sprint(res.Rows[0][0]) != "0" {
		t.Errorf("deleted record still a cluster member: %v", res.Rows)
	}
}

func testRejected(t *testing.T, w *dcl.Warehouse) {
	good := opportunity(t, "ok", 1, "10")
	badType := opportunity(t, "bad-type", 1, "10")
	badType.Data["amount"] = 10.5 // a float never holds money
	unknownField := opportunity(t, "bad-field", 1, "10")
	unknownField.Data["colour"] = "red"
	other := opportunity(t, "other", 1, "10")
	other.Tenant = tenantB
	unknownEntity := Event(tenantA, "spaceship", "x", "1", 1, nil)
	tooPrecise := opportunity(t, "bad-scale", 1, "1.0123456789")
	nul := opportunity(t, "bad-nul", 1, "10")
	nul.Data["name"] = "Big\x00Deal"
	badUTF8 := opportunity(t, "bad-utf8", 1, "10")
	badUTF8.Data["name"] = "Big \xff Deal"
	err := w.Write(context.Background(), tenantA, []canonical.Event{good, badType, unknownField, other, unknownEntity, tooPrecise, nul, badUTF8})
	var rej *dcl.RejectedEventsError
	if !errors.As(err, &rej) {
		t.Fatalf("Write error = %v, want *RejectedEventsError", err)
	}
	if rej.Errs[0] != nil {
		t.Errorf("valid event rejected: %v", rej.Errs[0])
	}
	for i := 1; i < 8; i++ {
		if !errors.Is(rej.Errs[i], dcl.ErrInvalidEvent) {
			t.Errorf("event %d: error %v, want ErrInvalidEvent", i, rej.Errs[i])
		}
	}
	var inv *dcl.InvalidEventError
	if !errors.As(rej.Errs[1], &inv) || inv.Field != "amount" {
		t.Errorf("float amount: %v, want an InvalidEventError on field amount", rej.Errs[1])
	}
	res := query(t, w, tenantA, "SELECT _source_key FROM opportunity")
	if len(res.Rows) != 1 || res.Rows[0][0] != "ok" {
		t.Errorf("rows = %v, want only the valid event", res.Rows)
	}
}

func testTenantIsolation(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA, opportunity(t, "secret", 1, "999"))
	if err := w.EnsureTenant(context.Background(), tenantB); err != nil {
		t.Fatal(err)
	}
	if res := query(t, w, tenantB, "SELECT count(*) FROM opportunity"); fmt.Sprint(res.Rows[0][0]) != "0" {
		t.Errorf("tenant B sees %v opportunities of tenant A", res.Rows[0][0])
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM opportunity"); fmt.Sprint(res.Rows[0][0]) != "1" {
		t.Errorf("tenant A sees %v opportunities, want 1", res.Rows[0][0])
	}
}

// Refused lists queries the read-only API must refuse whatever the
// driver, with what each one tries.
var Refused = []struct{ Name, Query string }{
	{"create table", "CREATE TABLE x (a INT)"},
	{"drop", "DROP TABLE opportunity"},
	{"insert", "INSERT INTO opportunity (_key) VALUES ('x')"},
	{"update", "UPDATE opportunity SET amount = 0"},
	{"delete", "DELETE FROM opportunity"},
	{"copy out", "COPY opportunity TO '/tmp/x.csv'"},
	{"attach", "ATTACH '/tmp/other.db' AS other"},
	{"pragma", "PRAGMA database_list"},
	{"set", "SET threads = 1"},
	{"read_csv", "SELECT * FROM read_csv('/etc/passwd')"},
	{"read_parquet", "SELECT * FROM read_parquet('s3://bucket/x.parquet')"},
	{"file as table", "SELECT * FROM '/etc/passwd'"},
	{"catalog function", "SELECT * FROM duckdb_tables()"},
	{"information schema", "SELECT * FROM information_schema.tables"},
	{"pg catalog", "SELECT * FROM pg_catalog.pg_tables"},
	{"two statements", "SELECT 1; DROP TABLE opportunity"},
	{"two selects", "SELECT 1; SELECT 2"},
	{"select into", "CREATE TABLE y AS SELECT * FROM opportunity"},
	{"setting", "SELECT current_setting('enable_external_access')"},
	{"show", "SHOW TABLES"},
	{"describe", "DESCRIBE opportunity"},
	{"subquery reads file", "SELECT (SELECT count(*) FROM read_csv('/etc/passwd'))"},
	{"cte reads file", "WITH f AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM f"},
	{"empty", "  ;  "},
	{"garbage", "SELEKT 1"},
}

// MustRun lists read-only queries the query API must run whatever the
// driver: one SELECT each, in SQL that DuckDB and PostgreSQL both
// accept, over tenant A's tables and unified views.
var MustRun = []string{
	"WITH x AS (SELECT amount FROM opportunity) SELECT sum(amount) FROM x",
	"SELECT o.name, a.name FROM opportunity o LEFT JOIN account a ON a.id = o.account_id",
	"SELECT 1 UNION ALL SELECT 2",
	"SELECT * FROM (VALUES (1), (2)) v(n)",
	"SELECT stage, count(*) FROM opportunity WHERE amount > 0 GROUP BY stage ORDER BY 2 DESC NULLS LAST LIMIT 5",
	"SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY stage ORDER BY amount DESC) AS rn FROM opportunity) r WHERE rn = 1",
	"SELECT CASE WHEN amount > 10 THEN 'big' ELSE 'small' END, CAST(amount AS DECIMAL(10,2)), coalesce(name, '-') FROM opportunity",
	"SELECT DISTINCT stage FROM opportunity WHERE stage IN (SELECT stage FROM opportunity WHERE is_won) OR EXISTS (SELECT 1 FROM account)",
	"SELECT date_trunc('month', close_date), extract(year FROM created_at), lower(name) || '!' FROM opportunity",
	"SELECT cluster_id, unnest(sources) FROM account_unified",
	"SELECT 'it''s; fine' -- trailing comment",
}

func testRefusals(t *testing.T, w *dcl.Warehouse, dialect []string) {
	write(t, w, tenantA, opportunity(t, "a", 1, "1"))
	for _, tc := range Refused {
		_, err := w.Query(context.Background(), tenantA, tc.Query)
		if !errors.Is(err, dcl.ErrQueryRefused) {
			t.Errorf("%s: Query(%q) error = %v, want ErrQueryRefused", tc.Name, tc.Query, err)
		}
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM opportunity"); fmt.Sprint(res.Rows[0][0]) != "1" {
		t.Errorf("table changed by refused queries: %v rows", res.Rows[0][0])
	}
	// allowed shapes still run
	for _, q := range append(append([]string(nil), MustRun...), dialect...) {
		if _, err := w.Query(context.Background(), tenantA, q); err != nil {
			t.Errorf("Query(%q): %v", q, err)
		}
	}
}

func testRowCap(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA, opportunity(t, "a", 1, "1"), opportunity(t, "b", 1, "1"), opportunity(t, "c", 1, "1"))
	res := query(t, w, tenantA, "SELECT id FROM opportunity")
	if len(res.Rows) != 2 || !res.Truncated {
		t.Errorf("rows = %d truncated = %v, want 2 and true", len(res.Rows), res.Truncated)
	}
	res = query(t, w, tenantA, "SELECT id FROM opportunity LIMIT 2")
	if len(res.Rows) != 2 || res.Truncated {
		t.Errorf("rows = %d truncated = %v, want 2 and false", len(res.Rows), res.Truncated)
	}
}

func testUnifiedAccounts(t *testing.T, w *dcl.Warehouse) {
	acc := func(system, key string, v int, data map[string]any) canonical.Event {
		return Event(tenantA, "account", system, key, v, data)
	}
	write(t, w, tenantA,
		acc("salesforce", "001", 1, map[string]any{"id": "001", "name": "Acme, Inc.", "domain": "acme.com", "industry": "Manufacturing", "employee_count": int64(500)}),
		acc("hubspot", "h-9", 2, map[string]any{"id": "h-9", "name": "ACME Corp", "domain": "acme.com", "industry": nil, "employee_count": int64(520)}),
		acc("netsuite", "77", 3, map[string]any{"id": "77", "name": "Acme Inc", "domain": nil}), // joins by name -> domain
		acc("salesforce", "002", 1, map[string]any{"id": "002", "name": "Globex GmbH", "domain": nil}),
		acc("hubspot", "h-3", 2, map[string]any{"id": "h-3", "name": "globex", "domain": nil}),
		acc("hubspot", "h-4", 2, map[string]any{"id": "h-4", "name": "Initech", "domain": "initech.io"}),
	)
	got := dump(t, w, tenantA, "SELECT cluster_id, match_rule, _source_system FROM account_members")
	want := []string{
		"domain:acme.com domain hubspot",
		"domain:acme.com domain salesforce",
		"domain:acme.com name_to_domain netsuite",
		"domain:initech.io domain hubspot",
		"name:globex name hubspot",
		"name:globex name salesforce",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members:\n got %q\nwant %q", got, want)
	}
	res := query(t, w, tenantA, "SELECT member_count, sources, name, industry, employee_count FROM account_unified WHERE cluster_id = 'domain:acme.com'")
	if len(res.Rows) != 1 {
		t.Fatalf("acme golden records = %d, want 1", len(res.Rows))
	}
	r := res.Rows[0]
	if fmt.Sprint(r[0]) != "3" || fmt.Sprint(r[1]) != "[hubspot netsuite salesforce]" {
		t.Errorf("member_count, sources = %v, %v; want 3, [hubspot netsuite salesforce]", r[0], r[1])
	}
	// most recent non-null: name from netsuite (v3), industry from salesforce (hubspot's is null), employees from hubspot
	if r[2] != "Acme Inc" || r[3] != "Manufacturing" || fmt.Sprint(r[4]) != "520" {
		t.Errorf("golden = %v, want [Acme Inc Manufacturing 520]", r[2:])
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM account_unified"); fmt.Sprint(res.Rows[0][0]) != "3" {
		t.Errorf("clusters = %v, want 3", res.Rows[0][0])
	}
}

func testUnifiedContacts(t *testing.T, w *dcl.Warehouse) {
	write(t, w, tenantA,
		Event(tenantA, "contact", "salesforce", "c1", 1, map[string]any{"id": "c1", "email": "ada@acme.com", "first_name": "Ada", "title": "CTO"}),
		Event(tenantA, "contact", "hubspot", "c9", 2, map[string]any{"id": "c9", "email": "ada@acme.com", "first_name": "Ada", "title": nil, "phone": "+14155550100"}),
		Event(tenantA, "contact", "hubspot", "c10", 2, map[string]any{"id": "c10", "email": nil, "first_name": "Bob"}),
		Event(tenantA, "lead", "marketo", "l1", 1, map[string]any{"id": "l1", "email": "ada@acme.com"}),
	)
	got := dump(t, w, tenantA, "SELECT member_count, title, phone FROM contact_unified WHERE cluster_id = 'email:ada@acme.com'")
	if want := []string{"2 CTO +14155550100"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ada = %q, want %q", got, want)
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM contact_unified"); fmt.Sprint(res.Rows[0][0]) != "2" {
		t.Errorf("contact clusters = %v, want 2", res.Rows[0][0])
	}
	if res := query(t, w, tenantA, "SELECT count(*) FROM lead_unified"); fmt.Sprint(res.Rows[0][0]) != "1" {
		t.Errorf("lead clusters = %v, want 1", res.Rows[0][0])
	}
}

// testLargeMixedBatch writes one batch large enough that dcl types it on
// several goroutines: two entities interleaved, invalid events scattered
// through it, and records repeated across its halves with the newest
// version sometimes first, sometimes last.
func testLargeMixedBatch(t *testing.T, w *dcl.Warehouse) {
	const n = 12000
	var events []canonical.Event
	wantBad := map[int]bool{}
	for i := range n {
		var e canonical.Event
		switch {
		case i%5 == 4:
			e = Event(tenantA, "account", "hubspot", fmt.Sprintf("acc-%d", i), 1, map[string]any{"name": fmt.Sprintf("Company %d", i)})
		case i >= n/2:
			// the first half's records again: even ones newer, odd ones older
			k := i - n/2
			v := 1
			if k%2 == 0 {
				v = 3
			}
			e = opportunity(t, fmt.Sprintf("op-%d", k), v, fmt.Sprintf("%d", 10*k+v))
		default:
			e = opportunity(t, fmt.Sprintf("op-%d", i), 2, fmt.Sprintf("%d", 10*i+2))
		}
		if i%997 == 13 {
			e.Data["no_such_field"] = "x"
			wantBad[i] = true
		}
		events = append(events, e)
	}
	err := w.Write(context.Background(), tenantA, events)
	var rej *dcl.RejectedEventsError
	if !errors.As(err, &rej) || len(rej.Errs) != n {
		t.Fatalf("Write error = %v, want *RejectedEventsError for %d events", err, n)
	}
	for i, e := range rej.Errs {
		if (e != nil) != wantBad[i] {
			t.Errorf("event %d: error %v, want rejected = %v", i, e, wantBad[i])
		}
	}
	// every opportunity key k < n/2 not a multiple of 5 minus 1 was
	// written; the stored version is the newest valid one
	wantOpp, wantAmount := 0, map[string]string{}
	for k := range n / 2 {
		if k%5 == 4 {
			continue
		}
		first, second := !wantBad[k], k%5 != 4 && !wantBad[k+n/2] && (k+n/2)%5 != 4
		switch {
		case second && (k%2 == 0 || !first):
			v := 1
			if k%2 == 0 {
				v = 3
			}
			wantAmount[fmt.Sprintf("op-%d", k)] = fmt.Sprint(10*k + v)
		case first:
			wantAmount[fmt.Sprintf("op-%d", k)] = fmt.Sprint(10*k + 2)
		default:
			continue
		}
		wantOpp++
	}
	seen := 0
	for off := 0; ; off += 1000 { // pages: the suite's row cap is 1000
		res := query(t, w, tenantA, fmt.Sprintf("SELECT _source_key, CAST(amount AS BIGINT) FROM opportunity ORDER BY _source_key LIMIT 1000 OFFSET %d", off))
		for _, r := range res.Rows {
			if got, want := fmt.Sprint(r[1]), wantAmount[fmt.Sprint(r[0])]; got != want {
				t.Errorf("%v: amount %s, want %s", r[0], got, want)
			}
		}
		seen += len(res.Rows)
		if len(res.Rows) < 1000 {
			break
		}
	}
	if seen != wantOpp {
		t.Fatalf("opportunities = %d, want %d", seen, wantOpp)
	}
	wantAcc := 0
	for i := range n {
		if i%5 == 4 && !wantBad[i] {
			wantAcc++
		}
	}
	if got := fmt.Sprint(query(t, w, tenantA, "SELECT count(*) FROM account").Rows[0][0]); got != fmt.Sprint(wantAcc) {
		t.Errorf("accounts = %s, want %d", got, wantAcc)
	}
}

// testConcurrentWriters writes the same new records from several
// goroutines at once, each with its own version: every record is stored
// once, at its newest version. A driver may fail a write on a conflict
// (the stream delivers it again); the test then retries it.
func testConcurrentWriters(t *testing.T, w *dcl.Warehouse) {
	const writers, records = 4, 300
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for v := 1; v <= writers; v++ {
		wg.Go(func() {
			var events []canonical.Event
			for k := range records {
				events = append(events, opportunity(t, fmt.Sprintf("op-%d", k), v, fmt.Sprint(v)))
			}
			var err error
			for range 5 {
				if err = w.Write(context.Background(), tenantA, events); err == nil {
					return
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Write failed 5 times: %v", err)
	}
	res := query(t, w, tenantA, "SELECT count(*), count(DISTINCT _source_key), min(CAST(amount AS BIGINT)) FROM opportunity")
	if got := fmt.Sprint(res.Rows[0]...); got != fmt.Sprint(records, records, writers) {
		t.Errorf("rows, distinct records, lowest amount = %s, want %d %d %d", got, records, records, writers)
	}
}
