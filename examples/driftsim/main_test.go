package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDriftSim(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-data", filepath.Join("..", "data")}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	t.Log(s)
	off, on, ok := strings.Cut(s, "=== Safe Mode on ===")
	if !ok || !strings.Contains(off, "=== Safe Mode off ===") {
		t.Fatalf("output lacks the two scenarios:\n%s", s)
	}

	// Safe Mode off: drift detected, the three telling renames repaired
	// on their own, the uninformative one queued; once it is approved the
	// rows are read with the new mapping and keep their values.
	for _, want := range []string{
		"event drift.detected   accounts",
		"repair.applied   accounts: Website -> Company_Website (account.domain)",
		"repair.applied   accounts: NumberOfEmployees -> Employees (account.employee_count)",
		"repair.applied   accounts: BillingCountry -> Country (account.country)",
		"repair.queued    accounts: Phone: confidence below the auto-apply threshold",
		"drift events 1, repairs applied 3, queued 1, rows read 0, events published 0, normalize errors 0",
		"Phone (account.phone) -> Field_7",
		"approved: mapping version 3",
		"rows read 24, events published 24, normalize errors 0; record 001Dn0000000000AAA: annual_revenue 1250000000, domain acme.com, country US, phone +14155550100",
		"mapping version 1 -> 3:",
		"Company_Website  -> account.domain         provenance repair",
		"Field_7          -> account.phone          provenance human, approved by demo-admin",
	} {
		if !strings.Contains(off, want) {
			t.Errorf("Safe Mode off: output lacks %q", want)
		}
	}
	if strings.Contains(off, "Website: safe mode") || strings.Count(off, "repair.queued") != 1 {
		t.Errorf("Safe Mode off queued a confident repair")
	}
	// Before the drift, the same record had the same values.
	if !strings.Contains(off, "mapping version 1; record 001Dn0000000000AAA: annual_revenue 1250000000, domain acme.com, country US, phone +14155550100") {
		t.Errorf("Safe Mode off: January values missing")
	}

	// Safe Mode on: the same repairs wait for review and the object is
	// not read; each approval adds a mapping version; then it syncs.
	for _, want := range []string{
		"event mapping.proposed accounts: safe mode is on",
		"approved mapping of accounts -> account: version 1",
		"repair.queued    accounts: Website: safe mode is on",
		"event object.waiting   accounts: 4 repair(s) wait for review",
		"drift events 1, repairs applied 0, queued 4, rows read 0, events published 0",
		"rows read 24, events published 24, normalize errors 0; record 001Dn0000000000AAA: annual_revenue 1250000000",
		"mapping version 1 -> 5:",
		"Employees        -> account.employee_count provenance human, approved by demo-admin",
	} {
		if !strings.Contains(on, want) {
			t.Errorf("Safe Mode on: output lacks %q", want)
		}
	}
	versions := regexp.MustCompile(`approved: mapping version (\d+)`).FindAllStringSubmatch(on, -1)
	if len(versions) != 4 {
		t.Fatalf("%d approvals, want 4", len(versions))
	}
	for i, v := range versions {
		if want := string(rune('2' + i)); v[1] != want {
			t.Errorf("approval %d made version %s, want %s", i+1, v[1], want)
		}
	}
	if strings.Contains(on, "repair.applied") {
		t.Errorf("Safe Mode on applied a repair without a person")
	}
}

func TestDrifted(t *testing.T) {
	h, rows := drifted([]string{"Id", "Website", "AnnualRevenue"}, [][]string{{"1", "acme.com", "1250000000"}, {"2", "x.io", ""}})
	if strings.Join(h, ",") != "Id,Company_Website,AnnualRevenue" {
		t.Errorf("header %v", h)
	}
	if rows[0][2] != "USD 1,250,000,000" || rows[1][2] != "" {
		t.Errorf("revenue cells %q, %q", rows[0][2], rows[1][2])
	}
}

func TestEmbeddedData(t *testing.T) {
	var files, embedded bytes.Buffer
	if err := run(context.Background(), &files, []string{"-data", filepath.Join("..", "data")}); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), &embedded, nil); err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`review [0-9a-f-]+:`) // review ids are random
	if a, b := ids.ReplaceAllString(files.String(), "review:"), ids.ReplaceAllString(embedded.String(), "review:"); a != b {
		t.Errorf("embedded data gives\n%s\nfiles give\n%s", b, a)
	}
}

func TestMissingData(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, []string{"-data", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "demo data not found") {
		t.Errorf("run without data = %v", err)
	}
}

