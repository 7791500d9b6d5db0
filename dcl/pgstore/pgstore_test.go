package pgstore_test

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
	"github.com/autonomos/autonomos/dcl/pgstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// newStore migrates a fresh database as its owner and opens a Store as
// the application role, which row-level security binds.
func newStore(tb testing.TB) (*pgstore.Store, *testenv.Roles) {
	tb.Helper()
	roles := testenv.PostgresRoles(tb)
	if roles == nil {
		return nil, nil
	}
	ctx := context.Background()
	if err := pgstore.Migrate(ctx, roles.Owner, &pgstore.MigrateConfig{AppRole: roles.AppRole}); err != nil {
		tb.Fatal(err)
	}
	s, err := pgstore.Open(ctx, roles.App)
	if err != nil {
		tb.Fatal(err)
	}
	return s, roles
}

func mustOpen(tb testing.TB, roles *testenv.Roles) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.Open(context.Background(), roles.App)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func newWarehouse(tb testing.TB, cfg *dcl.Config) (*dcl.Warehouse, *testenv.Roles) {
	tb.Helper()
	s, roles := newStore(tb)
	w, err := dcl.New(s, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = w.Close() })
	return w, roles
}

// pgDialectQueries are PostgreSQL-only queries the query API must run,
// beside the suite's portable ones.
var pgDialectQueries = []string{
	"SELECT array(SELECT x + 1 FROM unnest(ARRAY[1, 2]) x), date_trunc('month', close_date), to_char(created_at, 'YYYY') FROM opportunity",
	"SELECT n FROM generate_series(1, 3) n;",
	"TABLE opportunity",
	"SELECT 'it''s; fine', $q$;$q$ -- trailing comment",
	"SELECT amount::text, name ILIKE 'deal%' FROM opportunity",
}

func TestConformance(t *testing.T) {
	warehousetest.RunConformanceTestsWith(t, func(t *testing.T) driver.Warehouse {
		s, _ := newStore(t)
		return s
	}, warehousetest.Options{DialectQueries: pgDialectQueries})
}

var (
	tenantA = tenancy.MustParse("0a6f7c1e-3b2d-4c5e-9f80-112233445566")
	tenantB = tenancy.MustParse("7d1e2f3a-4b5c-4d6e-8f90-aabbccddeeff")
)

