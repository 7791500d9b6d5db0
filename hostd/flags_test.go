package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/flags"
)

func listFlagsOf(t *testing.T, a *app, token string) map[string]flags.State {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/flags", token, nil)
	if r.code != http.StatusOK {
		t.Fatalf("GET flags: %d %s", r.code, r.body)
	}
	var l flagsList
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatal(err)
	}
	m := map[string]flags.State{}
	for _, s := range l.Flags {
		m[s.Name] = s
	}
	return m
}

func TestFlagsThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	mod := func(c *Config) { c.DataDir = dir; c.OnboardDemo = false; c.UseAAMAsSource = true }
	a := newTestApp(t, mod)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, tenantB := register(t, a, "Beta", "bob@beta.example")
	ctx := context.Background()

	// Defaults: USE_AAM_AS_SOURCE from the setting, DCL_AUTO_RUN on.
	st := listFlagsOf(t, a, tokenA)
	if len(st) != len(flags.Standard()) || !st[flags.UseAAMAsSource].On || !st[flags.UseAAMAsSource].Default || !st[flags.DCLAutoRun].On || st[flags.DCLAutoRun].Set {
		t.Fatalf("default flags: %+v", st)
	}
	if !a.flagEnabled(ctx, a.demoTenant, flags.UseAAMAsSource) || !a.flagEnabled(ctx, a.demoTenant, flags.DCLAutoRun) {
		t.Fatal("flagEnabled does not give the defaults")
	}

	// Set through the API: flagEnabled changes, for this tenant only.
	r := do(t, a, "PUT", "/api/v1/flags/"+flags.UseAAMAsSource, tokenA, map[string]bool{"on": false})
	var s flags.State
	if r.code != http.StatusOK || json.Unmarshal(r.body, &s) != nil || s.On || !s.Set || s.Name != flags.UseAAMAsSource {
		t.Fatalf("PUT flag: %d %s", r.code, r.body)
	}
	if a.flagEnabled(ctx, a.demoTenant, flags.UseAAMAsSource) {
		t.Fatal("flagEnabled still on after the API set it off")
	}
	if !a.flagEnabled(ctx, tenantB, flags.UseAAMAsSource) || listFlagsOf(t, a, tokenB)[flags.UseAAMAsSource].Set {
		t.Fatal("tenant B's flag changed with tenant A's")
	}
	if r := do(t, a, "PUT", "/api/v1/flags/"+flags.DCLAutoRun, tokenB, map[string]bool{"on": false}); r.code != http.StatusOK {
		t.Fatalf("PUT flag as B: %d %s", r.code, r.body)
	}
	if a.flagEnabled(ctx, tenantB, flags.DCLAutoRun) || !a.flagEnabled(ctx, a.demoTenant, flags.DCLAutoRun) {
		t.Fatal("DCL_AUTO_RUN of B set off: B off, A still on expected")
	}

	// Bad requests: an unknown flag is 404 naming the known ones; the
	// value is required; no token is 401.
	r = do(t, a, "PUT", "/api/v1/flags/USE_AAM_AS_SOURCES", tokenA, map[string]bool{"on": true})
	if r.code != http.StatusNotFound || !strings.Contains(r.problem(t).Detail, flags.UseAAMAsSource) {
		t.Fatalf("unknown flag: %d %s", r.code, r.body)
	}
	if r := do(t, a, "PUT", "/api/v1/flags/"+flags.DCLAutoRun, tokenA, map[string]any{}); r.code != http.StatusBadRequest {
		t.Fatalf("no value: %d %s", r.code, r.body)
	}
	if r := do(t, a, "PUT", "/api/v1/flags/"+flags.DCLAutoRun, tokenA, map[string]any{"on": "yes"}); r.code != http.StatusBadRequest {
		t.Fatalf("a string value: %d %s", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/flags", "", nil); r.code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.code)
	}
	if a.flagEnabled(ctx, a.demoTenant, "NOT_A_FLAG") {
		t.Fatal("an unknown flag reads as on")
	}

	// The embedded mode keeps them across a restart.
	a.close()
	again := newTestApp(t, mod)
	if again.flagEnabled(ctx, again.demoTenant, flags.UseAAMAsSource) || again.flagEnabled(ctx, tenantB, flags.DCLAutoRun) || !again.flagEnabled(ctx, tenantB, flags.UseAAMAsSource) {
		t.Fatal("flags not kept across a restart")
	}
}
