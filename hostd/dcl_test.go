package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// waitFor polls cond until it holds, for at most 60 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, r.code, r.body, err)
	}
	return v
}

func viewRowsOf(t *testing.T, a *app, token string) map[string]int64 {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/dcl/views", token, nil)
	if r.code != http.StatusOK {
		t.Fatalf("views: %d %s", r.code, r.body)
	}
	vs := decode[struct{ Views []viewInfo }](t, r)
	out := map[string]int64{}
	for _, v := range vs.Views {
		out[v.Name] = v.Rows
	}
	return out
}

func graphOf(t *testing.T, a *app, token string) graphstore.Graph {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/graph", token, nil)
	if r.code != http.StatusOK {
		t.Fatalf("graph: %d %s", r.code, r.body)
	}
	return decode[graphstore.Graph](t, r)
}

// waitDCLIdle waits until the in-process job runner has no job queued or
// running (syncs, DCL runs: those the demo onboarding, approvals and
// DCL_AUTO_RUN started).
func waitDCLIdle(t *testing.T, a *app) {
	t.Helper()
	jr, ok := a.jobs.(*jobRunner)
	if !ok {
		t.Fatalf("jobs run on %T, not in process", a.jobs)
	}
	waitFor(t, "the jobs to finish", func() bool {
		jr.mu.Lock()
		defer jr.mu.Unlock()
		for _, j := range jr.jobs {
			if j.Status == JobQueued || j.Status == JobRunning {
				return false
			}
		}
		return true
	})
}

// waitOnboarded waits until the demo's onboarding and the DCL runs it
// caused are done, and returns the graph.
func waitOnboarded(t *testing.T, a *app, token string) graphstore.Graph {
	t.Helper()
	waitDCLIdle(t, a)
	return graphOf(t, a, token)
}

func query(t *testing.T, a *app, token, sql string) resp {
	t.Helper()
	return do(t, a, "POST", "/api/v1/dcl/query", token, map[string]string{"sql": sql})
}

