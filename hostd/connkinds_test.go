package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/aam/egress"
	"github.com/autonomos/autonomos/internal/testenv"
)

const fakeAirbyteToken = "ab-token-never-shown-7f3c91"

// fakeAirbyte answers the two list endpoints of Airbyte's public API
// (GET /api/public/v1/connections and /v1/jobs) with one connection and
// one job, behind a bearer token, in the documented shapes; it counts the
// requests that reached it.
func fakeAirbyte(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	conn := `{"connectionId":"000000c0-1111-4222-8333-0000000000c0","name":"Postgres to Snowflake","sourceId":"00000050-1111-4222-8333-000000000050","destinationId":"000000d0-1111-4222-8333-0000000000d0","workspaceId":"9f1d2c3b-4a5e-4f60-8a7b-1c2d3e4f5a6b","status":"active","schedule":{"scheduleType":"manual"},"createdAt":1700000000}`
	job := `{"jobId":100,"status":"succeeded","jobType":"sync","startTime":"2024-05-01T12:00:00Z","connectionId":"000000c0-1111-4222-8333-0000000000c0","lastUpdatedAt":"2024-05-01T12:10:00Z","duration":"PT10M","bytesSynced":1048576,"rowsSynced":5000}`
	mux := http.NewServeMux()
	list := func(item string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if r.Header.Get("Authorization") != "Bearer "+fakeAirbyteToken {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnauthorized)
				// Like a careless API, it echoes what it got.
				fmt.Fprintf(w, `{"title":"unauthorized","status":401,"detail":%q}`, "bad token "+r.Header.Get("Authorization"))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Query().Get("offset") != "" && r.URL.Query().Get("offset") != "0" {
				fmt.Fprint(w, `{"data":[]}`)
				return
			}
			fmt.Fprintf(w, `{"data":[%s]}`, item)
		}
	}
	mux.HandleFunc("GET /api/public/v1/connections", list(conn))
	mux.HandleFunc("GET /api/public/v1/jobs", list(job))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

// secretFree fails the test when a response carries one of the secrets.
type secretFree struct {
	t       *testing.T
	a       *app
	token   string
	secrets []string
}

func (s secretFree) do(method, path string, body any) resp {
	s.t.Helper()
	r := do(s.t, s.a, method, path, s.token, body)
	for _, sec := range s.secrets {
		if bytes.Contains(r.body, []byte(sec)) {
			s.t.Fatalf("%s %s: the response carries a secret: %s", method, path, r.body)
		}
	}
	return r
}

func detail(t *testing.T, r resp) string {
	t.Helper()
	return r.problem(t).Detail
}

