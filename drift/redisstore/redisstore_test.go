package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/drift/drifttest"
	"github.com/autonomos/autonomos/drift/redisstore"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

func TestConformance(t *testing.T) {
	rdb := testenv.Redis(t)
	var n atomic.Int64
	// One database for the whole suite; each subtest gets its own prefix.
	drifttest.RunConformanceTests(t, func(t *testing.T) drift.Driver {
		return redisstore.New(rdb, &redisstore.Config{Prefix: fmt.Sprintf("test%d", n.Add(1))})
	})
}

func TestKeysCarryTenant(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := context.Background()
	tenant := tenancy.MustParse("00000000-0000-4000-8000-0000000000c1")
	s := &drift.Schema{System: "csv", ConnectionID: "conn:1", Object: "deals{x}.csv", Fields: []drift.Field{{Name: "a", Type: drift.TypeString}}}
	store := drift.NewStore(redisstore.New(rdb, nil), nil)
	if _, err := store.Record(ctx, tenant, s); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys = %v, want a versions list and an objects set", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "aos:drift:{"+tenant.String()+"}:") {
			t.Errorf("key %q does not start with the tenant hash tag", k)
		}
	}
	want := "aos:drift:{" + tenant.String() + "}:versions:conn%3A1:deals%7Bx%7D.csv"
	if keys[0] != want && keys[1] != want {
		t.Errorf("keys = %v, want %q among them", keys, want)
	}
}
