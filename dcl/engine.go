package dcl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// EngineConfig configures an [Engine]. The zero value is usable.
type EngineConfig struct {
	// Logger receives a warning for each rejected event. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Engine materializes a tenant's canonical event stream in a
// [Warehouse]: each batch the stream delivers is written in one
// transaction, and the handler returns only after the commit, so the
// stream acknowledges events only once they are stored. Since writes are
// idempotent and newest-wins, a redelivery (a consumer that died between
// commit and acknowledgement, a replay of the whole stream) changes
// nothing.
//
// An Engine is safe for concurrent use; it does not own the warehouse.
type Engine struct {
	w   *Warehouse
	log *slog.Logger

	batches, written, rejected atomic.Int64
}

// EngineStats counts what an [Engine] did since it was made.
type EngineStats struct {
	// Batches is the number of committed batches.
	Batches int64
	// Written is the number of events committed (replays included).
	Written int64
	// Rejected is the number of invalid events refused.
	Rejected int64
}

// NewEngine returns an Engine writing to w. A nil cfg means defaults.
func NewEngine(w *Warehouse, cfg *EngineConfig) (*Engine, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil warehouse", ErrInvalidConfig)
	}
	e := &Engine{w: w, log: slog.Default()}
	if cfg != nil && cfg.Logger != nil {
		e.log = cfg.Logger
	}
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() EngineStats {
	return EngineStats{Batches: e.batches.Load(), Written: e.written.Load(), Rejected: e.rejected.Load()}
}

// Materialize writes events of tenant in one transaction. It is the
// path of both the stream handler and callers that read connectors
// directly (USE_AAM_AS_SOURCE off). Invalid events are reported in a
// [*RejectedEventsError] while the others are committed.
func (e *Engine) Materialize(ctx context.Context, tenant tenancy.ID, events []canonical.Event) error {
	err := e.w.Write(ctx, tenant, events)
	var rej *RejectedEventsError
	switch {
	case err == nil:
		e.batches.Add(1)
		e.written.Add(int64(len(events)))
	case errors.As(err, &rej):
		n := 0
		for i, r := range rej.Errs {
			if r != nil {
				n++
				e.log.Warn("dcl: event rejected", "tenant", tenant.String(), "event_id", events[i].ID, "error", r.Error())
			}
		}
		e.batches.Add(1)
		e.written.Add(int64(len(events) - n))
		e.rejected.Add(int64(n))
	}
	return err
}

// Handler returns the stream handler materializing tenant's events. It
// returns nil only after the batch committed; when some events are
// invalid it commits the others and returns a [*stream.BatchError]
// naming the invalid ones, which the stream retries and finally moves to
// its dead letters. Any other failure leaves the whole batch to be
// delivered again.
func (e *Engine) Handler(tenant tenancy.ID) stream.Handler {
	return func(ctx context.Context, events []canonical.Event) error {
		err := e.Materialize(ctx, tenant, events)
		var rej *RejectedEventsError
		if errors.As(err, &rej) {
			return &stream.BatchError{Errs: rej.Errs}
		}
		return err
	}
}

// Run consumes sub, tenant's subscription, until ctx is done or sub is
// closed; it returns what [stream.Subscriber.Run] returns.
func (e *Engine) Run(ctx context.Context, tenant tenancy.ID, sub *stream.Subscriber) error {
	if sub == nil {
		return fmt.Errorf("%w: nil subscriber", ErrInvalidConfig)
	}
	return sub.Run(ctx, e.Handler(tenant))
}