// TestDemoOnboardedEndToEnd starts the embedded app as an operator would
// (demo onboarding on), with the DCL fed directly and from the stream:
// the sample sources are onboarded, synced and materialized, the views
// have rows, queries work and anything but a SELECT over the tenant's
// own views is refused. A second start onboards nothing again.
func TestDemoOnboardedEndToEnd(t *testing.T) {
	counts := map[bool]map[string]int64{}
	for _, aamSource := range []bool{false, true} {
		t.Run(fmt.Sprintf("USE_AAM_AS_SOURCE=%v", aamSource), func(t *testing.T) {
			dir := t.TempDir()
			mod := func(c *Config) { c.DataDir = dir; c.OnboardDemo = true; c.UseAAMAsSource = aamSource }
			a := newTestApp(t, mod)
			token := login(t, a, DemoEmail, a.demoPassword)
			g := waitOnboarded(t, a, token)
			for _, id := range []string{"source:billing/billing", "source:legacy/legacy", "object:legacy/legacy/customers", "entity:account", "view:account", "agent:revops"} {
				if _, ok := g.Node(id); !ok {
					b, _ := json.Marshal(g.Nodes)
					t.Errorf("graph has no node %s: %s", id, b)
				}
			}
			if g.DemoVersion != 0 {
				t.Errorf("graph is still the seeded demo (demo version %d)", g.DemoVersion)
			}
			conns := decode[struct{ Connections []mesh.Connection }](t, do(t, a, "GET", "/api/v1/connections", token, nil)).Connections
			if len(conns) != len(data.Sources) {
				t.Fatalf("%d demo connections, want %d", len(conns), len(data.Sources))
			}
			rows := viewRowsOf(t, a, token)
			for _, v := range []string{"account", "account_members", "account_unified", "contact", "opportunity", "invoice"} {
				if rows[v] == 0 {
					t.Errorf("view %s has no rows: %v", v, rows)
				}
			}
			if rows["account_unified"] >= rows["account"] {
				t.Errorf("no account was merged: %d unified from %d", rows["account_unified"], rows["account"])
			}
			counts[aamSource] = rows
			// The run says which path fed it.
			j := waitJob(t, a, token, decode[Job](t, do(t, a, "POST", "/api/v1/dcl/run", token, nil)).ID)
			res0, _ := json.Marshal(j.Result)
			want := map[bool]string{false: `"source":"legacy"`, true: `"source":"aam"`}[aamSource]
			if j.Status != JobSucceeded || !bytes.Contains(res0, []byte(want)) || !bytes.Contains(res0, []byte(`"pending_events":0`)) {
				t.Fatalf("dcl run: %+v %s, want %s", j, res0, want)
			}

			// One view's rows, capped by limit.
			r := do(t, a, "GET", "/api/v1/dcl/views/account_unified?limit=3", token, nil)
			res := decode[queryJSON](t, r)
			if r.code != http.StatusOK || len(res.Rows) != 3 || !strings.Contains(strings.Join(res.Columns, ","), "member_count") {
				t.Fatalf("account_unified rows: %d %s", r.code, r.body)
			}
			for _, bad := range []string{"nope", "pg_class", "account_unified;DROP"} {
				if r := do(t, a, "GET", "/api/v1/dcl/views/"+bad, token, nil); r.code != http.StatusNotFound {
					t.Errorf("view %q: %d, want 404", bad, r.code)
				}
			}
			if r := do(t, a, "GET", "/api/v1/dcl/views/account?limit=0", token, nil); r.code != http.StatusBadRequest {
				t.Errorf("limit=0: %d, want 400", r.code)
			}

			// A query agrees with the view's count.
			r = query(t, a, token, "SELECT count(*) AS n FROM account_unified")
			res = decode[queryJSON](t, r)
			if r.code != http.StatusOK || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0]) != fmt.Sprint(rows["account_unified"]) {
				t.Fatalf("count query: %d %s, want %d", r.code, r.body, rows["account_unified"])
			}

			// Persona summaries come from the same warehouse.
			r = do(t, a, "GET", "/api/v1/nlp/summary/cfo", token, nil)
			sum := decode[summaryJSON](t, r)
			if r.code != http.StatusOK || len(sum.Figures) != 4 || sum.Figures[1].Name != "invoices.open.count" || sum.Figures[1].Value == "0" {
				t.Fatalf("CFO summary: %d %s", r.code, r.body)
			}
			open := query(t, a, token, "SELECT count(*) FROM invoice WHERE paid_at IS NULL AND status NOT IN ('paid', 'void', 'draft')")
			if got := fmt.Sprint(decode[queryJSON](t, open).Rows[0][0]); got != sum.Figures[1].Value {
				t.Errorf("open invoices: summary %s, query %s", sum.Figures[1].Value, got)
			}
			r = do(t, a, "GET", "/api/v1/nlp/summary/cro", token, nil)
			cro := decode[summaryJSON](t, r)
			openDeals := fmt.Sprint(decode[queryJSON](t, query(t, a, token, "SELECT count(*) FROM opportunity WHERE NOT is_closed")).Rows[0][0])
			if r.code != http.StatusOK || len(cro.Figures) < 3 || cro.Figures[1].Name != "pipeline.count" || cro.Figures[1].Value != openDeals || openDeals == "0" {
				t.Fatalf("CRO summary: %d %s, want %s open deals", r.code, r.body, openDeals)
			}
			if r := do(t, a, "GET", "/api/v1/nlp/summary/coo", token, nil); r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"activities.total"`)) {
				t.Fatalf("COO summary: %d %s", r.code, r.body)
			}
			r = do(t, a, "GET", "/api/v1/nlp/summary/cto", token, nil)
			if cto := decode[summaryJSON](t, r); r.code != http.StatusOK || cto.Figures[0].Value != fmt.Sprint(len(data.Sources)) {
				t.Fatalf("CTO summary: %d %s", r.code, r.body)
			}
			if r := do(t, a, "GET", "/api/v1/nlp/summary/ceo", token, nil); r.code != http.StatusBadRequest {
				t.Errorf("unknown persona: %d, want 400", r.code)
			}
			// A question gets the persona's figures from the warehouse,
			// the same as the summary route's.
			ask := decode[nlp.Answer](t, do(t, a, "POST", "/api/v1/nlp/ask", token, map[string]string{"question": "Which connections are unhealthy?"}))
			if f, ok := (nlp.Summary{Figures: ask.Figures}).Figure("connections.total"); ask.Persona != nlp.CTO || !ok || f.Value.String() != fmt.Sprint(len(data.Sources)) {
				t.Errorf("ask: persona %s, figures %+v; want the CTO's with %d connections", ask.Persona, ask.Figures, len(data.Sources))
			}
		})
	}
	if fmt.Sprint(counts[false]) != fmt.Sprint(counts[true]) {
		t.Errorf("the direct path and the stream gave different views:\n direct %v\n stream %v", counts[false], counts[true])
	}
}

func TestQueryRefusals(t *testing.T) {
	a := newTestApp(t, nil)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	_, tenantB := register(t, a, "Beta", "bob@beta.example")
	for _, c := range []struct{ sql, reason string }{
		{"DROP TABLE account", dcl.RefusedNotSelect},
		{"CREATE TABLE x (i INTEGER)", dcl.RefusedNotSelect},
		{"INSERT INTO account (_key) VALUES ('x')", dcl.RefusedNotSelect},
		{"ATTACH 'x.db'", dcl.RefusedNotSelect},
		{"SELECT 1; SELECT 2", dcl.RefusedMultiple},
		{"SELECT * FROM read_csv('/etc/passwd')", dcl.RefusedTableFunction},
		{"SELECT * FROM " + duckstore.SchemaName(tenantB) + ".account", dcl.RefusedForeignSchema},
		{"", dcl.RefusedEmpty},
	} {
		r := query(t, a, tokenA, c.sql)
		if r.code != http.StatusBadRequest {
			t.Errorf("%q: %d %s, want 400", c.sql, r.code, r.body)
			continue
		}
		if p := r.problem(t); !strings.HasPrefix(p.Detail, "query refused: "+c.reason) {
			t.Errorf("%q: detail %q, want the reason %q", c.sql, p.Detail, c.reason)
		}
	}
	if r := do(t, a, "POST", "/api/v1/dcl/query", tokenA, []byte(`{"sql": "SELECT 1", "as": "x"}`)); r.code != http.StatusBadRequest {
		t.Errorf("unknown body field: %d, want 400", r.code)
	}
}

// TestDCLRoutesAreTenantScoped: tenant B's token on tenant A's resources
// is 404, and B's lists and views show nothing of A's.
func TestDCLRoutesAreTenantScoped(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.OnboardDemo = true })
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	waitOnboarded(t, a, tokenA)

	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/api/v1/connections/crm", map[string]string{"name": "mine"}},
		{"DELETE", "/api/v1/connections/crm", nil},
		{"POST", "/api/v1/connections/crm/test", nil},
		{"GET", "/api/v1/connections/crm/discover", nil},
		{"GET", "/api/v1/connections/crm/health", nil},
		{"GET", "/api/v1/drift/events?connection=crm", nil},
	} {
		if r := do(t, a, c.method, c.path, tokenB, c.body); r.code != http.StatusNotFound {
			t.Errorf("tenant B %s %s: %d %s, want 404", c.method, c.path, r.code, r.body)
		}
	}
	// A's connection is untouched by B's attempts.
	if r := do(t, a, "GET", "/api/v1/connections/crm", tokenA, nil); r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"name":"CRM`)) && bytes.Contains(r.body, []byte(`"name":"mine"`)) {
		t.Fatalf("A's connection after B's attempts: %d %s", r.code, r.body)
	}
	for name, n := range viewRowsOf(t, a, tokenB) {
		if n != 0 {
			t.Errorf("tenant B's view %s has %d rows", name, n)
		}
	}
	if r := query(t, a, tokenB, "SELECT count(*) FROM account"); fmt.Sprint(decode[queryJSON](t, r).Rows[0][0]) != "0" {
		t.Errorf("tenant B counts accounts: %s", r.body)
	}
	r := do(t, a, "GET", "/api/v1/drift/events", tokenB, nil)
	if evs := decode[struct{ Events []mesh.DriftRecord }](t, r).Events; r.code != http.StatusOK || len(evs) != 0 {
		t.Errorf("tenant B's drift events: %d %s", r.code, r.body)
	}
	r = do(t, a, "GET", "/api/v1/nlp/summary/cto", tokenB, nil)
	if s := decode[summaryJSON](t, r); r.code != http.StatusOK || s.Figures[0].Value != "0" {
		t.Errorf("tenant B's CTO summary counts A's connections: %s", r.body)
	}
	r = do(t, a, "GET", "/api/v1/telemetry", tokenB, nil)
	if tj := decode[telemetryJSON](t, r); r.code != http.StatusOK || len(tj.Models) != 0 || tj.Total.Calls != 0 {
		t.Errorf("tenant B's telemetry: %s", r.body)
	}
	// B's DCL run is B's job: A cannot read it.
	r = do(t, a, "POST", "/api/v1/dcl/run", tokenB, nil)
	job := decode[Job](t, r)
	if r.code != http.StatusAccepted || r.header.Get("Location") != "/api/v1/jobs/"+job.ID {
		t.Fatalf("dcl run: %d %s (Location %q)", r.code, r.body, r.header.Get("Location"))
	}
	if r := do(t, a, "GET", "/api/v1/jobs/"+job.ID, tokenA, nil); r.code != http.StatusNotFound {
		t.Errorf("A reads B's DCL job: %d, want 404", r.code)
	}
	if j := waitJob(t, a, tokenB, job.ID); j.Status != JobSucceeded {
		t.Fatalf("B's DCL run: %+v", j)
	}
}

