package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// fakePub records batches and fails the batch numbered failAt (from 1)
// after storing `partial` of its messages.
type fakePub struct {
	mu      sync.Mutex
	batches [][]string // event ids per driver call
	failAt  int
	partial int
	closed  int
}

func (f *fakePub) Publish(ctx context.Context, msgs []*driver.Message) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, m := range msgs {
		e, err := Decode(m.Tenant, m.Body)
		if err != nil {
			return 0, err
		}
		ids = append(ids, e.ID)
	}
	f.batches = append(f.batches, ids)
	if len(f.batches) == f.failAt {
		return f.partial, errors.New("connection reset")
	}
	return len(msgs), nil
}

func (f *fakePub) Close() error { f.closed++; return nil }

func events(t tenancy.ID, n int) []canonical.Event {
	out := make([]canonical.Event, n)
	for i := range out {
		out[i] = canonical.Event{ID: fmt.Sprintf("e%d", i), Tenant: t, Entity: "account", Data: map[string]any{"i": int64(i)}}
	}
	return out
}

func TestPublishBatchesInOrder(t *testing.T) {
	f := &fakePub{}
	p, err := NewPublisher(f, &PublisherConfig{MaxBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), events(tenancy.New(), 8)...); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"e0", "e1", "e2"}, {"e3", "e4", "e5"}, {"e6", "e7"}}
	if fmt.Sprint(f.batches) != fmt.Sprint(want) {
		t.Fatalf("batches %v, want %v", f.batches, want)
	}
	if err := p.Close(); err != nil || f.closed != 1 {
		t.Fatalf("Close: %v, driver closed %d times", err, f.closed)
	}
}

func TestPublishPartialFailure(t *testing.T) {
	f := &fakePub{failAt: 2, partial: 1}
	p, _ := NewPublisher(f, &PublisherConfig{MaxBatch: 3})
	err := p.Publish(context.Background(), events(tenancy.New(), 8)...)
	var pe *PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PublishError", err)
	}
	if pe.Published != 4 || pe.Total != 8 || !strings.Contains(pe.Error(), "connection reset") {
		t.Errorf("PublishError %+v: want 4 of 8 published (3 + 1 of the failed batch)", pe)
	}
	if len(f.batches) != 2 {
		t.Errorf("%d batches sent, want none after the failure", len(f.batches))
	}

	// A failure of the first batch storing nothing is not a PublishError.
	f = &fakePub{failAt: 1}
	p, _ = NewPublisher(f, nil)
	err = p.Publish(context.Background(), events(tenancy.New(), 2)...)
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("first batch failing: %v", err)
	}
}