// TestAirbyteConnectionThroughHostd: an airbyte connection against a
// fake API on 127.0.0.1 (allowed by the embedded default) is created,
// tested, discovered, changed with its token sent back masked, and
// synced; no response ever carries the token.
func TestAirbyteConnectionThroughHostd(t *testing.T) {
	srv, _ := fakeAirbyte(t)
	a := newTestApp(t, nil)
	token, _ := register(t, a, "Air", "air@example.com")
	c := secretFree{t, a, token, []string{fakeAirbyteToken, "wrong-token-also-secret"}}
	base := srv.URL + "/api/public"

	r := c.do("POST", "/api/v1/connections", map[string]any{"id": "x", "kind": "oracle"})
	if d := detail(t, r); r.code != 400 || !strings.Contains(d, `"oracle"`) || !strings.Contains(d, "airbyte, file, mongodb, postgres, salesforce") {
		t.Fatalf("unknown kind: %d %s", r.code, r.body)
	}
	for _, bad := range []struct {
		cfg   map[string]any
		field string
	}{
		{map[string]any{"base_url": "ftp://example.com", "token": fakeAirbyteToken}, "config.base_url"},
		{map[string]any{"base_url": base, "token": fakeAirbyteToken, "page_size": 500}, "config.page_size"},
		{map[string]any{"base_url": base, "token": fakeAirbyteToken, "jobs_lookback": "a while"}, "config.jobs_lookback"},
		// The mask is not a token: a config copied from a response is refused.
		{map[string]any{"base_url": base, "token": "[redacted]"}, "config.token"},
		{map[string]any{"base_url": base, "token": "***"}, "config.token"},
	} {
		r := c.do("POST", "/api/v1/connections", map[string]any{"id": "ab", "kind": "airbyte", "config": bad.cfg})
		if d := detail(t, r); r.code != 400 || !strings.HasPrefix(d, bad.field+":") {
			t.Errorf("config %v: %d %s, want 400 naming %s", bad.cfg, r.code, r.body, bad.field)
		}
	}

	r = c.do("POST", "/api/v1/connections", map[string]any{"id": "ab", "kind": "airbyte", "config": map[string]any{"base_url": base, "token": fakeAirbyteToken}})
	if r.code != http.StatusCreated || !bytes.Contains(r.body, []byte(`"token":"***"`)) {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	for _, p := range []string{"/api/v1/connections", "/api/v1/connections/ab"} {
		if r := c.do("GET", p, nil); r.code != 200 {
			t.Fatalf("GET %s: %d %s", p, r.code, r.body)
		}
	}
	testOK := func(want bool) connectionTest {
		t.Helper()
		r := c.do("POST", "/api/v1/connections/ab/test", nil)
		tr := decode[connectionTest](t, r)
		if r.code != 200 || tr.OK != want {
			t.Fatalf("test: %d %s, want ok=%v", r.code, r.body, want)
		}
		return tr
	}
	testOK(true)
	r = c.do("GET", "/api/v1/connections/ab/discover", nil)
	if r.code != 200 || !bytes.Contains(r.body, []byte(`"name":"connections"`)) || !bytes.Contains(r.body, []byte(`"name":"jobs"`)) {
		t.Fatalf("discover: %d %s", r.code, r.body)
	}

	// The token sent back masked, either way, keeps the stored one.
	for _, mask := range []string{"***", "[redacted]"} {
		r = c.do("PATCH", "/api/v1/connections/ab", map[string]any{"config": map[string]any{"base_url": base, "token": mask, "page_size": 50}})
		if r.code != 200 || !bytes.Contains(r.body, []byte(`"page_size":50`)) {
			t.Fatalf("patch with the token %s: %d %s", mask, r.code, r.body)
		}
		testOK(true)
	}
	// A masked token may not follow the connection to another host.
	other := strings.Replace(base, "127.0.0.1", "localhost", 1)
	r = c.do("PATCH", "/api/v1/connections/ab", map[string]any{"config": map[string]any{"base_url": other, "token": "***"}})
	if d := detail(t, r); r.code != 400 || !strings.Contains(d, "send the secrets again") {
		t.Fatalf("patch to another host with the token masked: %d %s", r.code, r.body)
	}
	// A wrong token: the test says why, without echoing it.
	if r = c.do("PATCH", "/api/v1/connections/ab", map[string]any{"config": map[string]any{"base_url": base, "token": "wrong-token-also-secret"}}); r.code != 200 {
		t.Fatalf("patch with a new token: %d %s", r.code, r.body)
	}
	if tr := testOK(false); !strings.Contains(tr.Error, "token") {
		t.Errorf("failed test does not say why: %q", tr.Error)
	}
	if r = c.do("PATCH", "/api/v1/connections/ab", map[string]any{"config": map[string]any{"base_url": base, "token": fakeAirbyteToken}}); r.code != 200 {
		t.Fatalf("patch back: %d %s", r.code, r.body)
	}
	testOK(true)

	// A sync reads the source (Safe Mode on: its objects' mappings wait
	// for a person).
	stats := syncStats(t, a, token, "ab")
	if stats["mappings_proposed"].(float64) < 1 {
		t.Fatalf("sync stats: %v", stats)
	}
	if r := c.do("GET", "/api/v1/connections/ab/health", nil); r.code != 200 || !bytes.Contains(r.body, []byte(`"status":"healthy"`)) {
		t.Fatalf("health after sync: %d %s", r.code, r.body)
	}
}

// TestServerEgressPolicyRefusesInternalAddresses: under the server
// mode's policy (nothing internal allowed) connections to loopback,
// metadata, link-local and Unix-socket addresses are refused at creation
// with a 400 that says which address and why; and a connection saved
// while loopback was allowed is refused at the dial once the policy
// changes (test, discover, sync).
func TestServerEgressPolicyRefusesInternalAddresses(t *testing.T) {
	srv, hits := fakeAirbyte(t)
	dir := t.TempDir()
	a1 := newTestApp(t, func(c *Config) { c.DataDir = dir })
	token, _ := register(t, a1, "Edge", "edge@example.com")
	r := do(t, a1, "POST", "/api/v1/connections", token, map[string]any{"id": "ab", "kind": "airbyte", "config": map[string]any{"base_url": srv.URL + "/api/public", "token": fakeAirbyteToken}})
	if r.code != http.StatusCreated {
		t.Fatalf("create under the embedded policy: %d %s", r.code, r.body)
	}
	a1.close()

	a := newTestApp(t, func(c *Config) { c.DataDir = dir; c.Egress = egress.Policy{Hint: egressHint} })
	c := secretFree{t, a, token, []string{fakeAirbyteToken, "pg-pw-never-shown", "sf-secret-never-shown"}}
	for _, tc := range []struct {
		kind  string
		cfg   map[string]any
		field string
		want  []string
	}{
		{"postgres", map[string]any{"url": "postgres://app:pg-pw-never-shown@127.0.0.1:5432/app"}, "config.url", []string{"127.0.0.1", "loopback"}},
		{"postgres", map[string]any{"url": "postgres://app:pg-pw-never-shown@169.254.169.254/app"}, "config.url", []string{"169.254.169.254", "metadata"}},
		{"postgres", map[string]any{"url": "postgres://app:pg-pw-never-shown@10.0.0.7,127.0.0.2/app"}, "config.url", []string{"10.0.0.7", "private"}},
		{"postgres", map[string]any{"url": "postgres://app@%2Fvar%2Frun%2Fpostgresql/app"}, "config.url", []string{"Unix socket"}},
		{"mongodb", map[string]any{"uri": "mongodb://u:pg-pw-never-shown@[fd00:ec2::254]:27017/app"}, "config.uri", []string{"fd00:ec2::254", "metadata"}},
		{"mongodb", map[string]any{"uri": "mongodb://db.example:27017,localhost:27018/app"}, "config.uri", []string{`"localhost"`, "loopback"}},
		{"salesforce", map[string]any{"login_url": "http://169.254.169.254", "flow": "client_credentials", "client_id": "x", "client_secret": "sf-secret-never-shown"}, "config.login_url", []string{"169.254.169.254", "metadata"}},
		{"airbyte", map[string]any{"base_url": srv.URL, "token": fakeAirbyteToken}, "config.base_url", []string{"127.0.0.1", "loopback"}},
		{"airbyte", map[string]any{"base_url": "http://[::ffff:169.254.169.254]/", "token": fakeAirbyteToken}, "config.base_url", []string{"169.254.169.254", "metadata"}},
	} {
		r := c.do("POST", "/api/v1/connections", map[string]any{"id": "new", "kind": tc.kind, "config": tc.cfg})
		if r.code != 400 {
			t.Errorf("%s %v: %d %s, want 400", tc.kind, tc.cfg, r.code, r.body)
			continue
		}
		d := detail(t, r)
		for _, w := range append(tc.want, tc.field+":", "HOSTD_EGRESS_ALLOW") {
			if !strings.Contains(d, w) {
				t.Errorf("%s refusal %q lacks %q", tc.kind, d, w)
			}
		}
	}

	// The connection saved before: every dial is checked again.
	before := hits.Load()
	r = c.do("POST", "/api/v1/connections/ab/test", nil)
	if tr := decode[connectionTest](t, r); r.code != 200 || tr.OK || !strings.Contains(tr.Error, "egress: refused to dial 127.0.0.1") {
		t.Fatalf("test: %d %s, want a refusal", r.code, r.body)
	}
	r = c.do("GET", "/api/v1/connections/ab/discover", nil)
	if d := detail(t, r); r.code != 400 || !strings.Contains(d, "refused to dial 127.0.0.1") {
		t.Fatalf("discover: %d %s, want 400 with the refusal", r.code, r.body)
	}
	r = c.do("POST", "/api/v1/connections/ab/sync", nil)
	if r.code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", r.code, r.body)
	}
	waitJob(t, a, token, decode[Job](t, r).ID)
	r = c.do("GET", "/api/v1/connections/ab", nil)
	if r.code != 200 || !bytes.Contains(r.body, []byte("refused to dial 127.0.0.1")) {
		t.Fatalf("connection after a refused sync: %d %s", r.code, r.body)
	}
	if n := hits.Load(); n != before {
		t.Fatalf("the fake API got %d requests under a policy refusing it", n-before)
	}
}

