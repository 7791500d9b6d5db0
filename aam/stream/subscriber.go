package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
)

// Handler handles a batch of events of one tenant, in stream order. It
// returns nil when every event is handled; the [Subscriber] then
// acknowledges them all. Any other error leaves every event of the batch
// to be delivered again, except a [*BatchError], which names the events
// that failed. A panic counts as a failure of the whole batch.
//
// Events may arrive more than once (see the package documentation):
// a handler drops replays by event ID, e.g. with a [Deduper].
type Handler func(ctx context.Context, events []canonical.Event) error

// Each returns a Handler that calls fn for each event of the batch in
// order and reports the failures as a [*BatchError], so that one bad
// event does not send the whole batch back. It stops at the first event
// after ctx is done and counts the rest as failed with ctx's error.
func Each(fn func(ctx context.Context, e canonical.Event) error) Handler {
	return func(ctx context.Context, events []canonical.Event) error {
		var errs []error
		for i := range events {
			err := ctx.Err()
			if err == nil {
				err = fn(ctx, events[i])
			}
			if err != nil {
				if errs == nil {
					errs = make([]error, len(events))
				}
				errs[i] = err
			}
		}
		if errs == nil {
			return nil
		}
		return &BatchError{Errs: errs}
	}
}

// SubscriberConfig configures a [Subscriber]. The zero value is usable.
type SubscriberConfig struct {
	// BatchSize is the largest number of events handed to the handler at
	// once. Defaults to 100.
	BatchSize int
	// MaxDeliveries is how many times a message may be delivered without
	// success before it is moved to the dead-letter list: after the
	// handler fails on its MaxDeliveries-th delivery, or when it arrives
	// for a later delivery (its consumers died holding it). Defaults to 5.
	MaxDeliveries int
	// Logger receives the subscriber's warnings (dead letters, driver
	// errors it retries). Defaults to slog.Default().
	Logger *slog.Logger
	// MaxBackoff caps the wait between retries after a driver error.
	// Defaults to 5s.
	MaxBackoff time.Duration
	// Now stamps dead letters with the time; tests set it. Defaults to
	// time.Now.
	Now func() time.Time
}

// WithDefaults returns a copy of c with zero fields set to their defaults.
// A nil c gives all defaults.
func (c *SubscriberConfig) WithDefaults() SubscriberConfig {
	var out SubscriberConfig
	if c != nil {
		out = *c
	}
	if out.BatchSize == 0 {
		out.BatchSize = 100
	}
	if out.MaxDeliveries == 0 {
		out.MaxDeliveries = 5
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.MaxBackoff == 0 {
		out.MaxBackoff = 5 * time.Second
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return out
}

func (c *SubscriberConfig) validate() error {
	switch {
	case c.BatchSize < 0:
		return fmt.Errorf("%w: BatchSize %d is negative", ErrInvalidConfig, c.BatchSize)
	case c.MaxDeliveries < 0:
		return fmt.Errorf("%w: MaxDeliveries %d is negative", ErrInvalidConfig, c.MaxDeliveries)
	case c.MaxBackoff < 0:
		return fmt.Errorf("%w: MaxBackoff %s is negative", ErrInvalidConfig, c.MaxBackoff)
	}
	return nil
}

// Subscriber delivers the events of one tenant's stream to a [Handler]
// as one consumer of a consumer group: every group sees every event, and
// within a group each event goes to one consumer at a time.
//
// Delivery is at least once. An event is acknowledged only after the
// handler succeeded on it; an event whose handler failed, or whose
// consumer died, is delivered again (to any consumer of the group) after
// the driver's minimum idle time, and after MaxDeliveries deliveries it is
// moved to the group's dead-letter list (see [DeadLetters]).
//
// A Subscriber is safe for concurrent use, but runs one [Subscriber.Run]
// at a time; start several Subscribers (consumers) for parallelism. Get
// one from a driver package or [NewSubscriber]; whoever made it closes it.
type Subscriber struct {
	d   driver.Subscription
	cfg SubscriberConfig

	mu      sync.Mutex
	closed  bool
	running bool
	stop    context.CancelFunc // cancels the running Run's receive, nil when idle
	runDone chan struct{}
}

// NewSubscriber returns a Subscriber over d. It is meant for driver
// packages; users call their driver's constructor. A nil cfg means
// defaults.
func NewSubscriber(d driver.Subscription, cfg *SubscriberConfig) (*Subscriber, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrInvalidConfig)
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Subscriber{d: d, cfg: c}, nil
}

// Run receives events and passes them to h until ctx is done or the
// subscriber is closed. It returns ctx's error as it is when ctx is done,
// and nil when [Subscriber.Close] stopped it; a batch in progress is
// finished (handled and acknowledged) before Close lets Run return.
//
// Driver errors are logged and retried with backoff; Run does not return
// on them.
func (s *Subscriber) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return fmt.Errorf("%w: nil handler", ErrInvalidConfig)
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.running:
		s.mu.Unlock()
		return ErrRunning
	}
	rctx, cancel := context.WithCancel(ctx)
	s.running, s.stop, s.runDone = true, cancel, make(chan struct{})
	done := s.runDone
	s.mu.Unlock()
	defer func() {
		cancel()
		s.mu.Lock()
		s.running, s.stop = false, nil
		s.mu.Unlock()
		close(done)
	}()

	backoff := 100 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rctx.Err() != nil { // closed
			return nil
		}
		msgs, err := s.d.Receive(rctx, s.cfg.BatchSize)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if rctx.Err() != nil {
				return nil
			}
			s.cfg.Logger.WarnContext(ctx, "stream: receive failed; retrying", "error", err, "backoff", backoff)
			if !sleep(rctx, backoff) {
				continue
			}
			backoff = min(2*backoff, s.cfg.MaxBackoff)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(msgs) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			// Received as we were stopped: leave the batch pending for
			// the group rather than hand a handler a dead context.
			return err
		}
		// The batch is handled under ctx, not rctx: Close lets it finish.
		s.handle(ctx, h, msgs)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// handle runs one received batch through h and settles every message:
// acknowledged, dead-lettered, or left pending for redelivery.
func (s *Subscriber) handle(ctx context.Context, h Handler, msgs []*driver.Message) {
	var (
		dead   []*driver.DeadLetter
		events = make([]canonical.Event, 0, len(msgs))
		live   = make([]*driver.Message, 0, len(msgs))
	)
	for _, m := range msgs {
		if m.Deliveries > s.cfg.MaxDeliveries {
			dead = append(dead, s.letter(m, fmt.Sprintf("delivered %d times without being acknowledged (consumers died or could not settle it)", m.Deliveries)))
			continue
		}
		e, err := Decode(m.Tenant, m.Body)
		if err != nil {
			// Not an event of this tenant: it can never succeed.
			dead = append(dead, s.letter(m, "stream: message "+m.ID+": "+err.Error()))
			continue
		}
		events = append(events, e)
		live = append(live, m)
	}

	var ack []string
	if len(events) > 0 {
		err := s.call(ctx, h, events)
		var be *BatchError
		if err != nil && errors.As(err, &be) && len(be.Errs) != len(events) {
			err = fmt.Errorf("stream: handler returned a BatchError with %d errors for %d events: %w", len(be.Errs), len(events), err)
			be = nil
		}
		for i, m := range live {
			ferr := err
			if be != nil {
				ferr = be.Errs[i]
			}
			switch {
			case ferr == nil:
				ack = append(ack, m.ID)
			case ctx.Err() != nil:
				// Shutting down: the failure may be ours, not the
				// event's. Leave it pending for another consumer.
			case m.Deliveries >= s.cfg.MaxDeliveries:
				dead = append(dead, s.letter(m, ferr.Error()))
			}
		}
	}

	// Settle even if ctx is done: work that succeeded should not be
	// redone, but do not wait forever on a sick backend.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if len(ack) > 0 {
		if err := s.d.Ack(sctx, ack); err != nil {
			s.cfg.Logger.WarnContext(ctx, "stream: ack failed; the events will be delivered again", "error", err, "count", len(ack))
		}
	}
	if len(dead) > 0 {
		if err := s.d.DeadLetter(sctx, dead); err != nil {
			s.cfg.Logger.WarnContext(ctx, "stream: dead-letter failed; the messages stay pending", "error", err, "count", len(dead))
			return
		}
		for _, d := range dead {
			s.cfg.Logger.WarnContext(ctx, "stream: message dead-lettered",
				"tenant", d.Message.Tenant.String(), "message_id", d.Message.ID,
				"deliveries", d.Message.Deliveries, "consumer", d.Consumer)
		}
	}
}

// call runs h, turning a panic into an error.
func (s *Subscriber) call(ctx context.Context, h Handler, events []canonical.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.ErrorContext(ctx, "stream: handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("stream: handler panicked: %v", r)
		}
	}()
	return h(ctx, events)
}

func (s *Subscriber) letter(m *driver.Message, reason string) *driver.DeadLetter {
	return &driver.DeadLetter{Message: *m, Reason: truncate(reason, 1024), At: s.cfg.Now()}
}

// Close stops the subscriber: a Run in progress finishes its batch and
// returns nil, and later Runs return [ErrClosed]. Close waits for the
// handler; to abandon a handler that hangs, cancel Run's context. Messages received but
// not acknowledged stay pending and are delivered again to other
// consumers. Close closes the driver's subscription but not clients that
// were passed to it. A second Close returns ErrClosed.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	stop, done := s.stop, s.runDone
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return s.d.Close()
}
