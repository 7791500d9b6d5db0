package fallback_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/fallback"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/graphstore/redisstore"
	"github.com/autonomos/autonomos/graphstore/storetest"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// errDown is what the flaky primary returns while it is down.
var errDown = errors.New("flaky: connection refused")

// flaky wraps a driver and fails on demand, like a Redis that went away.
type flaky struct {
	graphstore.Driver
	down atomic.Bool
	// lostReplies makes saves land on the inner driver but report failure,
	// like a timeout after the server ran the write.
	lostReplies atomic.Bool
	calls       atomic.Int64
}

func (f *flaky) Load(ctx context.Context, t tenancy.ID) (*graphstore.Graph, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errDown
	}
	return f.Driver.Load(ctx, t)
}

func (f *flaky) Save(ctx context.Context, t tenancy.ID, g *graphstore.Graph, expected int64) error {
	f.calls.Add(1)
	if f.down.Load() {
		if f.lostReplies.Load() {
			_ = f.Driver.Save(ctx, t, g, expected)
		}
		return errDown
	}
	return f.Driver.Save(ctx, t, g, expected)
}

func (f *flaky) Delete(ctx context.Context, t tenancy.ID) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errDown
	}
	return f.Driver.Delete(ctx, t)
}

func (f *flaky) Ping(ctx context.Context) error {
	if f.down.Load() {
		return errDown
	}
	return ctx.Err()
}

// rig is a Store over a fallback driver over a flaky memstore primary.
type rig struct {
	inner *memstore.Driver
	prim  *flaky
	fb    *fallback.Driver
	store *graphstore.Store
	now   atomic.Int64 // unix nanoseconds of the store's clock
}