// TestConnectionManagement: update (name, Safe Mode, config), test,
// discover, health and delete, with secrets never shown.
func TestConnectionManagement(t *testing.T) {
	a := newTestApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)
	dir := filepath.Join(a.sourcesDir(a.demoTenant), "crm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "account_id,account_name,website\nA-1,Acme GmbH,https://acme.example\n"
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}})
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	r = do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"name": "CRM exports", "safe_mode": false})
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"name":"CRM exports"`)) || !bytes.Contains(r.body, []byte(`"safe_mode":false`)) {
		t.Fatalf("patch: %d %s", r.code, r.body)
	}
	// A new path, confined to the tenant's sources directory like at
	// creation; the test below reads it.
	if err := os.MkdirAll(filepath.Join(a.sourcesDir(a.demoTenant), "crm2"), 0o700); err != nil {
		t.Fatal(err)
	}
	r = do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"config": map[string]string{"path": "crm2"}})
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`crm2"`)) {
		t.Fatalf("patch config: %d %s", r.code, r.body)
	}
	if r = do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"config": map[string]string{"path": "crm"}}); r.code != http.StatusOK {
		t.Fatalf("patch config back: %d %s", r.code, r.body)
	}
	const secret = "no-secret-in-file-configs"
	for _, bad := range []any{map[string]any{}, map[string]any{"name": ""}, map[string]any{"config": map[string]string{"path": "../../etc"}}, map[string]any{"kind": "postgres"}} {
		if r := do(t, a, "PATCH", "/api/v1/connections/crm", token, bad); r.code != http.StatusBadRequest {
			t.Errorf("patch %v: %d %s, want 400", bad, r.code, r.body)
		}
	}

	r = do(t, a, "POST", "/api/v1/connections/crm/test", token, nil)
	if tr := decode[connectionTest](t, r); r.code != http.StatusOK || !tr.OK {
		t.Fatalf("test: %d %s", r.code, r.body)
	}
	r = do(t, a, "GET", "/api/v1/connections/crm/discover", token, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"name":"accounts"`)) || !bytes.Contains(r.body, []byte(`account_name`)) {
		t.Fatalf("discover: %d %s", r.code, r.body)
	}
	// Discovery changed nothing: the connection was never synced.
	r = do(t, a, "GET", "/api/v1/connections/crm/health", token, nil)
	h := decode[connectionHealth](t, r)
	if r.code != http.StatusOK || h.State != mesh.StateNew || h.Health.Status != mesh.HealthUnknown {
		t.Fatalf("health before any sync: %d %s", r.code, r.body)
	}
	// A source that went away: the test says why, discover is 502.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r = do(t, a, "POST", "/api/v1/connections/crm/test", token, nil)
	if tr := decode[connectionTest](t, r); r.code != http.StatusOK || tr.OK || tr.Error == "" || strings.Contains(tr.Error, secret) {
		t.Fatalf("test of a missing directory: %d %s", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/connections/crm/discover", token, nil); r.code != http.StatusBadGateway || bytes.Contains(r.body, []byte(secret)) {
		t.Fatalf("discover of a missing directory: %d %s", r.code, r.body)
	}

	if r := do(t, a, "DELETE", "/api/v1/connections/crm", token, nil); r.code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	for _, p := range []string{"/api/v1/connections/crm", "/api/v1/connections/crm/health"} {
		if r := do(t, a, "GET", p, token, nil); r.code != http.StatusNotFound {
			t.Errorf("GET %s after delete: %d, want 404", p, r.code)
		}
	}
	if r := do(t, a, "DELETE", "/api/v1/connections/crm", token, nil); r.code != http.StatusNotFound {
		t.Errorf("second delete: %d, want 404", r.code)
	}
}

// TestApprovedRepairChangesTheGraph: a demo CSV is rewritten with a
// renamed column (and a new row); with Safe Mode on the sync queues the
// repair; approving it in the review queue syncs the connection and runs
// the DCL, and the graph gets a new version with the new row.
func TestApprovedRepairChangesTheGraph(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.OnboardDemo = true })
	token := login(t, a, DemoEmail, a.demoPassword)
	before := waitOnboarded(t, a, token)
	rowsBefore := viewRowsOf(t, a, token)

	if r := do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"safe_mode": true}); r.code != http.StatusOK {
		t.Fatalf("safe mode on: %d %s", r.code, r.body)
	}
	// Same length header (so the saved byte offset still falls at the
	// end of the old rows), one column renamed, one row appended.
	path := filepath.Join(a.sourcesDir(a.demoTenant), "crm", "accounts.csv")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := bytes.Cut(old, []byte("\n"))
	newHeader := bytes.Replace(header, []byte(",Website,"), []byte(",WebSite,"), 1)
	if bytes.Equal(newHeader, header) {
		t.Fatalf("accounts.csv header %q has no Website column", header)
	}
	next := append(append(append(newHeader, '\n'), rest...), []byte("001Dn0000000099AAA,Zenith Robotics Inc.,https://zenith-robotics.example,Manufacturing,80,9000000,Germany,+49 89 123456,005A1,2024-05-01T09:00:00Z,2025-06-01T10:00:00Z\n")...)
	if err := os.WriteFile(path, next, 0o600); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, a, token, decode[Job](t, do(t, a, "POST", "/api/v1/connections/crm/sync", token, nil)).ID)
	if j.Status != JobSucceeded {
		t.Fatalf("sync after the rewrite: %+v", j)
	}
	waitDCLIdle(t, a) // the DCL run after the sync (DCL_AUTO_RUN) changes nothing
	r := do(t, a, "GET", "/api/v1/reviews?status=pending&connection=crm", token, nil)
	items := decode[struct{ Items []repair.ReviewItem }](t, r).Items
	if len(items) != 1 || items[0].Repair.Field != "Website" || items[0].Repair.To != "WebSite" {
		t.Fatalf("pending reviews: %s", r.body)
	}
	// The drift is listed with its queued repair.
	r = do(t, a, "GET", "/api/v1/drift/events?connection=crm", token, nil)
	evs := decode[struct{ Events []mesh.DriftRecord }](t, r).Events
	if len(evs) != 1 || evs[0].Object != "accounts" || len(evs[0].Repairs) != 1 || evs[0].Repairs[0].Status != "pending" || evs[0].Repairs[0].ReviewID != items[0].ID {
		t.Fatalf("drift events: %s", r.body)
	}
	if h := decode[connectionHealth](t, do(t, a, "GET", "/api/v1/connections/crm/health", token, nil)); h.Reviews != 1 || h.Drift != 1 {
		t.Fatalf("health while the review waits: %+v", h)
	}
	mid := graphOf(t, a, token)
	if mid.Version != before.Version {
		t.Fatalf("graph changed before the approval: version %d -> %d", before.Version, mid.Version)
	}

	if r := do(t, a, "POST", "/api/v1/reviews/"+items[0].ID+"/approve", token, nil); r.code != http.StatusOK {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	waitDCLIdle(t, a)
	if after := graphOf(t, a, token); after.Version <= mid.Version {
		t.Fatalf("graph version %d after the approval, was %d", after.Version, mid.Version)
	}
	rows := viewRowsOf(t, a, token)
	if rows["account"] != rowsBefore["account"]+1 {
		t.Errorf("accounts after the approval: %d, want %d", rows["account"], rowsBefore["account"]+1)
	}
	res := decode[queryJSON](t, query(t, a, token, "SELECT domain FROM account WHERE name = 'Zenith Robotics Inc.'"))
	if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0]) != "zenith-robotics.example" {
		t.Errorf("the new row's domain through the repaired mapping: %v", res.Rows)
	}
	r = do(t, a, "GET", "/api/v1/drift/events?connection=crm", token, nil)
	evs = decode[struct{ Events []mesh.DriftRecord }](t, r).Events
	if len(evs) != 1 || evs[0].Repairs[0].Status != "approved" || evs[0].Repairs[0].Actor != DemoEmail {
		t.Fatalf("drift events after the approval: %s", r.body)
	}
}

// TestDemoOnboardingIsIdempotent: a restart finds the demo's connections
// and onboards nothing again; what the warehouse holds stays.
func TestDemoOnboardingIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir; c.OnboardDemo = true }
	a1, err := newApp(context.Background(), testConfig(t, nil, mod), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	pw := a1.demoPassword
	token := login(t, a1, DemoEmail, pw)
	g1 := waitOnboarded(t, a1, token)
	rows1 := viewRowsOf(t, a1, token)
	// A person's change to a demo file must survive the restart.
	marker := filepath.Join(a1.sourcesDir(a1.demoTenant), "crm", "accounts.csv")
	if err := os.WriteFile(marker, []byte("Id,Name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a1.close()

	a2 := newTestApp(t, mod)
	token = login(t, a2, DemoEmail, pw)
	if b, err := os.ReadFile(marker); err != nil || string(b) != "Id,Name\n" {
		t.Fatalf("the restart rewrote the demo sources: %q %v", b, err)
	}
	conns := decode[struct{ Connections []mesh.Connection }](t, do(t, a2, "GET", "/api/v1/connections", token, nil)).Connections
	if len(conns) != len(data.Sources) {
		t.Fatalf("%d connections after the restart, want %d", len(conns), len(data.Sources))
	}
	if got := viewRowsOf(t, a2, token); fmt.Sprint(got) != fmt.Sprint(rows1) {
		t.Fatalf("views after the restart:\n%v\nwant\n%v", got, rows1)
	}
	// A DCL run on the same data keeps the graph's version.
	j := waitJob(t, a2, token, decode[Job](t, do(t, a2, "POST", "/api/v1/dcl/run", token, nil)).ID)
	res, _ := json.Marshal(j.Result)
	if j.Status != JobSucceeded || graphOf(t, a2, token).Version != g1.Version {
		t.Fatalf("DCL run after the restart: %+v (%s); graph version %d, was %d", j, res, graphOf(t, a2, token).Version, g1.Version)
	}
}

// TestSourceFlagSwitchLosesNothing switches USE_AAM_AS_SOURCE while a
// connection keeps syncing: each batch takes one path (direct or through
// the stream), every row arrives, and none is written twice.
func TestSourceFlagSwitchLosesNothing(t *testing.T) {
	a := newTestApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)
	all, err := data.FS.ReadFile("crm/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(all)), "\n")
	if len(lines) < 8 {
		t.Fatalf("crm/accounts.csv has %d lines", len(lines))
	}
	dir := filepath.Join(a.sourcesDir(a.demoTenant), "crm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "accounts.csv")
	appendLines := func(ls []string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range ls {
			if !strings.HasSuffix(l, "\n") {
				l += "\n"
			}
			if _, err := f.WriteString(l); err != nil {
				t.Fatal(err)
			}
		}
	}
	setFlag := func(on bool) {
		t.Helper()
		if r := do(t, a, "PUT", "/api/v1/flags/USE_AAM_AS_SOURCE", token, map[string]bool{"on": on}); r.code != http.StatusOK {
			t.Fatalf("set USE_AAM_AS_SOURCE=%v: %d %s", on, r.code, r.body)
		}
	}
	sync := func(want int) {
		t.Helper()
		stats := syncStats(t, a, token, "crm")
		if stats["events_published"].(float64) != float64(want) {
			t.Fatalf("sync published %v events, want %d: %v", stats["events_published"], want, stats)
		}
	}
	appendLines(lines[:4]) // header and 3 rows
	if r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm", "system": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if r := do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"safe_mode": false}); r.code != http.StatusOK {
		t.Fatalf("safe mode off: %d %s", r.code, r.body)
	}
	sync(3) // flag off: direct
	setFlag(true)
	appendLines(lines[4:6])
	sync(2) // through the stream
	setFlag(false)
	appendLines(lines[6:8])
	sync(2) // direct again

	j := waitJob(t, a, token, decode[Job](t, do(t, a, "POST", "/api/v1/dcl/run", token, nil)).ID)
	if j.Status != JobSucceeded {
		t.Fatalf("dcl run: %+v", j)
	}
	res := decode[queryJSON](t, query(t, a, token, "SELECT count(*), count(DISTINCT _source_key) FROM account"))
	if fmt.Sprint(res.Rows) != "[[7 7]]" {
		t.Fatalf("accounts after the switches: %v, want 7 rows of 7 records", res.Rows)
	}
	if st := a.engine.Stats(); st.Written != 7 || st.Rejected != 0 {
		t.Fatalf("engine wrote %d events (%d rejected), want each of the 7 once", st.Written, st.Rejected)
	}
}

// TestTelemetryCountsLLMAnswers: an answer from the LLM is counted for
// its tenant and model; an extractive one is not.
func TestTelemetryCountsLLMAnswers(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.OpenAIModel = "test-model" })
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	ctx := tenancy.WithTenant(context.Background(), a.demoTenant)
	a.recordLLMUsage(ctx, &nlp.Answer{Mode: nlp.AnswerLLM, Tokens: nlp.Tokens{Prompt: 120, Completion: 30}})
	a.recordLLMUsage(ctx, &nlp.Answer{Mode: nlp.AnswerLLM, Tokens: nlp.Tokens{Prompt: 80, Completion: 20}})
	a.recordLLMUsage(ctx, &nlp.Answer{Mode: nlp.AnswerExtractive})
	// The mapping advisor's calls count too; its cache hits do not.
	adv := advisorUsage{a}
	adv.RecordUsage(ctx, a.demoTenant, repair.Usage{Calls: 1, PromptTokens: 300, CompletionTokens: 40})
	adv.RecordUsage(ctx, a.demoTenant, repair.Usage{CacheHits: 1})
	r := do(t, a, "GET", "/api/v1/telemetry", tokenA, nil)
	tj := decode[telemetryJSON](t, r)
	if u := tj.Models["test-model"]; r.code != http.StatusOK || u.Calls != 3 || u.PromptTokens != 500 || u.CompletionTokens != 90 || tj.Total != u {
		t.Fatalf("telemetry: %d %s", r.code, r.body)
	}
	if tj := decode[telemetryJSON](t, do(t, a, "GET", "/api/v1/telemetry", tokenB, nil)); len(tj.Models) != 0 {
		t.Fatalf("tenant B sees A's telemetry: %+v", tj)
	}
}
