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
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
)

// FuzzQuery runs arbitrary text through the read-only query API of
// tenant A while tenant B holds a secret: no answer may contain B's
// data, and no query may change either tenant's tables.
func FuzzQuery(f *testing.F) {
	for _, r := range warehousetest.Refused {
		f.Add(r.Query)
	}
	other := duckstore.SchemaName(tenantB)
	for _, q := range []string{
		"SELECT * FROM account",
		"SELECT name FROM account_unified",
		"WITH account AS (SELECT 1) SELECT * FROM account",
		"SELECT * FROM " + other + ".account",
		"SELECT * FROM \"" + other + "\".\"account\"",
		"SELECT (SELECT name FROM " + other + ".account LIMIT 1)",
		"SELECT * FROM account a JOIN " + other + ".account b USING (id)",
		"SELECT * FROM range(3) r, account",
		"FROM account SELECT name",
		"SELECT * FROM account AS \"x\"\"y\"",
		"PIVOT account ON name USING count(*)",
		"SELECT * FROM (FROM " + other + ".account)",
	} {
		f.Add(q)
	}
	s, err := duckstore.Open("", &duckstore.Config{Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	w, err := dcl.New(s, &dcl.Config{QueryTimeout: 2 * time.Second, MaxRows: 50})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = w.Close() })
	ctx := context.Background()
	secret := warehousetest.Event(tenantB, "account", "csv", "b1", 1, map[string]any{"id": "b1", "name": "SECRETB"})
	mine := warehousetest.Event(tenantA, "account", "csv", "a1", 1, map[string]any{"id": "a1", "name": "mine"})
	if err := w.Write(ctx, tenantB, []canonical.Event{secret}); err != nil {
		f.Fatal(err)
	}
	if err := w.Write(ctx, tenantA, []canonical.Event{mine}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		res, err := w.Query(ctx, tenantA, q)
		if err != nil {
			if strings.Contains(err.Error(), "SECRETB") {
				t.Fatalf("error leaks tenant B's data: %v", err)
			}
			var refused *dcl.QueryRefusedError
			if errors.As(err, &refused) && refused.Reason == "" {
				t.Fatalf("refusal without a reason: %v", err)
			}
			return
		}
		if strings.Contains(fmt.Sprint(res.Rows), "SECRETB") {
			t.Fatalf("query %q returned tenant B's data: %v", q, res.Rows)
		}
		for _, tc := range []struct {
			schema string
			want   string
		}{{duckstore.SchemaName(tenantA), "mine"}, {duckstore.SchemaName(tenantB), "SECRETB"}} {
			var names string
			if err := s.DB().QueryRowContext(ctx, "SELECT string_agg(name, ',') FROM "+tc.schema+".account").Scan(&names); err != nil || names != tc.want {
				t.Fatalf("after %q: %s.account = %q (%v), want %q", q, tc.schema, names, err, tc.want)
			}
		}
	})
}
