package memstream

import (
	"context"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/aam/stream/streamtest"
	"github.com/autonomos/autonomos/tenancy"
)

type harness struct{ b *Broker }

func (h harness) MakePublisher(ctx context.Context) (driver.Publisher, error) {
	return &publisher{b: h.b}, nil
}

func (h harness) MakeSubscription(ctx context.Context, tenant tenancy.ID, group, consumer string, minIdle time.Duration) (driver.Subscription, error) {
	return h.b.openSubscription(tenant, group, consumer, minIdle, 50*time.Millisecond)
}

func (h harness) MakeDeadLetters(ctx context.Context, tenant tenancy.ID, group string) (driver.DeadLetters, error) {
	return h.b.openDeadLetters(tenant, group)
}

func (h harness) Close() {}

func TestConformance(t *testing.T) {
	streamtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (streamtest.Harness, error) {
		return harness{b: New(nil)}, nil
	})
}
