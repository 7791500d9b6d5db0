package redisstream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

// benchEvents returns n distinct events of about 500 bytes encoded.
func benchEvents(tenant tenancy.ID, n int) []canonical.Event {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	out := make([]canonical.Event, n)
	for i := range out {
		out[i] = canonical.Event{
			ID:        fmt.Sprintf("ev-%016x", i),
			Tenant:    tenant,
			Source:    canonical.Source{System: "salesforce", ConnectionID: "conn-7f3a", Object: "Opportunity"},
			Entity:    "opportunity",
			Op:        canonical.OpUpsert,
			SourceKey: fmt.Sprintf("0065g00000%08d", i),
			Data: map[string]any{
				"name":        fmt.Sprintf("Renewal %d - Acme", i),
				"amount":      125000.5 + float64(i),
				"currency":    "USD",
				"stage":       "negotiation",
				"probability": 0.6,
				"close_date":  "2026-12-31",
				"account_id":  fmt.Sprintf("0015g00000%08d", i),
			},
			SchemaFingerprint: "sha256:9f2c1e0b7a4d5c3e",
			OccurredAt:        at,
			IngestedAt:        at.Add(time.Second),
		}
	}
	return out
}

// BenchmarkRedisPublish publishes ~500-byte events through the driver
// and, in the same run, the same encoded payloads with a bare go-redis
// pipeline of XADD ... MAXLEN ~ (pipelines of 1000, one after another),
// alternating page by page so that both see the same machine load. Our
// publisher gets canonical.Event values, validates and encodes them and
// sends them in pipelines of 1000. With pages of 10000 events per Publish
// call (a page of source records) it encodes the next pipeline while the
// previous one is in flight; with pages of 1000 each call is one
// pipeline and nothing overlaps. It reports our rate (events/s), the bare
// rate (bare-events/s) and ours/bare (ratio). One op is one event; ns/op
// and allocs cover our path only.
func BenchmarkRedisPublish(b *testing.B) {
	client := testenv.Redis(b)
	for _, page := range []int{10_000, 1000} {
		b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) { benchPublish(b, client, page) })
	}
}

func benchPublish(b *testing.B, client *redis.Client, page int) {
	const (
		pipeline = 1000
		maxLen   = 100_000 // keeps the shared Redis's memory bounded; same for both
	)
	ctx := context.Background()
	ours, bare := tenancy.New(), tenancy.New()
	events := benchEvents(ours, page)
	payloads := make([][]byte, page)
	size := 0
	for i := range events {
		p, err := stream.Encode(&events[i])
		if err != nil {
			b.Fatal(err)
		}
		payloads[i] = p
		size += len(p)
	}
	pub, err := NewPublisher(client, &PublisherConfig{MaxLen: maxLen, Stream: stream.PublisherConfig{MaxBatch: pipeline}})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	k := keys{DefaultKeyPrefix}
	defer client.Del(ctx, k.stream(ours), k.stream(bare))
	bareKey := k.stream(bare)
	barePublish := func(payloads [][]byte) {
		for len(payloads) > 0 {
			n := min(pipeline, len(payloads))
			pipe := client.Pipeline()
			for _, p := range payloads[:n] {
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: bareKey, MaxLen: maxLen, Approx: true, Values: []any{fieldEvent, p}})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
			payloads = payloads[n:]
		}
	}
	// Warm both paths (connections, stream creation).
	barePublish(payloads[:pipeline])
	if err := pub.Publish(ctx, events[:pipeline]...); err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	b.ResetTimer()
	var oursTime, bareTime time.Duration
	for done := 0; done < b.N; {
		n := min(page, b.N-done)
		start := time.Now()
		if err := pub.Publish(ctx, events[:n]...); err != nil {
			b.Fatal(err)
		}
		oursTime += time.Since(start)
		b.StopTimer()
		start = time.Now()
		barePublish(payloads[:n])
		bareTime += time.Since(start)
		b.StartTimer()
		done += n
	}
	b.StopTimer()
	oursRate := float64(b.N) / oursTime.Seconds()
	bareRate := float64(b.N) / bareTime.Seconds()
	b.ReportMetric(oursRate, "events/s")
	b.ReportMetric(bareRate, "bare-events/s")
	b.ReportMetric(oursRate/bareRate, "ratio")
	b.ReportMetric(float64(size)/float64(page), "bytes/event")
}
