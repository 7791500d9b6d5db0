package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

func TestHandlerTimeoutIs503(t *testing.T) {
	a := newTestApp(t, nil)
	slow := a.handle(func(w http.ResponseWriter, r *http.Request) error {
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(5 * time.Second):
			return writeJSON(w, http.StatusOK, "too late")
		}
	})
	h := withLimits(slow, 1024, 50*time.Millisecond)
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/slow", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("slow handler: %d %s, want 503", rec.Code, rec.Body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	resp{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}.problem(t)
}

func TestShutdownWaitsForJobsThenCancels(t *testing.T) {
	jr := newJobRunner(quietLogger(), nil)
	tenant := tenancy.New()
	quick := jr.submit(tenant, "test", "quick", func(ctx context.Context) (any, error) {
		time.Sleep(100 * time.Millisecond)
		return "done", nil
	})
	stuck := jr.submit(tenant, "test", "stuck", func(ctx context.Context) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	jr.shutdown(ctx)
	if j, _ := jr.get(tenant, quick.ID); j.Status != JobSucceeded || j.Result != "done" {
		t.Fatalf("quick job after shutdown: %+v", j)
	}
	if j, _ := jr.get(tenant, stuck.ID); j.Status != JobFailed || j.Error == "" {
		t.Fatalf("stuck job after shutdown: %+v", j)
	}
	if _, ok := jr.get(tenancy.New(), quick.ID); ok {
		t.Fatal("another tenant reads the job")
	}
}

func TestJobRunnerKeepsABoundedHistory(t *testing.T) {
	jr := newJobRunner(quietLogger(), nil)
	jr.maxJobs = 5
	tenant := tenancy.New()
	var first Job
	for i := range 12 {
		j := jr.submit(tenant, "test", "", func(context.Context) (any, error) { return nil, nil })
		if i == 0 {
			first = j
		}
		jr.wg.Wait()
	}
	jr.mu.Lock()
	n := len(jr.jobs)
	jr.mu.Unlock()
	if n > 5 {
		t.Fatalf("%d jobs kept, want at most 5", n)
	}
	if _, ok := jr.get(tenant, first.ID); ok {
		t.Fatal("the oldest finished job was kept")
	}
}

func TestAccountRoutesAreLimitedPerClient(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.AuthRateLimit = 0.2; c.AuthRateBurst = 2 })
	post := func(remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"nobody@example.com","password":"wrong password here"}`))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		return rec
	}
	for i := range 2 {
		if rec := post("198.51.100.7:4000"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, rec.Code)
		}
	}
	rec := post("198.51.100.7:4001")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third attempt from one address: %d Retry-After=%q, want 429", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := post("203.0.113.9:4000"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("another address: %d, want 401", rec.Code)
	}
}

func TestRequestLogLine(t *testing.T) {
	var buf syncBuffer
	a, err := newApp(context.Background(), testConfig(t, nil, nil), slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	token := login(t, a, DemoEmail, a.demoPassword)
	req := httptest.NewRequest("GET", "/api/v1/graph", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "req-123")
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Header().Get("X-Request-Id") != "req-123" {
		t.Fatalf("request id not echoed: %q", rec.Header().Get("X-Request-Id"))
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" && m["request_id"] == "req-123" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no request line with the request id in:\n%s", buf.String())
	}
	if line["route"] != "GET /api/v1/graph" || line["status"] != float64(200) || line["tenant"] != a.demoTenant.String() {
		t.Fatalf("request line %v", line)
	}
	if strings.Contains(buf.String(), token) || strings.Contains(buf.String(), a.demoPassword) {
		t.Fatal("the log holds the token or the password")
	}
	// A request id with odd characters is replaced, not logged.
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-Id", "bad id\nwith newline")
	rec = httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Fatalf("odd request id kept: %q", got)
	}
}