// TestConnectionConfigRefusesServerResources: settings that would use
// the server's own files or credentials are refused whatever the policy.
func TestConnectionConfigRefusesServerResources(t *testing.T) {
	a := newTestApp(t, nil)
	token, _ := register(t, a, "Files", "files@example.com")
	for _, tc := range []struct {
		kind, key, value, want string
	}{
		{"postgres", "url", "host=db.example user=app password=pw dbname=app", "key=value DSN"},
		{"postgres", "url", "postgres:///app", "must name the host"},
		{"postgres", "url", "postgres://app@db.example/app?sslrootcert=/etc/ssl/private/server.pem", `"sslrootcert"`},
		{"postgres", "url", "postgres://app@db.example/app?host=127.0.0.1", `"host"`},
		{"postgres", "url", "postgres://app@db.example/app?passfile=/root/.pgpass", `"passfile"`},
		{"mongodb", "uri", "mongodb://db.example/app?tlsCAFile=/etc/ssl/ca.pem", `"tlsCAFile"`},
		{"mongodb", "uri", "mongodb://db.example/app?authMechanism=MONGODB-AWS", "MONGODB-AWS"},
		{"mongodb", "uri", "mongodb://db.example/app?proxyHost=127.0.0.1&proxyPort=1080", `"proxy`},
	} {
		r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "x", "kind": tc.kind, "config": map[string]string{tc.key: tc.value}})
		if d := detail(t, r); r.code != 400 || !strings.HasPrefix(d, "config."+tc.key+":") || !strings.Contains(d, tc.want) {
			t.Errorf("%s %s: %d %s, want 400 about %s", tc.kind, tc.value, r.code, r.body, tc.want)
		}
	}
}

