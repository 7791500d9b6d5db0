package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

func testConfig(t *testing.T, env map[string]string, mod func(*Config)) Config {
	t.Helper()
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig: %v", err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	// Tests make their own connections; the demo onboarding has its own
	// tests (dcl_test.go), which switch it on.
	cfg.OnboardDemo = false
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestApp(t *testing.T, mod func(*Config)) *app {
	t.Helper()
	a, err := newApp(context.Background(), testConfig(t, nil, mod), quietLogger())
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	t.Cleanup(a.close)
	return a
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.code, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Status != r.code || p.Title != http.StatusText(r.code) || p.Type == "" {
		t.Fatalf("problem %+v does not match status %d", p, r.code)
	}
	return p
}

func do(t *testing.T, a *app, method, path, token string, body any) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	checkDocumented(t, a, method, path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	return resp{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func login(t *testing.T, a *app, email, password string) string {
	t.Helper()
	r := do(t, a, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if r.code != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.code, r.body)
	}
	var s authn.SessionJSON
	if err := json.Unmarshal(r.body, &s); err != nil || s.Token == "" {
		t.Fatalf("login body %s: %v", r.body, err)
	}
	return s.Token
}

func register(t *testing.T, a *app, tenant, email string) (token string, id tenancy.ID) {
	t.Helper()
	r := do(t, a, "POST", "/api/v1/auth/register", "", map[string]string{"tenant_name": tenant, "email": email, "password": "correct horse battery staple"})
	if r.code != http.StatusCreated {
		t.Fatalf("register: %d %s", r.code, r.body)
	}
	var s authn.SessionJSON
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatal(err)
	}
	return s.Token, tenancy.MustParse(s.Tenant.ID)
}

func TestUnauthenticatedIs401(t *testing.T) {
	a := newTestApp(t, nil)
	for _, path := range []string{"/api/v1/graph", "/api/v1/ontology", "/api/v1/reviews", "/api/v1/auth/me"} {
		r := do(t, a, "GET", path, "", nil)
		if r.code != http.StatusUnauthorized {
			t.Errorf("GET %s without token: %d, want 401", path, r.code)
			continue
		}
		r.problem(t)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET %s: WWW-Authenticate = %q", path, r.header.Get("WWW-Authenticate"))
		}
	}
	r := do(t, a, "GET", "/api/v1/graph", "not-a-token", nil)
	if r.code != http.StatusUnauthorized {
		t.Errorf("GET graph with garbage token: %d, want 401", r.code)
	}
}

