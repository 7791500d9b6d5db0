// Package live fans each tenant's live events out to that tenant's
// subscribers: sync progress, drift detected, repairs applied or queued,
// the graph changed. It is what a server's Server-Sent Events and
// WebSocket streams read.
//
// A [Hub] takes events with Publish and hands them out with Subscribe:
//
//	hub := memlive.New(nil)
//	_ = hub.Publish(ctx, tenant, "graph.changed", json.RawMessage(`{"version":7}`))
//
//	sub, err := hub.Subscribe(ctx, tenant, lastEventID) // "" = from now on
//	defer sub.Close()
//	for {
//		e, err := sub.Next(ctx)
//		if errors.Is(err, live.ErrGap) { /* reload state, go on */ continue }
//		if err != nil { return err }
//		send(e.ID, e.Type, e.Data)
//	}
//
// # Guarantees
//
//   - Tenants are apart: a subscription of one tenant never sees another's
//     events.
//   - Order: a subscriber sees a tenant's events in the order the hub
//     stored them, each once.
//   - Resume: Subscribe with the id of the last event a client saw (an
//     SSE Last-Event-ID) delivers exactly the events after it that the
//     hub still holds, then the live ones.
//   - Bounded memory, publishers never wait: history and the lag of a
//     subscriber are bounded per tenant. A subscriber that falls further
//     behind, or resumes from an id older than the history (or unknown,
//     e.g. from before a restart), gets [ErrGap] from Next once, then the
//     events still held and the live ones. Nothing is lost silently.
//
// Live events are a view of what happened, not the record: a client that
// gets a gap reloads the state it shows from the API.
//
// # Drivers
//
//   - [github.com/autonomos/autonomos/live/memlive]: in-process, one ring
//     per tenant; the embedded default.
//   - [github.com/autonomos/autonomos/live/redislive]: a Redis stream per
//     tenant, so that every replica's subscribers see every event and an id
//     from one replica resumes on any other; events are buffered in memory
//     while Redis is unreachable.
//
// [github.com/autonomos/autonomos/live/livetest] is the conformance suite
// both pass.
//
// # Errors
//
// [ErrGap], [ErrClosed], [ErrInvalidEvent] (a type or data that cannot be
// published, see [CheckEvent]), [ErrInvalidID] (a malformed last-event id)
// and [ErrUnavailable] (the backend cannot be reached), matched with
// errors.Is.
package live