func dec(t testing.TB, s string) canonical.Decimal {
	d, err := canonical.NewDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func opp(t testing.TB, tenant tenancy.ID, key, amount string) canonical.Event {
	e := warehousetest.Event(tenant, "opportunity", "salesforce", key, 1, map[string]any{
		"id": key, "name": "Deal " + key, "stage": "Proposal", "amount": dec(t, amount), "is_won": true,
	})
	return e
}

func TestQueryRefusals(t *testing.T) {
	w, _ := newWarehouse(t, nil)
	ctx := context.Background()
	if err := w.Write(ctx, tenantA, []canonical.Event{opp(t, tenantA, "a", "1")}); err != nil {
		t.Fatal(err)
	}
	refused := append([]struct{ Name, Query string }{}, warehousetest.Refused...)
	refused = append(refused, []struct{ Name, Query string }{
		{"switch tenant", "SELECT set_config('app.tenant_id', '" + tenantB.String() + "', true), (SELECT count(*) FROM opportunity)"},
		{"switch tenant quoted", `SELECT "set_config"('app.tenant_id', '` + tenantB.String() + `', true)`},
		{"switch tenant qualified", `SELECT pg_catalog.set_config('app.tenant_id', '', true)`},
		{"unicode escape", `SELECT U&"\0073et_config"('app.tenant_id', '', true)`},
		{"dynamic sql", "SELECT query_to_xml('select * from opportunity', true, false, '')"},
		{"read file", "SELECT pg_read_file('/etc/passwd')"},
		{"catalog unqualified", "SELECT * FROM pg_class"},
		{"other schema", "SELECT * FROM public.dcl_goose_version"},
		{"information schema columns", "SELECT column_name FROM information_schema.columns"},
		{"data-modifying cte", "WITH d AS (DELETE FROM opportunity RETURNING *) SELECT * FROM d"},
		{"for update", "SELECT * FROM opportunity FOR UPDATE"},
		{"select into", "SELECT * INTO x FROM opportunity"},
		{"explain", "EXPLAIN SELECT 1"},
		{"dollar quoted second statement", "SELECT $$;$$; DROP TABLE opportunity"},
		{"comment hides nothing", "SELECT 1 /* ; */; DELETE FROM opportunity"},
		{"parameter", "SELECT $1"},
		{"unbalanced", "SELECT 1) AS x, (SELECT 2"},
		{"advisory lock", "SELECT pg_advisory_lock(1)"},
		{"large object", "SELECT lo_get(1)"},
		{"table function", "SELECT * FROM json_to_recordset('[]') AS x(a int)"},
		{"server address", "SELECT inet_server_addr()"},
		{"role name", "SELECT current_user"},
	}...)
	for _, tc := range refused {
		_, err := w.Query(ctx, tenantA, tc.Query)
		t.Logf("%s: %v", tc.Name, err)
		if !errors.Is(err, dcl.ErrQueryRefused) {
			t.Errorf("%s: Query(%q) error = %v, want ErrQueryRefused", tc.Name, tc.Query, err)
		}
	}
	res, err := w.Query(ctx, tenantA, "SELECT count(*) FROM opportunity")
	if err != nil || fmt.Sprint(res.Rows[0][0]) != "1" {
		t.Fatalf("after refusals: %v, %v; want 1 row", res, err)
	}
	for _, q := range []string{
		"WITH x AS (SELECT amount FROM opportunity) SELECT sum(amount) FROM x",
		"SELECT o.name, a.name FROM opportunity o LEFT JOIN account a ON a.id = o.account_id",
		"SELECT 1 UNION ALL SELECT 2",
		"SELECT * FROM (VALUES (1), (2)) v(n)",
		"SELECT stage, count(*) FROM opportunity WHERE amount > 0 GROUP BY stage ORDER BY 2 DESC NULLS LAST LIMIT 5",
		"SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY stage ORDER BY amount DESC) AS rn FROM opportunity) r WHERE rn = 1",
		"SELECT CASE WHEN amount > 10 THEN 'big' ELSE 'small' END, CAST(amount AS DECIMAL(10,2)), coalesce(name, '-') FROM opportunity",
		"SELECT DISTINCT stage FROM opportunity WHERE stage IN (SELECT stage FROM opportunity WHERE is_won) OR EXISTS (SELECT 1 FROM account)",
		"SELECT array(SELECT x + 1 FROM unnest(ARRAY[1, 2]) x), date_trunc('month', close_date), to_char(created_at, 'YYYY') FROM opportunity",
		"SELECT cluster_id, unnest(sources) FROM account_unified",
		"SELECT n FROM generate_series(1, 3) n;",
		"TABLE opportunity",
		"SELECT 'it''s; fine', $q$;$q$ -- trailing comment",
	} {
		if _, err := w.Query(ctx, tenantA, q); err != nil {
			t.Errorf("Query(%q): %v", q, err)
		}
	}
}

func TestTenantCannotSeeOtherTenant(t *testing.T) {
	w, roles := newWarehouse(t, nil)
	ctx := context.Background()
	acc := func(tenant tenancy.ID, key, name, domain string) canonical.Event {
		return warehousetest.Event(tenant, "account", "hubspot", key, 1, map[string]any{"id": key, "name": name, "domain": domain})
	}
	// the same source keys and domains in both tenants
	if err := w.Write(ctx, tenantA, []canonical.Event{opp(t, tenantA, "k1", "100"), acc(tenantA, "a1", "Acme", "acme.com")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, tenantB, []canonical.Event{opp(t, tenantB, "k1", "999"), opp(t, tenantB, "k2", "5"),
		acc(tenantB, "a1", "Acme B", "acme.com"), acc(tenantB, "a2", "Acme Two", "acme.com")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tenant tenancy.ID
		query  string
		want   string
	}{
		{tenantA, "SELECT count(*), sum(amount)::text FROM opportunity", "[1 100.000000000]"},
		{tenantB, "SELECT count(*), sum(amount)::text FROM opportunity", "[2 1004.000000000]"},
		{tenantA, "SELECT count(*) FROM dcl.opportunity WHERE tenant_id <> '" + tenantA.String() + "'", "[0]"},
		{tenantA, "SELECT member_count, name FROM account_unified", "[1 Acme]"},
		{tenantB, "SELECT member_count, sources FROM account_unified", "[2 [hubspot]]"},
		{tenantA, "SELECT count(*) FROM account_members", "[1]"},
		{tenantA, "SELECT count(DISTINCT tenant_id) FROM account_members", "[1]"},
	} {
		res, err := w.Query(ctx, tc.tenant, tc.query)
		if err != nil {
			t.Fatalf("%q: %v", tc.query, err)
		}
		if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0]) != tc.want {
			t.Errorf("tenant %s: %q = %v, want one row %s", tc.tenant, tc.query, res.Rows, tc.want)
		}
	}
	// The application role without a tenant sees nothing and can write
	// nothing, whatever the SQL.
	var n int
	if err := roles.App.QueryRow(ctx, "SELECT count(*) FROM dcl.opportunity").Scan(&n); err != nil || n != 0 {
		t.Errorf("app role without tenant: count = %d, %v; want 0", n, err)
	}
	err := pgtenant.RunTx(ctx, roles.App, tenantA, func(tx pgxTx) error {
		_, err := tx.Exec(ctx, "UPDATE dcl.opportunity SET tenant_id = $1", tenantB.String())
		return err
	})
	if err == nil {
		t.Error("moving a row to another tenant succeeded")
	}
	if err := pgtenant.CheckTables(ctx, roles.Owner, "public.dcl_goose_lock"); err != nil {
		t.Errorf("CheckTables: %v", err)
	}
}

func TestOpenRefusesOwner(t *testing.T) {
	_, roles := newStore(t)
	if roles == nil {
		return
	}
	_, err := pgstore.Open(context.Background(), roles.Owner)
	if !errors.Is(err, pgtenant.ErrUnsafeRole) {
		t.Errorf("Open as owner: %v, want ErrUnsafeRole", err)
	}
}

func TestNotMigrated(t *testing.T) {
	roles := testenv.PostgresRoles(t)
	if roles == nil {
		return
	}
	s, err := pgstore.Open(context.Background(), roles.App)
	if err != nil {
		t.Fatal(err)
	}
	w, err := dcl.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = w.EnsureTenant(context.Background(), tenantA)
	if !errors.Is(err, pgstore.ErrNotMigrated) || !strings.Contains(err.Error(), "dcl.") {
		t.Errorf("EnsureTenant before Migrate: %v, want ErrNotMigrated naming a table", err)
	}
}

func TestMigrateTwiceAndTypes(t *testing.T) {
	_, roles := newStore(t)
	if roles == nil {
		return
	}
	ctx := context.Background()
	if err := pgstore.Migrate(ctx, roles.Owner, &pgstore.MigrateConfig{AppRole: roles.AppRole}); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// exact decimals at the column's limits, negative and zero
	w, err := dcl.New(mustOpen(t, roles), nil)
	if err != nil {
		t.Fatal(err)
	}
	amounts := []string{"-0.000000001", "0", "-99999999999999999999999999999.999999999", "99999999999999999999999999999.999999999", "1.5"}
	var events []canonical.Event
	for i, a := range amounts {
		events = append(events, opp(t, tenantA, fmt.Sprint(i), a))
	}
	if err := w.Write(ctx, tenantA, events); err != nil {
		t.Fatal(err)
	}
	res, err := w.Query(ctx, tenantA, "SELECT _source_key, amount FROM opportunity ORDER BY _source_key")
	if err != nil || len(res.Rows) != len(amounts) {
		t.Fatalf("rows = %v, %v", res, err)
	}
	for i, r := range res.Rows {
		d, ok := r[1].(canonical.Decimal)
		if !ok || !d.Equal(dec(t, amounts[i]).Decimal) {
			t.Errorf("amount %d = %v (%T), want exactly %s", i, r[1], r[1], amounts[i])
		}
	}
	var typ string
	err = roles.Owner.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'dcl.opportunity'::regclass AND attname = 'amount'`).Scan(&typ)
	if err != nil || typ != "numeric(38,9)" {
		t.Errorf("amount column type = %q, %v; want numeric(38,9)", typ, err)
	}
}

func TestQueryTimeout(t *testing.T) {
	w, _ := newWarehouse(t, &dcl.Config{QueryTimeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := w.Query(context.Background(), tenantA, "SELECT count(*) FROM generate_series(1, 2000000000)")
	if !errors.Is(err, dcl.ErrQueryTimeout) {
		t.Fatalf("error = %v, want ErrQueryTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}