// fakeHostd speaks the wire format of the hostd routes the live mode uses
// (hostd is a command and cannot be imported). Its sync reads the export
// from the data directory as hostd would and reports the header it found,
// so the test sees what a sync after the rewrite reads.
type fakeHostd struct {
	tenant   string
	password string
	export   string // the accounts.csv hostd reads

	mu        sync.Mutex
	requests  []string // "METHOD path?query"
	noBearer  []string // requests after login without the token
	safeMode  []string // bodies of the safe-mode PUTs
	synced    string   // the header the sync read
	polls     int
	jobCreate time.Time
}

const fakeToken = "tok-0123456789"

func (f *fakeHostd) handler() http.Handler {
	mux := http.NewServeMux()
	problem := func(w http.ResponseWriter, status int, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
	}
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			problem(w, 400, "body: "+err.Error())
			return
		}
		if in.Email != "demo@autonomos.dev" || in.Password != f.password {
			problem(w, 401, "wrong email or password")
			return
		}
		reply(w, 200, map[string]any{"token": fakeToken, "token_type": "Bearer", "expires_at": time.Now().Add(time.Hour),
			"user": map[string]any{"id": "u1", "email": in.Email}, "tenant": map[string]any{"id": f.tenant, "name": "Demo"}})
	})
	mux.HandleFunc("GET /api/v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"user": map[string]any{"id": "u1", "email": "demo@autonomos.dev"}, "tenant": map[string]any{"id": f.tenant, "name": "Demo"}})
	})
	mux.HandleFunc("PUT /api/v1/connections/{id}/safe-mode", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			On *bool `json:"on"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.On == nil || r.PathValue("id") != "crm" {
			problem(w, 400, "want {on} for crm")
			return
		}
		f.mu.Lock()
		f.safeMode = append(f.safeMode, map[bool]string{true: "on", false: "off"}[*in.On])
		f.mu.Unlock()
		reply(w, 200, map[string]any{"on": *in.On})
	})
	mux.HandleFunc("POST /api/v1/connections/{id}/sync", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "crm" {
			problem(w, 404, "no such resource")
			return
		}
		b, err := os.ReadFile(f.export)
		if err != nil {
			problem(w, 500, err.Error())
			return
		}
		header, _, _ := strings.Cut(string(b), "\n")
		f.mu.Lock()
		f.synced = header
		f.jobCreate = time.Now().UTC()
		f.mu.Unlock()
		w.Header().Set("Location", "/api/v1/jobs/job-1")
		reply(w, 202, map[string]any{"id": "job-1", "tenant_id": f.tenant, "kind": "sync", "subject": "crm", "status": "queued", "created_at": f.jobCreate})
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "job-1" {
			problem(w, 404, "no such resource")
			return
		}
		f.mu.Lock()
		f.polls++
		polls := f.polls
		f.mu.Unlock()
		job := map[string]any{"id": "job-1", "tenant_id": f.tenant, "kind": "sync", "subject": "crm", "status": "running", "created_at": f.jobCreate}
		if polls >= 2 { // one poll finds it running
			job["status"] = "succeeded"
			job["result"] = map[string]any{"attempts": 1, "objects": 3, "objects_synced": 2, "rows_read": 0, "events_published": 0,
				"drift_events": 1, "repairs_applied": 3, "repairs_queued": 1, "normalize_errors": 0, "health": "degraded",
				"waiting": []map[string]any{{"object": "accounts", "reason": "1 repair(s) wait for review"}}}
		}
		reply(w, 200, job)
	})
	mux.HandleFunc("GET /api/v1/drift/events", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("connection") != "crm" {
			problem(w, 400, "want connection=crm")
			return
		}
		reply(w, 200, map[string]any{"events": []map[string]any{
			{"connection_id": "crm", "object": "accounts", "system": "crm", "from_version": 1, "to_version": 2,
				"detected_at": f.jobCreate.Add(time.Second), "severity": "breaking",
				"changes": []map[string]any{
					{"kind": "field_removed", "field": "Website", "old_type": "string", "severity": "breaking", "reason": "the field is gone"},
					{"kind": "field_added", "field": "Company_Website", "new_type": "string", "severity": "info", "reason": "a new field"},
				},
				"repairs": []map[string]any{
					// As hostd reports it, from the audit trail.
					{"status": "applied", "field": "Website", "to": "Company_Website -> account.domain", "actor": "repairer", "reason": "confidence 0.995", "at": f.jobCreate},
					{"status": "pending", "field": "Phone", "target": "account.phone", "to": "Field_7", "confidence": 0.61, "review_id": "rev-42", "reason": "confidence below the auto-apply threshold", "at": f.jobCreate},
				}},
			// An earlier drift of the history: not this sync's.
			{"connection_id": "crm", "object": "accounts", "from_version": 0, "to_version": 1,
				"detected_at": f.jobCreate.Add(-time.Hour), "severity": "warning",
				"changes": []map[string]any{{"kind": "field_added", "field": "LegacyColumn", "severity": "info", "reason": "old"}}},
		}})
	})
	mux.HandleFunc("GET /api/v1/reviews", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("status") != "pending" {
			problem(w, 400, "want status=pending")
			return
		}
		reply(w, 200, map[string]any{"items": []map[string]any{{
			"id": "rev-42", "tenant_id": f.tenant, "key": map[string]any{"connection_id": "crm", "object": "accounts"},
			"repair":       map[string]any{"field": "Phone", "target": "account.phone", "to": "Field_7", "confidence": 0.61, "action": "rename"},
			"base_version": 2, "reason": "confidence below the auto-apply threshold", "status": "pending", "created_at": f.jobCreate.Add(time.Second),
		}, {
			"id": "rev-7", "tenant_id": f.tenant, "key": map[string]any{"connection_id": "crm", "object": "accounts"},
			"repair":       map[string]any{"field": "Company_Website", "target": "account.domain", "to": "Website", "confidence": 0.99, "action": "auto_apply"},
			"base_version": 1, "reason": "safe mode is on for the connection", "status": "pending", "created_at": f.jobCreate.Add(-time.Hour),
		}}})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		req := r.Method + " " + r.URL.RequestURI()
		f.requests = append(f.requests, req)
		if r.URL.Path != "/api/v1/auth/login" && r.Header.Get("Authorization") != "Bearer "+fakeToken {
			f.noBearer = append(f.noBearer, req)
		}
		f.mu.Unlock()
		if r.URL.Path != "/api/v1/auth/login" && r.Header.Get("Authorization") != "Bearer "+fakeToken {
			problem(w, 401, "missing or invalid bearer token")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// newFakeHostd lays out a hostd data directory with the demo export of
// one tenant and serves the fake API.
func newFakeHostd(t *testing.T) (*fakeHostd, *httptest.Server, string) {
	t.Helper()
	dataDir := t.TempDir()
	f := &fakeHostd{tenant: demoTenant.String(), password: "s3cret-pw"}
	dir := filepath.Join(dataDir, "sources", f.tenant, "crm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(filepath.Join("..", "data", "crm", "accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.export = filepath.Join(dir, "accounts.csv")
	if err := os.WriteFile(f.export, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	old := pollEvery
	pollEvery = 10 * time.Millisecond
	t.Cleanup(func() { pollEvery = old })
	t.Setenv(passwordEnv, f.password)
	return f, srv, dataDir
}

func TestLive(t *testing.T) {
	f, srv, dataDir := newFakeHostd(t)
	orig, err := os.ReadFile(f.export)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-hostd", srv.URL + "/", "-data-dir", dataDir, "-safe-mode=true"}
	var out bytes.Buffer
	if err := run(context.Background(), &out, args); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	t.Log(s)

	// The export on disk is the drifted one, and the sync read it.
	b, err := os.ReadFile(f.export)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(recs[0], ",")
	for _, col := range []string{"Company_Website", "Employees", "Country", "Field_7", "AnnualRevenue"} {
		if !slicesContains(recs[0], col) {
			t.Errorf("drifted header %s lacks %s", header, col)
		}
	}
	for _, col := range []string{"Website", "NumberOfEmployees", "BillingCountry", "Phone"} {
		if slicesContains(recs[0], col) {
			t.Errorf("drifted header %s still has %s", header, col)
		}
	}
	origRecs, _ := csv.NewReader(bytes.NewReader(orig)).ReadAll()
	if len(recs) != len(origRecs) {
		t.Errorf("drifted export has %d records, the original %d", len(recs), len(origRecs))
	}
	rev := indexOf(recs[0], "AnnualRevenue")
	if rev < 0 || recs[1][rev] != "USD 1,250,000,000" {
		t.Errorf("first row's AnnualRevenue is not the retyped text: %v", recs[1])
	}
	if f.synced != header {
		t.Errorf("the sync read header %q, want the drifted %q", f.synced, header)
	}
	if kept, err := os.ReadFile(f.export + ".orig"); err != nil || !bytes.Equal(kept, orig) {
		t.Errorf("accounts.csv.orig is not the original (%v)", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(f.export), ".*")); len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}

	// Every request after the login carried the bearer token, in order.
	if len(f.noBearer) > 0 {
		t.Errorf("requests without the bearer token: %v", f.noBearer)
	}
	want := []string{"POST /api/v1/auth/login", "GET /api/v1/auth/me", "PUT /api/v1/connections/crm/safe-mode",
		"POST /api/v1/connections/crm/sync", "GET /api/v1/jobs/job-1", "GET /api/v1/jobs/job-1",
		"GET /api/v1/drift/events?connection=crm", "GET /api/v1/reviews?status=pending&connection=crm"}
	if strings.Join(f.requests, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(f.requests, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(f.safeMode, ",") != "on" {
		t.Errorf("safe-mode PUTs %v, want one with on true", f.safeMode)
	}

	for _, w := range []string{
		"tenant " + f.tenant,
		"Safe Mode of crm switched on",
		"sync job job-1 started",
		"drift events 1, repairs applied 3, queued 1",
		"object accounts waits: 1 repair(s) wait for review",
		"drift in accounts (schema version 1 -> 2, breaking), 2 change(s):",
		"repair applied: Website -> Company_Website -> account.domain, by repairer: confidence 0.995",
		"repair pending: Phone -> Field_7 (account.phone), confidence 0.61, review rev-42",
		"review rev-42: Phone (account.phone) -> Field_7, confidence 0.61: confidence below the auto-apply threshold\n",
		"review rev-7: Company_Website (account.domain) -> Website, confidence 0.99: safe mode is on for the connection [queued by an earlier sync]",
		"2 review(s) wait for a person: approve or reject them in the console's review queue at " + srv.URL + "/",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if strings.Contains(s, "LegacyColumn") {
		t.Errorf("output shows a drift from before this sync")
	}
	if strings.Contains(s, f.password) || strings.Contains(s, fakeToken) {
		t.Errorf("output shows the password or the token")
	}

	// A second run keeps the first original and drifts from it.
	if err := run(context.Background(), &bytes.Buffer{}, args); err != nil {
		t.Fatal(err)
	}
	if kept, _ := os.ReadFile(f.export + ".orig"); !bytes.Equal(kept, orig) {
		t.Errorf("a second run replaced accounts.csv.orig")
	}
	if again, _ := os.ReadFile(f.export); !bytes.Equal(again, b) {
		t.Errorf("a second run wrote another export")
	}

	// -restore puts the original back.
	n := len(f.requests)
	out.Reset()
	if err := run(context.Background(), &out, []string{"-hostd", srv.URL, "-data-dir", dataDir, "-restore"}); err != nil {
		t.Fatal(err)
	}
	if back, err := os.ReadFile(f.export); err != nil || !bytes.Equal(back, orig) {
		t.Errorf("-restore did not put the original back (%v)", err)
	}
	if _, err := os.Stat(f.export + ".orig"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("accounts.csv.orig still there after -restore: %v", err)
	}
	if !strings.Contains(out.String(), "restored the original") {
		t.Errorf("-restore says %q", out.String())
	}
	for _, r := range f.requests[n:] {
		if strings.Contains(r, "/sync") || strings.Contains(r, "safe-mode") {
			t.Errorf("-restore made request %s", r)
		}
	}
	// Nothing left to restore is said, not an error.
	out.Reset()
	if err := run(context.Background(), &out, []string{"-hostd", srv.URL, "-data-dir", dataDir, "-restore"}); err != nil || !strings.Contains(out.String(), "nothing to restore") {
		t.Errorf("second -restore: %v, %q", err, out.String())
	}
}

func TestLiveErrors(t *testing.T) {
	f, srv, dataDir := newFakeHostd(t)
	orig, _ := os.ReadFile(f.export)
	run1 := func(args ...string) error {
		return run(context.Background(), &bytes.Buffer{}, append([]string{"-hostd", srv.URL, "-data-dir", dataDir}, args...))
	}

	// A wrong password: hostd's status and problem detail, not the password.
	t.Setenv(passwordEnv, "wrong-pw")
	err := run1()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(err.Error(), "POST /api/v1/auth/login: HTTP 401 Unauthorized: wrong email or password") {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("the error shows the password: %v", err)
	}

	// No password at all.
	t.Setenv(passwordEnv, "")
	if err := run1(); err == nil || !strings.Contains(err.Error(), passwordEnv+" is not set") {
		t.Errorf("without %s: %v", passwordEnv, err)
	}
	t.Setenv(passwordEnv, f.password)

	// A data directory without the export says where it looked.
	err = run(context.Background(), &bytes.Buffer{}, []string{"-hostd", srv.URL, "-data-dir", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no demo export at") || !strings.Contains(err.Error(), filepath.Join("sources", f.tenant, "crm", "accounts.csv")) {
		t.Errorf("missing export: %v", err)
	}

	// Bad flags.
	for _, args := range [][]string{
		{"-hostd", "127.0.0.1:5000"},
		{"-safe-mode=maybe", "-hostd", srv.URL},
		{"-restore"},
		{"-safe-mode=false"},
	} {
		if err := run(context.Background(), &bytes.Buffer{}, args); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
	if err := run(context.Background(), &bytes.Buffer{}, []string{"-restore"}); err == nil || !strings.Contains(err.Error(), "-restore needs -hostd") {
		t.Errorf("-restore without -hostd: %v", err)
	}

	// None of that touched the export.
	if now, _ := os.ReadFile(f.export); !bytes.Equal(now, orig) {
		t.Errorf("a failed run changed the export")
	}
}

func slicesContains(s []string, v string) bool { return indexOf(s, v) >= 0 }

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
