package redisstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

func evs(t tenancy.ID, n int) []canonical.Event {
	out := make([]canonical.Event, n)
	for i := range out {
		out[i] = canonical.Event{ID: fmt.Sprintf("e%d", i), Tenant: t, Entity: "account", Data: map[string]any{"i": int64(i)}}
	}
	return out
}

func TestKeysAndTrimming(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	a, b := tenancy.New(), tenancy.New()
	pub, err := NewPublisher(c, &PublisherConfig{MaxLen: 1000, Stream: stream.PublisherConfig{MaxBatch: 500}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, evs(a, 5000)...); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, evs(b, 3)...); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{"aam:stream:{" + a.String() + "}", "aam:stream:{" + b.String() + "}"}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want one stream per tenant %v", keys, want)
	}
	n, _ := c.XLen(ctx, "aam:stream:{"+a.String()+"}").Result()
	if n < 1000 || n >= 2000 {
		t.Errorf("tenant a's stream holds %d entries after 5000 with MAXLEN ~1000", n)
	}
}

func TestConfigValidation(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	tn := tenancy.New()
	if _, err := NewPublisher(nil, nil); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("nil client: %v", err)
	}
	if _, err := NewPublisher(c, &PublisherConfig{KeyPrefix: "x{y}"}); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("prefix with braces: %v", err)
	}
	if _, err := NewPublisher(c, &PublisherConfig{MaxLen: -1}); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("negative MaxLen: %v", err)
	}
	for _, g := range []string{"", "a b", "a{b", strings.Repeat("g", 129), "tab\t"} {
		if _, err := NewSubscriber(ctx, c, tn, g, nil); !errors.Is(err, stream.ErrInvalidConfig) {
			t.Errorf("group %q: %v", g, err)
		}
	}
	if _, err := NewSubscriber(ctx, c, tenancy.Nil, "g", nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("nil tenant: %v", err)
	}
	if _, err := NewSubscriber(ctx, c, tn, "g", &SubscriberConfig{Block: -1}); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("negative Block: %v", err)
	}
	// Creating the same group twice is fine.
	for range 2 {
		s, err := NewSubscriber(ctx, c, tn, "g", nil)
		if err != nil {
			t.Fatalf("NewSubscriber: %v", err)
		}
		_ = s.Close()
	}
	dl, _ := NewDeadLetters(c, tn, "g", nil)
	if _, err := dl.List(ctx, "not-an-id", 10); !errors.Is(err, stream.ErrInvalidID) {
		t.Errorf("List after a malformed id: %v", err)
	}
	if got, err := dl.Replay(ctx, "junk", "1-x"); err != nil || len(got) != 0 {
		t.Errorf("Replay of malformed ids: %v, %v; want them skipped", got, err)
	}
}

// An entry trimmed from the stream while pending is reported by
// XAUTOCLAIM as deleted; the subscriber logs it and goes on.
func TestPendingEntryTrimmed(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	tn := tenancy.New()
	pub, _ := NewPublisher(c, nil)
	defer pub.Close()
	s, err := newSubscription(ctx, c, tn, "g", &SubscriberConfig{Consumer: "c1", MinIdle: 10 * time.Millisecond, Block: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, evs(tn, 2)...); err != nil {
		t.Fatal(err)
	}
	first, err := s.Receive(ctx, 2)
	if err != nil || len(first) != 2 {
		t.Fatalf("receive: %d, %v", len(first), err)
	}
	if err := c.XTrimMaxLen(ctx, s.key, 0).Err(); err != nil { // both gone while pending
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, evs(tn, 3)[2:]...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	var got []*driver.Message
	for range 5 {
		m, err := s.Receive(ctx, 10)
		if err != nil {
			t.Fatalf("Receive after trimming: %v", err)
		}
		got = append(got, m...)
		if len(got) > 0 {
			break
		}
	}
	if len(got) != 1 {
		t.Fatalf("received %d messages, want only the new one", len(got))
	}
	e, _ := stream.Decode(tn, got[0].Body)
	if e.ID != "e2" {
		t.Errorf("received %q, want e2", e.ID)
	}
	pending, _ := c.XPending(ctx, s.key, "g").Result()
	if pending.Count != 1 {
		t.Errorf("%d entries pending, want 1 (the trimmed ones dropped from the PEL)", pending.Count)
	}
}

// A stream deleted under a running subscriber (not trimmed: DEL) loses
// its groups; the subscriber creates its group again and goes on.
func TestStreamDeletedUnderSubscriber(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	tn := tenancy.New()
	pub, _ := NewPublisher(c, nil)
	defer pub.Close()
	s, err := newSubscription(ctx, c, tn, "g", &SubscriberConfig{Consumer: "c1", Block: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Del(ctx, s.key).Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first call recreates the group
		if _, err := s.Receive(ctx, 10); err != nil {
			t.Fatalf("Receive after the stream was deleted: %v", err)
		}
	}
	if err := pub.Publish(ctx, evs(tn, 1)...); err != nil {
		t.Fatal(err)
	}
	m, err := s.Receive(ctx, 10)
	if err != nil || len(m) != 1 {
		t.Fatalf("after recreation: %d messages, %v", len(m), err)
	}
}

func TestCloseRemovesIdleConsumer(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	tn := tenancy.New()
	pub, _ := NewPublisher(c, nil)
	defer pub.Close()
	if err := pub.Publish(ctx, evs(tn, 1)...); err != nil {
		t.Fatal(err)
	}
	holder, _ := newSubscription(ctx, c, tn, "g", &SubscriberConfig{Consumer: "holder", Block: 10 * time.Millisecond})
	idle, _ := newSubscription(ctx, c, tn, "g", &SubscriberConfig{Consumer: "idle", Block: 10 * time.Millisecond})
	if m, err := holder.Receive(ctx, 10); err != nil || len(m) != 1 {
		t.Fatalf("receive: %d, %v", len(m), err)
	}
	if _, err := idle.Receive(ctx, 10); err != nil { // registers the consumer
		t.Fatal(err)
	}
	_ = holder.Close()
	_ = idle.Close()
	cons, err := c.XInfoConsumers(ctx, holder.key, "g").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(cons) != 1 || cons[0].Name != "holder" || cons[0].Pending != 1 {
		t.Errorf("consumers after Close: %+v; want only holder, with its pending entry", cons)
	}
}
