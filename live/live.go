package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

var (
	// ErrGap is returned by [Subscription.Next] when events the
	// subscriber should have seen are no longer held: it fell further
	// behind than the hub's buffer, or it resumed from an id older than
	// the history (or unknown to this hub). The subscription goes on with
	// the events still held, then the live ones; a client should reload
	// its state.
	ErrGap = errors.New("live: events were missed")
	// ErrClosed is returned once the hub or the subscription is closed.
	ErrClosed = errors.New("live: closed")
	// ErrInvalidEvent is returned for an event type or data that cannot be
	// published, and ErrInvalidID for a malformed last-event id.
	ErrInvalidEvent = errors.New("live: invalid event")
	ErrInvalidID    = errors.New("live: invalid event id")
	// ErrUnavailable is returned by Subscribe when the hub's backend
	// cannot be reached; the client should retry later. (Publish does not
	// return it: a driver with a backend buffers events meanwhile.)
	ErrUnavailable = errors.New("live: backend unavailable")
)

// MaxTypeLen bounds an event type.
const MaxTypeLen = 128

// MaxDataBytes bounds the data of one event: events are notifications,
// not payloads.
const MaxDataBytes = 64 << 10

// Event is one live event of a tenant.
type Event struct {
	// ID orders the events of a tenant; a subscriber resumes after it.
	// Its form belongs to the driver; treat it as opaque text.
	ID     string     `json:"id"`
	Tenant tenancy.ID `json:"tenant"`
	// Type says what happened, e.g. "graph.changed", "mesh.sync.ended".
	Type string `json:"type"`
	// Data is the event's JSON value.
	Data json.RawMessage `json:"data"`
	// At is when it was published.
	At time.Time `json:"at"`
}

// Hub publishes each tenant's events and hands them to that tenant's
// subscribers. Implementations are safe for concurrent use.
type Hub interface {
	// Publish sends an event of type typ with data (a JSON value) to
	// tenant's subscribers. It does not wait for slow subscribers.
	Publish(ctx context.Context, tenant tenancy.ID, typ string, data json.RawMessage) error
	// Subscribe returns tenant's events after lastEventID still held, then
	// the live ones. With lastEventID "" only events published from now on
	// are delivered. An id older than the history, or unknown to the hub,
	// makes the first Next return [ErrGap].
	Subscribe(ctx context.Context, tenant tenancy.ID, lastEventID string) (Subscription, error)
	// Close stops the hub; open subscriptions return [ErrClosed].
	Close() error
}

// Subscription is one subscriber's stream of events. Next and Close may
// be called from different goroutines; Next from one at a time.
type Subscription interface {
	// Next returns the next event, waiting for one until ctx is done. It
	// returns an error wrapping [ErrGap] once for each gap (and then goes
	// on), [ErrClosed] after Close or the hub's Close, or ctx's error.
	Next(ctx context.Context) (Event, error)
	// Close ends the subscription and releases what it holds.
	Close() error
}

// CheckEvent reports why an event of type typ with data cannot be
// published, as an error wrapping [ErrInvalidEvent], or nil.
func CheckEvent(tenant tenancy.ID, typ string, data json.RawMessage) error {
	if err := tenant.Validate(); err != nil {
		return err
	}
	if typ == "" || len(typ) > MaxTypeLen {
		return fmt.Errorf("%w: type must be 1 to %d bytes, got %d", ErrInvalidEvent, MaxTypeLen, len(typ))
	}
	if i := strings.IndexFunc(typ, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}); i >= 0 {
		return fmt.Errorf("%w: type %q: byte %d is not a letter, digit, '.', '_' or '-'", ErrInvalidEvent, typ, i)
	}
	if len(data) > MaxDataBytes {
		return fmt.Errorf("%w: data of %q is %d bytes, more than %d", ErrInvalidEvent, typ, len(data), MaxDataBytes)
	}
	if len(data) > 0 && !json.Valid(data) {
		return fmt.Errorf("%w: data of %q is not valid JSON", ErrInvalidEvent, typ)
	}
	return nil
}

// NullData is the data of an event published with none.
var NullData = json.RawMessage("null")