func TestLoginThenGraph(t *testing.T) {
	a := newTestApp(t, nil)
	if a.demoPassword == "" {
		t.Fatal("first start made no demo password")
	}
	token := login(t, a, DemoEmail, a.demoPassword)

	r := do(t, a, "GET", "/api/v1/graph", token, nil)
	if r.code != http.StatusOK {
		t.Fatalf("GET graph: %d %s", r.code, r.body)
	}
	var g graphstore.Graph
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != graphstore.DemoNodes || g.Version < 1 {
		t.Fatalf("demo graph: %d nodes, version %d; want %d nodes", len(g.Nodes), g.Version, graphstore.DemoNodes)
	}

	// Conditional GET: the same version is 304, a saved one is not.
	etag := r.header.Get("ETag")
	req := httptest.NewRequest("GET", "/api/v1/graph", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if etag == "" || rec.Code != http.StatusNotModified {
		t.Fatalf("conditional GET with ETag %q: %d, want 304", etag, rec.Code)
	}

	// Save at the loaded version: accepted, version moves on.
	g.Nodes[0].Label = "Renamed source"
	r = do(t, a, "PUT", "/api/v1/graph", token, g)
	if r.code != http.StatusOK {
		t.Fatalf("PUT graph: %d %s", r.code, r.body)
	}
	var saved graphstore.Graph
	if err := json.Unmarshal(r.body, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Version != g.Version+1 || saved.Nodes[0].Label != "Renamed source" {
		t.Fatalf("saved version %d label %q, want %d and the new label", saved.Version, saved.Nodes[0].Label, g.Version+1)
	}
	r2 := do(t, a, "GET", "/api/v1/graph", token, nil)
	if r2.header.Get("ETag") == etag || !bytes.Contains(r2.body, []byte("Renamed source")) {
		t.Fatalf("GET after save: ETag %q (was %q), body has the change: %v", r2.header.Get("ETag"), etag, bytes.Contains(r2.body, []byte("Renamed source")))
	}
	// Save again at the old version: conflict.
	r = do(t, a, "PUT", "/api/v1/graph", token, g)
	if r.code != http.StatusConflict {
		t.Fatalf("stale PUT graph: %d %s, want 409", r.code, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Detail, "version") {
		t.Errorf("conflict detail %q does not explain the version", p.Detail)
	}
	// An invalid graph: 422 naming the part.
	bad := saved
	bad.Edges = append(bad.Edges, graphstore.Edge{From: "nope", To: saved.Nodes[0].ID, Kind: graphstore.EdgeContains})
	r = do(t, a, "PUT", "/api/v1/graph", token, bad)
	if r.code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid PUT graph: %d %s, want 422", r.code, r.body)
	}

	r = do(t, a, "GET", "/api/v1/auth/me", token, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(DemoEmail)) {
		t.Fatalf("me: %d %s", r.code, r.body)
	}
	r = do(t, a, "GET", "/api/v1/ontology", token, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte("account")) {
		t.Fatalf("ontology: %d %.200s", r.code, r.body)
	}
}

// queueReview gives tenant a mapping and a queued review (Safe Mode is on
// for a new connection, so a sure repair is queued).
func queueReview(t *testing.T, a *app, tenant tenancy.ID) (repair.MappingKey, string) {
	t.Helper()
	ctx := tenancy.WithTenant(context.Background(), tenant)
	key := repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"}
	_, err := a.registry.Save(ctx, key, canonical.Mapping{System: "salesforce", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1, Provenance: canonical.ProvenanceHeuristic},
		{Source: "Amount", Target: "opportunity.amount", Confidence: 0.97, Provenance: canonical.ProvenanceHeuristic},
	}}, repair.Change{Actor: "onboarding"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}
	vals := []string{"125000", "48000.5"}
	before := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "Amount", Type: drift.TypeNumber, Samples: vals}}}
	after := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "Deal_Value__c", Type: drift.TypeNumber, Samples: vals}}}
	out, err := a.registry.HandleDrift(ctx, key, before, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Queued) != 1 {
		t.Fatalf("drift queued %d reviews, want 1", len(out.Queued))
	}
	return key, out.Queued[0].ID
}

func TestOtherTenantsResourcesAre404(t *testing.T) {
	a := newTestApp(t, nil)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, tenantB := register(t, a, "Beta", "bob@beta.example")
	if tenantB == a.demoTenant {
		t.Fatal("register reused the demo tenant")
	}
	key, reviewID := queueReview(t, a, a.demoTenant)
	mapping := "/api/v1/mappings/" + key.Connection + "/" + key.Object

	for _, c := range []struct{ method, path string }{
		{"GET", mapping},
		{"GET", mapping + "/history"},
		{"GET", "/api/v1/reviews/" + reviewID},
		{"POST", "/api/v1/reviews/" + reviewID + "/approve"},
		{"POST", "/api/v1/reviews/" + reviewID + "/reject"},
	} {
		r := do(t, a, c.method, c.path, tokenB, nil)
		if r.code != http.StatusNotFound {
			t.Errorf("tenant B %s %s: %d %s, want 404", c.method, c.path, r.code, r.body)
			continue
		}
		r.problem(t)
	}
	// B's lists never show A's items.
	r := do(t, a, "GET", "/api/v1/reviews", tokenB, nil)
	if r.code != http.StatusOK || bytes.Contains(r.body, []byte(reviewID)) {
		t.Fatalf("tenant B review list: %d %s", r.code, r.body)
	}
	// B has no graph of its own yet; A's is not shown.
	if r := do(t, a, "GET", "/api/v1/graph", tokenB, nil); r.code != http.StatusNotFound {
		t.Fatalf("tenant B graph: %d, want 404", r.code)
	}

	// A sees and decides its own item.
	r = do(t, a, "GET", "/api/v1/reviews?status=pending", tokenA, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(reviewID)) {
		t.Fatalf("tenant A review list: %d %s", r.code, r.body)
	}
	r = do(t, a, "POST", "/api/v1/reviews/"+reviewID+"/approve", tokenA, nil)
	if r.code != http.StatusOK {
		t.Fatalf("A approves: %d %s", r.code, r.body)
	}
	var item repair.ReviewItem
	if err := json.Unmarshal(r.body, &item); err != nil {
		t.Fatal(err)
	}
	if item.Status != repair.ReviewApproved || item.DecidedBy != DemoEmail || item.AppliedVersion != 2 {
		t.Fatalf("approved item: status %q by %q version %d", item.Status, item.DecidedBy, item.AppliedVersion)
	}
	r = do(t, a, "POST", "/api/v1/reviews/"+reviewID+"/reject", tokenA, nil)
	if r.code != http.StatusConflict {
		t.Fatalf("reject after approve: %d, want 409", r.code)
	}
	r = do(t, a, "GET", mapping+"/history", tokenA, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte("Deal_Value__c")) {
		t.Fatalf("A history: %d %s", r.code, r.body)
	}
}

