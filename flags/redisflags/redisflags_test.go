package redisflags_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/flags/flagtest"
	"github.com/autonomos/autonomos/flags/redisflags"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

func TestConformance(t *testing.T) {
	client := testenv.Redis(t)
	flagtest.Run(t, func(t *testing.T, cat *flags.Catalog) flags.Store {
		s, err := redisflags.New(client, cat, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func newStore(t *testing.T, c redis.UniversalClient, cfg *redisflags.Config) *redisflags.Store {
	t.Helper()
	s, err := redisflags.New(c, flagtest.Catalog(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for !s.Subscribed() {
		if time.Now().After(deadline) {
			t.Fatal("the change subscription did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

// TestTwoReplicasSeeAChange: replica B has the old value cached (a long
// cache TTL, so only the broadcast can refresh it); replica A sets the
// flag; B sees the new value within a short time.
func TestTwoReplicasSeeAChange(t *testing.T) {
	first := testenv.Redis(t)
	second := redis.NewClient(first.Options())
	t.Cleanup(func() { _ = second.Close() })
	cfg := &redisflags.Config{CacheTTL: time.Hour}
	a, b := newStore(t, first, cfg), newStore(t, second, cfg)
	ctx := context.Background()
	tenant := tenancy.New()

	for _, want := range []bool{true, false, true} {
		before, err := b.Enabled(ctx, tenant, "OFF_BY_DEFAULT") // cached in B now
		if err != nil || before == want {
			t.Fatalf("B before the change: %v, %v", before, err)
		}
		if err := a.Set(ctx, tenant, "OFF_BY_DEFAULT", want); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			on, err := b.Enabled(ctx, tenant, "OFF_BY_DEFAULT")
			if err != nil {
				t.Fatal(err)
			}
			if on == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica B still sees %v 2s after replica A set %v", on, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The hash is where the issue says: one per tenant.
	key, _ := a.Key(tenant)
	if v := first.HGet(ctx, key, "OFF_BY_DEFAULT").Val(); v != "1" {
		t.Fatalf("HGET %s OFF_BY_DEFAULT = %q", key, v)
	}
}

// TestAnswersFromTheCacheWhenRedisIsGone: with the client closed, a
// tenant read before still gets its (last known) value, and a tenant
// never read fails with ErrUnavailable.
func TestAnswersFromTheCacheWhenRedisIsGone(t *testing.T) {
	base := testenv.Redis(t)
	own := redis.NewClient(base.Options())
	s := newStore(t, own, &redisflags.Config{CacheTTL: time.Hour})
	ctx := context.Background()
	tenant := tenancy.New()
	if err := s.Set(ctx, tenant, "OFF_BY_DEFAULT", true); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Enabled(ctx, tenant, "OFF_BY_DEFAULT"); err != nil || !on {
		t.Fatalf("Enabled: %v, %v", on, err)
	}
	_ = own.Close()
	if on, err := s.Enabled(ctx, tenant, "OFF_BY_DEFAULT"); err != nil || !on {
		t.Fatalf("Enabled from the cache with Redis gone: %v, %v", on, err)
	}
	if _, err := s.Enabled(ctx, tenancy.New(), "OFF_BY_DEFAULT"); !errors.Is(err, flags.ErrUnavailable) {
		t.Fatalf("Enabled of an uncached tenant with Redis gone: %v, want ErrUnavailable", err)
	}
}
