// Package stream is the canonical event stream of the adaptive API mesh:
// connectors' records, normalized into [canonical.Event] values, are
// published here, and consumers (the DCL engine, a user's own sink) read
// them back per tenant.
//
// # Types and drivers
//
// Users program against three portable types:
//
//   - [Publisher] appends events to their tenants' streams. It validates
//     every event (a valid tenant, a non-empty ID), encodes it (see
//     [Encode]) and hands the batch to its driver in pipelined batches.
//   - [Subscriber] delivers the events of one tenant to a [Handler], as
//     one consumer of a consumer group.
//   - [DeadLetters] lists, replays and deletes the messages a consumer
//     group gave up on.
//
// Backends live in subpackages and implement the small interfaces of
// package [github.com/autonomos/autonomos/aam/stream/driver]:
// [github.com/autonomos/autonomos/aam/stream/memstream] (in-process, the
// embedded default and test double) and
// [github.com/autonomos/autonomos/aam/stream/redisstream] (Redis Streams,
// for several processes). Importing this package pulls in no client
// library.
//
// Getting started, in process:
//
//	b := memstream.New(nil)
//	pub, _ := b.NewPublisher(nil)
//	defer pub.Close()
//	err := pub.Publish(ctx, events...)
//
//	sub, _ := b.NewSubscriber(tenant, "warehouse", nil)
//	defer sub.Close()
//	err = sub.Run(ctx, stream.Each(func(ctx context.Context, e canonical.Event) error {
//		return sink.Upsert(ctx, e) // idempotent on e.ID
//	}))
//
// # Streams, groups and order
//
// Every tenant has its own stream; nothing of one tenant is ever
// delivered to a subscriber of another, and a message whose body is an
// event of another tenant is refused (dead-lettered), not delivered.
// Every consumer group sees every event of the stream; within a group,
// each event goes to one consumer at a time, so running several
// Subscribers of one group shares the work. A new group starts at the
// oldest event the stream still holds.
//
// Events of one tenant are published and first delivered in order. An
// event delivered again (see below) comes after later events, so a
// handler that needs order across redeliveries must compare event times
// or versions itself.
//
// # Delivery guarantees
//
// Delivery is at least once. A Subscriber acknowledges an event only
// after its handler returned success for it. An event whose handler
// failed, or whose consumer died (crashed, was killed, lost its
// connection) before acknowledging it, stays pending in the group; once
// it has been pending for the driver's minimum idle time any consumer of
// the group takes it over and it is delivered again. So an event may be
// delivered more than once (after a failure, a death, a publisher's
// retry, a dead letter's replay), and never silently lost while the
// stream holds it. (A stream capped by length drops its oldest events
// whether or not they were consumed: size the cap far above any backlog.)
//
// # Dead letters
//
// An event is not retried forever. When the handler fails on its
// MaxDeliveries-th delivery (see [SubscriberConfig]), or an event arrives
// for a later delivery because consumers kept dying while holding it, the
// Subscriber moves it to the group's dead-letter list for the tenant and
// acknowledges it, in one atomic step, with the reason (the handler's
// last error). A body that is not an event of the tenant is dead-lettered
// on its first delivery. A person then looks at [DeadLetters.List],
// fixes the cause, and calls [DeadLetters.Replay], which publishes the
// event to the tenant's stream again, or [DeadLetters.Delete].
//
// # Dropping replays
//
// Because delivery is at least once, consumers drop replays by event ID:
// an event's ID is deterministic (the same source record in the same
// version has the same ID). Durable deduplication belongs to the sink:
// write events keyed by their ID (an upsert, a unique constraint), so a
// replay rewrites the same row. A [Deduper] in front of the handler
// ([Deduper.Filter]) remembers a bounded window of recent IDs per tenant
// in memory and saves the work of most replays; it is lost on restart
// and is no substitute for the sink's own.
//
// A handler that handles events one by one should report which events
// failed with a [*BatchError] ([Each] does this), so that the others are
// acknowledged and one bad event does not send the whole batch back.
//
// # Errors
//
// [ErrClosed] after Close; [*InvalidEventError] (matching
// [ErrInvalidEvent]) for an event refused before anything was sent;
// [*PublishError] when a Publish failed after storing some events, saying
// how many; [ErrRunning] for a second concurrent Run; [ErrInvalidConfig]
// for a configuration a constructor cannot use. Context errors are
// returned as they are.
//
// # Concurrency
//
// Publisher, DeadLetters and Deduper are safe for concurrent use. A
// Subscriber runs one Run at a time; Close may be called from any
// goroutine, lets the batch in progress finish and be acknowledged, and
// makes Run return nil. Whoever makes a Publisher or Subscriber closes
// it; closing never closes a client passed to a driver.
//
// # Testing
//
// Use memstream in tests: it has the same delivery semantics as Redis,
// with a configurable clock and idle time. A driver proves it behaves
// like the others with
// [github.com/autonomos/autonomos/aam/stream/streamtest.RunConformanceTests].
package stream
