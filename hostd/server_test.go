package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river/rivertype"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/internal/testenv"
)

// testJWTSecret is the shared token key of the replicas in these tests.
const testJWTSecret = "replicas-share-this-test-secret-of-40-bytes"

// serverEnv gives a fresh database (owner role for migrations, an
// application role that row-level security binds) and a Redis database of
// the test's own, as hostd's environment.
func serverEnv(t *testing.T) map[string]string {
	t.Helper()
	roles := testenv.PostgresRoles(t)
	rdb := testenv.Redis(t)
	return map[string]string{
		"DATABASE_URL":                 roles.AppURL,
		"HOSTD_MIGRATION_DATABASE_URL": roles.OwnerURL,
		"REDIS_URL":                    redisURL(rdb),
		"JWT_SECRET":                   testJWTSecret,
	}
}

// redisURL is the URL of the database rdb is on.
func redisURL(rdb *redis.Client) string {
	o := rdb.Options()
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

// newServerApp starts a replica in server mode with env, keeping its data
// directory (file sources) in dir, which replicas share.
func newServerApp(t *testing.T, env map[string]string, dir string, mod func(*Config)) (*app, error) {
	t.Helper()
	cfg := testConfig(t, env, func(c *Config) {
		c.DataDir = dir
		// The demo's sample sources are the DCL's business, not this test's.
		c.OnboardDemo = false
		if mod != nil {
			mod(c)
		}
	})
	a, err := newApp(context.Background(), cfg, quietLogger())
	if err != nil {
		return nil, err
	}
	t.Cleanup(a.close)
	return a, nil
}

func TestServerModeNeedsRedis(t *testing.T) {
	cfg := testConfig(t, map[string]string{"DATABASE_URL": "postgres://user:pw-not-to-print@db.example/x", "JWT_SECRET": testJWTSecret}, nil)
	_, err := newApp(context.Background(), cfg, quietLogger())
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Fatalf("server mode without REDIS_URL: err %v, want one naming REDIS_URL", err)
	}
	if strings.Contains(err.Error(), "pw-not-to-print") {
		t.Fatalf("error repeats the database password: %v", err)
	}
}

func TestServerModeErrorsHidePasswords(t *testing.T) {
	// Nothing listens on port 1: the pool cannot connect.
	cfg := testConfig(t, map[string]string{
		"DATABASE_URL": "postgres://hostd:pw-not-to-print@127.0.0.1:1/x?connect_timeout=2",
		"REDIS_URL":    "redis://:redis-pw-not-to-print@127.0.0.1:1/0",
		"JWT_SECRET":   testJWTSecret,
	}, nil)
	_, err := newApp(context.Background(), cfg, quietLogger())
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("unreachable database: err %v, want one naming DATABASE_URL", err)
	}
	if strings.Contains(err.Error(), "pw-not-to-print") {
		t.Fatalf("error repeats a password: %v", err)
	}

	env := serverEnv(t)
	env["REDIS_URL"] = "rediss://:redis-pw-not-to-print@127.0.0.1:1/0?skip_verify=true"
	_, err = newServerApp(t, env, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("rediss with skip_verify: err %v, want a refusal about certificate verification", err)
	}
	env["REDIS_URL"] = "redis://:redis-pw-not-to-print@127.0.0.1:1/0"
	_, err = newServerApp(t, env, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "redis-pw-not-to-print") {
		t.Fatalf("unreachable Redis: err %v, want one naming REDIS_URL without its password", err)
	}
	delete(env, "JWT_SECRET")
	env["REDIS_URL"] = "redis://127.0.0.1:1/0"
	_, err = newServerApp(t, env, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("server mode without JWT_SECRET: err %v", err)
	}
}

