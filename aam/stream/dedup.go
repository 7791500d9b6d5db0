package stream

import (
	"container/list"
	"context"
	"errors"
	"sync"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Deduper remembers the IDs of the most recent events handled per tenant,
// so that a consumer can drop the replays that at-least-once delivery
// brings (a redelivery after a consumer died, a dead letter replayed, a
// publisher's retry).
//
// It is a bounded window, kept in memory: it catches the replays that
// arrive soon after the original, which is nearly all of them, but it is
// forgotten on restart and an ID that fell out of the window is accepted
// again. Durable deduplication belongs to the sink: write events
// idempotently keyed by event ID (an upsert on the ID, a unique
// constraint), and use a Deduper only to save work.
//
// A Deduper is safe for concurrent use. The zero value is not usable; use
// [NewDeduper].
type Deduper struct {
	size int

	mu      sync.Mutex
	tenants map[tenancy.ID]*window
}

type window struct {
	order *list.List // of string, oldest at the front
	ids   map[string]*list.Element
}

// NewDeduper returns a Deduper that remembers up to perTenant IDs for each
// tenant (10000 when perTenant <= 0).
func NewDeduper(perTenant int) *Deduper {
	if perTenant <= 0 {
		perTenant = 10000
	}
	return &Deduper{size: perTenant, tenants: make(map[tenancy.ID]*window)}
}

// Seen reports whether the event ID of tenant is in the window.
func (d *Deduper) Seen(tenant tenancy.ID, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.tenants[tenant]
	if w == nil {
		return false
	}
	_, ok := w.ids[id]
	return ok
}

// Add records the event ID of tenant as handled, evicting the oldest ID
// of that tenant when the window is full.
func (d *Deduper) Add(tenant tenancy.ID, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.tenants[tenant]
	if w == nil {
		w = &window{order: list.New(), ids: make(map[string]*list.Element)}
		d.tenants[tenant] = w
	}
	if el, ok := w.ids[id]; ok {
		w.order.MoveToBack(el)
		return
	}
	w.ids[id] = w.order.PushBack(id)
	if w.order.Len() > d.size {
		oldest := w.order.Front()
		w.order.Remove(oldest)
		delete(w.ids, oldest.Value.(string))
	}
}

// Filter wraps h so that events already handled (by ID, per tenant) are
// dropped before h sees them, and records the events h handled. An event
// is recorded only after h succeeded on it, so a failed event is not
// dropped when it comes back. Duplicates within one batch reach h once.
func (d *Deduper) Filter(h Handler) Handler {
	return func(ctx context.Context, events []canonical.Event) error {
		fresh := make([]canonical.Event, 0, len(events))
		pos := make([]int, 0, len(events)) // index in events of each fresh event
		inBatch := make(map[string]bool, len(events))
		for i := range events {
			e := &events[i]
			if inBatch[e.ID] || d.Seen(e.Tenant, e.ID) {
				continue
			}
			inBatch[e.ID] = true
			fresh = append(fresh, *e)
			pos = append(pos, i)
		}
		if len(fresh) == 0 {
			return nil
		}
		err := h(ctx, fresh)
		if err == nil {
			for i := range fresh {
				d.Add(fresh[i].Tenant, fresh[i].ID)
			}
			return nil
		}
		var be *BatchError
		if !errors.As(err, &be) || len(be.Errs) != len(fresh) {
			return err
		}
		// Map the failures back onto the caller's batch. A dropped
		// duplicate shares the fate of its first copy.
		out := make([]error, len(events))
		failed := make(map[string]error)
		for j, ferr := range be.Errs {
			if ferr == nil {
				d.Add(fresh[j].Tenant, fresh[j].ID)
			} else {
				out[pos[j]] = ferr
				failed[fresh[j].ID] = ferr
			}
		}
		for i := range events {
			if out[i] == nil {
				out[i] = failed[events[i].ID]
			}
		}
		return &BatchError{Errs: out}
	}
}
