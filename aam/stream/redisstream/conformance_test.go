package redisstream

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/aam/stream/streamtest"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

// harness shares one database among the suite's tests (they use fresh
// tenants). Every subscription gets a client of its own, which its Close
// closes: a consumer that dies takes its connection with it.
type harness struct {
	base *redis.Client
}

// dial returns a new client on the same server and database as base.
func dial(base *redis.Client) *redis.Client {
	opts := *base.Options()
	return redis.NewClient(&opts)
}

func (h harness) MakePublisher(ctx context.Context) (driver.Publisher, error) {
	return newPublisher(h.base, nil)
}

type ownClient struct {
	*subscription
	c *redis.Client
}

func (s ownClient) Close() error {
	_ = s.subscription.Close()
	return s.c.Close()
}

func (h harness) MakeSubscription(ctx context.Context, tenant tenancy.ID, group, consumer string, minIdle time.Duration) (driver.Subscription, error) {
	c := dial(h.base)
	s, err := newSubscription(ctx, c, tenant, group, &SubscriberConfig{
		Consumer: consumer, MinIdle: minIdle, Block: 50 * time.Millisecond,
	})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return ownClient{s, c}, nil
}

func (h harness) MakeDeadLetters(ctx context.Context, tenant tenancy.ID, group string) (driver.DeadLetters, error) {
	return newDeadLetters(h.base, tenant, group, nil)
}

func (h harness) Close() {}

func TestConformance(t *testing.T) {
	base := testenv.Redis(t)
	streamtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (streamtest.Harness, error) {
		return harness{base: base}, nil
	})
}