// startReplicas starts n replicas on env at the same time, sharing dir.
func startReplicas(t *testing.T, env map[string]string, dir string, n int, mod func(*Config)) []*app {
	t.Helper()
	apps := make([]*app, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { apps[i], errs[i] = newServerApp(t, env, dir, mod) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	return apps
}

func TestServerModeReplicasShareState(t *testing.T) {
	env := serverEnv(t)
	// Replicas share the warehouse only in PostgreSQL; the events go
	// through the Redis stream.
	env["HOSTD_WAREHOUSE"] = "postgres"
	env["USE_AAM_AS_SOURCE"] = "true"
	dir := t.TempDir()
	// Both start at once on an empty database: migrations and the demo
	// user race, and exactly one replica creates the demo user.
	reps := startReplicas(t, env, dir, 2, nil)
	a, b := reps[0], reps[1]
	if (a.demoPassword == "") == (b.demoPassword == "") {
		t.Fatalf("demo password made by %q and %q: want exactly one replica to make it", a.demoPassword, b.demoPassword)
	}
	if a.demoTenant != b.demoTenant {
		t.Fatalf("replicas disagree on the demo tenant: %s and %s", a.demoTenant, b.demoTenant)
	}
	for _, x := range reps {
		r := do(t, x, "GET", "/readyz", "", nil)
		if r.code != http.StatusOK || !strings.Contains(string(r.body), `"server"`) {
			t.Fatalf("readyz: %d %s", r.code, r.body)
		}
	}

	// Accounts: registered on A, logged in on B; B's token works on A.
	_, tenantA := register(t, a, "Acme", "ann@acme.example")
	tokenB := login(t, b, "ann@acme.example", "correct horse battery staple")
	if r := do(t, a, "GET", "/api/v1/auth/me", tokenB, nil); r.code != http.StatusOK || !strings.Contains(string(r.body), tenantA.String()) {
		t.Fatalf("B's token on A: %d %s", r.code, r.body)
	}
	tokenOther, _ := register(t, b, "Other", "olga@other.example")

	// Graphs (Redis): saved on A, read on B.
	g := graphstore.Graph{Nodes: []graphstore.Node{{ID: "source:crm", Kind: graphstore.KindSource, Label: "saved on replica A"}}}
	if r := do(t, a, "PUT", "/api/v1/graph", tokenB, g); r.code != http.StatusOK {
		t.Fatalf("save graph on A: %d %s", r.code, r.body)
	}
	if r := do(t, b, "GET", "/api/v1/graph", tokenB, nil); !strings.Contains(string(r.body), "saved on replica A") {
		t.Fatalf("graph on B does not show A's save: %d %s", r.code, r.body)
	}

	// Connections (PostgreSQL) and jobs (River): created and synced on
	// A, the job seen finished on B, its events on the tenant's Redis
	// stream.
	src := filepath.Join(a.sourcesDir(tenantA), "crm")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "account_id,account_name,website,industry,annual_revenue\n" +
		"A-1,Acme GmbH,https://acme.example,Manufacturing,1200000\n" +
		"A-2,Globex BV,https://globex.example,Retail,830000\n"
	if err := os.WriteFile(filepath.Join(src, "accounts.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "POST", "/api/v1/connections", tokenB, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create connection on A: %d %s", r.code, r.body)
	}
	if r := do(t, b, "GET", "/api/v1/connections/crm", tokenB, nil); r.code != http.StatusOK {
		t.Fatalf("connection on B: %d %s", r.code, r.body)
	}
	first := syncOn(t, a, b, tokenB, "crm")
	if first.Attempts < 1 || first.StartedAt.IsZero() || first.FinishedAt.IsZero() {
		t.Fatalf("first sync job: %+v", first)
	}
	// Approving on B makes the rows flow (the DCL may resync on its own
	// after an approval; either way each row is published once).
	if r := do(t, b, "POST", "/api/v1/mappings/crm/accounts/approve", tokenB, nil); r.code != http.StatusOK {
		t.Fatalf("approve on B: %d %s", r.code, r.body)
	}
	syncOn(t, a, b, tokenB, "crm")
	streamKey := "aam:stream:{" + tenantA.String() + "}"
	waitStreamLen(t, a.rdb, streamKey, 2)
	second := syncOn(t, b, a, tokenB, "crm")
	var stats map[string]any
	if err := json.Unmarshal(mustJSON(t, second.Result), &stats); err != nil {
		t.Fatal(err)
	}
	if stats["rows_read"] != 0.0 || stats["objects_synced"] != 1.0 {
		t.Fatalf("sync with nothing new: %v, want nothing read again", stats)
	}
	if n, err := a.rdb.XLen(context.Background(), streamKey).Result(); err != nil || n != 2 {
		t.Fatalf("events on the tenant's Redis stream: %d (%v), want 2", n, err)
	}

	// Another tenant: the job, the connection and the mapping are 404.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/jobs/" + second.ID},
		{"GET", "/api/v1/connections/crm"},
		{"GET", "/api/v1/mappings/crm/accounts"},
	} {
		for _, x := range reps {
			if r := do(t, x, c.method, c.path, tokenOther, nil); r.code != http.StatusNotFound {
				t.Errorf("other tenant %s %s: %d %s, want 404", c.method, c.path, r.code, r.body)
			}
		}
	}
	if r := do(t, a, "GET", "/api/v1/jobs/not-a-number", tokenB, nil); r.code != http.StatusNotFound {
		t.Errorf("job id that is no number: %d, want 404", r.code)
	}
}

// syncOn submits a sync of conn on replica a and waits for it on replica
// b; it must succeed.
func syncOn(t *testing.T, a, b *app, token, conn string) Job {
	t.Helper()
	r := do(t, a, "POST", "/api/v1/connections/"+conn+"/sync", token, nil)
	var j Job
	if err := json.Unmarshal(r.body, &j); err != nil || r.code != http.StatusAccepted || j.ID == "" {
		t.Fatalf("sync on A: %d %s", r.code, r.body)
	}
	if j.Status != JobQueued {
		t.Fatalf("submitted job: %+v, want queued", j)
	}
	j = waitJob(t, b, token, j.ID)
	if j.Status != JobSucceeded {
		t.Fatalf("sync job seen on B: %+v", j)
	}
	return j
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJobSettings(t *testing.T) {
	get := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	cfg, err := parseConfig(nil, get(map[string]string{"HOSTD_JOB_TIMEOUT": "10s", "HOSTD_JOB_RESCUE_AFTER": "15s", "HOSTD_JOB_RETRY_BACKOFF": "250ms"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JobTimeout != 10*time.Second || cfg.JobRescueAfter != 15*time.Second || cfg.JobRetryBackoff != 250*time.Millisecond || cfg.JobWorkers != 4 || cfg.JobMaxAttempts != 5 {
		t.Fatalf("job settings: %+v", cfg)
	}
	_, err = parseConfig(nil, get(map[string]string{"HOSTD_JOB_TIMEOUT": "2m", "HOSTD_JOB_RESCUE_AFTER": "1m"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HOSTD_JOB_RESCUE_AFTER") {
		t.Fatalf("rescue shorter than timeout: err %v", err)
	}
	_, err = parseConfig(nil, get(map[string]string{"HOSTD_MIGRATION_DATABASE_URL": "postgres://owner:pw-not-to-print@db/x"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HOSTD_MIGRATION_DATABASE_URL") || strings.Contains(err.Error(), "pw-not-to-print") {
		t.Fatalf("migration URL without server mode: err %v", err)
	}
	// backoffRetry doubles from its base.
	p := backoffRetry{base: time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 40: time.Hour} {
		got := time.Until(p.NextRetry(&rivertype.JobRow{Attempt: attempt}))
		if got > want || got < want-time.Second {
			t.Errorf("attempt %d: next retry in %s, want about %s", attempt, got, want)
		}
	}
}

// waitStreamLen waits until the stream holds want entries, and fails when
// it holds more or the wait is long.
func waitStreamLen(t *testing.T, rdb redis.UniversalClient, key string, want int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := rdb.XLen(context.Background(), key).Result()
		if err != nil {
			t.Fatalf("XLEN %s: %v", key, err)
		}
		if n == want {
			return
		}
		if n > want || time.Now().After(deadline) {
			t.Fatalf("stream %s holds %d events, want %d", key, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSyncOfOneConnectionOnOneReplicaAtATime holds the sync lock of a
// connection as another replica would: a sync job waits (its attempts fail
// and are retried) until the lock is free, then succeeds.
func TestSyncOfOneConnectionOnOneReplicaAtATime(t *testing.T) {
	env := serverEnv(t)
	env["HOSTD_JOB_RETRY_BACKOFF"] = "100ms"
	env["HOSTD_JOB_MAX_ATTEMPTS"] = "100"
	a, err := newServerApp(t, env, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	token, tenant := register(t, a, "Acme", "ann@acme.example")
	src := filepath.Join(a.sourcesDir(tenant), "crm")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "accounts.csv"), []byte("account_id,account_name\nA-1,Acme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.code, r.body)
	}
	ctx := context.Background()
	other, err := a.pg.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	key := "hostd.sync:" + tenant.String() + ":crm"
	if _, err := other.Exec(ctx, "select pg_advisory_lock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	r := do(t, a, "POST", "/api/v1/connections/crm/sync", token, nil)
	var j Job
	if err := json.Unmarshal(r.body, &j); err != nil || r.code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", r.code, r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := getJob(t, a, token, j.ID)
		if got.Status == JobSucceeded || got.Status == JobFailed {
			t.Fatalf("sync finished while another replica held the connection: %+v", got)
		}
		if got.Attempts >= 2 && strings.Contains(got.Error, "another replica") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync job: %+v, want retried attempts refused for the lock", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := other.Exec(ctx, "select pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	if got := waitJob(t, a, token, j.ID); got.Status != JobSucceeded {
		t.Fatalf("sync after the lock was freed: %+v", got)
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	for _, c := range []struct{ url, msg string }{
		{"postgres://u:s3cr%2Ft@db:5432/x", "failed for postgres://u:s3cr%2Ft@db:5432/x: password s3cr/t wrong"},
		{"host=db user=u password=s3cr3t dbname=x", "cannot parse host=db user=u password=s3cr3t dbname=x"},
		{"rediss://:s3cr3t@cache:6380/0", "dial rediss://:s3cr3t@cache:6380/0: s3cr3t"},
	} {
		got := redact(c.msg, c.url)
		if strings.Contains(got, "s3cr") {
			t.Errorf("redact(%q) = %q still shows the password", c.msg, got)
		}
	}
}
