package duckstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
	"github.com/autonomos/autonomos/tenancy"
)

var (
	tenantA = tenancy.MustParse("0a6f7c1e-3b2d-4c5e-9f80-112233445566")
	tenantB = tenancy.MustParse("7d1e2f3a-4b5c-4d6e-8f90-aabbccddeeff")
)

func newWarehouse(t *testing.T, cfg *dcl.Config) (*dcl.Warehouse, *duckstore.Store) {
	t.Helper()
	s := newStore(t)
	w, err := dcl.New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w, s
}

func TestSchemaNameFromTenantOnly(t *testing.T) {
	if got, want := duckstore.SchemaName(tenantA), "t_0a6f7c1e3b2d4c5e9f80112233445566"; got != want {
		t.Errorf("SchemaName = %q, want %q", got, want)
	}
}

func TestConfigurationLockedAndNoExternalAccess(t *testing.T) {
	_, s := newWarehouse(t, nil)
	ctx := context.Background()
	for _, st := range []string{
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"SET autoload_known_extensions = true",
	} {
		if _, err := s.DB().ExecContext(ctx, st); err == nil {
			t.Errorf("%s: accepted on the locked database", st)
		}
	}
	if _, err := s.DB().ExecContext(ctx, "SELECT * FROM read_csv('/etc/hostname')"); err == nil {
		t.Error("read_csv reached the file system")
	}
	if _, err := s.DB().ExecContext(ctx, "INSTALL httpfs"); err == nil {
		t.Error("INSTALL accepted")
	}
}

func TestQueryRefusesOtherTenantsSchema(t *testing.T) {
	w, _ := newWarehouse(t, nil)
	ctx := context.Background()
	e := warehousetest.Event(tenantB, "account", "csv", "1", 1, map[string]any{"id": "1", "name": "B's secret"})
	if err := w.Write(ctx, tenantB, []canonical.Event{e}); err != nil {
		t.Fatal(err)
	}
	if err := w.EnsureTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	other := duckstore.SchemaName(tenantB)
	for _, q := range []string{
		"SELECT * FROM " + other + ".account",
		"SELECT * FROM memory." + other + ".account",
		"SELECT * FROM account WHERE name IN (SELECT name FROM " + other + ".account)",
		"WITH x AS (SELECT * FROM " + other + ".account_unified) SELECT * FROM x",
		"SELECT * FROM account UNION ALL SELECT * FROM \"" + other + "\".account",
		"SELECT * FROM main.account",
		"SELECT * FROM temp.account",
	} {
		_, err := w.Query(ctx, tenantA, q)
		var refused *dcl.QueryRefusedError
		if !errors.As(err, &refused) || refused.Reason != dcl.RefusedForeignSchema {
			t.Errorf("Query(%q) = %v, want a foreign schema refusal", q, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks data: %v", err)
		}
	}
	// its own schema, named explicitly, is fine
	own := duckstore.SchemaName(tenantA)
	if _, err := w.Query(ctx, tenantA, "SELECT count(*) FROM "+own+".account"); err != nil {
		t.Errorf("own schema: %v", err)
	}
}

func TestQueryRefusalReasons(t *testing.T) {
	w, _ := newWarehouse(t, nil)
	for q, reason := range map[string]string{
		"DELETE FROM account":                      dcl.RefusedNotSelect,
		"SELECT 1; SELECT 2":                       dcl.RefusedMultiple,
		"SELECT * FROM read_parquet('x.parquet')":  dcl.RefusedTableFunction,
		"SELECT * FROM 'x.csv'":                    dcl.RefusedNotATable,
		"SELECT * FROM information_schema.columns": dcl.RefusedForeignSchema,
		"SELECT current_setting('threads')":        dcl.RefusedForbiddenFunc,
		"SELECT * FROM duckdb_settings()":          dcl.RefusedTableFunction,
		"SHOW TABLES":                              dcl.RefusedUnsupported,
		"SELECT FROM WHERE":                        dcl.RefusedSyntax,
		"":                                         dcl.RefusedEmpty,
		"SELECT * FROM account " + strings.Repeat(" ", 70000): dcl.RefusedTooLong,
	} {
		_, err := w.Query(context.Background(), tenantA, q)
		var refused *dcl.QueryRefusedError
		if !errors.As(err, &refused) || refused.Reason != reason {
			t.Errorf("Query(%.60q) = %v, want reason %q", q, err, reason)
		}
	}
}

func TestQueryTimeout(t *testing.T) {
	w, _ := newWarehouse(t, &dcl.Config{QueryTimeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := w.Query(context.Background(), tenantA,
		"SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range % 7 = b.range")
	if !errors.Is(err, dcl.ErrQueryTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrQueryTimeout wrapping DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("query ran %s after its 50ms timeout", d)
	}
}

func TestWriteIsAllOrNothing(t *testing.T) {
	s := newStore(t)
	defer s.Close()
	ctx := context.Background()
	w, err := dcl.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.EnsureTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	tables := w.Tables()
	good := driver.Batch{Table: tables[0], Rows: []driver.Row{{
		Key: driver.RecordKey("csv", "c", "o", "1"), SourceSystem: "csv", ConnectionID: "c", SourceObject: "o", SourceKey: "1",
		EventID: "e1", IngestedAt: time.Now().UTC(), Values: make([]any, len(tables[0].Columns)),
	}}}
	missing := driver.Batch{Table: driver.Table{Entity: "no_such_table", Columns: tables[0].Columns}, Rows: good.Rows}
	misaligned := driver.Batch{Table: tables[0], Rows: []driver.Row{{Key: "k", Values: []any{"too few"}}}}
	if err := s.Write(ctx, tenantA, []driver.Batch{good, misaligned}); err == nil {
		t.Fatal("write of a row with too few values succeeded")
	}
	if err := s.Write(ctx, tenantA, []driver.Batch{good, missing}); err == nil {
		t.Fatal("write into a missing table succeeded")
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+duckstore.SchemaName(tenantA)+"."+tables[0].Entity).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after a failed batch = %d (%v), want 0", n, err)
	}
	if err := s.Write(ctx, tenantA, []driver.Batch{good}); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+duckstore.SchemaName(tenantA)+"."+tables[0].Entity).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows after a good batch = %d (%v), want 1", n, err)
	}
}

