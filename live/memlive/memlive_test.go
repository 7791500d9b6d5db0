package memlive_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomos/autonomos/live"

	"github.com/autonomos/autonomos/live/livetest"
	"github.com/autonomos/autonomos/live/memlive"
	"github.com/autonomos/autonomos/tenancy"
)

func TestConformance(t *testing.T) {
	livetest.Run(t, func(t *testing.T) livetest.Harness {
		return livetest.Harness{Hub: memlive.New(&memlive.Config{History: 16}), Buffer: 16, Forget: 17}
	})
}

// BenchmarkFanout publishes b.N events to one tenant with 10 subscribers
// reading them all; it reports deliveries per second (events times
// subscribers) and the publisher's ns per event.
func BenchmarkFanout(b *testing.B) {
	const subs = 10
	hub := memlive.New(&memlive.Config{History: 4096})
	defer hub.Close()
	tenant := tenancy.New()
	ctx := context.Background()
	var wg sync.WaitGroup
	var delivered, gaps atomic.Int64
	for range subs {
		s, err := hub.Subscribe(ctx, tenant, "")
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			for {
				_, err := s.Next(ctx)
				if errors.Is(err, live.ErrGap) {
					gaps.Add(1)
					continue
				}
				if err != nil {
					return
				}
				if delivered.Add(1) == int64(b.N)*subs {
					return
				}
			}
		})
	}
	data := json.RawMessage(`{"connection":"crm","count":500}`)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var publish time.Duration
	for range b.N {
		t0 := time.Now()
		if err := hub.Publish(ctx, tenant, "mesh.batch.published", data); err != nil {
			b.Fatal(err)
		}
		publish += time.Since(t0)
	}
	// Readers that fell behind got gaps instead of the events: stop
	// waiting for those.
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load()+gaps.Load() < int64(b.N)*subs && gaps.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	_ = hub.Close()
	wg.Wait()
	b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(publish.Nanoseconds())/float64(b.N), "publish-ns/event")
	b.ReportMetric(float64(gaps.Load()), "gaps")
}
