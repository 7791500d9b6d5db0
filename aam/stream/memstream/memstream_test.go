package memstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

func testEvents(t tenancy.ID, n int) []canonical.Event {
	out := make([]canonical.Event, n)
	for i := range out {
		out[i] = canonical.Event{ID: fmt.Sprintf("e%d", i), Tenant: t, Entity: "account", Data: map[string]any{"i": int64(i)}}
	}
	return out
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestIdleTimeFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(&Config{Now: clk.Now})
	tn := tenancy.New()
	pub, _ := b.NewPublisher(nil)
	if err := pub.Publish(ctx, testEvents(tn, 1)...); err != nil {
		t.Fatal(err)
	}
	s1, _ := b.openSubscription(tn, "g", "c1", time.Minute, 10*time.Millisecond)
	s2, _ := b.openSubscription(tn, "g", "c2", time.Minute, 10*time.Millisecond)
	if m, _ := s1.Receive(ctx, 10); len(m) != 1 {
		t.Fatalf("first receive: %d messages", len(m))
	}
	clk.Add(59 * time.Second)
	if m, _ := s2.Receive(ctx, 10); len(m) != 0 {
		t.Fatalf("claimed after 59s of a 1m idle time: %d messages", len(m))
	}
	clk.Add(time.Second)
	m, _ := s2.Receive(ctx, 10)
	if len(m) != 1 || m[0].Deliveries != 2 {
		t.Fatalf("after 1m: %d messages (want 1 with Deliveries 2)", len(m))
	}
}

func TestMaxLenTrimsOldest(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(&Config{MaxLen: 3, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	tn := tenancy.New()
	pub, _ := b.NewPublisher(nil)
	s, _ := b.openSubscription(tn, "g", "c1", time.Minute, 10*time.Millisecond)
	if err := pub.Publish(ctx, testEvents(tn, 2)...); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Receive(ctx, 1); len(m) != 1 || m[0].ID != "1" { // e0 pending, never acked
		t.Fatalf("receive: %v", m)
	}
	if err := pub.Publish(ctx, testEvents(tn, 5)[2:]...); err != nil { // e2..e4: e0, e1 trimmed
		t.Fatal(err)
	}
	clk.Add(time.Minute) // e0 is idle now, but gone
	var ids []string
	for range 3 {
		m, err := s.Receive(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range m {
			ids = append(ids, x.ID)
		}
	}
	if fmt.Sprint(ids) != "[3 4 5]" {
		t.Errorf("after trimming to 3: received %v, want [3 4 5] (e0 pending and e1 unread both trimmed)", ids)
	}
}

func TestSubscribeValidation(t *testing.T) {
	b := New(nil)
	if _, err := b.NewSubscriber(tenancy.Nil, "g", nil); err == nil {
		t.Error("nil tenant accepted")
	}
	if _, err := b.NewSubscriber(tenancy.New(), "", nil); err == nil {
		t.Error("empty group accepted")
	}
	if _, err := b.NewSubscriber(tenancy.New(), "g", &SubscriberConfig{MinIdle: -1}); err == nil {
		t.Error("negative MinIdle accepted")
	}
	if _, err := b.NewDeadLetters(tenancy.Nil, "g"); err == nil {
		t.Error("dead letters of the nil tenant accepted")
	}
	d, _ := b.openDeadLetters(tenancy.New(), "g")
	if _, err := d.List(context.Background(), "x", 10); !errors.Is(err, stream.ErrInvalidID) {
		t.Error("List after a malformed id accepted")
	}
}

// BenchmarkMemstreamPublishConsume publishes ~500-byte events in pages of
// 1000 and consumes them with one subscriber (batches of 100) at the same
// time; one op is one event published and handled.
func BenchmarkMemstreamPublishConsume(b *testing.B) {
	ctx := context.Background()
	br := New(&Config{MaxLen: 1 << 20})
	tn := tenancy.New()
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	page := make([]canonical.Event, 1000)
	for i := range page {
		page[i] = canonical.Event{
			ID: fmt.Sprintf("ev-%016x", i), Tenant: tn, Entity: "opportunity", Op: canonical.OpUpsert,
			Source:    canonical.Source{System: "salesforce", ConnectionID: "conn-7f3a", Object: "Opportunity"},
			SourceKey: fmt.Sprintf("0065g00000%08d", i),
			Data: map[string]any{
				"name": fmt.Sprintf("Renewal %d - Acme", i), "amount": 125000.5, "currency": "USD",
				"stage": "negotiation", "probability": 0.6, "close_date": "2026-12-31",
				"account_id": fmt.Sprintf("0015g00000%08d", i),
			},
			OccurredAt: at, IngestedAt: at,
		}
	}
	pub, _ := br.NewPublisher(nil)
	defer pub.Close()
	sub, _ := br.NewSubscriber(tn, "bench", &SubscriberConfig{Stream: stream.SubscriberConfig{BatchSize: 100}})
	defer sub.Close()
	var (
		mu      sync.Mutex
		handled int
		target  = b.N
		done    = make(chan struct{})
	)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go sub.Run(runCtx, func(ctx context.Context, evs []canonical.Event) error {
		mu.Lock()
		handled += len(evs)
		if handled >= target {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		mu.Unlock()
		return nil
	})
	for sent := 0; sent < b.N; {
		n := min(len(page), b.N-sent)
		if err := pub.Publish(ctx, page[:n]...); err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	<-done
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
