package main

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// registerGauges adds the metrics read from the app's state when scraped:
// the DCL consumers' lag and the open live-event streams. Called once the
// parts are open.
func (a *app) registerGauges() {
	a.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hostd_stream_lag_events",
			Help: "Canonical events this replica published that the DCL's stream consumers have not stored yet (all tenants).",
		}, func() float64 {
			var n int64
			a.pending.Range(func(_, v any) bool {
				n += v.(*atomic.Int64).Load()
				return true
			})
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hostd_live_streams_open",
			Help: "Open live-event streams (SSE and WebSocket) on this replica.",
		}, func() float64 { return float64(a.streams.total()) }),
	)
}

// countLLM counts one LLM call of caller with its tokens.
func (a *app) countLLM(caller string, prompt, completion int64) {
	model := a.cfg.OpenAIModel
	a.metrics.llmCalls.WithLabelValues(model, caller).Inc()
	a.metrics.llmTokens.WithLabelValues(model, caller, "prompt").Add(float64(prompt))
	a.metrics.llmTokens.WithLabelValues(model, caller, "completion").Add(float64(completion))
}
