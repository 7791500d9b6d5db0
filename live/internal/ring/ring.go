// Package ring is the in-process fan-out the live drivers share: a
// bounded ring of one tenant's recent events, read by any number of
// cursors. A publisher only appends (it never waits for a reader); a
// reader that falls further behind than the ring holds finds out, as a
// gap, instead of losing events silently.
package ring

import (
	"context"
	"sync"

	"github.com/autonomos/autonomos/live"
)

// GapType marks an event that stands for events lost before it (a driver
// appends one when it had to drop events). It cannot be a published
// type: live.CheckEvent refuses it.
const GapType = "\x00gap"

// Ring holds the last events of one tenant. The zero Ring is not usable;
// call New.
type Ring struct {
	mu   sync.Mutex
	buf  []live.Event
	next uint64 // position of the next event appended
	held int    // events held: positions [next-held, next)
	// evicted is the newest event pushed out of the ring, so a reader
	// seeking after some id can tell whether it missed one.
	evicted    live.Event
	hasEvicted bool
	wake       chan struct{} // closed and replaced at each append
	closed     bool
}

// New returns a ring holding up to capacity events (at least 1).
func New(capacity int) *Ring {
	return &Ring{buf: make([]live.Event, max(capacity, 1)), wake: make(chan struct{})}
}

// Append adds events and wakes the readers waiting for them.
func (r *Ring) Append(evs ...live.Event) {
	if len(evs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	for _, e := range evs {
		r.put(e)
	}
	r.wakeLocked()
}

// AppendAt adds the event that make returns for the position it gets (so
// that an id can carry the position) and wakes the readers.
func (r *Ring) AppendAt(make func(pos uint64) live.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.put(make(r.next))
	r.wakeLocked()
}

func (r *Ring) put(e live.Event) {
	i := r.next % uint64(len(r.buf))
	if r.held == len(r.buf) {
		r.evicted, r.hasEvicted = r.buf[i], true
	} else {
		r.held++
	}
	r.buf[i] = e
	r.next++
}

func (r *Ring) wakeLocked() {
	close(r.wake)
	r.wake = make(chan struct{})
}

// Close wakes every reader; their Next returns live.ErrClosed.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.wake)
	}
}

// Head is the position the next appended event will have.
func (r *Ring) Head() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// Span returns the positions held: [oldest, head).
func (r *Ring) Span() (oldest, head uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next - uint64(r.held), r.next
}

// Seek returns the position of the first held event for which after is
// true (the head when none is), and gap when an event for which after is
// true was already evicted. after must be monotonic: false, then true.
func (r *Ring) Seek(after func(live.Event) bool) (pos uint64, gap bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pos = r.next
	for p := r.next - uint64(r.held); p < r.next; p++ {
		if after(r.buf[p%uint64(len(r.buf))]) {
			pos = p
			break
		}
	}
	return pos, r.hasEvicted && after(r.evicted)
}

// Cursor reads a ring from a position on. It implements
// live.Subscription.
type Cursor struct {
	r   *Ring
	pos uint64
	// pending are delivered before the ring: a gap first when gap is
	// set, then backlog.
	gap     bool
	backlog []live.Event
	// skip drops ring events the backlog already delivered.
	skip func(live.Event) bool

	done    chan struct{}
	once    sync.Once
	onClose func()
}

// CursorConfig says where a Cursor starts.
type CursorConfig struct {
	// Pos is the first ring position read.
	Pos uint64
	// Gap makes the first Next return live.ErrGap.
	Gap bool
	// Backlog is delivered (after the gap) before the ring.
	Backlog []live.Event
	// Skip, when set, drops ring events for which it is true.
	Skip func(live.Event) bool
	// OnClose runs once when the cursor is closed.
	OnClose func()
}

// NewCursor returns a cursor of r.
func (r *Ring) NewCursor(c CursorConfig) *Cursor {
	return &Cursor{r: r, pos: c.Pos, gap: c.Gap, backlog: c.Backlog, skip: c.Skip, onClose: c.OnClose, done: make(chan struct{})}
}

// Next implements live.Subscription.
func (c *Cursor) Next(ctx context.Context) (live.Event, error) {
	for {
		select {
		case <-c.done:
			return live.Event{}, live.ErrClosed
		default:
		}
		if c.gap {
			c.gap = false
			return live.Event{}, live.ErrGap
		}
		if len(c.backlog) > 0 {
			e := c.backlog[0]
			c.backlog = c.backlog[1:]
			if e.Type == GapType {
				return live.Event{}, live.ErrGap
			}
			return e, nil
		}
		e, wake, gap, closed := c.read()
		switch {
		case closed:
			return live.Event{}, live.ErrClosed
		case gap:
			return live.Event{}, live.ErrGap
		case wake == nil:
			if e.Type == GapType {
				return live.Event{}, live.ErrGap
			}
			if c.skip != nil {
				if c.skip(e) {
					continue
				}
				c.skip = nil // events are ordered: once one passes, all do
			}
			return e, nil
		}
		select {
		case <-ctx.Done():
			return live.Event{}, ctx.Err()
		case <-c.done:
			return live.Event{}, live.ErrClosed
		case <-wake:
		}
	}
}

// read takes the event at the cursor, or says to wait on wake, or that
// the cursor fell behind (and moves it to the head).
func (c *Cursor) read() (e live.Event, wake <-chan struct{}, gap, closed bool) {
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return live.Event{}, nil, false, true
	}
	oldest := r.next - uint64(r.held)
	if c.pos < oldest {
		// Fell behind: what it missed is gone. Go on from the oldest
		// event still held; the client reloads its state on the gap.
		c.pos = oldest
		c.skip = nil
		return live.Event{}, nil, true, false
	}
	if c.pos >= r.next {
		return live.Event{}, r.wake, false, false
	}
	e = r.buf[c.pos%uint64(len(r.buf))]
	c.pos++
	return e, nil, false, false
}

// Close implements live.Subscription.
func (c *Cursor) Close() error {
	c.once.Do(func() {
		close(c.done)
		if c.onClose != nil {
			c.onClose()
		}
	})
	return nil
}