func newRig(t *testing.T, cfg *fallback.Config) *rig {
	t.Helper()
	r := &rig{inner: memstore.New()}
	r.prim = &flaky{Driver: r.inner}
	c := fallback.Config{Logger: quiet, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	if cfg != nil {
		c.OnConflict = cfg.OnConflict
		if cfg.MinBackoff != 0 {
			c.MinBackoff, c.MaxBackoff = cfg.MinBackoff, cfg.MaxBackoff
		}
	}
	fb, err := fallback.New(r.prim, &c)
	if err != nil {
		t.Fatal(err)
	}
	r.fb = fb
	r.now.Store(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano())
	r.store, err = graphstore.New(fb, &graphstore.Config{
		Clock:             func() time.Time { return time.Unix(0, r.now.Add(int64(time.Millisecond))).UTC() },
		MaxUpdateAttempts: 10000,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.store.Close() })
	return r
}

// primaryGraph reads the tenant's graph straight from the primary's
// backend.
func (r *rig) primaryGraph(t *testing.T, tenant tenancy.ID) *graphstore.Graph {
	t.Helper()
	g, err := r.inner.Load(context.Background(), tenant)
	if err != nil {
		t.Fatalf("primary: %v", err)
	}
	return g
}

type harness struct{ newPrimary func() graphstore.Driver }

func (h harness) MakeDriver(context.Context) (graphstore.Driver, error) {
	return fallback.New(&flaky{Driver: h.newPrimary()}, &fallback.Config{Logger: quiet})
}
func (harness) Close() {}

func TestConformanceMemoryPrimary(t *testing.T) {
	t.Parallel()
	storetest.RunConformanceTests(t, func(context.Context, *testing.T) (storetest.Harness, error) {
		return harness{func() graphstore.Driver { return memstore.New() }}, nil
	})
}

func TestConformanceRedisPrimary(t *testing.T) {
	client := testenv.Redis(t)
	storetest.RunConformanceTests(t, func(context.Context, *testing.T) (storetest.Harness, error) {
		return harness{func() graphstore.Driver {
			d, err := redisstore.New(client, nil)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}}, nil
	})
}

func addNode(id string) func(*graphstore.Graph) error {
	return func(g *graphstore.Graph) error {
		g.Nodes = append(g.Nodes, graphstore.Node{ID: id, Kind: graphstore.KindObject, Label: id})
		return nil
	}
}

func checkAllNodes(t *testing.T, g *graphstore.Graph, ids []string) {
	t.Helper()
	for _, id := range ids {
		if _, ok := g.Node(id); !ok {
			t.Fatalf("update %s was lost (graph version %d has %d nodes)", id, g.Version, len(g.Nodes))
		}
	}
}

// TestOutageMidSavesLosesNothing saves 100 updates one after the other;
// the primary goes down after the 30th and comes back after the 70th.
func TestOutageMidSavesLosesNothing(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("lostReplies=%v", lost), func(t *testing.T) {
			r := newRig(t, &fallback.Config{MinBackoff: time.Hour, MaxBackoff: time.Hour}) // only Sync writes back
			r.prim.lostReplies.Store(lost)
			ctx := context.Background()
			tenant := tenancy.New()
			var ids []string
			for i := range 100 {
				switch i {
				case 30:
					r.prim.down.Store(true)
				case 70:
					if !r.fb.Degraded() || r.fb.Pending() != 1 {
						t.Fatalf("during the outage: degraded %v, pending %d", r.fb.Degraded(), r.fb.Pending())
					}
					r.prim.down.Store(false)
				}
				id := fmt.Sprintf("node:%03d", i)
				ids = append(ids, id)
				if _, err := r.store.Update(ctx, tenant, addNode(id)); err != nil {
					t.Fatalf("update %d: %v", i, err)
				}
			}
			if err := r.fb.Sync(ctx); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if r.fb.Degraded() || r.fb.Pending() != 0 {
				t.Fatalf("after Sync: degraded %v, pending %d", r.fb.Degraded(), r.fb.Pending())
			}
			p := r.primaryGraph(t, tenant)
			checkAllNodes(t, p, ids)
			if len(p.Nodes) != 100 {
				t.Fatalf("primary has %d nodes, want 100", len(p.Nodes))
			}
			if !lost && p.Version != 100 {
				t.Fatalf("primary version %d, want 100", p.Version)
			}
			got, err := r.store.Load(ctx, tenant)
			if err != nil || got.Version != p.Version || len(got.Nodes) != 100 {
				t.Fatalf("Load after Sync: version %v, err %v; primary version %d", got.Version, err, p.Version)
			}
		})
	}
}

// TestFlappingPrimaryLosesNothing runs concurrent writers on two tenants
// while the primary goes down and up, with the background resync on.
func TestFlappingPrimaryLosesNothing(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	tenants := []tenancy.ID{tenancy.New(), tenancy.New()}
	for _, tn := range tenants { // known before the first outage
		if _, err := r.store.Save(ctx, tn, &graphstore.Graph{}); err != nil {
			t.Fatal(err)
		}
	}
	// The primary flips between down and up after every 7th update, so
	// the flips land in the middle of other writers' calls, whatever the
	// machine's speed.
	const writers, each, flipEvery = 4, 40, 7
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		done          atomic.Int32
		flips         atomic.Int32
		degradedSaves atomic.Int32
	)
	want := map[tenancy.ID][]string{}
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				tn := tenants[(w+i)%len(tenants)]
				id := fmt.Sprintf("node:w%d-%02d", w, i)
				if _, err := r.store.Update(ctx, tn, addNode(id)); err != nil {
					t.Errorf("update %s: %v", id, err)
					return
				}
				mu.Lock()
				want[tn] = append(want[tn], id)
				mu.Unlock()
				if r.fb.Degraded() {
					degradedSaves.Add(1)
				}
				if done.Add(1)%flipEvery == 0 {
					r.prim.down.Store(!r.prim.down.Load())
					flips.Add(1)
				}
			}
		})
	}
	wg.Wait()
	r.prim.down.Store(false)
	if degradedSaves.Load() == 0 {
		t.Fatal("no update ran while the fallback was degraded; the test proved nothing")
	}
	t.Logf("%d flips, %d of %d updates ran degraded", flips.Load(), degradedSaves.Load(), writers*each)
	if err := r.fb.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	for _, tn := range tenants {
		p := r.primaryGraph(t, tn)
		checkAllNodes(t, p, want[tn])
		if len(p.Nodes) != len(want[tn]) || p.Version != int64(len(want[tn])+1) {
			t.Fatalf("primary: %d nodes at version %d, want %d at %d", len(p.Nodes), p.Version, len(want[tn]), len(want[tn])+1)
		}
	}
}

