package redisstream_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/redisstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Wire a publisher, a consumer of the "warehouse" group and its dead
// letters to Redis. (Not run: it needs a server.)
func Example() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close() // after the publisher and subscriber below
	tenant := tenancy.MustParse("4b7e6f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b")

	pub, err := redisstream.NewPublisher(client, &redisstream.PublisherConfig{MaxLen: 5_000_000})
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, canonical.Event{ID: "acc-1", Tenant: tenant, Entity: "account"}); err != nil {
		log.Fatal(err)
	}

	sub, err := redisstream.NewSubscriber(ctx, client, tenant, "warehouse", &redisstream.SubscriberConfig{
		MinIdle: time.Minute, // longer than the slowest handler
		Stream:  stream.SubscriberConfig{MaxDeliveries: 5},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	go func() {
		dedup := stream.NewDeduper(0)
		err := sub.Run(ctx, dedup.Filter(stream.Each(func(ctx context.Context, e canonical.Event) error {
			return nil // store e, keyed by e.ID
		})))
		log.Print(err)
	}()

	dead, err := redisstream.NewDeadLetters(client, tenant, "warehouse", nil)
	if err != nil {
		log.Fatal(err)
	}
	letters, err := dead.List(ctx, "", 50)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range letters {
		log.Printf("%s: %s after %d deliveries: %s", l.ID, l.Event.ID, l.Deliveries, l.Reason)
	}
}
