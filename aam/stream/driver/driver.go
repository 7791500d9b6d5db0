// Package driver defines the small interfaces that an event stream backend
// implements for package [github.com/autonomos/autonomos/aam/stream].
//
// Users program against [stream.Publisher], [stream.Subscriber] and
// [stream.DeadLetters]; they never call a driver directly. The portable
// types do the shared work (validation, encoding, batching, deciding when a
// message is dead, closed state), so a driver only moves opaque message
// bodies in and out of one stream per tenant and keeps the delivery
// bookkeeping: which messages a consumer group has delivered, to whom,
// how often and how long ago.
//
// A driver proves that it behaves like the others by running
// [github.com/autonomos/autonomos/aam/stream/streamtest.RunConformanceTests].
package driver

import (
	"context"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Message is one entry of a tenant's stream.
type Message struct {
	// ID is the driver's identifier of the entry within the tenant's
	// stream (a Redis stream entry ID, a sequence number). It is set by
	// the driver on receive and ignored on publish. IDs of one tenant's
	// stream increase in publish order.
	ID string
	// Tenant owns the stream the message is in.
	Tenant tenancy.ID
	// Body is the encoded event. The driver stores it unchanged. On
	// publish the bytes belong to the caller and are reused after Publish
	// returns: a driver that keeps them must copy them.
	Body []byte
	// Deliveries is how many times the message has been delivered to the
	// consumer group, counting this delivery; 1 on the first delivery.
	// Set by the driver on receive.
	Deliveries int
}

// Publisher appends messages to tenants' streams.
//
// Implementations must be safe for concurrent use.
type Publisher interface {
	// Publish appends msgs, in order, each to the stream of its Tenant.
	// The slice may mix tenants; messages of one tenant must land in the
	// order given. Publish should send the batch in as few round trips as
	// the backend allows. It returns the number of leading messages known
	// to be stored when it fails; on success it returns len(msgs).
	//
	// The portable type has validated every message, and ctx is not done
	// when Publish is called.
	Publish(ctx context.Context, msgs []*Message) (int, error)
	// Close releases what the driver holds. It does not close clients
	// that the caller passed in. It is called once.
	Close() error
}

// Subscription receives the messages of one tenant's stream on behalf of
// one consumer of a consumer group. Every consumer group sees every
// message; within a group each message is delivered to one consumer at a
// time.
//
// A message stays pending for the group from its delivery until it is
// acknowledged or dead-lettered. A pending message whose consumer has not
// acknowledged it for the subscription's minimum idle time is delivered
// again, to whichever consumer of the group asks first: that is how the
// messages of a failed handler or a dead consumer come back.
//
// Receive, Ack and DeadLetter are called from one goroutine at a time;
// Close may be called concurrently with Receive and must make it return
// promptly.
type Subscription interface {
	// Receive returns up to max messages. Messages pending longer than
	// the minimum idle time come first, then new messages in stream
	// order. When there are none, Receive waits until there are, until
	// ctx is done, or for a driver-chosen poll interval; it may return
	// no messages and no error, and is then called again.
	Receive(ctx context.Context, max int) ([]*Message, error)
	// Ack acknowledges the messages with the given IDs for the group: they
	// are never delivered to it again. Acknowledging an ID that is not
	// pending is not an error.
	Ack(ctx context.Context, ids []string) error
	// DeadLetter moves messages to the group's dead-letter list of the
	// tenant and acknowledges them, atomically: after a failure either
	// both happened or neither did.
	DeadLetter(ctx context.Context, letters []*DeadLetter) error
	// Close stops the subscription without acknowledging anything; the
	// messages it holds stay pending and are delivered again after the
	// minimum idle time. It does not close clients that the caller passed
	// in. It is called once.
	Close() error
}

// DeadLetter is a message that a consumer group gave up on.
type DeadLetter struct {
	// ID identifies the dead letter in the tenant's dead-letter list of
	// the group. Set by the driver on list; ignored by DeadLetter.
	ID string
	// Message is the message as it was in the tenant's stream, with the
	// number of deliveries it had.
	Message Message
	// Group is the consumer group that gave up. Set by the driver.
	Group string
	// Consumer is the consumer that gave up. Set by the driver.
	Consumer string
	// Reason says why, e.g. the handler's last error.
	Reason string
	// At is when the message was dead-lettered.
	At time.Time
}

// DeadLetters lists and replays the dead letters of one tenant and one
// consumer group. Implementations must be safe for concurrent use.
type DeadLetters interface {
	// List returns up to limit dead letters in the order they died,
	// starting after the dead letter with ID after ("" for the first).
	List(ctx context.Context, after string, limit int) ([]*DeadLetter, error)
	// Replay appends the bodies of the dead letters with the given IDs to
	// the tenant's stream again, as new messages, and removes them from
	// the dead-letter list, atomically. It returns the IDs found; unknown
	// IDs are skipped.
	Replay(ctx context.Context, ids []string) ([]string, error)
	// Delete removes the dead letters with the given IDs and returns how
	// many existed.
	Delete(ctx context.Context, ids []string) (int, error)
}
