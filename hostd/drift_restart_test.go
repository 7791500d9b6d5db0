package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestDriftSeenAcrossRestart: the embedded default keeps the schemas it
// has seen (drift.json), so a column renamed while hostd was down is
// drift on the first sync after the restart, not a "first schema".
func TestDriftSeenAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir; c.OnboardDemo = true }
	a1, err := newApp(context.Background(), testConfig(t, nil, mod), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	pw := a1.demoPassword
	waitOnboarded(t, a1, login(t, a1, DemoEmail, pw))
	a1.close()

	path := filepath.Join(dir, "sources", a1.demoTenant.String(), "crm", "accounts.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := bytes.Cut(b, []byte("\n"))
	renamed := bytes.Replace(header, []byte("Website"), []byte("Site_URL"), 1)
	if bytes.Equal(renamed, header) {
		t.Fatalf("the demo's accounts.csv has no Website column: %s", header)
	}
	if err := os.WriteFile(path, append(append(renamed, '\n'), rest...), 0o600); err != nil {
		t.Fatal(err)
	}

	a2 := newTestApp(t, mod)
	token := login(t, a2, DemoEmail, pw)
	waitDCLIdle(t, a2)
	stats := syncStats(t, a2, token, "crm")
	if n, _ := stats["drift_events"].(float64); n < 1 {
		t.Fatalf("sync after the restart: %v; want the rename seen as drift", stats)
	}
	r := do(t, a2, "GET", "/api/v1/drift/events?connection=crm", token, nil)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte("Site_URL")) {
		t.Fatalf("drift events: %d %s", r.code, r.body)
	}
}
