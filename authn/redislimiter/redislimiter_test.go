package redislimiter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/authntest"
	"github.com/autonomos/autonomos/authn/redislimiter"
	"github.com/autonomos/autonomos/internal/testenv"
)

func TestLimiterConformance(t *testing.T) {
	authntest.RunLimiterTests(t, func(t *testing.T, max int, window time.Duration, now func() time.Time) authn.LoginLimiter {
		l, err := redislimiter.New(testenv.Redis(t), &redislimiter.Config{MaxFailures: max, Window: window, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// TestNoEmailInKeys checks that keys hold a digest, not the address, and
// expire.
func TestNoEmailInKeys(t *testing.T) {
	ctx := context.Background()
	client := testenv.Redis(t)
	l, err := redislimiter.New(client, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Fail(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "aos:authn:login:") || strings.Contains(keys[0], "ada") {
		t.Fatalf("keys = %q, want one aos:authn:login:<digest> key", keys)
	}
	ttl, err := client.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > 15*time.Minute {
		t.Errorf("TTL = %v, %v; want at most the window", ttl, err)
	}
}

// TestLimitersShareCounts shows two limiters (two replicas) sharing
// one count.
func TestLimitersShareCounts(t *testing.T) {
	ctx := context.Background()
	client := testenv.Redis(t)
	c := authntest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, _ := redislimiter.New(client, &redislimiter.Config{Now: c.Now})
	b, _ := redislimiter.New(client, &redislimiter.Config{Now: c.Now})
	for range 3 {
		_ = a.Fail(ctx, "ada@example.com")
	}
	for range 2 {
		_ = b.Fail(ctx, "ada@example.com")
	}
	if err := a.Check(ctx, "ada@example.com"); err == nil {
		t.Error("5 failures spread over two replicas did not lock the account")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := redislimiter.New(nil, nil); err == nil {
		t.Error("New(nil client) = nil error")
	}
}
