package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/graphstore"
	graphredis "github.com/autonomos/autonomos/graphstore/redisstore"
	"github.com/autonomos/autonomos/internal/testenv"
)

// tcpProxy forwards connections to a backend until it is cut: then it
// closes every open connection and every new one at once, as a Redis that
// went away would look to its clients. Restore forwards again.
type tcpProxy struct {
	ln      net.Listener
	backend string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, backend string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	defer p.wg.Done()
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		b.Close()
		p.drop(c)
		return
	}
	p.conns[b] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
	p.drop(c)
	p.drop(b)
	<-done
}

func (p *tcpProxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *tcpProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// cut makes the backend unreachable through the proxy.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.closeAll()
}

// restore forwards new connections again.
func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestRedisOutage cuts hostd off its Redis for a while (through a proxy of
// the test's own; the shared Redis keeps running): the server keeps
// answering, the graph comes from the fallback store, a sync's events are
// not lost but wait (the job is retried, the cursor stays), and everything
// catches up once Redis is back: the graph saved meanwhile is written
// back, the events are on the stream exactly once.
func TestRedisOutage(t *testing.T) {
	roles := testenv.PostgresRoles(t)
	rdb := testenv.Redis(t)
	proxy := startProxy(t, rdb.Options().Addr)
	env := map[string]string{
		"DATABASE_URL":                 roles.AppURL,
		"HOSTD_MIGRATION_DATABASE_URL": roles.OwnerURL,
		"REDIS_URL":                    fmt.Sprintf("redis://%s/%d", proxy.addr(), rdb.Options().DB),
		"JWT_SECRET":                   testJWTSecret,
		"HOSTD_JOB_RETRY_BACKOFF":      "300ms",
		"HOSTD_JOB_MAX_ATTEMPTS":       "100",
		"USE_AAM_AS_SOURCE":            "true",
	}
	a, err := newServerApp(t, env, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token, tenant := register(t, a, "Acme", "ann@acme.example")

	// The graph is the test's: no DCL run rebuilds it after a sync.
	if r := do(t, a, "PUT", "/api/v1/flags/DCL_AUTO_RUN", token, map[string]bool{"on": false}); r.code != http.StatusOK {
		t.Fatalf("turn DCL_AUTO_RUN off: %d %s", r.code, r.body)
	}
	// Before the outage: a graph, a connection with an approved mapping.
	g := graphstore.Graph{Nodes: []graphstore.Node{{ID: "source:crm", Kind: graphstore.KindSource, Label: "before the outage"}}}
	r := do(t, a, "PUT", "/api/v1/graph", token, g)
	if r.code != http.StatusOK {
		t.Fatalf("save graph: %d %s", r.code, r.body)
	}
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(a.sourcesDir(tenant), "crm")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	header := "account_id,account_name,website,industry,annual_revenue\n"
	csvPath := filepath.Join(src, "accounts.csv")
	if err := os.WriteFile(csvPath, []byte(header+"A-1,Acme GmbH,https://acme.example,Manufacturing,1200000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.code, r.body)
	}
	syncOn(t, a, a, token, "crm") // proposes the mapping
	if r := do(t, a, "POST", "/api/v1/mappings/crm/accounts/approve", token, nil); r.code != http.StatusOK {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	syncOn(t, a, a, token, "crm")
	streamKey := "aam:stream:{" + tenant.String() + "}"
	graphKey := graphredis.DefaultKeyPrefix + tenant.String()
	waitStreamLen(t, rdb, streamKey, 1)
	// Every job (the DCL's own after the approval too) is done before the
	// outage, so that what happens during it is only the test's doing.
	waitRiverIdle(t, roles.Owner)
	// Two new rows arrive in the source; then Redis goes away.
	more := "A-2,Globex BV,https://globex.example,Retail,830000\n" +
		"A-3,Initech,https://initech.example,Software,560000\n"
	if err := os.WriteFile(csvPath, []byte(header+"A-1,Acme GmbH,https://acme.example,Manufacturing,1200000\n"+more), 0o600); err != nil {
		t.Fatal(err)
	}

	proxy.cut()

	// The server keeps answering.
	if r := do(t, a, "GET", "/healthz", "", nil); r.code != http.StatusOK {
		t.Fatalf("healthz during the outage: %d", r.code)
	}
	if r := do(t, a, "GET", "/readyz", "", nil); r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "Redis") {
		t.Fatalf("readyz during the outage: %d %s, want 503 naming Redis", r.code, r.body)
	}
	r = do(t, a, "GET", "/api/v1/graph", token, nil)
	var during graphstore.Graph
	if err := json.Unmarshal(r.body, &during); err != nil || r.code != http.StatusOK || during.Version < g.Version {
		t.Fatalf("graph during the outage: %d %s", r.code, r.body)
	}
	during.Nodes[0].Label = "saved during the outage"
	if r := do(t, a, "PUT", "/api/v1/graph", token, during); r.code != http.StatusOK {
		t.Fatalf("save graph during the outage: %d %s", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/connections/crm", token, nil); r.code != http.StatusOK {
		t.Fatalf("connection during the outage: %d %s", r.code, r.body)
	}
	r = do(t, a, "POST", "/api/v1/connections/crm/sync", token, nil)
	var job Job
	if err := json.Unmarshal(r.body, &job); err != nil || r.code != http.StatusAccepted {
		t.Fatalf("sync during the outage: %d %s", r.code, r.body)
	}
	// The sync cannot publish: it fails, and River keeps it for a retry.
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := getJob(t, a, token, job.ID)
		if j.Status == JobSucceeded || j.Status == JobFailed {
			t.Fatalf("sync finished while Redis was down: %+v", j)
		}
		if j.Attempts >= 1 && j.Error != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync job during the outage never failed an attempt: %+v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, err := rdb.XLen(ctx, streamKey).Result(); err != nil || n != 1 {
		t.Fatalf("stream during the outage: %d events (%v), want the 1 from before", n, err)
	}

	proxy.restore()

	// The job is retried and succeeds; its events are there, once each.
	deadline = time.Now().Add(90 * time.Second)
	var done Job
	for {
		done = getJob(t, a, token, job.ID)
		if done.Status == JobSucceeded {
			break
		}
		if done.Status == JobFailed || time.Now().After(deadline) {
			t.Fatalf("sync after Redis returned: %+v", done)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if done.Attempts < 2 {
		t.Fatalf("sync job succeeded after %d attempts, want a retry", done.Attempts)
	}
	// The two new rows are on the stream once each, and a sync after
	// that finds nothing new.
	waitStreamLen(t, rdb, streamKey, 3)
	syncOn(t, a, a, token, "crm")
	if n, err := rdb.XLen(ctx, streamKey).Result(); err != nil || n != 3 {
		t.Fatalf("stream after the outage: %d events (%v), want 3", n, err)
	}
	// The graph saved during the outage reaches Redis.
	deadline = time.Now().Add(60 * time.Second)
	for {
		if r := do(t, a, "GET", "/api/v1/graph", token, nil); r.code != http.StatusOK || !strings.Contains(string(r.body), "saved during the outage") {
			t.Fatalf("graph after the outage: %d %s", r.code, r.body)
		}
		v, err := rdb.Get(ctx, graphKey).Result()
		if err == nil && strings.Contains(v, "saved during the outage") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("graph in Redis after the outage: %q (%v), want the one saved during it", v, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := do(t, a, "GET", "/readyz", "", nil); r.code != http.StatusOK {
		t.Fatalf("readyz after the outage: %d %s", r.code, r.body)
	}
}

// getJob reads a job through the API.
func getJob(t *testing.T, a *app, token, id string) Job {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/jobs/"+id, token, nil)
	var j Job
	if err := json.Unmarshal(r.body, &j); err != nil || r.code != http.StatusOK {
		t.Fatalf("job %s: %d %s", id, r.code, r.body)
	}
	return j
}

// waitRiverIdle waits until River holds no job that is not finished.
func waitRiverIdle(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var n int
		err := pool.QueryRow(context.Background(), "select count(*) from river_job where finalized_at is null").Scan(&n)
		if err != nil {
			t.Fatalf("count unfinished jobs: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still unfinished", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
