package redislive_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/live/livetest"
	"github.com/autonomos/autonomos/live/redislive"
	"github.com/autonomos/autonomos/tenancy"
)

func TestConformance(t *testing.T) {
	client := testenv.Redis(t) // shared by the suite: every test uses fresh tenants
	livetest.Run(t, func(t *testing.T) livetest.Harness {
		h, err := redislive.New(client, &redislive.Config{MaxLen: 10, Buffer: 16, Block: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		// Trimming is approximate (whole stream nodes of 100 entries):
		// 300 events surely push out the first.
		return livetest.Harness{Hub: h, Buffer: 16, Forget: 300}
	})
}

func newHub(t *testing.T, c redis.UniversalClient) *redislive.Hub {
	t.Helper()
	h, err := redislive.New(c, &redislive.Config{Block: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func next(t *testing.T, s live.Subscription) live.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

// TestTwoReplicas: an event published on one replica reaches a subscriber
// of another, and its id resumes there.
func TestTwoReplicas(t *testing.T) {
	first := testenv.Redis(t)
	second := redis.NewClient(first.Options())
	t.Cleanup(func() { _ = second.Close() })
	a, b := newHub(t, first), newHub(t, second)
	ctx := context.Background()
	tenant := tenancy.New()

	sub, err := b.Subscribe(ctx, tenant, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for _, n := range []string{"1", "2", "3"} {
		if err := a.Publish(ctx, tenant, "graph.changed", json.RawMessage(`{"n":`+n+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, want := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		e := next(t, sub)
		if string(e.Data) != want || e.Type != "graph.changed" || e.Tenant != tenant {
			t.Fatalf("replica B got %+v, want data %s", e, want)
		}
		ids = append(ids, e.ID)
	}
	// The id B handed out resumes on A.
	r, err := a.Subscribe(ctx, tenant, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, want := range ids[1:] {
		if e := next(t, r); e.ID != want {
			t.Fatalf("resume on replica A: id %s, want %s", e.ID, want)
		}
	}
	key, _ := a.Key(tenant)
	if ttl := first.TTL(ctx, key).Val(); ttl <= 0 || ttl > 24*time.Hour {
		t.Fatalf("stream %s TTL = %v, want within 24h", key, ttl)
	}
}

// proxy forwards TCP to Redis and can be cut and restored, to play a
// Redis outage.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestRedisOutage: while Redis is unreachable, publishes are kept and a
// subscriber stays open; when Redis returns the events arrive, in order.
func TestRedisOutage(t *testing.T) {
	real := testenv.Redis(t)
	p := newProxy(t, real.Options().Addr)
	opts := *real.Options()
	opts.Addr = p.addr
	opts.MaxRetries = -1
	opts.DialTimeout = 200 * time.Millisecond
	client := redis.NewClient(&opts)
	t.Cleanup(func() { _ = client.Close() })
	h := newHub(t, client)
	ctx := context.Background()
	tenant := tenancy.New()
	sub, err := h.Subscribe(ctx, tenant, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	p.down()
	for i := range 5 {
		if err := h.Publish(ctx, tenant, "mesh.batch.published", json.RawMessage{'0' + byte(i)}); err != nil {
			t.Fatalf("Publish while Redis is down: %v", err)
		}
	}
	if _, err := h.Subscribe(ctx, tenancy.New(), ""); !errors.Is(err, live.ErrUnavailable) {
		t.Fatalf("Subscribe while Redis is down: %v, want ErrUnavailable", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := h.Pending(); n != 5 {
		t.Fatalf("%d events pending while Redis is down, want 5", n)
	}
	p.up()
	for i := range 5 {
		if e := next(t, sub); string(e.Data) != string(rune('0'+i)) {
			t.Fatalf("after the outage event %d has data %s", i, e.Data)
		}
	}
	if n := h.Pending(); n != 0 {
		t.Fatalf("%d events still pending", n)
	}
}

// TestOutboxOverflowIsAGap: more events than the outbox holds during an
// outage become a gap for the tenant's subscribers, not a silent loss.
func TestOutboxOverflowIsAGap(t *testing.T) {
	real := testenv.Redis(t)
	p := newProxy(t, real.Options().Addr)
	opts := *real.Options()
	opts.Addr = p.addr
	opts.MaxRetries = -1
	opts.DialTimeout = 200 * time.Millisecond
	client := redis.NewClient(&opts)
	t.Cleanup(func() { _ = client.Close() })
	h, err := redislive.New(client, &redislive.Config{Outbox: 3, Block: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	ctx := context.Background()
	tenant := tenancy.New()
	sub, err := h.Subscribe(ctx, tenant, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	p.down()
	for i := range 6 {
		_ = h.Publish(ctx, tenant, "test.event", json.RawMessage{'0' + byte(i)})
	}
	p.up()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := sub.Next(cctx); !errors.Is(err, live.ErrGap) {
		t.Fatalf("first Next after an overflow: %v, want ErrGap", err)
	}
	for _, want := range []string{"3", "4", "5"} {
		if e := next(t, sub); string(e.Data) != want {
			t.Fatalf("after the gap: data %s, want %s", e.Data, want)
		}
	}
}
