package main

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

// TestServerModeDCLOnPostgres runs the demo onboarding in server mode with
// the PostgreSQL warehouse (jobs on River, events on the Redis stream):
// the same views fill in, the figures' and the views' SQL run on
// PostgreSQL, and its refusals are 400 too.
func TestServerModeDCLOnPostgres(t *testing.T) {
	env := serverEnv(t)
	env["HOSTD_WAREHOUSE"] = "postgres"
	env["USE_AAM_AS_SOURCE"] = "true"
	a, err := newServerApp(t, env, t.TempDir(), func(c *Config) { c.OnboardDemo = true })
	if err != nil {
		t.Fatal(err)
	}
	if a.demoPassword == "" {
		t.Fatal("no demo password on the first start")
	}
	token := login(t, a, DemoEmail, a.demoPassword)
	// 24 CRM, 25 billing and 16 legacy accounts (examples/data/README.md).
	waitFor(t, "the demo's 65 accounts in the PostgreSQL warehouse", func() bool {
		return viewRowsOf(t, a, token)["account"] == 65
	})
	waitFor(t, "the graph with every demo source", func() bool {
		g := graphOf(t, a, token)
		_, ok := g.Node("object:legacy/legacy/customers")
		return ok
	})
	rows := viewRowsOf(t, a, token)
	if rows["account_unified"] == 0 || rows["account_unified"] >= rows["account"] || rows["invoice"] != 45 {
		t.Fatalf("views: %v", rows)
	}
	r := query(t, a, token, "SELECT count(*) FROM account_unified")
	if res := decode[queryJSON](t, r); r.code != http.StatusOK || fmt.Sprint(res.Rows[0][0]) != fmt.Sprint(rows["account_unified"]) {
		t.Fatalf("count query: %d %s", r.code, r.body)
	}
	for _, sql := range []string{"DROP TABLE account", "SELECT * FROM pg_catalog.pg_class", "SELECT set_config('app.tenant_id', '', false)"} {
		if r := query(t, a, token, sql); r.code != http.StatusBadRequest {
			t.Errorf("%q: %d %s, want 400", sql, r.code, r.body)
		}
	}
	for _, p := range []string{"cro", "cfo", "coo", "cto"} {
		r := do(t, a, "GET", "/api/v1/nlp/summary/"+p, token, nil)
		if r.code != http.StatusOK {
			t.Fatalf("%s summary: %d %s", p, r.code, r.body)
		}
		if p == "cfo" && bytes.Contains(r.body, []byte(`"name":"invoices.open.count","label":"Open invoice count","value":"0"`)) {
			t.Errorf("CFO summary counts no open invoice: %s", r.body)
		}
	}
	if r := do(t, a, "GET", "/api/v1/dcl/views/invoice?limit=5", token, nil); r.code != http.StatusOK || len(decode[queryJSON](t, r).Rows) != 5 {
		t.Fatalf("invoice rows: %d %s", r.code, r.body)
	}
}