func TestBackgroundResync(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	tenant := tenancy.New()
	g, err := r.store.Save(ctx, tenant, storetest.SmallGraph(3, "before"))
	if err != nil {
		t.Fatal(err)
	}
	r.prim.down.Store(true)
	g.Nodes[0].Label = "during the outage"
	if _, err := r.store.Save(ctx, tenant, g); err != nil {
		t.Fatalf("Save during the outage: %v", err)
	}
	if r.primaryGraph(t, tenant).Version != 1 {
		t.Fatal("a save reached a primary that was down")
	}
	r.prim.down.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for r.fb.Pending() > 0 || r.fb.Degraded() {
		if time.Now().After(deadline) {
			t.Fatal("the background resync did not write the save back within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p := r.primaryGraph(t, tenant)
	if p.Version != 2 || p.Nodes[0].Label != "during the outage" {
		t.Fatalf("primary after resync: version %d label %q", p.Version, p.Nodes[0].Label)
	}
}

func TestUnknownTenantsDuringOutage(t *testing.T) {
	r := newRig(t, &fallback.Config{MinBackoff: time.Hour, MaxBackoff: time.Hour})
	ctx := context.Background()
	absent := tenancy.New()
	if _, err := r.store.Load(ctx, absent); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatal(err)
	}
	r.prim.down.Store(true)

	never := tenancy.New()
	if _, err := r.store.Load(ctx, never); !errors.Is(err, graphstore.ErrUnavailable) {
		t.Fatalf("Load of a tenant never seen, primary down: err = %v, want ErrUnavailable", err)
	}
	if _, err := r.store.Save(ctx, never, storetest.SmallGraph(2, "x")); !errors.Is(err, graphstore.ErrUnavailable) {
		t.Fatalf("Save for a tenant never seen, primary down: err = %v, want ErrUnavailable", err)
	}

	// A tenant seen to have no graph can be created in memory.
	if _, err := r.store.Load(ctx, absent); !errors.Is(err, graphstore.ErrNotFound) {
		t.Fatalf("Load of a tenant known to be absent: err = %v, want ErrNotFound", err)
	}
	if act, err := r.store.SeedDemo(ctx, absent); err != nil || act != graphstore.SeedCreated {
		t.Fatalf("SeedDemo during the outage = %v, %v", act, err)
	}
	if err := r.store.Delete(ctx, absent); !errors.Is(err, graphstore.ErrUnavailable) {
		t.Fatalf("Delete during the outage: err = %v, want ErrUnavailable", err)
	}
	if err := r.fb.Sync(ctx); err == nil {
		t.Fatal("Sync succeeded with the primary down")
	}
	r.prim.down.Store(false)
	if err := r.fb.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if p := r.primaryGraph(t, absent); len(p.Nodes) != graphstore.DemoNodes || !p.IsPristineDemo() {
		t.Fatalf("primary after Sync: %d nodes, pristine %v", len(p.Nodes), p.IsPristineDemo())
	}
}

// TestWriteBackNeverOverwritesNewer: another process saves to the primary
// while this one holds a save in memory.
func TestWriteBackNeverOverwritesNewer(t *testing.T) {
	type conflict struct{ kept, dropped *graphstore.Graph }
	var (
		mu  sync.Mutex
		got []conflict
	)
	r := newRig(t, &fallback.Config{
		MinBackoff: time.Hour, MaxBackoff: time.Hour,
		OnConflict: func(_ tenancy.ID, kept, dropped *graphstore.Graph) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, conflict{kept, dropped})
		},
	})
	ctx := context.Background()
	tenant := tenancy.New()
	g, err := r.store.Save(ctx, tenant, storetest.SmallGraph(3, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	r.prim.down.Store(true)
	mine := g.Clone()
	mine.Nodes[0].Label = "mine"
	if _, err := r.store.Save(ctx, tenant, mine); err != nil {
		t.Fatal(err)
	}
	// Another replica reached the primary twice meanwhile.
	theirs := r.primaryGraph(t, tenant)
	for v := int64(2); v <= 3; v++ {
		theirs.Version = v
		theirs.Nodes[0].Label = fmt.Sprintf("theirs v%d", v)
		theirs.UpdatedAt = time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC) // older clock than ours: version wins
		if err := r.inner.Save(ctx, tenant, theirs.Clone(), v-1); err != nil {
			t.Fatal(err)
		}
	}
	r.prim.down.Store(false)
	if err := r.fb.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	p := r.primaryGraph(t, tenant)
	if p.Version != 3 || p.Nodes[0].Label != "theirs v3" {
		t.Fatalf("primary: version %d label %q; the newer graph was overwritten", p.Version, p.Nodes[0].Label)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].kept.Nodes[0].Label != "theirs v3" || got[0].dropped.Nodes[0].Label != "mine" {
		t.Fatalf("OnConflict calls: %+v", got)
	}
	l, err := r.store.Load(ctx, tenant)
	if err != nil || l.Version != 3 || l.Nodes[0].Label != "theirs v3" {
		t.Fatalf("Load after Sync: %v %v", l, err)
	}
}

// TestWriteBackSameVersion: both sides saved version 2; the later one by
// updated_at wins, and a winning memory copy goes in as version 3.
func TestWriteBackSameVersion(t *testing.T) {
	for _, memoryLater := range []bool{true, false} {
		t.Run(fmt.Sprintf("memoryLater=%v", memoryLater), func(t *testing.T) {
			r := newRig(t, &fallback.Config{MinBackoff: time.Hour, MaxBackoff: time.Hour})
			ctx := context.Background()
			tenant := tenancy.New()
			g, err := r.store.Save(ctx, tenant, storetest.SmallGraph(3, "v1"))
			if err != nil {
				t.Fatal(err)
			}
			r.prim.down.Store(true)
			mine := g.Clone()
			mine.Nodes[0].Label = "mine"
			saved, err := r.store.Save(ctx, tenant, mine)
			if err != nil {
				t.Fatal(err)
			}
			theirs := r.primaryGraph(t, tenant)
			theirs.Version = 2
			theirs.Nodes[0].Label = "theirs"
			theirs.UpdatedAt = saved.UpdatedAt.Add(time.Second)
			if memoryLater {
				theirs.UpdatedAt = saved.UpdatedAt.Add(-time.Second)
			}
			if err := r.inner.Save(ctx, tenant, theirs, 1); err != nil {
				t.Fatal(err)
			}
			r.prim.down.Store(false)
			if err := r.fb.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			p := r.primaryGraph(t, tenant)
			wantLabel, wantVersion := "theirs", int64(2)
			if memoryLater {
				wantLabel, wantVersion = "mine", 3
			}
			if p.Nodes[0].Label != wantLabel || p.Version != wantVersion {
				t.Fatalf("primary: %q at version %d, want %q at %d", p.Nodes[0].Label, p.Version, wantLabel, wantVersion)
			}
			// A writer still holding version 2 must now reload.
			_, err = r.store.Save(ctx, tenant, saved)
			if memoryLater && !errors.Is(err, graphstore.ErrVersionConflict) {
				t.Fatalf("save from version 2 after the bump: err = %v, want a conflict", err)
			}
		})
	}
}

// TestRealRedisOutage points a real Redis client at a closed port in the
// middle of the saves, then at the live server again.
func TestRealRedisOutage(t *testing.T) {
	live := testenv.Redis(t)
	opts := *live.Options()
	liveAddr := opts.Addr
	closed := closedAddr(t)

	var (
		addr  atomic.Value
		mu    sync.Mutex
		conns []net.Conn
	)
	addr.Store(liveAddr)
	opts.Dialer = func(ctx context.Context, network, _ string) (net.Conn, error) {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, network, addr.Load().(string))
		if err == nil {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
		return c, err
	}
	opts.MaxRetries = -1
	opts.DialTimeout = 200 * time.Millisecond
	opts.DialerRetries = 1
	opts.DialerRetryTimeout = time.Millisecond
	redis.SetLogger(silentRedisLog{}) // the refused dials are expected here
	client := redis.NewClient(&opts)
	t.Cleanup(func() { _ = client.Close() })
	outage := func() { // Redis goes away: no new connections, the old ones cut
		addr.Store(closed)
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		conns = nil
		mu.Unlock()
	}

	rd, err := redisstore.New(client, nil)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := fallback.New(rd, &fallback.Config{Logger: quiet, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	store, err := graphstore.New(fb, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })

	ctx := context.Background()
	tenant := tenancy.New()
	var ids []string
	for i := range 30 {
		switch i {
		case 10:
			outage()
		case 20:
			if !fb.Degraded() {
				t.Fatal("the fallback did not notice the outage")
			}
			addr.Store(liveAddr)
		}
		id := fmt.Sprintf("node:%02d", i)
		ids = append(ids, id)
		if _, err := store.Update(ctx, tenant, addNode(id)); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	// The client may need a moment to dial again; Sync until it works.
	deadline := time.Now().Add(15 * time.Second)
	for err := fb.Sync(ctx); err != nil; err = fb.Sync(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("Sync after Redis came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Read Redis through a client of its own.
	direct, err := redisstore.New(live, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := direct.Load(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	checkAllNodes(t, g, ids)
	if len(g.Nodes) != 30 || g.Version != 30 {
		t.Fatalf("Redis holds %d nodes at version %d, want 30 at 30", len(g.Nodes), g.Version)
	}
}

type silentRedisLog struct{}

func (silentRedisLog) Printf(context.Context, string, ...any) {}

// closedAddr returns a local address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	_ = l.Close()
	return a
}

func TestCloseStopsAndClosesPrimary(t *testing.T) {
	prim := &closeCounter{Driver: memstore.New()}
	fb, err := fallback.New(prim, &fallback.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fb.Close(); err != nil {
		t.Fatal(err)
	}
	if prim.n.Load() != 1 {
		t.Fatalf("primary closed %d times, want 1", prim.n.Load())
	}
	if _, err := fallback.New(nil, nil); err == nil {
		t.Fatal("New(nil primary) succeeded")
	}
	if _, err := fallback.New(memstore.New(), &fallback.Config{MinBackoff: time.Second, MaxBackoff: time.Millisecond}); err == nil {
		t.Fatal("New with MaxBackoff < MinBackoff succeeded")
	}
}

type closeCounter struct {
	graphstore.Driver
	n atomic.Int32
}

func (c *closeCounter) Close() error { c.n.Add(1); return c.Driver.Close() }

// BenchmarkFallbackRedis measures the fallback driver in front of Redis
// while Redis is up (the cost of mirroring into memory).
func BenchmarkFallbackRedis(b *testing.B) {
	client := testenv.Redis(b)
	storetest.RunBenchmarks(b, func(b *testing.B) *graphstore.Store {
		rd, err := redisstore.New(client, nil)
		if err != nil {
			b.Fatal(err)
		}
		fb, err := fallback.New(rd, &fallback.Config{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		s, err := graphstore.New(fb, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}
