package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkAuthenticatedGraph is GET /api/v1/graph through the whole
// handler (request id, auth, rate limit, metrics, log line) in process.
func BenchmarkAuthenticatedGraph(b *testing.B) {
	a, err := newApp(b.Context(), benchConfig(b), quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	sess, err := a.auth.Login(b.Context(), DemoEmail, a.demoPassword)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/graph", nil)
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func benchConfig(b *testing.B) Config {
	cfg, err := parseConfig(nil, func(string) string { return "" }, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir = b.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.RateLimit, cfg.RateBurst = 1e9, 1<<30
	return cfg
}

// BenchmarkBareHandler is a plain net/http handler writing a small JSON
// body, the baseline the issue compares the authenticated route with.
func BenchmarkBareHandler(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	req := httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}
