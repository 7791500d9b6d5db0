package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/redisstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

type harness struct{ client *redis.Client }

func (h harness) MakeDriver(context.Context) (graphstore.Driver, error) {
	return redisstore.New(h.client, nil)
}
func (harness) Close() {}

func TestConformance(t *testing.T) {
	client := testenv.Redis(t) // one database for the whole suite: every test uses fresh tenants
	storetest.RunConformanceTests(t, func(context.Context, *testing.T) (storetest.Harness, error) {
		return harness{client}, nil
	})
}

func newStore(t testing.TB, client *redis.Client) (*graphstore.Store, *redisstore.Driver) {
	t.Helper()
	d, err := redisstore.New(client, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := graphstore.New(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, d
}

// TestCompatibilityKeyAndFormat checks the key and the JSON value that the
// system this replaces reads.
func TestCompatibilityKeyAndFormat(t *testing.T) {
	client := testenv.Redis(t)
	s, _ := newStore(t, client)
	ctx := context.Background()
	tenant := tenancy.MustParse("0b5e5f8e-8f1c-4bb6-9d4f-2d3c8a1e7f00")
	if _, err := s.SeedDemo(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	raw, err := client.Get(ctx, "dcl:graph_state:0b5e5f8e-8f1c-4bb6-9d4f-2d3c8a1e7f00").Result()
	if err != nil {
		t.Fatalf("the graph is not at the compatibility key: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("value is not JSON: %v", err)
	}
	for _, k := range []string{"version", "demo_version", "updated_at", "nodes", "edges"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("value has no %q field", k)
		}
	}
	if doc["version"] != float64(1) || doc["demo_version"] != float64(graphstore.DemoVersion) {
		t.Errorf("version %v demo_version %v", doc["version"], doc["demo_version"])
	}
	if n := len(doc["nodes"].([]any)); n != graphstore.DemoNodes {
		t.Errorf("%d nodes in the stored value", n)
	}
	if !strings.HasPrefix(raw, `{"version":1,`) {
		t.Errorf("value does not start with the version: %.40s", raw)
	}
}

// TestForeignValues covers values written by another system: a version
// not in front, no version at all, and garbage.
func TestForeignValues(t *testing.T) {
	client := testenv.Redis(t)
	s, d := newStore(t, client)
	ctx := context.Background()

	// A value written with the version last is still compared correctly.
	tenant := tenancy.New()
	foreign := `{"nodes":[{"id":"a","kind":"source","label":"A"}],"edges":[],"demo_version":0,"version":4}`
	if err := client.Set(ctx, d.Key(tenant), foreign, 0).Err(); err != nil {
		t.Fatal(err)
	}
	g, err := s.Load(ctx, tenant)
	if err != nil || g.Version != 4 || len(g.Nodes) != 1 {
		t.Fatalf("Load of a foreign value = %+v, %v", g, err)
	}
	stale := g.Clone()
	stale.Version = 3
	_, err = s.Save(ctx, tenant, stale)
	var vc *graphstore.VersionConflictError
	if !errors.As(err, &vc) || vc.Actual != 4 || vc.Expected != 3 {
		t.Fatalf("stale save over a foreign value: %v", err)
	}
	if out, err := s.Save(ctx, tenant, g); err != nil || out.Version != 5 {
		t.Fatalf("save over a foreign value = %v, %v", out, err)
	}

	// A value with no version counts as version 0.
	noVersion := tenancy.New()
	if err := client.Set(ctx, d.Key(noVersion), `{"nodes":[],"edges":[]}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	g, err = s.Load(ctx, noVersion)
	if err != nil || g.Version != 0 {
		t.Fatalf("Load of a value without version = %+v, %v", g, err)
	}
	if out, err := s.Save(ctx, noVersion, g); err != nil || out.Version != 1 {
		t.Fatalf("save over a value without version = %v, %v", out, err)
	}

	// Garbage is reported as corrupt and left as it is.
	garbage := tenancy.New()
	if err := client.Set(ctx, d.Key(garbage), "not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, garbage); !errors.Is(err, graphstore.ErrCorrupt) {
		t.Fatalf("Load of garbage: err = %v, want ErrCorrupt", err)
	}
	if _, err := s.Save(ctx, garbage, storetest.SmallGraph(2, "x")); !errors.Is(err, graphstore.ErrCorrupt) {
		t.Fatalf("Save over garbage: err = %v, want ErrCorrupt", err)
	}
	if v, _ := client.Get(ctx, d.Key(garbage)).Result(); v != "not json" {
		t.Fatalf("garbage was overwritten with %.40q", v)
	}
}

// TestTwoReplicas races two processes' worth of clients on one tenant:
// the compare-and-set in Redis must keep every update.
func TestTwoReplicas(t *testing.T) {
	first := testenv.Redis(t)
	second := redis.NewClient(first.Options())
	t.Cleanup(func() { _ = second.Close() })
	stores := []*graphstore.Store{}
	for _, c := range []*redis.Client{first, second} {
		d, err := redisstore.New(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := graphstore.New(d, &graphstore.Config{MaxUpdateAttempts: 10000})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	ctx := context.Background()
	tenant := tenancy.New()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			s := stores[w%2]
			for i := range each {
				id := fmt.Sprintf("node:%d-%d", w, i)
				_, err := s.Update(ctx, tenant, func(g *graphstore.Graph) error {
					g.Nodes = append(g.Nodes, graphstore.Node{ID: id, Kind: graphstore.KindObject})
					return nil
				})
				if err != nil {
					t.Errorf("update %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	g, err := stores[0].Load(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != writers*each || g.Version != writers*each {
		t.Fatalf("%d nodes at version %d after %d updates", len(g.Nodes), g.Version, writers*each)
	}
}

func TestUnreachableRedis(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	s, _ := newStore(t, client)
	_, err := s.Load(context.Background(), tenancy.New())
	if err == nil || errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("Load from an unreachable Redis: err = %v, want a connection error", err)
	}
}

func BenchmarkRedisstore(b *testing.B) {
	client := testenv.Redis(b)
	storetest.RunBenchmarks(b, func(b *testing.B) *graphstore.Store {
		s, _ := newStore(b, client)
		return s
	})
}
