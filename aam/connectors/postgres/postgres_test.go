package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/postgres"
	"github.com/autonomos/autonomos/aam/connectortest"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/internal/testenv"
)

func exec(t testing.TB, pool *pgxpool.Pool, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := pool.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// fixture returns the URL of a fresh database and a pool on it.
func fixture(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	u := testenv.PostgresURL(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return u, pool
}

func open(t *testing.T, cfg postgres.Config) *postgres.Source {
	t.Helper()
	s, err := postgres.New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type readResult struct {
	records []map[string]any
	errs    []*aam.RowError
	batches int
	cursor  aam.Cursor
}

func readAll(t *testing.T, c aam.Connector, object string, cur aam.Cursor) readResult {
	t.Helper()
	var r readResult
	r.cursor = cur
	for b, err := range c.Read(context.Background(), object, cur) {
		if err != nil {
			t.Fatalf("Read(%q): %v", object, err)
		}
		r.batches++
		for _, rec := range b.Records {
			r.records = append(r.records, rec.Fields)
		}
		r.errs = append(r.errs, b.Errors...)
		r.cursor = b.Cursor
	}
	return r
}

func TestAcceptance(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, revenue numeric(14,2), active boolean, meta jsonb)`,
		`INSERT INTO accounts (name, revenue, active, meta)
		 SELECT 'Account ' || g, g * 1000.25, g % 2 = 0, jsonb_build_object('tier', g % 3, 'tags', jsonb_build_array('a', g))
		 FROM generate_series(1, 23) g`,
		// A composite key whose first column repeats across batches.
		`CREATE TABLE order_lines (order_id int NOT NULL, line_no int NOT NULL, sku text, qty int, PRIMARY KEY (order_id, line_no))`,
		`INSERT INTO order_lines SELECT o, l, 'SKU-' || o || '-' || l, l FROM generate_series(1, 5) o, generate_series(1, 3) l`,
		// An update-time cursor with many equal timestamps (one
		// transaction): the key breaks the ties.
		`CREATE TABLE tickets (id bigint PRIMARY KEY, subject text, updated_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO tickets (id, subject) SELECT g, 'Ticket ' || g FROM generate_series(1, 11) g`,
	)
	next := 1000
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			return open(t, postgres.Config{URL: u, BatchSize: 4, SampleRows: 10})
		},
		Records: map[string]int{"public.accounts": 23, "public.order_lines": 15, "public.tickets": 11},
		Append: func(t *testing.T, object string, n int) {
			if object != "public.accounts" {
				t.Fatalf("append to %s", object)
			}
			for range n {
				next++
				exec(t, pool, fmt.Sprintf(`INSERT INTO accounts (id, name, revenue) VALUES (%d, 'New', 1.5)`, next))
			}
		},
		Unreachable: func(t *testing.T) aam.Connector {
			return open(t, postgres.Config{URL: "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2"})
		},
	})
}

func TestRegistry(t *testing.T) {
	if !slices.Contains(aam.Kinds(), postgres.Kind) {
		t.Fatalf("kind %q not registered: %v", postgres.Kind, aam.Kinds())
	}
	c, err := aam.Open(postgres.Kind, json.RawMessage(`{"url":"postgres://u:pw@127.0.0.1:5432/db","batch_size":10,"exec_mode":"exec"}`))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, tc := range []struct{ cfg, field string }{
		{`{}`, "url"},
		{`{"url":"postgres://x@h/db","exec_mode":"turbo"}`, "exec_mode"},
		{`{"url":"postgres://x@h/db","batch_size":-1}`, "batch_size"},
		{`{"url":"postgres://x@h/db","keys":{"public.v":[]}}`, "keys"},
		{`{"url":"postgres://x@h/db","schemas":[""]}`, "schemas"},
	} {
		_, err := aam.Open(postgres.Kind, json.RawMessage(tc.cfg))
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Open(%s) = %v, want a ConfigError on %q", tc.cfg, err, tc.field)
		}
	}
	// A wrong type: the error names the field, not the secret.
	_, err = aam.Open(postgres.Kind, json.RawMessage(`{"url":"postgres://u:hunter2@h/db","schemas":"hunter2"}`))
	if !errors.Is(err, aam.ErrInvalidConfig) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad config error = %v", err)
	}
}

func TestSecretsStayOut(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	// An unparsable URL.
	_, err := postgres.New(&postgres.Config{URL: "postgres://user:" + pw + "@host:notaport/db"})
	if !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("New with a bad port = %v, want ErrInvalidConfig", err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("config error leaks the password: %v", err)
	}
	_, err = postgres.New(&postgres.Config{URL: "host=h port=bad password=" + pw})
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("DSN config error = %v (must not hold the password)", err)
	}

	// A closed port.
	s := open(t, postgres.Config{URL: "postgres://user:" + pw + "@127.0.0.1:1/db?connect_timeout=2"})
	defer s.Close()
	err = s.Check(context.Background())
	if !errors.Is(err, aam.ErrUnavailable) {
		t.Fatalf("Check on a closed port = %v", err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("connect error leaks the password: %v", err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), pw) {
			t.Errorf("a wrapped error leaks the password: %v", e)
		}
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/db") {
		t.Errorf("connect error does not name the target: %v", err)
	}
	if got := fmt.Sprint(postgres.Config{URL: "postgres://u:" + pw + "@h/db"}); strings.Contains(got, pw) {
		t.Errorf("Config prints its URL: %s", got)
	}

	// A real server's error (the server here trusts any password, so
	// an unknown database stands for a refused login).
	roles := testenv.PostgresRoles(t)
	if roles == nil {
		return
	}
	u, err := url.Parse(roles.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	u.Path = "/no_such_database"
	bad := open(t, postgres.Config{URL: u.String()})
	defer bad.Close()
	err = bad.Check(context.Background())
	if !errors.Is(err, aam.ErrUnavailable) || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "no_such_database") {
		t.Errorf("Check on a missing database = %v (must be unavailable, name it, and hold no password)", err)
	}
	// And the right one works: an application role with only its grants.
	ok := open(t, postgres.Config{URL: roles.AppURL})
	defer ok.Close()
	if err := ok.Check(context.Background()); err != nil {
		t.Errorf("Check as the application role: %v", err)
	}
	// A table the role may not read: Check fails when it is the only one
	// and Discover leaves it out.
	exec(t, roles.Owner, `CREATE TABLE secret_stuff (id int PRIMARY KEY)`, `REVOKE ALL ON secret_stuff FROM `+roles.AppRole)
	if err := ok.Check(context.Background()); !errors.Is(err, aam.ErrUnavailable) || !strings.Contains(err.Error(), "no SELECT privilege") {
		t.Errorf("Check with no readable table = %v", err)
	}
	exec(t, roles.Owner, `CREATE TABLE open_stuff (id int PRIMARY KEY)`)
	if err := ok.Check(context.Background()); err != nil {
		t.Errorf("Check with one readable table: %v", err)
	}
	if infos, err := ok.Discover(context.Background()); err != nil || len(infos) != 1 || infos[0].Name != "public.open_stuff" {
		t.Errorf("Discover as the role = %+v, %v; want only public.open_stuff", infos, err)
	}
}

func TestCheckSchemas(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool, `CREATE SCHEMA sales`)
	s := open(t, postgres.Config{URL: u, Schemas: []string{"public", "sales"}})
	defer s.Close()
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, postgres.Config{URL: u, Schemas: []string{"public", "nope"}})
	defer s2.Close()
	if err := s2.Check(context.Background()); !errors.Is(err, aam.ErrUnavailable) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Check with a missing schema = %v", err)
	}
}

func TestTypesAndDiscover(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE DOMAIN money_amount AS numeric(20,6)`,
		`CREATE TYPE stage AS ENUM ('open', 'won', 'lost')`,
		`CREATE SCHEMA crm`,
		`CREATE TABLE crm.deals (
			region text NOT NULL,
			id uuid NOT NULL,
			small int2, big int8, amount numeric(30,10), dom money_amount, ratio float8,
			won boolean, closed date, created timestamp, seen timestamptz,
			doc jsonb, raw json, tags text[], scores int[],
			name varchar(40), st stage, blob bytea,
			PRIMARY KEY (region, id))`,
		`INSERT INTO crm.deals VALUES (
			'emea', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
			-7, 9007199254740993, 12345678901234567890.0123456789, 1.500000, 0.1,
			true, '2024-02-29', '2024-03-01 12:34:56.789', '2024-03-01 12:34:56.789+02',
			'{"a": {"b": 12345678901234567890}, "n": null}', '[1, 2.50]', '{x,"y z"}', '{1,NULL,3}',
			'Acme', 'won', '\xdeadbeef')`,
		`INSERT INTO crm.deals (region, id) VALUES ('amer', '00000000-0000-0000-0000-000000000001')`,
		`INSERT INTO crm.deals (region, id, amount, ratio, seen, closed) VALUES ('apac', '00000000-0000-0000-0000-000000000002', 'NaN', 'Infinity', 'infinity', '-infinity')`,
		`CREATE TABLE public.ignored (id int PRIMARY KEY)`,
		`CREATE VIEW crm.won AS SELECT region, id, amount FROM crm.deals WHERE won`,
	)
	s := open(t, postgres.Config{URL: u, Schemas: []string{"crm"}})
	defer s.Close()
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Name != "crm.deals" || infos[0].Inferred {
		t.Fatalf("Discover = %+v, want only the declared crm.deals", infos)
	}
	sch := infos[0].Schema
	if !slices.Equal(sch.PrimaryKey, []string{"region", "id"}) {
		t.Errorf("primary key = %v, want [region id] in key order", sch.PrimaryKey)
	}
	want := map[string]drift.FieldType{
		"region": drift.TypeString, "id": drift.TypeString, "small": drift.TypeInteger, "big": drift.TypeInteger,
		"amount": drift.TypeNumber, "dom": drift.TypeNumber, "ratio": drift.TypeNumber, "won": drift.TypeBoolean,
		"closed": drift.TypeDate, "created": drift.TypeTimestamp, "seen": drift.TypeTimestamp,
		"doc": drift.TypeObject, "raw": drift.TypeObject, "tags": drift.TypeArray, "scores": drift.TypeArray,
		"name": drift.TypeString, "st": drift.TypeString, "blob": drift.TypeString,
	}
	if len(sch.Fields) != len(want) {
		t.Errorf("%d fields, want %d", len(sch.Fields), len(want))
	}
	for _, f := range sch.Fields {
		if want[f.Name] != f.Type {
			t.Errorf("field %s: type %s, want %s", f.Name, f.Type, want[f.Name])
		}
		if wantNull := f.Name != "region" && f.Name != "id"; f.Nullable != wantNull {
			t.Errorf("field %s: nullable %v, want %v", f.Name, f.Nullable, wantNull)
		}
	}
	if f, _ := sch.Field("name"); !slices.Equal(f.Samples, []string{"Acme"}) || f.Stats.Count != 3 {
		t.Errorf("name samples %v, count %d: want [Acme] of 3 rows", f.Samples, f.Stats.Count)
	}
	if f, _ := sch.Field("region"); len(f.Samples) != 3 || f.Stats.NullRatio != 0 {
		t.Errorf("region samples %v, null ratio %v", f.Samples, f.Stats.NullRatio)
	}

	got := readAll(t, s, "crm.deals", "").records
	if len(got) != 3 {
		t.Fatalf("read %d rows, want 3", len(got))
	}
	// Key order: amer, apac, emea.
	if got[0]["region"] != "amer" || got[1]["region"] != "apac" || got[2]["region"] != "emea" {
		t.Fatalf("rows not in key order: %v %v %v", got[0]["region"], got[1]["region"], got[2]["region"])
	}
	r := got[2]
	wantVals := map[string]any{
		"id":      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"small":   int64(-7),
		"big":     int64(9007199254740993),
		"amount":  json.Number("12345678901234567890.0123456789"),
		"dom":     json.Number("1.500000"),
		"ratio":   0.1,
		"won":     true,
		"closed":  "2024-02-29",
		"created": "2024-03-01T12:34:56.789Z",
		"seen":    "2024-03-01T10:34:56.789Z",
		"doc":     map[string]any{"a": map[string]any{"b": json.Number("12345678901234567890")}, "n": nil},
		"raw":     []any{json.Number("1"), json.Number("2.50")},
		"tags":    []any{"x", "y z"},
		"scores":  []any{json.Number("1"), nil, json.Number("3")},
		"name":    "Acme",
		"st":      "won",
		"blob":    `\xdeadbeef`,
	}
	for k, w := range wantVals {
		if g := r[k]; fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	for k, v := range got[0] {
		if k != "region" && k != "id" && v != nil {
			t.Errorf("null column %s read as %#v", k, v)
		}
	}
	special := got[1]
	for k, w := range map[string]any{"amount": "NaN", "ratio": "+Inf", "seen": "infinity", "closed": "-infinity"} {
		if special[k] != w {
			t.Errorf("special %s = %#v, want %#v", k, special[k], w)
		}
	}
	// The records marshal (no NaN floats): the mesh stores them as JSON.
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("records do not marshal: %v", err)
	}

	// Views: listed with IncludeViews, readable once given a key.
	v := open(t, postgres.Config{URL: u, Schemas: []string{"crm"}, IncludeViews: true})
	defer v.Close()
	infos, err = v.Discover(context.Background())
	if err != nil || len(infos) != 2 || infos[1].Name != "crm.won" {
		t.Fatalf("Discover with views = %v, %v", infos, err)
	}
	for _, err := range v.Read(context.Background(), "crm.won", "") {
		if !errors.Is(err, postgres.ErrNoKey) {
			t.Errorf("Read of a view without keys = %v, want ErrNoKey", err)
		}
		break
	}
	vk := open(t, postgres.Config{URL: u, Schemas: []string{"crm"}, IncludeViews: true, Keys: map[string][]string{"crm.won": {"region", "id"}}})
	defer vk.Close()
	if rows := readAll(t, vk, "crm.won", "").records; len(rows) != 1 || rows[0]["amount"] != json.Number("12345678901234567890.0123456789") {
		t.Errorf("view rows = %v", rows)
	}
	// An object of a schema not configured is unknown.
	for _, err := range s.Read(context.Background(), "public.ignored", "") {
		if !errors.Is(err, aam.ErrUnknownObject) {
			t.Errorf("Read outside the schemas = %v", err)
		}
		break
	}
}

func TestCompositeKeyset(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE TABLE lines (order_id text NOT NULL, line_no int NOT NULL, v int, PRIMARY KEY (order_id, line_no))`,
		// Text keys whose order differs from their numeric reading, and
		// a key value that looks like SQL.
		`INSERT INTO lines SELECT o, l, l FROM unnest(ARRAY['10', '9', 'a''b', 'x) OR (1=1']) o, generate_series(1, 3) l`,
	)
	s := open(t, postgres.Config{URL: u, BatchSize: 2})
	defer s.Close()
	all := readAll(t, s, "public.lines", "")
	if len(all.records) != 12 || all.batches != 6 {
		t.Fatalf("read %d rows in %d batches, want 12 in 6", len(all.records), all.batches)
	}
	var want []string
	rows, _ := pool.Query(context.Background(), `SELECT order_id || '/' || line_no FROM lines ORDER BY order_id, line_no`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		want = append(want, k)
	}
	var gotKeys []string
	for _, r := range all.records {
		gotKeys = append(gotKeys, fmt.Sprintf("%v/%v", r["order_id"], r["line_no"]))
	}
	if !slices.Equal(gotKeys, want) {
		t.Errorf("keys %v, want %v", gotKeys, want)
	}
	// Resuming mid-key (after the first line of an order) loses nothing.
	var firstCursor aam.Cursor
	for b, err := range s.Read(context.Background(), "public.lines", "") {
		if err != nil {
			t.Fatal(err)
		}
		firstCursor = b.Cursor
		break
	}
	if rest := readAll(t, s, "public.lines", firstCursor); len(rest.records) != 10 {
		t.Errorf("resumed read: %d rows, want 10", len(rest.records))
	}
}

func TestUpdatedAtCursor(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE TABLE contacts (id int PRIMARY KEY, email text, updated_at timestamptz NOT NULL)`,
		`INSERT INTO contacts SELECT g, 'c' || g || '@example.com', '2024-01-01T00:00:00Z'::timestamptz + (g / 3) * interval '1 hour' FROM generate_series(1, 10) g`,
		`CREATE TABLE notes (id int PRIMARY KEY, body text, changed timestamp)`,
		`INSERT INTO notes VALUES (1, 'a', '2024-01-01'), (2, 'b', NULL), (3, 'c', '2024-01-02')`,
	)
	s := open(t, postgres.Config{URL: u, BatchSize: 3})
	defer s.Close()
	first := readAll(t, s, "public.contacts", "")
	if len(first.records) != 10 {
		t.Fatalf("read %d rows, want 10", len(first.records))
	}
	// Updates after the cursor and a new row: the resumed read yields
	// exactly those, in update-time order, the key breaking ties.
	exec(t, pool,
		`UPDATE contacts SET email = 'new4@example.com', updated_at = '2024-06-01T00:00:00Z' WHERE id = 4`,
		`UPDATE contacts SET email = 'new2@example.com', updated_at = '2024-06-01T00:00:00Z' WHERE id = 2`,
		`INSERT INTO contacts VALUES (11, 'c11@example.com', '2024-05-01T00:00:00Z')`,
	)
	inc := readAll(t, s, "public.contacts", first.cursor)
	var got []string
	for _, r := range inc.records {
		got = append(got, fmt.Sprint(r["id"], " ", r["email"], " ", r["updated_at"]))
	}
	want := []string{
		"11 c11@example.com 2024-05-01T00:00:00Z",
		"2 new2@example.com 2024-06-01T00:00:00Z",
		"4 new4@example.com 2024-06-01T00:00:00Z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("incremental read = %q, want %q", got, want)
	}
	if again := readAll(t, s, "public.contacts", inc.cursor); len(again.records) != 0 {
		t.Errorf("read after the incremental cursor yielded %d rows", len(again.records))
	}
	// The cursor was written for the updated_at ordering: a connector
	// told to read by key alone refuses it.
	pk := open(t, postgres.Config{URL: u, CursorColumns: map[string]string{"public.contacts": ""}})
	defer pk.Close()
	for _, err := range pk.Read(context.Background(), "public.contacts", first.cursor) {
		if !errors.Is(err, aam.ErrInvalidCursor) {
			t.Errorf("a cursor of another ordering = %v, want ErrInvalidCursor", err)
		}
		break
	}
	if n := len(readAll(t, pk, "public.contacts", "").records); n != 11 {
		t.Errorf("keyset read: %d rows, want 11", n)
	}

	// A configured nullable cursor column: NULL rows are not read, the
	// others are, by time.
	cfgd := open(t, postgres.Config{URL: u, CursorColumns: map[string]string{"public.notes": "changed"}})
	defer cfgd.Close()
	notes := readAll(t, cfgd, "public.notes", "")
	if len(notes.records) != 2 || notes.records[0]["id"] != int64(1) || notes.records[1]["id"] != int64(3) {
		t.Errorf("notes by changed = %v", notes.records)
	}
	exec(t, pool, `UPDATE notes SET changed = '2024-02-01', body = 'b2' WHERE id = 2`)
	if more := readAll(t, cfgd, "public.notes", notes.cursor).records; len(more) != 1 || more[0]["body"] != "b2" {
		t.Errorf("after setting the null cursor column: %v", more)
	}
}

func TestQuotedIdentifiers(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE SCHEMA "Sales Team"`,
		`CREATE TABLE "Sales Team"."Deals ""2024""; DROP TABLE x" ("Id" int PRIMARY KEY, "select" text, "a.b" int)`,
		`INSERT INTO "Sales Team"."Deals ""2024""; DROP TABLE x" VALUES (1, 'from', 2), (2, 'where', 3)`,
	)
	s := open(t, postgres.Config{URL: u, Schemas: []string{"Sales Team"}, BatchSize: 1, ExecMode: "simple_protocol"})
	defer s.Close()
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	name := `Sales Team.Deals "2024"; DROP TABLE x`
	if len(infos) != 1 || infos[0].Name != name {
		t.Fatalf("Discover = %+v", infos)
	}
	r := readAll(t, s, name, "")
	if len(r.records) != 2 || r.records[1]["select"] != "where" || r.records[0]["a.b"] != int64(2) {
		t.Errorf("records = %v", r.records)
	}
}

func TestCancelMidRead(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool, `CREATE TABLE big (id int PRIMARY KEY)`, `INSERT INTO big SELECT generate_series(1, 5000)`)
	s := open(t, postgres.Config{URL: u, BatchSize: 10})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	var last error
	for _, err := range s.Read(ctx, "public.big", "") {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 3 {
			cancel()
		}
	}
	if n != 3 || !errors.Is(last, context.Canceled) {
		t.Errorf("after %d batches the read ended with %v, want context.Canceled after 3", n, last)
	}
}

func TestPartitionedTable(t *testing.T) {
	u, pool := fixture(t)
	exec(t, pool,
		`CREATE TABLE events (id int NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (at, id)) PARTITION BY RANGE (at)`,
		`CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')`,
		`CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
		`INSERT INTO events SELECT g, DATE '2023-12-25' + g, 'k' FROM generate_series(1, 12) g`,
	)
	s := open(t, postgres.Config{URL: u, BatchSize: 5})
	defer s.Close()
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Name != "public.events" || !slices.Equal(infos[0].Schema.PrimaryKey, []string{"at", "id"}) {
		t.Fatalf("Discover = %+v, want the partitioned parent only", infos)
	}
	r := readAll(t, s, "public.events", "")
	if len(r.records) != 12 || r.records[0]["at"] != "2023-12-26" || r.records[11]["at"] != "2024-01-06" {
		t.Errorf("read %d rows: first %v, last %v", len(r.records), r.records[0], r.records[len(r.records)-1])
	}
}