func TestPublishEncodeFailureNamesTheEvent(t *testing.T) {
	f := &fakePub{}
	p, _ := NewPublisher(f, nil)
	evs := events(tenancy.New(), 3)
	evs[2].Data["bad"] = make(chan int)
	err := p.Publish(context.Background(), evs...)
	var inv *InvalidEventError
	if !errors.As(err, &inv) || inv.Index != 2 || inv.EventID != "e2" {
		t.Fatalf("got %v, want an *InvalidEventError for event 2", err)
	}
	if len(f.batches) != 0 {
		t.Errorf("sent %d batches, want none", len(f.batches))
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := NewPublisher(&fakePub{}, &PublisherConfig{MaxBatch: -1}); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxBatch") {
		t.Errorf("MaxBatch -1: %v", err)
	}
	if _, err := NewPublisher(nil, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil driver: %v", err)
	}
	for _, c := range []SubscriberConfig{{BatchSize: -1}, {MaxDeliveries: -2}, {MaxBackoff: -1}} {
		if _, err := NewSubscriber(&fakeSub{}, &c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	c := (*SubscriberConfig)(nil).WithDefaults()
	if c.BatchSize != 100 || c.MaxDeliveries != 5 || c.Logger == nil {
		t.Errorf("defaults: %+v", c)
	}
	if (*PublisherConfig)(nil).WithDefaults().MaxBatch != 1000 {
		t.Error("PublisherConfig default MaxBatch is not 1000")
	}
}

// fakeSub delivers one prepared batch, then nothing, and records what
// was acknowledged and dead-lettered.
type fakeSub struct {
	mu    sync.Mutex
	batch []*driver.Message
	acked []string
	dead  []*driver.DeadLetter
	idle  chan struct{} // closed when Receive has nothing more: the batch is settled
	once  sync.Once
}

func (f *fakeSub) Receive(ctx context.Context, max int) ([]*driver.Message, error) {
	f.mu.Lock()
	b := f.batch
	f.batch = nil
	f.mu.Unlock()
	if b != nil {
		return b, nil
	}
	f.once.Do(func() { close(f.idle) })
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeSub) Ack(ctx context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acked = append(f.acked, ids...)
	return nil
}

func (f *fakeSub) DeadLetter(ctx context.Context, ls []*driver.DeadLetter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead = append(f.dead, ls...)
	return nil
}

func (f *fakeSub) Close() error { return nil }

// runOnce runs h on msgs and returns what was acknowledged and
// dead-lettered.
func runOnce(t *testing.T, msgs []*driver.Message, max int, h Handler) ([]string, []*driver.DeadLetter) {
	t.Helper()
	f := &fakeSub{batch: msgs, idle: make(chan struct{})}
	s, err := NewSubscriber(f, &SubscriberConfig{MaxDeliveries: max, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, h) }()
	<-f.idle
	cancel()
	<-done
	_ = s.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked, f.dead
}

var fixedNow = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func messages(tn tenancy.ID, deliveries ...int) []*driver.Message {
	var out []*driver.Message
	for i, d := range deliveries {
		e := canonical.Event{ID: fmt.Sprintf("e%d", i), Tenant: tn}
		b, _ := Encode(&e)
		out = append(out, &driver.Message{ID: fmt.Sprintf("m%d", i), Tenant: tn, Body: b, Deliveries: d})
	}
	return out
}

func TestSubscriberSettlesEachEvent(t *testing.T) {
	tn := tenancy.New()
	h := Each(func(ctx context.Context, e canonical.Event) error {
		if e.ID == "e1" || e.ID == "e2" {
			return errors.New("boom " + e.ID)
		}
		return nil
	})
	// e1 fails on its 2nd of 3 deliveries (stays pending), e2 on its 3rd
	// (dead), e3 arrives for a 4th time (dead without the handler).
	acked, dead := runOnce(t, messages(tn, 1, 2, 3, 4), 3, h)
	if !slices.Equal(acked, []string{"m0"}) {
		t.Errorf("acked %v, want [m0]", acked)
	}
	if len(dead) != 2 {
		t.Fatalf("dead-lettered %d, want 2", len(dead))
	}
	if dead[0].Message.ID != "m3" || !strings.Contains(dead[0].Reason, "delivered 4 times") {
		t.Errorf("first dead letter %s: %q", dead[0].Message.ID, dead[0].Reason)
	}
	if dead[1].Message.ID != "m2" || dead[1].Reason != "boom e2" {
		t.Errorf("second dead letter %s: %q", dead[1].Message.ID, dead[1].Reason)
	}
	if !dead[0].At.Equal(fixedNow) {
		t.Errorf("dead letter stamped %v, want the configured clock's %v", dead[0].At, fixedNow)
	}
}

func TestSubscriberHandlerPanicFailsTheBatch(t *testing.T) {
	tn := tenancy.New()
	acked, dead := runOnce(t, messages(tn, 1, 1), 1, func(context.Context, []canonical.Event) error {
		panic("nil map")
	})
	if len(acked) != 0 || len(dead) != 2 || !strings.Contains(dead[0].Reason, "panicked: nil map") {
		t.Errorf("acked %v, dead %d; want nothing acked and both dead with the panic", acked, len(dead))
	}
}

func TestSubscriberBatchErrorOfWrongLength(t *testing.T) {
	tn := tenancy.New()
	acked, _ := runOnce(t, messages(tn, 1, 1, 1), 5, func(context.Context, []canonical.Event) error {
		return &BatchError{Errs: []error{nil}}
	})
	if len(acked) != 0 {
		t.Errorf("acked %v after a malformed BatchError, want nothing", acked)
	}
}

func TestDeduper(t *testing.T) {
	a, b := tenancy.New(), tenancy.New()
	d := NewDeduper(2)
	d.Add(a, "x")
	if !d.Seen(a, "x") || d.Seen(b, "x") {
		t.Fatal("ids must be remembered per tenant")
	}
	d.Add(a, "y")
	d.Add(a, "x") // refreshes x
	d.Add(a, "z") // evicts y, the least recent
	if d.Seen(a, "y") || !d.Seen(a, "x") || !d.Seen(a, "z") {
		t.Errorf("window of 2: y=%v x=%v z=%v; want y evicted", d.Seen(a, "y"), d.Seen(a, "x"), d.Seen(a, "z"))
	}
}

func TestDeduperFilterRecordsOnlySuccess(t *testing.T) {
	tn := tenancy.New()
	d := NewDeduper(100)
	fail := map[string]bool{"e1": true}
	h := d.Filter(Each(func(ctx context.Context, e canonical.Event) error {
		if fail[e.ID] {
			return errors.New("no")
		}
		return nil
	}))
	evs := events(tn, 3)
	evs = append(evs, evs[1]) // a duplicate within the batch
	err := h(context.Background(), evs)
	var be *BatchError
	if !errors.As(err, &be) || len(be.Errs) != 4 || be.Errs[0] != nil || be.Errs[1] == nil || be.Errs[3] == nil || be.Errs[2] != nil {
		t.Fatalf("got %v; want e1 and its duplicate failed, the others not", err)
	}
	if !d.Seen(tn, "e0") || d.Seen(tn, "e1") || !d.Seen(tn, "e2") {
		t.Error("only handled events may be recorded")
	}
	// The replay: e0 and e2 are dropped, e1 reaches the handler again.
	fail["e1"] = false
	var seen []string
	h2 := d.Filter(func(ctx context.Context, evs []canonical.Event) error {
		for _, e := range evs {
			seen = append(seen, e.ID)
		}
		return nil
	})
	if err := h2(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"e1"}) {
		t.Errorf("replay reached the handler with %v, want [e1]", seen)
	}
}

// flakySub fails its first receives, then delivers a batch.
type flakySub struct {
	fakeSub
	failures int
}

func (f *flakySub) Receive(ctx context.Context, max int) ([]*driver.Message, error) {
	f.mu.Lock()
	if f.failures > 0 {
		f.failures--
		f.mu.Unlock()
		return nil, errors.New("connection refused")
	}
	f.mu.Unlock()
	return f.fakeSub.Receive(ctx, max)
}

func TestSubscriberRetriesDriverErrors(t *testing.T) {
	tn := tenancy.New()
	f := &flakySub{fakeSub: fakeSub{batch: messages(tn, 1), idle: make(chan struct{})}, failures: 2}
	var logs strings.Builder
	var logMu sync.Mutex
	s, _ := NewSubscriber(f, &SubscriberConfig{
		MaxBackoff: 10 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, func(context.Context, []canonical.Event) error { return nil }) }()
	<-f.idle
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	f.mu.Lock()
	acked := f.acked
	f.mu.Unlock()
	if !slices.Equal(acked, []string{"m0"}) {
		t.Errorf("acked %v after two failed receives, want [m0]", acked)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "connection refused"); n != 2 {
		t.Errorf("%d receive failures logged, want 2:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
