package main

import (
	"context"

	"github.com/autonomos/autonomos/tenancy"
)

// livePart fans live events out to each tenant's SSE and WebSocket
// clients.
type livePart struct{}

// openLive starts the live event hub.
func (a *app) openLive(context.Context) error { return nil }

// closeLive stops the hub and closes the clients' streams.
func (a *app) closeLive() {}

// liveRoutes are the event stream routes (SSE, WebSocket).
func (a *app) liveRoutes() []route { return nil }

// graphChanged is the data of a "graph.changed" event.
type graphChanged struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// emit sends a live event of type typ with data (encoded as JSON) to
// tenant's clients. It never blocks the caller for long and never fails it:
// live events are a view, not the record.
func (a *app) emit(ctx context.Context, tenant tenancy.ID, typ string, data any) {}
