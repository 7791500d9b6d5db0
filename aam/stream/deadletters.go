package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// DeadLetter is a message that a consumer group gave up on, as a person
// sees it when deciding whether to replay or delete it.
type DeadLetter struct {
	// ID identifies the dead letter in its list; pass it to
	// [DeadLetters.Replay] or [DeadLetters.Delete].
	ID string
	// Tenant owns the message.
	Tenant tenancy.ID
	// MessageID is the message's ID in the tenant's stream.
	MessageID string
	// Event is the decoded event; zero when the body did not decode (then
	// Reason says why and Body holds the raw bytes).
	Event canonical.Event
	// Body is the message body as it was published.
	Body []byte
	// Deliveries is how many times the message was delivered.
	Deliveries int
	// Group and Consumer name the consumer group and consumer that gave
	// up on it.
	Group, Consumer string
	// Reason says why: the handler's last error, or why the body is not
	// an event.
	Reason string
	// At is when it was dead-lettered.
	At time.Time
}

// DeadLetters is the dead-letter list of one tenant and one consumer
// group: where messages go after too many failed deliveries, for a
// person to look at, then replay or delete.
//
// A replayed message is appended to the tenant's stream again as a new
// message, so every consumer group of the tenant sees it once more;
// consumers drop it by event ID where they had handled it.
//
// DeadLetters is safe for concurrent use. Get one from a driver package
// or [NewDeadLetters]; it holds nothing to close.
type DeadLetters struct {
	d driver.DeadLetters
}

// NewDeadLetters returns a DeadLetters over d. It is meant for driver
// packages; users call their driver's constructor.
func NewDeadLetters(d driver.DeadLetters) (*DeadLetters, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrInvalidConfig)
	}
	return &DeadLetters{d: d}, nil
}

// List returns up to limit dead letters (100 when limit <= 0) in the
// order they died, starting after the one with ID after ("" for the
// oldest). Page by passing the last ID returned.
func (q *DeadLetters) List(ctx context.Context, after string, limit int) ([]DeadLetter, error) {
	if limit <= 0 {
		limit = 100
	}
	ds, err := q.d.List(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("stream: list dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(ds))
	for _, d := range ds {
		dl := DeadLetter{
			ID:         d.ID,
			Tenant:     d.Message.Tenant,
			MessageID:  d.Message.ID,
			Body:       d.Message.Body,
			Deliveries: d.Message.Deliveries,
			Group:      d.Group,
			Consumer:   d.Consumer,
			Reason:     d.Reason,
			At:         d.At,
		}
		if e, err := Decode(d.Message.Tenant, d.Message.Body); err == nil {
			dl.Event = e
		}
		out = append(out, dl)
	}
	return out, nil
}

// Replay appends the dead letters with the given IDs to the tenant's
// stream again and removes them from the list, each atomically. It
// returns the IDs it replayed; IDs not in the list are skipped.
func (q *DeadLetters) Replay(ctx context.Context, ids ...string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	done, err := q.d.Replay(ctx, ids)
	if err != nil {
		return done, fmt.Errorf("stream: replay dead letters: %w", err)
	}
	return done, nil
}

// Delete removes the dead letters with the given IDs for good and
// returns how many there were.
func (q *DeadLetters) Delete(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := q.d.Delete(ctx, ids)
	if err != nil {
		return n, fmt.Errorf("stream: delete dead letters: %w", err)
	}
	return n, nil
}
