package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// hostdProc is hostd running as a subprocess in server mode.
type hostdProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  *os.File
}

// buildHostd builds this package's binary into a temporary directory,
// with -race when the test runs with it (the packages are compiled
// already then).
func buildHostd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hostd")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startHostd runs bin with env (and nothing else of the test's
// environment but PATH and HOME) and waits until it answers /healthz.
func startHostd(t *testing.T, bin string, env map[string]string, logPath string) *hostdProc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "HOSTD_ADDR=" + addr}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &hostdProc{t: t, cmd: cmd, base: "http://" + addr, log: lf}
	t.Cleanup(func() { p.kill(); lf.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("hostd did not come up: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends the process hard (SIGKILL) and reaps it.
func (p *hostdProc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// call sends a request and decodes a JSON answer into out (when not nil);
// it returns the status.
func (p *hostdProc) call(method, path, token string, body, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		p.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// session registers a tenant and returns its token and id.
func (p *hostdProc) session(name, email string) (string, string) {
	p.t.Helper()
	var s authn.SessionJSON
	if code := p.call("POST", "/api/v1/auth/register", "", map[string]string{"tenant_name": name, "email": email, "password": "correct horse battery staple"}, &s); code != http.StatusCreated {
		p.t.Fatalf("register %s: %d", email, code)
	}
	return s.Token, s.Tenant.ID
}

// job waits until job id is finished and returns it.
func (p *hostdProc) job(token, id string, within time.Duration) Job {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var j Job
		if code := p.call("GET", "/api/v1/jobs/"+id, token, nil, &j); code != http.StatusOK {
			p.t.Fatalf("job %s: %d", id, code)
		}
		if j.Status == JobSucceeded || j.Status == JobFailed {
			return j
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("job %s not finished after %s: %+v", id, within, j)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// views returns the tenant's tables and views with their row counts.
func (p *hostdProc) views(token string) map[string]int64 {
	p.t.Helper()
	var out struct {
		Views []viewInfo `json:"views"`
	}
	if code := p.call("GET", "/api/v1/dcl/views", token, nil, &out); code != http.StatusOK {
		p.t.Fatalf("views: %d", code)
	}
	m := map[string]int64{}
	for _, v := range out.Views {
		m[v.Kind+" "+v.Name] = v.Rows
	}
	return m
}

// writeAccounts writes n accounts, each distinct, as a CSV source.
func writeAccounts(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("account_id,account_name,website,industry,annual_revenue\n")
	for i := range n {
		fmt.Fprintf(&b, "A-%06d,Company %06d Ltd,https://c%06d.example,Industry %d,%d\n", i, i, i, i%7, 1000+i)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// onboard creates connection crm over the tenant's accounts, syncs once
// (the mapping is proposed) and approves the mapping, which queues the
// resync that reads the rows.
func (p *hostdProc) onboard(token string) {
	p.t.Helper()
	if code := p.call("POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm"}}, &map[string]any{}); code != http.StatusCreated {
		p.t.Fatalf("create connection: %d", code)
	}
	var j Job
	if code := p.call("POST", "/api/v1/connections/crm/sync", token, nil, &j); code != http.StatusAccepted {
		p.t.Fatalf("sync: %d", code)
	}
	if j = p.job(token, j.ID, time.Minute); j.Status != JobSucceeded {
		p.t.Fatalf("first sync: %+v", j)
	}
	if code := p.call("POST", "/api/v1/mappings/crm/accounts/approve", token, nil, &map[string]any{}); code != http.StatusOK {
		p.t.Fatalf("approve: %d", code)
	}
}

// TestCrashDuringSync kills hostd (server mode, a subprocess) with SIGKILL
// in the middle of a sync of a large CSV source and starts it again: the
// job is rescued and run again, and the tenant's tables and unified views
// end up exactly as another tenant's that synced the same source without a
// crash (nothing lost, nothing twice).
func TestCrashDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hostd; skipped with -short")
	}
	const rows = 30000
	roles := testenv.PostgresRoles(t)
	rdb := testenv.Redis(t)
	start := time.Now()
	bin := buildHostd(t)
	t.Logf("built hostd in %s", time.Since(start).Round(time.Second))
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "hostd.log")
	env := map[string]string{
		"DATABASE_URL":                 roles.AppURL,
		"HOSTD_MIGRATION_DATABASE_URL": roles.OwnerURL,
		"REDIS_URL":                    fmt.Sprintf("redis://%s/%d", rdb.Options().Addr, rdb.Options().DB),
		"JWT_SECRET":                   testJWTSecret,
		"HOSTD_DATA_DIR":               dir,
		"HOSTD_WAREHOUSE":              "postgres",
		"HOSTD_ONBOARD_DEMO":           "false",
		"HOSTD_LOG_LEVEL":              "warn",
		"HOSTD_AUTH_RATE_BURST":        "100",
		// A job running this long is taken as stuck: the killed
		// process's sync is run again soon after the restart.
		// An attempt cut short by the timeout goes on from the saved
		// cursors on the next.
		"HOSTD_JOB_TIMEOUT":       "15s",
		"HOSTD_JOB_RESCUE_AFTER":  "15s",
		"HOSTD_JOB_RETRY_BACKOFF": "500ms",
		"HOSTD_JOB_MAX_ATTEMPTS":  "50",
	}
	p := startHostd(t, bin, env, logPath)
	token, tenant := p.session("Crash", "crash@acme.example")
	writeAccounts(t, filepath.Join(dir, "sources", tenant, "crm"), rows)
	p.onboard(token)

	// Kill it while the sync after the approval is part way through.
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n := tableRows(t, roles.Owner, tenant)
		if n > 0 && n < rows {
			t.Logf("killing hostd with %d of %d rows stored", n, rows)
			break
		}
		if n >= rows {
			t.Fatalf("the sync finished (%d rows) before the test could kill it; make the source larger", n)
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the sync never started storing rows\n%s", b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	var interrupted []int64
	jobRows, err := roles.Owner.Query(ctx, "select id from river_job where state = 'running'")
	if err == nil {
		interrupted, err = pgx.CollectRows(jobRows, pgx.RowTo[int64])
	}
	if err != nil || len(interrupted) == 0 {
		t.Fatalf("jobs left running by the killed process: %v (%v), want the interrupted one", interrupted, err)
	}

	start = time.Now()
	p = startHostd(t, bin, env, logPath)
	// The rescued job runs again and finishes.
	waitRiverIdle(t, roles.Owner)
	got := p.views(token)
	t.Logf("restarted and the interrupted job rescued and done in %s", time.Since(start).Round(time.Second))
	for _, id := range interrupted {
		j := p.job(token, fmt.Sprint(id), time.Second)
		if j.Status != JobSucceeded || j.Attempts < 2 {
			t.Errorf("interrupted job after the restart: %+v, want succeeded on a later attempt", j)
		}
	}

	// The same source, synced without a crash, by another tenant.
	start = time.Now()
	token2, tenant2 := p.session("Calm", "calm@acme.example")
	writeAccounts(t, filepath.Join(dir, "sources", tenant2, "crm"), rows)
	p.onboard(token2)
	waitRiverIdle(t, roles.Owner)
	want := p.views(token2)
	t.Logf("reference tenant synced in %s", time.Since(start).Round(time.Second))

	t.Logf("after the crash: %v", got)
	if got["table account"] != rows {
		t.Errorf("account table after the crash holds %d rows, want %d", got["table account"], rows)
	}
	if len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tables and views after the crash:\n%v\nwithout a crash:\n%v", got, want)
	}
}

// tableRows counts the rows of the tenant's account table in the
// warehouse, as the owner inside the tenant's scope (row-level security is
// FORCEd, so it binds the owner too).
func tableRows(t *testing.T, pool *pgxpool.Pool, tenant string) int64 {
	t.Helper()
	var n int64
	err := pgtenant.RunTx(context.Background(), pool, tenancy.MustParse(tenant), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "select count(*) from dcl.account where tenant_id = $1", tenant).Scan(&n)
	})
	if err != nil {
		t.Fatalf("count the warehouse's accounts: %v", err)
	}
	return n
}
