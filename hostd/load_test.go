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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad is the bounded load test, run only when
// HOSTD_LOADTEST=1 (it takes about 40 s of both cores): hostd on loopback,
// authenticated GET /api/v1/graph and a small review-queue query at a fixed
// rate (HOSTD_LOADTEST_RPS, default 2000/s) for HOSTD_LOADTEST_SECONDS
// (default 30), latency measured from each request's scheduled start (so a
// stall counts against every request it delays); then the closed-loop
// throughput of the authenticated route against a bare net/http handler
// on the same machine in the same run.
func TestLoad(t *testing.T) {
	if os.Getenv("HOSTD_LOADTEST") != "1" {
		t.Skip("set HOSTD_LOADTEST=1 to run the load test")
	}
	rps := envInt(t, "HOSTD_LOADTEST_RPS", 2000)
	secs := envInt(t, "HOSTD_LOADTEST_SECONDS", 30)

	cfg := testConfig(t, nil, func(c *Config) { c.RateLimit = 1e9; c.RateBurst = 1 << 30 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	// The app is made inside run: read the one-time password from its
	// start message and log in through HTTP.
	var msg syncBuffer
	go func() { done <- run(ctx, cfg, quietLogger(), &msg, ready) }()
	addr := <-ready
	base := "http://" + addr
	pw := passwordFrom(t, msg.String())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 10 * time.Second}
	token := httpLogin(t, client, base, pw)

	paths := []string{"/api/v1/graph", "/api/v1/reviews?limit=10"}
	lat, errs := fixedRate(client, base, token, paths, rps, time.Duration(secs)*time.Second)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	t.Logf("fixed rate %d/s for %ds: %d requests, %d errors, p50 %v p90 %v p99 %v p99.9 %v max %v",
		rps, secs, len(lat), errs, pct(0.5), pct(0.9), pct(0.99), pct(0.999), lat[len(lat)-1])
	if errs > 0 {
		t.Errorf("%d errors", errs)
	}
	if p99 := pct(0.99); p99 >= 10*time.Millisecond {
		t.Errorf("p99 %v, target under 10ms", p99)
	}

	// Closed loop: the authenticated route against a bare handler.
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	window := 5 * time.Second
	bareRPS := closedLoop(client, "http://"+ln.Addr().String(), "", "/", 32, window)
	authRPS := closedLoop(client, base, token, "/api/v1/graph", 32, window)
	t.Logf("closed loop, 32 clients, %v each: bare net/http %.0f req/s, authenticated GET /api/v1/graph %.0f req/s, ratio %.2f",
		window, bareRPS, authRPS, authRPS/bareRPS)

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func envInt(t *testing.T, k string, def int) int {
	if v := os.Getenv(k); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", k, v)
		}
		return n
	}
	return def
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func passwordFrom(t *testing.T, msg string) string {
	t.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if pw, ok := strings.CutPrefix(line, "  password: "); ok {
			return pw
		}
	}
	t.Fatalf("no password in the start message")
	return ""
}

func httpLogin(t *testing.T, c *http.Client, base, pw string) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, DemoEmail, pw)
	res, err := c.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || s.Token == "" {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return s.Token
}

func get(c *http.Client, url, token string) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// fixedRate sends rps requests per second for d, alternating paths, from a
// pool of workers; latency is measured from each request's scheduled time.
func fixedRate(c *http.Client, base, token string, paths []string, rps int, d time.Duration) ([]time.Duration, int) {
	n := int(d.Seconds() * float64(rps))
	interval := time.Second / time.Duration(rps)
	type job struct {
		at   time.Time
		path string
	}
	jobs := make(chan job, 4096)
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	var idx atomic.Int64
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				err := get(c, base+j.path, token)
				i := idx.Add(1) - 1
				lat[i] = time.Since(j.at)
				if err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		jobs <- job{at: at, path: paths[i%len(paths)]}
	}
	close(jobs)
	wg.Wait()
	return lat[:idx.Load()], int(errs.Load())
}

// closedLoop runs workers back to back for d and returns requests/s.
func closedLoop(c *http.Client, base, token, path string, workers int, d time.Duration) float64 {
	var count atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if get(c, base+path, token) == nil {
					count.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / d.Seconds()
}
