package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
)

// PublisherConfig configures a [Publisher]. The zero value is usable.
type PublisherConfig struct {
	// MaxBatch is the largest number of events handed to the driver in
	// one call (for Redis: one pipeline). A Publish with more events is
	// sent in several batches, in order. Defaults to 1000.
	MaxBatch int
}

// WithDefaults returns a copy of c with zero fields set to their defaults.
// A nil c gives all defaults.
func (c *PublisherConfig) WithDefaults() PublisherConfig {
	var out PublisherConfig
	if c != nil {
		out = *c
	}
	if out.MaxBatch == 0 {
		out.MaxBatch = 1000
	}
	return out
}

func (c *PublisherConfig) validate() error {
	if c.MaxBatch < 0 {
		return fmt.Errorf("%w: MaxBatch %d is negative", ErrInvalidConfig, c.MaxBatch)
	}
	return nil
}

// Publisher appends canonical events to their tenants' streams. It
// validates and encodes the events and hands them to its driver in
// batches.
//
// A Publisher is safe for concurrent use. The zero value is not usable;
// get one from a driver package (memstream, redisstream) or
// [NewPublisher]. Whoever made it closes it.
type Publisher struct {
	d   driver.Publisher
	cfg PublisherConfig

	mu     sync.RWMutex // held for reading by Publish, for writing by Close
	closed bool

	pool sync.Pool // *pubBuf
}

type pubBuf struct {
	enc  *encoder
	msgs []driver.Message
	ptrs []*driver.Message
}

// NewPublisher returns a Publisher over d. It is meant for driver
// packages; users call their driver's constructor. A nil cfg means
// defaults.
func NewPublisher(d driver.Publisher, cfg *PublisherConfig) (*Publisher, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrInvalidConfig)
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	p := &Publisher{d: d, cfg: c}
	p.pool.New = func() any { return &pubBuf{enc: newEncoder()} }
	return p, nil
}

// Publish appends events, each to its tenant's stream, in order per
// tenant. Every event must have a valid tenant and a non-empty ID; if
// one does not, Publish returns an [*InvalidEventError] and publishes
// nothing. An event that cannot be encoded (a NaN or a channel in its
// Data) is refused with an *InvalidEventError too, inside a
// [*PublishError] if earlier batches were already sent.
//
// When Publish returns nil every event is stored. When it fails after
// storing some, it returns a [*PublishError] saying how many leading
// events are stored; the rest may or may not be, so a retry may produce
// duplicates, which consumers drop by event ID. A done ctx is returned as
// it is (wrapped in a *PublishError if some events were stored).
func (p *Publisher) Publish(ctx context.Context, events ...canonical.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range events {
		if err := validateEvent(i, &events[i]); err != nil {
			return err
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if len(events) == 0 {
		return nil
	}
	// Batches go to the driver one after another, in order; while one is
	// in flight the next is encoded, so the client's encoding overlaps the
	// backend's work. (Cutting a call of one MaxBatch into smaller batches
	// to overlap it too was measured: on the shared 2-core machine the
	// extra round trips cost more than the overlap gained.)
	size := p.cfg.MaxBatch
	bufs := [2]*pubBuf{p.pool.Get().(*pubBuf), nil}
	defer func() {
		for _, b := range bufs {
			if b != nil {
				if cap(b.enc.buf) > 4<<20 { // do not keep huge buffers
					b.enc = newEncoder()
				}
				p.pool.Put(b)
			}
		}
	}()
	type result struct {
		stored int
		err    error
	}
	var (
		inflight chan result
		sent     int // events handed to the driver before the in-flight batch
		flying   int // events in the in-flight batch
	)
	wait := func() error {
		if inflight == nil {
			return nil
		}
		r := <-inflight
		inflight = nil
		if r.err != nil {
			return p.fail(sent+max(0, min(r.stored, flying)), len(events), r.err)
		}
		sent += flying
		flying = 0
		return nil
	}
	for next, k := 0, 0; next < len(events); k ^= 1 {
		n := min(size, len(events)-next)
		if bufs[k] == nil {
			bufs[k] = p.pool.Get().(*pubBuf)
		}
		buf := bufs[k]
		encErr := p.encode(buf, events[next:next+n], next)
		if err := wait(); err != nil {
			return err
		}
		if encErr != nil {
			return p.fail(sent, len(events), encErr)
		}
		if err := ctx.Err(); err != nil {
			return p.fail(sent, len(events), err)
		}
		inflight, flying = make(chan result, 1), n
		if next+n == len(events) {
			// The last batch: no need for another goroutine.
			stored, err := p.d.Publish(ctx, buf.ptrs)
			inflight <- result{stored, err}
		} else {
			go func(ch chan result, msgs []*driver.Message) {
				stored, err := p.d.Publish(ctx, msgs)
				ch <- result{stored, err}
			}(inflight, buf.ptrs)
		}
		next += n
	}
	return wait()
}

func (p *Publisher) encode(buf *pubBuf, batch []canonical.Event, offset int) error {
	buf.enc.reset()
	buf.msgs = buf.msgs[:0]
	type span struct{ s, e int }
	spans := make([]span, 0, len(batch))
	for i := range batch {
		s, e, err := buf.enc.encode(&batch[i])
		if err != nil {
			return &InvalidEventError{Index: offset + i, EventID: batch[i].ID, Reason: "cannot encode: " + err.Error()}
		}
		spans = append(spans, span{s, e})
	}
	all := buf.enc.bytes() // stable now that encoding is finished
	for i := range batch {
		buf.msgs = append(buf.msgs, driver.Message{Tenant: batch[i].Tenant, Body: all[spans[i].s:spans[i].e:spans[i].e]})
	}
	buf.ptrs = buf.ptrs[:0]
	for i := range buf.msgs {
		buf.ptrs = append(buf.ptrs, &buf.msgs[i])
	}
	return nil
}

func (p *Publisher) fail(stored, total int, err error) error {
	var inv *InvalidEventError
	if stored == 0 && (errors.As(err, &inv) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	if stored == 0 {
		return fmt.Errorf("stream: publish: %w", err)
	}
	return &PublishError{Published: stored, Total: total, Err: err}
}

// Close closes the publisher and its driver. It waits for Publish calls
// in progress. Publish after Close returns [ErrClosed]; a second Close
// returns ErrClosed too. Close does not close clients that were passed to
// the driver.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	return p.d.Close()
}

func validateEvent(i int, e *canonical.Event) error {
	if err := e.Tenant.Validate(); err != nil {
		return &InvalidEventError{Index: i, EventID: e.ID, Reason: "tenant: " + err.Error()}
	}
	if e.ID == "" {
		return &InvalidEventError{Index: i, Reason: "empty id"}
	}
	return nil
}