func TestOntologyGrowthAddsColumns(t *testing.T) {
	s := newStore(t)
	defer s.Close()
	ctx := context.Background()
	small, err := canonical.NewOntology(canonical.Entity{Name: "ticket", Fields: []canonical.Field{{Name: "id", Type: canonical.TypeString}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTenant(ctx, tenantA, tablesOf(small)); err != nil {
		t.Fatal(err)
	}
	if err := small.Register(canonical.Entity{Name: "ticket", Fields: []canonical.Field{{Name: "priority", Type: canonical.TypeInteger}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTenant(ctx, tenantA, tablesOf(small)); err != nil {
		t.Fatal(err)
	}
	var typ string
	err = s.DB().QueryRowContext(ctx, "SELECT data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = 'ticket' AND column_name = 'priority'", duckstore.SchemaName(tenantA)).Scan(&typ)
	if err != nil || typ != "BIGINT" {
		t.Errorf("priority column type = %q (%v), want BIGINT", typ, err)
	}
}

func tablesOf(o *canonical.Ontology) []driver.Table {
	var out []driver.Table
	for _, e := range o.Entities() {
		t := driver.Table{Entity: e.Name}
		for _, f := range e.Fields {
			t.Columns = append(t.Columns, driver.Column{Name: f.Name, Type: f.Type})
		}
		out = append(out, t)
	}
	return out
}

func TestFileDatabaseKeepsDataAcrossOpens(t *testing.T) {
	path := t.TempDir() + "/warehouse.duckdb"
	ctx := context.Background()
	for round := range 2 {
		s, err := duckstore.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := dcl.New(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := warehousetest.Event(tenantA, "account", "csv", "1", 1, map[string]any{"id": "1", "name": "Acme"})
		if round == 0 {
			if err := w.Write(ctx, tenantA, []canonical.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := w.Query(ctx, tenantA, "SELECT name FROM account")
		if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "Acme" {
			t.Errorf("round %d: rows %v, %v; want Acme", round, res, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := duckstore.Open(path+"?access_mode=read_only", nil); !errors.Is(err, dcl.ErrInvalidConfig) {
		t.Errorf("a path with options: %v, want ErrInvalidConfig", err)
	}
}

// Decimals travel to DuckDB as units of 10^-9: an int64 when they fit,
// a big integer otherwise. Both paths, and the edges between them, must
// round-trip exactly; a value past DECIMAL(38,9) is rejected, not rounded.
func TestDecimalsRoundTripAtLimits(t *testing.T) {
	w, _ := newWarehouse(t, nil)
	ctx := context.Background()
	values := []string{
		"0", "-0.000000001", "0.000000001", "35", "1234.50", "-1234.5",
		"9223372036.854775807", "9223372036.854775808", "-9223372036.854775808", "-9223372036.854775809",
		"999999999.999999999", "1000000000", "123456789012345678", "1234567890123456789",
		"99999999999999999999999999999.999999999", "-99999999999999999999999999999.999999999",
	}
	var events []canonical.Event
	for i, v := range values {
		d, err := canonical.NewDecimal(v)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprint(i)
		events = append(events, warehousetest.Event(tenantA, "opportunity", "csv", key, 1, map[string]any{"id": key, "amount": d}))
	}
	if err := w.Write(ctx, tenantA, events); err != nil {
		t.Fatal(err)
	}
	res, err := w.Query(ctx, tenantA, "SELECT CAST(id AS INTEGER) AS i, amount FROM opportunity ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(values) {
		t.Fatalf("%d rows, want %d", len(res.Rows), len(values))
	}
	for i, v := range values {
		want, _ := canonical.NewDecimal(v)
		got, ok := res.Rows[i][1].(canonical.Decimal)
		if !ok || !got.Equal(want.Decimal) {
			t.Errorf("amount %s came back as %v", v, res.Rows[i][1])
		}
	}
	for _, v := range []string{"100000000000000000000000000000", "0.0000000001", "-100000000000000000000000000000.5"} {
		d, _ := canonical.NewDecimal(v)
		err := w.Write(ctx, tenantA, []canonical.Event{warehousetest.Event(tenantA, "opportunity", "csv", "x", 1, map[string]any{"id": "x", "amount": d})})
		var rejected *dcl.RejectedEventsError
		if !errors.As(err, &rejected) {
			t.Errorf("amount %s: err = %v, want a RejectedEventsError", v, err)
		}
	}
}

// Text values, multi-byte characters, combining marks, empty strings
// and NULLs next to each other, come back exactly; a NUL byte in one
// value does not disturb the other values of the record.
func TestTextValuesRoundTrip(t *testing.T) {
	w, _ := newWarehouse(t, nil)
	ctx := context.Background()
	names := []any{"Société Générale", "", nil, "東京海上", "e\u0301clair 😀 👩‍👩‍👧", "plain ascii", "'; DROP TABLE account; --", strings.Repeat("ü", 5000)}
	var events []canonical.Event
	for i, n := range names {
		key := fmt.Sprintf("ü-%d", i) // non-ASCII source keys too
		events = append(events, warehousetest.Event(tenantA, "account", "sÿstem", key, 1, map[string]any{"id": key, "name": n, "domain": "d" + key, "industry": nil}))
	}
	if err := w.Write(ctx, tenantA, events); err != nil {
		t.Fatal(err)
	}
	res, err := w.Query(ctx, tenantA, "SELECT id, name, domain, industry, _source_system, _source_key FROM account ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]any{}
	for _, r := range res.Rows {
		got[r[0].(string)] = r
	}
	for i, n := range names {
		key := fmt.Sprintf("ü-%d", i)
		r := got[key]
		if r == nil || r[1] != n || r[2] != "d"+key || r[3] != nil || r[4] != "sÿstem" || r[5] != key {
			t.Errorf("record %s = %q, want name %q", key, r, n)
		}
	}
	// A NUL would be cut short by DuckDB: the event is rejected on its
	// own, with the reason, and the rest of the batch is stored.
	bad := warehousetest.Event(tenantA, "account", "csv", "bad", 1, map[string]any{"id": "bad", "name": "a\x00b", "domain": "bad.example"})
	ok := warehousetest.Event(tenantA, "account", "csv", "ok", 1, map[string]any{"id": "ok", "name": "a b", "domain": "ok.example"})
	var rej *dcl.RejectedEventsError
	if err := w.Write(ctx, tenantA, []canonical.Event{bad, ok}); !errors.As(err, &rej) || rej.Errs[0] == nil || rej.Errs[1] != nil {
		t.Fatalf("write with a NUL: %v; want the NUL event alone rejected", err)
	}
	res, err = w.Query(ctx, tenantA, "SELECT id FROM account WHERE id IN ('bad', 'ok')")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "ok" {
		t.Errorf("after a rejected NUL: %v, %v; want only the valid event stored", res, err)
	}
}

// Accounts carry their normalized name in _norm_name, written with the
// row; accounts stored before the column existed get it when the tenant
// is next prepared, so name matching keeps working for them.
func TestNormNameStoredAndBackfilled(t *testing.T) {
	s := newStore(t)
	defer s.Close()
	ctx := context.Background()
	w, err := dcl.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	acc := func(sys, key, name string, domain any) canonical.Event {
		return warehousetest.Event(tenantA, "account", sys, key, 1, map[string]any{"id": key, "name": name, "domain": domain})
	}
	if err := w.Write(ctx, tenantA, []canonical.Event{acc("sf", "1", "Acme, Inc.", "acme.com"), acc("ns", "2", "ACME Corp", nil)}); err != nil {
		t.Fatal(err)
	}
	tbl := duckstore.SchemaName(tenantA) + ".account"
	var got string
	if err := s.DB().QueryRowContext(ctx, "SELECT string_agg(_norm_name, ',' ORDER BY id) FROM "+tbl).Scan(&got); err != nil || got != "acme,acme" {
		t.Fatalf("_norm_name = %q (%v), want acme,acme", got, err)
	}
	if _, err := s.DB().ExecContext(ctx, "ALTER TABLE "+tbl+" DROP COLUMN _norm_name"); err != nil {
		t.Fatal(err)
	}
	w2, err := dcl.New(s, nil) // a new process: prepares the tenant again
	if err != nil {
		t.Fatal(err)
	}
	res, err := w2.Query(ctx, tenantA, "SELECT cluster_id, match_rule FROM account_members ORDER BY _source_system")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[domain:acme.com name_to_domain] [domain:acme.com domain]]" {
		t.Errorf("members after backfill = %v", res.Rows)
	}
}

// Tables made before writes became MERGE have a primary key on _key;
// they must keep working: one row per record, the newest version kept.
func TestTableWithPrimaryKeyFromEarlierVersion(t *testing.T) {
	w, s := newWarehouse(t, nil)
	schema := duckstore.SchemaName(tenantA)
	for _, q := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + `.opportunity (_key VARCHAR, _source_system VARCHAR, _connection_id VARCHAR, _source_object VARCHAR,
			_source_key VARCHAR, _event_id VARCHAR, _occurred_at TIMESTAMPTZ, _ingested_at TIMESTAMPTZ, _version_at TIMESTAMPTZ, _deleted BOOLEAN,
			amount DECIMAL(38,9), PRIMARY KEY (_key))`,
	} {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	ev := func(key string, version int, amount string) canonical.Event {
		d, err := canonical.NewDecimal(amount)
		if err != nil {
			t.Fatal(err)
		}
		return warehousetest.Event(tenantA, "opportunity", "salesforce", key, version, map[string]any{"id": key, "amount": d})
	}
	for _, batch := range [][]canonical.Event{
		{ev("a", 2, "20"), ev("b", 1, "10")},
		{ev("a", 1, "1"), ev("b", 3, "30"), ev("c", 1, "5")},
		{ev("a", 2, "20"), ev("b", 3, "30")},
	} {
		if err := w.Write(ctx, tenantA, batch); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Query(ctx, tenantA, "SELECT id, CAST(amount AS INTEGER) FROM opportunity ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != "[[a 20] [b 30] [c 5]]" {
		t.Errorf("rows %s, want [[a 20] [b 30] [c 5]]", got)
	}
}

// Close cancels and waits for the operations in flight, so that DuckDB is
// never closed under a running statement (which can leave the file's
// instance alive and a later Open of it spinning), and refuses new ones.
func TestCloseWaitsForOperationsInFlight(t *testing.T) {
	path := t.TempDir() + "/warehouse.duckdb"
	events := make([]canonical.Event, 0, 60000)
	for i := range 60000 {
		events = append(events, warehousetest.Event(tenantA, "account", "csv", fmt.Sprint(i), 1, map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("Company %d", i)}))
	}
	for round := range 3 {
		s, err := duckstore.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := dcl.New(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Write(context.Background(), tenantA, events) }()
		time.Sleep(time.Duration(round*20) * time.Millisecond)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Either the write ended before Close returned (committed, or
		// cancelled by Close), or it had not reached the store yet and is
		// refused: never a statement under a closed database.
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, dcl.ErrClosed) {
				t.Fatalf("round %d: write ended with %v", round, err)
			}
		default:
			if err := <-done; !errors.Is(err, dcl.ErrClosed) {
				t.Fatalf("round %d: a write still running after Close returned ended with %v, want ErrClosed", round, err)
			}
		}
		if err := s.Write(context.Background(), tenantA, nil); !errors.Is(err, dcl.ErrClosed) {
			t.Fatalf("write after Close: %v, want ErrClosed", err)
		}
	}
	opened := make(chan error, 1)
	go func() {
		s, err := duckstore.Open(path, nil)
		if err == nil {
			err = s.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("reopening the file after Close hangs")
	}
}
