package main

import (
	"context"
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
	jr := newJobRunner(quietLogger())
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
	jr := newJobRunner(quietLogger())
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
