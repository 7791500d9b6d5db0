// Package memlive is the in-process [live.Hub]: one bounded ring of
// recent events per tenant, read by every subscriber of that tenant in
// the process. It is the embedded default and the test double of the
// Redis driver.
//
// Event ids are "<epoch>-<position>": the epoch is random per Hub, so an
// id from before a restart is recognised as unknown (the subscriber gets
// [live.ErrGap]) and never mistaken for one of the new hub's events.
package memlive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/live/internal/ring"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a Hub. The zero value (or nil) gives the defaults.
type Config struct {
	// History is how many recent events are held per tenant, for resume
	// and for slow subscribers. Defaults to 256.
	History int
	// Clock stamps the events. Defaults to time.Now.
	Clock func() time.Time
}

// Hub is an in-process live.Hub. It is safe for concurrent use.
type Hub struct {
	cfg   Config
	epoch string

	mu     sync.Mutex
	rings  map[tenancy.ID]*ring.Ring
	closed bool
}

var _ live.Hub = (*Hub)(nil)

// New returns a Hub.
func New(cfg *Config) *Hub {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.History <= 0 {
		c.History = 256
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return &Hub{cfg: c, epoch: hex.EncodeToString(b), rings: map[tenancy.ID]*ring.Ring{}}
}

func (h *Hub) ring(tenant tenancy.ID) (*ring.Ring, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, live.ErrClosed
	}
	r := h.rings[tenant]
	if r == nil {
		r = ring.New(h.cfg.History)
		h.rings[tenant] = r
	}
	return r, nil
}

// Publish implements live.Hub. It never waits: the event goes into the
// tenant's ring, where subscribers read it at their own pace.
func (h *Hub) Publish(_ context.Context, tenant tenancy.ID, typ string, data json.RawMessage) error {
	if err := live.CheckEvent(tenant, typ, data); err != nil {
		return err
	}
	if len(data) == 0 {
		data = live.NullData
	}
	r, err := h.ring(tenant)
	if err != nil {
		return err
	}
	at := h.cfg.Clock()
	r.AppendAt(func(pos uint64) live.Event {
		return live.Event{ID: h.epoch + "-" + strconv.FormatUint(pos, 10), Tenant: tenant, Type: typ, Data: data, At: at}
	})
	return nil
}

// Subscribe implements live.Hub.
func (h *Hub) Subscribe(_ context.Context, tenant tenancy.ID, lastEventID string) (live.Subscription, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	r, err := h.ring(tenant)
	if err != nil {
		return nil, err
	}
	// A publish between reading the span and reading from the cursor is
	// harmless: the cursor delivers it, or finds the gap it made.
	oldest, head := r.Span()
	if lastEventID == "" {
		return r.NewCursor(ring.CursorConfig{Pos: head}), nil
	}
	epoch, posText, ok := strings.Cut(lastEventID, "-")
	pos, perr := strconv.ParseUint(posText, 10, 64)
	if !ok || perr != nil || len(epoch) != 8 {
		return nil, fmt.Errorf("%w: %q is not an id of this hub (<epoch>-<position>)", live.ErrInvalidID, truncate(lastEventID))
	}
	if epoch != h.epoch || pos >= head || pos+1 < oldest {
		// Another hub's id (before a restart), one never given out, or
		// one whose successors were already pushed out.
		return r.NewCursor(ring.CursorConfig{Pos: oldest, Gap: true}), nil
	}
	return r.NewCursor(ring.CursorConfig{Pos: pos + 1}), nil
}

// Close implements live.Hub.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	for _, r := range h.rings {
		r.Close()
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