func TestEgressSetting(t *testing.T) {
	embedded := testConfig(t, nil, nil).Egress
	if !embedded.AllowLoopback || !embedded.AllowPrivate || len(embedded.Allow) > 0 {
		t.Errorf("embedded default: %+v, want loopback and private", embedded)
	}
	server, err := parseConfig(nil, func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://x@db/x", "REDIS_URL": "redis://r"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if p := server.Egress; p.AllowLoopback || p.AllowPrivate || len(p.Allow)+len(p.AllowHosts) > 0 {
		t.Errorf("server default: %+v, want nothing internal", p)
	}
	set := testConfig(t, map[string]string{"HOSTD_EGRESS_ALLOW": "10.2.0.0/16, db.internal"}, nil).Egress
	if set.AllowLoopback || len(set.Allow) != 1 || len(set.AllowHosts) != 1 {
		t.Errorf("explicit setting: %+v", set)
	}
	if _, err := parseConfig(nil, func(k string) string {
		return map[string]string{"HOSTD_EGRESS_ALLOW": "10.0.0.0/99"}[k]
	}, io.Discard); err == nil || !strings.Contains(err.Error(), "HOSTD_EGRESS_ALLOW") {
		t.Errorf("bad setting: %v", err)
	}
}

// TestPostgresConnectionSyncsRows: a postgres connection to the test
// database (127.0.0.1, allowed by the embedded default) is tested,
// discovered and synced, and after its mapping is approved its rows
// reach the warehouse's views. Its password never shows.
func TestPostgresConnectionSyncsRows(t *testing.T) {
	u := testenv.PostgresURL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE accounts (account_id text PRIMARY KEY, account_name text NOT NULL, website text);
		INSERT INTO accounts VALUES ('A-1', 'Acme GmbH', 'https://acme.example'), ('A-2', 'Globex BV', 'https://globex.example')`); err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := pu.User.Password()
	if !ok {
		// A password the server does not ask for (trust), to watch for.
		pw = "pg-pw-never-shown-5521"
		pu.User = url.UserPassword(pu.User.Username(), pw)
	}

	a := newTestApp(t, nil)
	token, _ := register(t, a, "PG", "pg@example.com")
	c := secretFree{t, a, token, []string{pw}}
	r := c.do("POST", "/api/v1/connections", map[string]any{"id": "pg", "kind": "postgres", "config": map[string]any{"url": pu.String()}})
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if r := c.do("POST", "/api/v1/connections/pg/test", nil); !decode[connectionTest](t, r).OK {
		t.Fatalf("test: %d %s", r.code, r.body)
	}
	r = c.do("GET", "/api/v1/connections/pg/discover", nil)
	if r.code != 200 || !bytes.Contains(r.body, []byte(`"name":"public.accounts"`)) {
		t.Fatalf("discover: %d %s", r.code, r.body)
	}
	// The URL sent back as shown keeps the password.
	var shown struct {
		Config struct {
			URL string `json:"url"`
		} `json:"config"`
	}
	if err := json.Unmarshal(c.do("GET", "/api/v1/connections/pg", nil).body, &shown); err != nil || !strings.Contains(shown.Config.URL, ":***@") {
		t.Fatalf("shown URL %q: %v", shown.Config.URL, err)
	}
	if r := c.do("PATCH", "/api/v1/connections/pg", map[string]any{"config": map[string]any{"url": shown.Config.URL, "batch_size": 1}}); r.code != 200 {
		t.Fatalf("patch with the URL as shown: %d %s", r.code, r.body)
	}
	if r := c.do("POST", "/api/v1/connections/pg/test", nil); !decode[connectionTest](t, r).OK {
		t.Fatalf("test after patch: %d %s", r.code, r.body)
	}

	stats := syncStats(t, a, token, "pg")
	if stats["mappings_proposed"].(float64) != 1 {
		t.Fatalf("first sync: %v", stats)
	}
	if r := c.do("POST", "/api/v1/mappings/pg/public.accounts/approve", nil); r.code != 200 {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	waitDCLIdle(t, a)
	r = c.do("POST", "/api/v1/dcl/run", nil)
	if r.code != http.StatusAccepted {
		t.Fatalf("dcl run: %d %s", r.code, r.body)
	}
	if j := waitJob(t, a, token, decode[Job](t, r).ID); j.Status != JobSucceeded {
		t.Fatalf("dcl run: %+v", j)
	}
	var rows int64
	for _, n := range viewRowsOf(t, a, token) {
		rows = max(rows, n)
	}
	if rows < 2 {
		t.Fatalf("views after the sync: %v, want the 2 accounts", viewRowsOf(t, a, token))
	}
}

// lockedBuffer is a log sink that goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestConnectionSecretsNeverLogged: hostd's log, at debug level, carries
// no secret of a connection through create, a failing and a passing
// test, a sync and a refused configuration.
func TestConnectionSecretsNeverLogged(t *testing.T) {
	srv, _ := fakeAirbyte(t)
	var logs lockedBuffer
	a, err := newApp(context.Background(), testConfig(t, nil, nil), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	token, _ := register(t, a, "Logs", "logs@example.com")
	const wrong = "wrong-token-in-logs-3319"
	base := srv.URL + "/api/public"
	steps := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/connections", map[string]any{"id": "ab", "kind": "airbyte", "config": map[string]any{"base_url": base, "token": wrong}}},
		{"POST", "/api/v1/connections/ab/test", nil},
		{"GET", "/api/v1/connections/ab/discover", nil},
		{"PATCH", "/api/v1/connections/ab", map[string]any{"config": map[string]any{"base_url": base, "token": fakeAirbyteToken}}},
		{"POST", "/api/v1/connections/ab/test", nil},
		{"POST", "/api/v1/connections", map[string]any{"id": "pg", "kind": "postgres", "config": map[string]any{"url": "postgres://u:pg-pw-in-logs-7781@db.example/app?sslmode=bogus"}}},
		{"POST", "/api/v1/connections", map[string]any{"id": "pg", "kind": "postgres", "config": map[string]any{"url": "postgres://u:pg-pw-in-logs-7781@169.254.169.254/app"}}},
	}
	for _, s := range steps {
		do(t, a, s.method, s.path, token, s.body)
	}
	syncStats(t, a, token, "ab")
	waitDCLIdle(t, a)
	out := logs.Bytes()
	if !bytes.Contains(out, []byte("mesh: connection added")) || !bytes.Contains(out, []byte("mesh: connection updated")) {
		t.Fatalf("the connection's changes were not logged:\n%s", out)
	}
	for _, sec := range []string{wrong, fakeAirbyteToken, "pg-pw-in-logs-7781"} {
		if bytes.Contains(out, []byte(sec)) {
			t.Errorf("the log carries %q:\n%s", sec, out)
		}
	}
}

// TestSalesforceInstanceURLIsGuarded: a salesforce connection against a
// fake org allowed by an explicit /32 works, keeps its client secret
// when it comes back masked, and is refused at the dial when the org's
// token answer points the API at the metadata service: the guard judges
// every address dialed, not only the configured one.
func TestSalesforceInstanceURLIsGuarded(t *testing.T) {
	const secret = "sf-client-secret-never-shown"
	var evil atomic.Bool
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("POST /services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("client_id") != "3MVGfake" || r.FormValue("client_secret") != secret {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"invalid client credentials"}`)
			return
		}
		instance := srv.URL
		if evil.Load() {
			instance = "http://169.254.169.254"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"00DFAKE!tok","instance_url":%q,"token_type":"Bearer","issued_at":"1700000000000"}`, instance)
	})
	mux.HandleFunc("GET /services/data/v62.0/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer 00DFAKE!tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"sobjects":"/services/data/v62.0/sobjects"}`)
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()

	a := newTestApp(t, func(c *Config) {
		c.Egress = egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Hint: egressHint}
	})
	token, _ := register(t, a, "SF", "sf@example.com")
	c := secretFree{t, a, token, []string{secret}}
	cfg := map[string]any{"login_url": srv.URL, "flow": "client_credentials", "client_id": "3MVGfake", "client_secret": secret, "objects": []string{"Account"}}
	if r := c.do("POST", "/api/v1/connections", map[string]any{"id": "sf", "kind": "salesforce", "config": cfg}); r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	test := func() connectionTest {
		t.Helper()
		r := c.do("POST", "/api/v1/connections/sf/test", nil)
		if r.code != 200 {
			t.Fatalf("test: %d %s", r.code, r.body)
		}
		return decode[connectionTest](t, r)
	}
	if tr := test(); !tr.OK {
		t.Fatalf("test: %+v", tr)
	}
	cfg["client_secret"] = "[redacted]"
	cfg["objects"] = []string{"Account", "Contact"}
	if r := c.do("PATCH", "/api/v1/connections/sf", map[string]any{"config": cfg}); r.code != 200 || !bytes.Contains(r.body, []byte("Contact")) {
		t.Fatalf("patch with the secret masked: %d %s", r.code, r.body)
	}
	if tr := test(); !tr.OK {
		t.Fatalf("test after patch: %+v", tr)
	}
	evil.Store(true)
	if tr := test(); tr.OK || !strings.Contains(tr.Error, "refused to dial 169.254.169.254") || !strings.Contains(tr.Error, "metadata") {
		t.Fatalf("test with the instance URL at the metadata service: %+v", tr)
	}
}
