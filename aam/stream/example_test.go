package stream_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

var tenant = tenancy.MustParse("4b7e6f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b")

func event(id, name string) canonical.Event {
	return canonical.Event{
		ID: id, Tenant: tenant, Entity: "account", Op: canonical.OpUpsert, SourceKey: id,
		Source: canonical.Source{System: "csv", ConnectionID: "crm-export", Object: "accounts.csv"},
		Data:   map[string]any{"name": name},
	}
}

// quiet keeps the examples' output free of the subscriber's warnings.
var quiet = slog.New(slog.DiscardHandler)

// Publish events and handle them with a subscriber of the "warehouse"
// group, one by one.
func Example() {
	ctx := context.Background()
	b := memstream.New(nil)

	pub, err := b.NewPublisher(nil)
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	err = pub.Publish(ctx, event("acc-1", "Acme"), event("acc-2", "Globex"), event("acc-3", "Initech"))
	if err != nil {
		panic(err)
	}

	sub, err := b.NewSubscriber(tenant, "warehouse", nil)
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	runCtx, stop := context.WithCancel(ctx)
	seen := 0
	err = sub.Run(runCtx, stream.Each(func(ctx context.Context, e canonical.Event) error {
		fmt.Println(e.ID, e.Data["name"])
		if seen++; seen == 3 {
			stop() // a real consumer runs until shutdown
		}
		return nil
	}))
	fmt.Println("Run:", err)
	// Output:
	// acc-1 Acme
	// acc-2 Globex
	// acc-3 Initech
	// Run: context canceled
}

// An event whose handler keeps failing ends in the group's dead letters,
// where a person can look at it and replay it once the cause is fixed.
func ExampleDeadLetters() {
	ctx := context.Background()
	b := memstream.New(nil)
	pub, _ := b.NewPublisher(nil)
	defer pub.Close()
	_ = pub.Publish(ctx, event("acc-1", "Acme"), event("acc-2", ""))

	sub, _ := b.NewSubscriber(tenant, "warehouse", &memstream.SubscriberConfig{
		MinIdle: 10 * time.Millisecond, // redeliver quickly
		Stream:  stream.SubscriberConfig{MaxDeliveries: 2, Logger: quiet},
	})
	dead, _ := b.NewDeadLetters(tenant, "warehouse")

	var fixed atomic.Bool
	handled := make(chan string, 10)
	handler := stream.Each(func(ctx context.Context, e canonical.Event) error {
		if e.Data["name"] == "" && !fixed.Load() {
			return errors.New("name is required")
		}
		handled <- e.ID
		return nil
	})
	go sub.Run(ctx, handler)
	defer sub.Close()
	fmt.Println("handled", <-handled)

	var letters []stream.DeadLetter
	for len(letters) == 0 { // wait for two failed deliveries
		time.Sleep(10 * time.Millisecond)
		letters, _ = dead.List(ctx, "", 10)
	}
	l := letters[0]
	fmt.Printf("dead: %s after %d deliveries: %s\n", l.Event.ID, l.Deliveries, l.Reason)

	fixed.Store(true) // a person fixed the cause
	if _, err := dead.Replay(ctx, l.ID); err != nil {
		panic(err)
	}
	fmt.Println("handled", <-handled)
	letters, _ = dead.List(ctx, "", 10)
	fmt.Println("dead letters left:", len(letters))
	// Output:
	// handled acc-1
	// dead: acc-2 after 2 deliveries: name is required
	// handled acc-2
	// dead letters left: 0
}

// A Deduper drops the replays that at-least-once delivery brings, here a
// publisher's retry of the same event.
func ExampleDeduper_Filter() {
	ctx := context.Background()
	b := memstream.New(nil)
	pub, _ := b.NewPublisher(nil)
	defer pub.Close()
	_ = pub.Publish(ctx, event("acc-1", "Acme"), event("acc-2", "Globex"))
	_ = pub.Publish(ctx, event("acc-2", "Globex"), event("acc-3", "Initech")) // a retry

	sub, _ := b.NewSubscriber(tenant, "warehouse", &memstream.SubscriberConfig{Stream: stream.SubscriberConfig{BatchSize: 2}})
	defer sub.Close()
	dedup := stream.NewDeduper(1000)
	runCtx, stop := context.WithCancel(ctx)
	n := 0
	_ = sub.Run(runCtx, dedup.Filter(func(ctx context.Context, events []canonical.Event) error {
		for _, e := range events {
			fmt.Println(e.ID)
			if n++; n == 3 {
				stop()
			}
		}
		return nil
	}))
	// Output:
	// acc-1
	// acc-2
	// acc-3
}