func TestProblemDetails(t *testing.T) {
	a := newTestApp(t, nil)
	r := do(t, a, "GET", "/no/such/route", "", nil)
	if r.code != http.StatusNotFound {
		t.Fatalf("unknown route: %d", r.code)
	}
	p := r.problem(t)
	if p.Instance != "/no/such/route" || p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("problem %+v: want instance and the response's request id", p)
	}
	r = do(t, a, "DELETE", "/healthz", "", nil)
	if r.code != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Fatalf("wrong method: %d Allow=%q", r.code, r.header.Get("Allow"))
	}
	r.problem(t)

	token := login(t, a, DemoEmail, a.demoPassword)
	r = do(t, a, "POST", "/api/v1/nlp/route", token, []byte(`{"question": 3}`))
	if r.code != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d %s", r.code, r.body)
	}
	r.problem(t)

	// Internal errors: generic detail, the error text stays in the log.
	status, detail := classify(fmt.Errorf("dial tcp 10.0.0.7:5432: password=hunter2"))
	if status != http.StatusInternalServerError || strings.Contains(detail, "hunter2") || strings.Contains(detail, "10.0.0.7") {
		t.Fatalf("classify internal: %d %q", status, detail)
	}
}

func TestBodyLimitIs413(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.MaxBodyBytes = 256 })
	token := login(t, a, DemoEmail, a.demoPassword)
	big := []byte(`{"question": "` + strings.Repeat("pipeline ", 100) + `"}`)
	r := do(t, a, "POST", "/api/v1/nlp/route", token, big)
	if r.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d %s, want 413", r.code, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Detail, "256") {
		t.Errorf("413 detail %q does not name the limit", p.Detail)
	}
	r = do(t, a, "POST", "/api/v1/nlp/route", token, map[string]string{"question": "Which invoices are overdue?"})
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"persona":"cfo"`)) {
		t.Fatalf("small body: %d %s", r.code, r.body)
	}
}

func TestRateLimitIs429(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.RateLimit = 0.5; c.RateBurst = 3 })
	token := login(t, a, DemoEmail, a.demoPassword)
	for i := range 3 {
		if r := do(t, a, "GET", "/api/v1/ontology", token, nil); r.code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, r.code)
		}
	}
	r := do(t, a, "GET", "/api/v1/ontology", token, nil)
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("request over the burst: %d, want 429", r.code)
	}
	r.problem(t)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3 {
		t.Fatalf("Retry-After = %q, want 1..3 seconds at 0.5 req/s", r.header.Get("Retry-After"))
	}
	// Another tenant has its own bucket.
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	if r := do(t, a, "GET", "/api/v1/ontology", tokenB, nil); r.code != http.StatusOK {
		t.Fatalf("other tenant: %d, want 200", r.code)
	}
}

func TestMetricsCountRequests(t *testing.T) {
	a := newTestApp(t, nil)
	for range 3 {
		do(t, a, "GET", "/healthz", "", nil)
	}
	do(t, a, "GET", "/api/v1/graph", "", nil)
	do(t, a, "GET", "/api/v1//secret-looking-path", "", nil) // cleaned: a redirect
	r := do(t, a, "GET", "/metrics", "", nil)
	if bytes.Contains(r.body, []byte("secret-looking-path")) {
		t.Error("a client's path became a metric label")
	}
	if r.code != http.StatusOK {
		t.Fatalf("metrics: %d", r.code)
	}
	for _, want := range []string{
		`hostd_http_requests_total{code="200",method="GET",route="GET /healthz"} 3`,
		`hostd_http_requests_total{code="401",method="GET",route="GET /api/v1/graph"} 1`,
		`hostd_http_request_duration_seconds_count{route="GET /healthz"} 3`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, errHelp) {
		t.Fatalf("-h: err %v", err)
	}
	for _, name := range []string{"HOSTD_ADDR", "127.0.0.1:5000", "HOSTD_DATA_DIR", "DATABASE_URL", "SUPABASE_DATABASE_URL",
		"REDIS_URL", "DCL_AUTH_ENABLED", "JWT_SECRET", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL",
		"SLACK_WEBHOOK_URL", "USE_AAM_AS_SOURCE", "HOSTD_RATE_LIMIT", "HOSTD_MAX_BODY_BYTES", "HOSTD_HANDLER_TIMEOUT"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("hostd -h does not list %s", name)
		}
	}
}

func TestConfigFromEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"HOSTD_ADDR": "127.0.0.1:7000", "DATABASE_URL": "postgres://a", "SUPABASE_DATABASE_URL": "postgres://supa",
		"DCL_AUTH_ENABLED": "false", "USE_AAM_AS_SOURCE": "yes", "JWT_SECRET": "s3cret-that-is-long-enough-for-hs256!!",
		"XDG_DATA_HOME": "/xdg",
	}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:7001"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7001" || cfg.DatabaseURL != "postgres://supa" || cfg.AuthEnabled || !cfg.UseAAMAsSource || cfg.DataDir != "/xdg/autonomos" {
		t.Fatalf("config %+v", cfg)
	}
	_, err = parseConfig(nil, func(k string) string {
		return map[string]string{"JWT_SECRET": "short-secret-value", "HOSTD_RATE_LIMIT": "fast"}[k]
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") || !strings.Contains(err.Error(), "HOSTD_RATE_LIMIT") {
		t.Fatalf("bad settings: %v", err)
	}
	if strings.Contains(err.Error(), "short-secret-value") {
		t.Fatalf("error repeats the secret: %v", err)
	}
}

func TestRestartKeepsDemoUser(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir }
	a1, err := newApp(context.Background(), testConfig(t, nil, mod), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	pw := a1.demoPassword
	token := login(t, a1, DemoEmail, pw)
	register(t, a1, "Beta", "bob@beta.example")
	r := do(t, a1, "GET", "/api/v1/graph", token, nil)
	var g graphstore.Graph
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatal(err)
	}
	g.Nodes[0].Label = "kept across restarts"
	if r := do(t, a1, "PUT", "/api/v1/graph", token, g); r.code != http.StatusOK {
		t.Fatalf("save graph: %d %s", r.code, r.body)
	}
	if r := do(t, a1, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.code, r.body)
	}
	a1.close()

	a2 := newTestApp(t, mod)
	if a2.demoPassword != "" {
		t.Fatal("second start made a new demo password")
	}
	if a2.demoTenant != a1.demoTenant {
		t.Fatalf("demo tenant changed: %s -> %s", a1.demoTenant, a2.demoTenant)
	}
	// The JWT key is kept too: the old token still works.
	if r := do(t, a2, "GET", "/api/v1/auth/me", token, nil); r.code != http.StatusOK {
		t.Fatalf("old token after restart: %d %s", r.code, r.body)
	}
	token2 := login(t, a2, DemoEmail, pw)
	if r := do(t, a2, "GET", "/api/v1/connections/crm", token2, nil); r.code != http.StatusOK {
		t.Fatalf("connection after restart: %d %s", r.code, r.body)
	}
	login(t, a2, "bob@beta.example", "correct horse battery staple")
	if r := do(t, a2, "GET", "/api/v1/graph", token2, nil); r.code != http.StatusOK || !bytes.Contains(r.body, []byte("kept across restarts")) {
		t.Fatalf("graph after restart: %d, saved label kept: %v", r.code, bytes.Contains(r.body, []byte("kept across restarts")))
	}
	var out bytes.Buffer
	a2.printLogin(&out, "http://x")
	if strings.Contains(out.String(), pw) || !strings.Contains(out.String(), DemoEmail) {
		t.Fatalf("second start's message: %s", out.String())
	}
}

func TestDevBypass(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.AuthEnabled = false })
	r := do(t, a, "GET", "/api/v1/auth/me", "", nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(authn.DevEmail)) {
		t.Fatalf("me under bypass: %d %s", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/graph", "", nil); r.code != http.StatusOK {
		t.Fatalf("graph under bypass: %d", r.code)
	}
	_, err := newApp(context.Background(), testConfig(t, nil, func(c *Config) { c.AuthEnabled = false; c.Addr = "0.0.0.0:5000" }), quietLogger())
	if err == nil {
		t.Fatal("bypass on a non-loopback listener was allowed")
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := newTestApp(t, nil)
	r := do(t, a, "GET", "/openapi.json", "", nil)
	if r.code != http.StatusOK {
		t.Fatalf("openapi: %d", r.code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	// Every route of the table is documented.
	documented := 0
	for _, rt := range a.routes {
		if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s is not documented", rt.method, rt.path)
		}
	}
	// Every documented operation is served by the real handler: a request
	// for it does not fall through to "unmatched".
	for path, ops := range doc.Paths {
		for method := range ops {
			documented++
			concrete := pathParam.ReplaceAllString(path, "x")
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, req)
			if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
				if p := rec.Body.String(); strings.Contains(p, "no route for") {
					t.Errorf("documented %s %s has no route: %d", method, path, rec.Code)
				}
			}
		}
	}
	page := do(t, a, "GET", "/docs", "", nil)
	for _, rt := range a.routes {
		if !bytes.Contains(page.body, []byte("<code>"+rt.path+"</code>")) {
			t.Errorf("/docs does not show %s", rt.path)
		}
	}
	if documented != len(a.routes) {
		t.Errorf("%d documented operations, %d routes", documented, len(a.routes))
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	cfg := testConfig(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, cfg, quietLogger(), &out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !strings.Contains(out.String(), "Log in with") {
		t.Fatalf("start message lacks the login: %q", out.String())
	}
}

func TestAskUsesOnlyTheTenantsKnowledge(t *testing.T) {
	a := newTestApp(t, nil)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	doc := map[string]any{
		"id": "policy/payment-terms", "title": "Payment terms",
		"text": "Invoices are due within 30 days. Overdue invoices are escalated to the finance team after 45 days.",
		"tags": []string{"cfo"},
	}
	if r := do(t, a, "POST", "/api/v1/nlp/documents", tokenA, doc); r.code != http.StatusCreated {
		t.Fatalf("add document: %d %s", r.code, r.body)
	}
	if r := do(t, a, "POST", "/api/v1/nlp/documents", tokenA, map[string]any{"id": "", "text": "x"}); r.code != http.StatusBadRequest {
		t.Fatalf("document without id: %d %s, want 400", r.code, r.body)
	}
	ask := map[string]string{"question": "When are overdue invoices escalated?"}
	r := do(t, a, "POST", "/api/v1/nlp/ask", tokenA, ask)
	if r.code != http.StatusOK {
		t.Fatalf("ask A: %d %s", r.code, r.body)
	}
	var ans struct {
		Text    string `json:"text"`
		Mode    string `json:"mode"`
		Persona string `json:"persona"`
		Sources []struct {
			DocumentID string `json:"document_id"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Persona != "cfo" || len(ans.Sources) == 0 || ans.Sources[0].DocumentID != "policy/payment-terms" || !strings.Contains(ans.Text, "45 days") {
		t.Fatalf("answer for A: %+v", ans)
	}
	r = do(t, a, "POST", "/api/v1/nlp/ask", tokenB, ask)
	if r.code != http.StatusOK || bytes.Contains(r.body, []byte("payment-terms")) || bytes.Contains(r.body, []byte("45 days")) {
		t.Fatalf("tenant B's answer shows A's document: %d %s", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/nlp/documents", tokenB, nil); r.code != http.StatusOK || bytes.Contains(r.body, []byte("payment-terms")) {
		t.Fatalf("tenant B's document list: %d %s", r.code, r.body)
	}
	if r := do(t, a, "POST", "/api/v1/nlp/ask", tokenA, map[string]string{"question": "  "}); r.code != http.StatusBadRequest {
		t.Fatalf("empty question: %d %s, want 400", r.code, r.body)
	}
}

