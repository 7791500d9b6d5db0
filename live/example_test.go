package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/live/memlive"
	"github.com/autonomos/autonomos/tenancy"
)

func Example() {
	ctx := context.Background()
	hub := memlive.New(&memlive.Config{History: 100})
	defer hub.Close()
	tenant := tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")

	sub, _ := hub.Subscribe(ctx, tenant, "")
	_ = hub.Publish(ctx, tenant, "sync.started", json.RawMessage(`{"connection":"crm"}`))
	_ = hub.Publish(ctx, tenant, "graph.changed", json.RawMessage(`{"version":2}`))

	first, _ := sub.Next(ctx)
	fmt.Println(first.Type, string(first.Data))
	sub.Close() // the client's connection drops after the first event

	// It comes back with the last id it saw and gets what it missed.
	again, _ := hub.Subscribe(ctx, tenant, first.ID)
	defer again.Close()
	missed, _ := again.Next(ctx)
	fmt.Println(missed.Type, string(missed.Data))

	// An id from before a restart (another hub) is a gap: reload.
	restarted := memlive.New(nil)
	defer restarted.Close()
	old, _ := restarted.Subscribe(ctx, tenant, first.ID)
	defer old.Close()
	_, err := old.Next(ctx)
	fmt.Println(errors.Is(err, live.ErrGap))
	// Output:
	// sync.started {"connection":"crm"}
	// graph.changed {"version":2}
	// true
}