func waitJob(t *testing.T, a *app, token, id string) Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := do(t, a, "GET", "/api/v1/jobs/"+id, token, nil)
		if r.code != http.StatusOK {
			t.Fatalf("job %s: %d %s", id, r.code, r.body)
		}
		var j Job
		if err := json.Unmarshal(r.body, &j); err != nil {
			t.Fatal(err)
		}
		if j.Status == JobSucceeded || j.Status == JobFailed {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return Job{}
}

func syncStats(t *testing.T, a *app, token, conn string) map[string]any {
	t.Helper()
	r := do(t, a, "POST", "/api/v1/connections/"+conn+"/sync", token, nil)
	if r.code != http.StatusAccepted || r.header.Get("Location") == "" {
		t.Fatalf("sync: %d %s", r.code, r.body)
	}
	var j Job
	if err := json.Unmarshal(r.body, &j); err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, a, token, j.ID)
	if j.Status != JobSucceeded {
		t.Fatalf("sync job: %+v", j)
	}
	b, _ := json.Marshal(j.Result)
	var stats map[string]any
	if err := json.Unmarshal(b, &stats); err != nil {
		t.Fatal(err)
	}
	return stats
}

func TestConnectionSyncPipeline(t *testing.T) {
	a := newTestApp(t, nil)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")

	dir := filepath.Join(a.sourcesDir(a.demoTenant), "crm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "account_id,account_name,website,industry,annual_revenue\n" +
		"A-1,Acme GmbH,https://acme.example,Manufacturing,1200000\n" +
		"A-2,Globex BV,https://globex.example,Retail,830000\n" +
		"A-3,Broken row\n"
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	// Paths outside the tenant's sources directory are refused.
	for _, p := range []string{"../../..", "/etc"} {
		r := do(t, a, "POST", "/api/v1/connections", tokenA, map[string]any{"id": "evil", "kind": "file", "config": map[string]string{"path": p}})
		if r.code != http.StatusBadRequest {
			t.Fatalf("path %q: %d %s, want 400", p, r.code, r.body)
		}
	}
	r := do(t, a, "POST", "/api/v1/connections", tokenA, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}})
	if r.code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.code, r.body)
	}
	if r := do(t, a, "POST", "/api/v1/connections", tokenA, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}); r.code != http.StatusConflict {
		t.Fatalf("duplicate connection: %d, want 409", r.code)
	}

	// First sync under Safe Mode: the new object's mapping waits for a person.
	stats := syncStats(t, a, tokenA, "crm")
	if stats["mappings_proposed"].(float64) != 1 || stats["rows_read"].(float64) != 0 {
		t.Fatalf("first sync stats: %v", stats)
	}
	r = do(t, a, "GET", "/api/v1/connections/crm", tokenA, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"pending"`)) {
		t.Fatalf("connection after first sync: %d %s", r.code, r.body)
	}

	// Tenant B sees none of it.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/connections/crm"},
		{"POST", "/api/v1/connections/crm/sync"},
		{"POST", "/api/v1/mappings/crm/accounts/approve"},
		{"GET", "/api/v1/connections/crm/dead-records"},
	} {
		if r := do(t, a, c.method, c.path, tokenB, nil); r.code != http.StatusNotFound {
			t.Errorf("tenant B %s %s: %d %s, want 404", c.method, c.path, r.code, r.body)
		}
	}
	r = do(t, a, "POST", "/api/v1/connections/crm/sync", tokenA, nil)
	var jobA Job
	if err := json.Unmarshal(r.body, &jobA); err != nil || jobA.ID == "" {
		t.Fatalf("sync: %d %s", r.code, r.body)
	}
	waitJob(t, a, tokenA, jobA.ID)
	if r := do(t, a, "GET", "/api/v1/jobs/"+jobA.ID, tokenB, nil); r.code != http.StatusNotFound {
		t.Errorf("tenant B reads A's job: %d, want 404", r.code)
	}
	if r := do(t, a, "GET", "/api/v1/connections", tokenB, nil); bytes.Contains(r.body, []byte("crm")) {
		t.Fatalf("tenant B's list shows A's connection: %s", r.body)
	}

	// A approves; the approval syncs the connection again (a job, see
	// onMappingChanged), which reads the rows.
	r = do(t, a, "POST", "/api/v1/mappings/crm/accounts/approve", tokenA, nil)
	if r.code != http.StatusOK {
		t.Fatalf("approve mapping: %d %s", r.code, r.body)
	}
	waitFor(t, "the rows synced after the approval", func() bool {
		return bytes.Contains(do(t, a, "GET", "/metrics", "", nil).body, []byte(`hostd_mesh_event_items_total{kind="batch.published"} 2`))
	})
	if r := do(t, a, "PUT", "/api/v1/connections/crm/safe-mode", tokenB, map[string]bool{"on": false}); r.code != http.StatusNotFound {
		t.Errorf("tenant B switches A's Safe Mode: %d, want 404", r.code)
	}
	if r := do(t, a, "PUT", "/api/v1/connections/crm/safe-mode", tokenA, map[string]any{}); r.code != http.StatusBadRequest {
		t.Errorf("safe mode without on: %d, want 400", r.code)
	}
	if r := do(t, a, "PUT", "/api/v1/connections/crm/safe-mode", tokenA, map[string]bool{"on": true}); r.code != http.StatusOK {
		t.Errorf("safe mode on: %d %s", r.code, r.body)
	}
	r = do(t, a, "GET", "/api/v1/connections/crm/dead-records", tokenA, nil)
	var dead struct {
		Records []struct {
			Ref    string `json:"ref"`
			Kind   string `json:"kind"`
			Reason string `json:"reason"`
		} `json:"records"`
	}
	if err := json.Unmarshal(r.body, &dead); err != nil || r.code != http.StatusOK {
		t.Fatalf("dead records: %d %s", r.code, r.body)
	}
	if len(dead.Records) != 1 || !strings.Contains(dead.Records[0].Ref, "accounts.csv") {
		t.Fatalf("dead records %+v, want the broken row of accounts.csv", dead.Records)
	}
	r = do(t, a, "POST", "/api/v1/connections/heal", tokenA, nil)
	var heal Job
	if err := json.Unmarshal(r.body, &heal); err != nil || r.code != http.StatusAccepted {
		t.Fatalf("heal: %d %s", r.code, r.body)
	}
	if j := waitJob(t, a, tokenA, heal.ID); j.Status != JobSucceeded {
		t.Fatalf("heal job: %+v", j)
	}
	r = do(t, a, "GET", "/api/v1/mappings/crm/accounts", tokenA, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte("account.")) {
		t.Fatalf("mapping after approval: %d %s", r.code, r.body)
	}
	r = do(t, a, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`hostd_mesh_event_items_total{kind="batch.published"} 2`,
		`hostd_mesh_events_total{kind="mapping.proposed"} 1`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestProposeMapping(t *testing.T) {
	a := newTestApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)
	schema := map[string]any{"system": "csv", "fields": []map[string]any{
		{"name": "Id", "type": "string", "samples": []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}},
		{"name": "StageName", "type": "string", "samples": []string{"Prospecting", "Closed Won"}},
		{"name": "Amount", "type": "number", "samples": []string{"125000", "48000.5"}},
		{"name": "CloseDate", "type": "date", "samples": []string{"2026-03-31", "2026-06-30"}},
	}}
	r := do(t, a, "POST", "/api/v1/mappings/sf-prod/Opportunity/propose", token, schema)
	if r.code != http.StatusOK {
		t.Fatalf("propose: %d %s", r.code, r.body)
	}
	var res repair.MatchResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Entity != "opportunity" {
		t.Fatalf("entity %q, want opportunity", res.Entity)
	}
	if f, ok := res.Field("Amount"); !ok || f.Target != "opportunity.amount" {
		t.Fatalf("Amount -> %+v", f)
	}
	// Nothing was saved.
	if r := do(t, a, "GET", "/api/v1/mappings/sf-prod/Opportunity", token, nil); r.code != http.StatusNotFound {
		t.Fatalf("propose saved a mapping: %d", r.code)
	}
	dup := map[string]any{"fields": []map[string]any{{"name": "a"}, {"name": "a"}}}
	if r := do(t, a, "POST", "/api/v1/mappings/x/y/propose", token, dup); r.code != http.StatusBadRequest {
		t.Fatalf("duplicate field names: %d %s, want 400", r.code, r.body)
	}
}

func TestApproveEditedAndReject(t *testing.T) {
	a := newTestApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)
	key, id := queueReview(t, a, a.demoTenant)
	// Reject with a note.
	r := do(t, a, "POST", "/api/v1/reviews/"+id+"/reject", token, map[string]string{"note": "not this one"})
	if r.code != http.StatusOK {
		t.Fatalf("reject: %d %s", r.code, r.body)
	}
	var item repair.ReviewItem
	if err := json.Unmarshal(r.body, &item); err != nil {
		t.Fatal(err)
	}
	if item.Status != repair.ReviewRejected || item.Note != "not this one" || item.DecidedBy != DemoEmail {
		t.Fatalf("rejected item %+v", item)
	}
	// A second drift queues another item; approve it edited to unmap.
	ctx := tenancy.WithTenant(context.Background(), a.demoTenant)
	cur, err := a.registry.Current(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}
	vals := []string{"125000", "48000.5"}
	before := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "Amount", Type: drift.TypeNumber, Samples: vals}}}
	after := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "Amount_EUR", Type: drift.TypeNumber, Samples: vals}}}
	out, err := a.registry.HandleDrift(ctx, key, before, after)
	if err != nil || len(out.Queued) != 1 {
		t.Fatalf("second drift: %v, %d queued", err, len(out.Queued))
	}
	r = do(t, a, "POST", "/api/v1/reviews/"+out.Queued[0].ID+"/approve", token, map[string]any{"unmap": true, "note": "gone"})
	if r.code != http.StatusOK {
		t.Fatalf("approve edited: %d %s", r.code, r.body)
	}
	item = repair.ReviewItem{} // a fresh value: omitted fields must not keep old values
	if err := json.Unmarshal(r.body, &item); err != nil {
		t.Fatal(err)
	}
	if item.Status != repair.ReviewApproved || item.FinalTo != "" || item.Note != "gone" || item.AppliedVersion != cur.Version+1 {
		t.Fatalf("edited approval %+v (current was version %d)", item, cur.Version)
	}
	if r := do(t, a, "POST", "/api/v1/reviews/"+out.Queued[0].ID+"/approve", token, map[string]any{"bogus": 1}); r.code != http.StatusBadRequest {
		t.Fatalf("unknown body field: %d, want 400", r.code)
	}
}

func TestMatcherLearnsFromReviewsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir }
	a := newTestApp(t, mod)
	pw := a.demoPassword
	token := login(t, a, DemoEmail, pw)
	ctx := tenancy.WithTenant(context.Background(), a.demoTenant)
	key := repair.MappingKey{Connection: "erp", Object: "Opportunity"}
	ids := []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2", "0065g00000MnOpQAA3"}
	vals := []string{"125000", "48000.5", "99000"}
	if _, err := a.registry.Save(ctx, key, canonical.Mapping{System: "erp", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1, Provenance: canonical.ProvenanceHeuristic},
		{Source: "Amount", Target: "opportunity.amount", Confidence: 0.97, Provenance: canonical.ProvenanceHeuristic},
	}}, repair.Change{Actor: "onboarding"}); err != nil {
		t.Fatal(err)
	}
	before := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "Amount", Type: drift.TypeNumber, Samples: vals}}}
	after := drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: "ZQX_F17", Type: drift.TypeNumber, Samples: vals}}}
	out, err := a.registry.HandleDrift(ctx, key, before, after)
	if err != nil || len(out.Queued) != 1 {
		t.Fatalf("drift: %v, %d queued", err, len(out.Queued))
	}

	propose := func(a *app, token string) repair.FieldMatch {
		t.Helper()
		schema := map[string]any{"system": "erp", "fields": []map[string]any{
			{"name": "Id", "type": "string", "samples": []string{"0065g00000AbCdEAA9", "0065g00000FgHiJAA8"}},
			{"name": "StageName", "type": "string", "samples": []string{"Prospecting", "Closed Won"}},
			{"name": "ZQX_F17", "type": "number", "samples": []string{"125000", "77000"}},
		}}
		r := do(t, a, "POST", "/api/v1/mappings/erp2/Opportunity/propose", token, schema)
		if r.code != http.StatusOK {
			t.Fatalf("propose: %d %s", r.code, r.body)
		}
		var res repair.MatchResult
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		f, _ := res.Field("ZQX_F17")
		return f
	}
	if f := propose(a, token); f.Target == "opportunity.amount" {
		t.Skipf("the matcher maps the opaque name without learning (%+v); the test proves nothing here", f)
	}
	if r := do(t, a, "POST", "/api/v1/reviews/"+out.Queued[0].ID+"/approve", token, nil); r.code != http.StatusOK {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	if f := propose(a, token); f.Target != "opportunity.amount" {
		t.Fatalf("after the approval ZQX_F17 -> %+v, want opportunity.amount learned", f)
	}
	a.close()

	a2 := newTestApp(t, mod)
	if f := propose(a2, login(t, a2, DemoEmail, pw)); f.Target != "opportunity.amount" {
		t.Fatalf("after a restart ZQX_F17 -> %+v, want the decision loaded again", f)
	}
	// Another tenant learned nothing.
	tokenB, _ := register(t, a2, "Beta", "bob@beta.example")
	if f := propose(a2, tokenB); f.Target == "opportunity.amount" {
		t.Fatalf("tenant B's matcher learned from tenant A: %+v", f)
	}
}
