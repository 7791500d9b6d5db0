// Package redislive is the [live.Hub] of server mode: each tenant's
// events go to a Redis stream, so every replica's subscribers see every
// event and a Last-Event-ID given by one replica resumes on any other.
//
// # Keys
//
// One stream per tenant, "{prefix}:{tenant}:events" ([tenancy.Keyspace];
// prefix "live" by default), trimmed to about Config.MaxLen entries
// (XADD MAXLEN ~) and expiring Config.TTL after its last event. Event ids
// are the stream's entry ids ("1700000000000-0"), valid on every replica.
//
// # Publishing
//
// Publish never waits for Redis: it appends to an in-memory outbox
// (Config.Outbox events) that one goroutine writes to Redis in order,
// pipelined. While Redis is unreachable the outbox holds the events and
// is flushed when Redis returns. If it fills up, the oldest events are
// dropped and a gap marker is written in their place, so the tenant's
// subscribers get [live.ErrGap] instead of losing them silently.
//
// # Subscribing
//
// Each replica reads a tenant's stream once (one XREAD BLOCK loop per
// tenant with subscribers on that replica, holding one connection while
// it waits) into a bounded in-memory ring (Config.Buffer events) that
// all of the replica's subscribers of the tenant read; a subscriber that
// falls further behind gets [live.ErrGap]. A resume reads the missed
// events with XRANGE, and knows from XINFO STREAM's entries-added and
// first entry (Redis 7) whether some were already trimmed. When Redis goes away the
// reading loops retry with backoff; subscribers stay open and get the
// events once it is back.
package redislive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"encoding/json"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/live/internal/ring"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a Hub. The zero value (or nil) gives the defaults.
type Config struct {
	// Prefix is the key prefix. Defaults to "live".
	Prefix string
	// MaxLen is about how many events each tenant's stream keeps for
	// resume (trimmed approximately, in whole stream nodes). Defaults to
	// 1000.
	MaxLen int64
	// TTL removes a tenant's stream this long after its last event.
	// Defaults to 24h.
	TTL time.Duration
	// Buffer is how many events each replica holds per tenant for its
	// subscribers: how far one may fall behind before a gap. Defaults to
	// 256.
	Buffer int
	// Outbox is how many events are held while Redis is unreachable.
	// Defaults to 10000.
	Outbox int
	// Block is how long one XREAD waits; a tenant's reading loop notices
	// its last subscriber left within it. Defaults to 2s.
	Block time.Duration
	// Clock stamps the events. Defaults to time.Now.
	Clock func() time.Time
	// Logger receives Redis outages and dropped events. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Hub is a live.Hub on Redis streams. It is safe for concurrent use.
type Hub struct {
	rdb redis.UniversalClient
	cfg Config
	ks  tenancy.Keyspace
	log *slog.Logger

	mu     sync.Mutex
	pumps  map[tenancy.ID]*pump
	closed bool
	wg     sync.WaitGroup // pumps and the flusher

	omu     sync.Mutex
	queue   []item
	flying  int // items taken by the flusher and not yet written
	dropped map[tenancy.ID]bool
	signal  chan struct{}
	stop    chan struct{}
}

var _ live.Hub = (*Hub)(nil)

// item is one outbox entry: an event, or a gap marker (typ ring.GapType).
type item struct {
	tenant tenancy.ID
	typ    string
	data   json.RawMessage
	at     time.Time
}

type pump struct {
	ring   *ring.Ring
	refs   int
	cancel context.CancelFunc
}

// New returns a Hub on rdb, which the caller keeps owning (Close does not
// close it).
func New(rdb redis.UniversalClient, cfg *Config) (*Hub, error) {
	if rdb == nil {
		return nil, errors.New("redislive: nil Redis client")
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Prefix == "" {
		c.Prefix = "live"
	}
	if c.MaxLen <= 0 {
		c.MaxLen = 1000
	}
	if c.TTL <= 0 {
		c.TTL = 24 * time.Hour
	}
	if c.Buffer <= 0 {
		c.Buffer = 256
	}
	if c.Outbox <= 0 {
		c.Outbox = 10000
	}
	if c.Block <= 0 {
		c.Block = 2 * time.Second
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	ks, err := tenancy.NewKeyspace(c.Prefix)
	if err != nil {
		return nil, fmt.Errorf("redislive: Config.Prefix: %w", err)
	}
	h := &Hub{rdb: rdb, cfg: c, ks: ks, log: c.Logger, pumps: map[tenancy.ID]*pump{},
		dropped: map[tenancy.ID]bool{}, signal: make(chan struct{}, 1), stop: make(chan struct{})}
	h.wg.Add(1)
	go h.flusher()
	return h, nil
}

// Key returns tenant's stream key.
func (h *Hub) Key(tenant tenancy.ID) (string, error) { return h.ks.Key(tenant, "events") }

// Pending returns how many events wait in the outbox for Redis.
func (h *Hub) Pending() int {
	h.omu.Lock()
	defer h.omu.Unlock()
	return len(h.queue) + h.flying
}

// Publish implements live.Hub. It only queues the event (see the package
// documentation); it fails only for an invalid event or a closed hub.
func (h *Hub) Publish(_ context.Context, tenant tenancy.ID, typ string, data json.RawMessage) error {
	if err := live.CheckEvent(tenant, typ, data); err != nil {
		return err
	}
	if len(data) == 0 {
		data = live.NullData
	}
	it := item{tenant: tenant, typ: typ, data: data, at: h.cfg.Clock()}
	h.omu.Lock()
	select {
	case <-h.stop:
		h.omu.Unlock()
		return live.ErrClosed
	default:
	}
	h.queue = append(h.queue, it)
	h.trimLocked()
	h.omu.Unlock()
	select {
	case h.signal <- struct{}{}:
	default:
	}
	return nil
}

// trimLocked drops the oldest events beyond the outbox's bound, noting a
// gap for their tenants.
func (h *Hub) trimLocked() {
	over := len(h.queue) - h.cfg.Outbox
	if over <= 0 {
		return
	}
	for _, it := range h.queue[:over] {
		h.dropped[it.tenant] = true
	}
	h.queue = append(h.queue[:0], h.queue[over:]...)
	h.log.Warn("redislive: outbox full while Redis is unreachable; dropped the oldest events (subscribers get a gap)", "dropped", over, "outbox", h.cfg.Outbox)
}

// take removes up to n items from the front of the outbox, with a gap
// marker first for each tenant that lost events.
func (h *Hub) take(n int) []item {
	h.omu.Lock()
	defer h.omu.Unlock()
	var out []item
	for tenant := range h.dropped {
		out = append(out, item{tenant: tenant, typ: ring.GapType, data: live.NullData, at: h.cfg.Clock()})
		delete(h.dropped, tenant)
	}
	k := min(n, len(h.queue))
	out = append(out, h.queue[:k]...)
	h.queue = append(h.queue[:0:0], h.queue[k:]...)
	h.flying = len(out)
	return out
}

// giveBack puts items that could not be written back in front.
func (h *Hub) giveBack(items []item) {
	h.omu.Lock()
	defer h.omu.Unlock()
	h.queue = append(items, h.queue...)
	h.flying = 0
	h.trimLocked()
}

func (h *Hub) flusher() {
	defer h.wg.Done()
	backoff := time.Duration(0)
	for {
		if backoff > 0 {
			select {
			case <-h.stop:
				h.finalFlush()
				return
			case <-time.After(backoff):
			}
		} else {
			select {
			case <-h.stop:
				h.finalFlush()
				return
			case <-h.signal:
			}
		}
		if err := h.flushAll(context.Background()); err != nil {
			if backoff == 0 {
				h.log.Warn("redislive: Redis unreachable; events wait in the outbox", "pending", h.Pending(), "err", err)
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			continue
		}
		if backoff > 0 {
			h.log.Info("redislive: Redis is back; outbox flushed")
		}
		backoff = 0
	}
}

func (h *Hub) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.flushAll(ctx); err != nil {
		h.log.Error("redislive: closing with events Redis did not take", "lost", h.Pending(), "err", err)
	}
}

// flushAll writes the outbox until it is empty or a write fails.
func (h *Hub) flushAll(ctx context.Context) error {
	for {
		batch := h.take(256)
		if len(batch) == 0 {
			return nil
		}
		if err := h.write(ctx, batch); err != nil {
			return err
		}
	}
}

// write XADDs a batch in one pipeline. Items after the first failure go
// back to the outbox; an item Redis itself refused (a reply error such as
// WRONGTYPE, which no retry cures) is dropped with an error log.
func (h *Hub) write(ctx context.Context, batch []item) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pipe := h.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(batch))
	for i, it := range batch {
		key, err := h.Key(it.tenant)
		if err != nil { // tenants were validated by Publish
			return err
		}
		var values []any
		if it.typ == ring.GapType {
			values = []any{"gap", "1", "at", strconv.FormatInt(it.at.UnixNano(), 10)}
		} else {
			values = []any{"t", it.typ, "d", string(it.data), "at", strconv.FormatInt(it.at.UnixNano(), 10)}
		}
		cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: h.cfg.MaxLen, Approx: true, Values: values})
		pipe.Expire(ctx, key, h.cfg.TTL)
	}
	_, _ = pipe.Exec(ctx)
	defer func() {
		h.omu.Lock()
		h.flying = 0
		h.omu.Unlock()
	}()
	for i, cmd := range cmds {
		err := cmd.Err()
		if err == nil {
			continue
		}
		var rerr redis.Error
		if errors.As(err, &rerr) {
			h.log.Error("redislive: Redis refused an event; dropped", "tenant", batch[i].tenant, "type", batch[i].typ, "err", err)
			continue
		}
		var rest []item
		for _, it := range batch[i:] {
			rest = append(rest, it)
		}
		h.giveBack(rest)
		return err
	}
	return nil
}

// Subscribe implements live.Hub.
func (h *Hub) Subscribe(ctx context.Context, tenant tenancy.ID, lastEventID string) (live.Subscription, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	var last streamID
	if lastEventID != "" {
		var ok bool
		if last, ok = parseID(lastEventID); !ok {
			return nil, fmt.Errorf("%w: %q is not a stream id (<ms>-<seq>)", live.ErrInvalidID, truncate(lastEventID))
		}
	}
	key, err := h.Key(tenant)
	if err != nil {
		return nil, err
	}
	p, err := h.acquire(ctx, tenant, key)
	if err != nil {
		return nil, err
	}
	release := func() { h.release(tenant, p) }
	if lastEventID == "" {
		return p.ring.NewCursor(ring.CursorConfig{Pos: p.ring.Head(), OnClose: release}), nil
	}
	gap, through, backlog, err := h.missed(ctx, tenant, key, last)
	if err != nil {
		release()
		return nil, err
	}
	after := func(e live.Event) bool { id, _ := parseID(e.ID); return id.after(through) }
	pos, evicted := p.ring.Seek(after)
	return p.ring.NewCursor(ring.CursorConfig{
		Pos: pos, Gap: gap || evicted, Backlog: backlog, OnClose: release,
		Skip: func(e live.Event) bool { return !after(e) },
	}), nil
}

// missed reads what the stream holds after last: whether some of it is
// gone (gap), the id the backlog runs through, and the backlog.
func (h *Hub) missed(ctx context.Context, tenant tenancy.ID, key string, last streamID) (gap bool, through streamID, backlog []live.Event, err error) {
	info, err := h.rdb.XInfoStream(ctx, key).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			// Expired or never written: whatever came after last is gone.
			return true, streamID{}, nil, nil
		}
		return false, last, nil, fmt.Errorf("%w: read stream info of tenant %s: %v", live.ErrUnavailable, tenant, err)
	}
	newest, _ := parseID(info.LastGeneratedID)
	if last.after(newest) {
		// An id this stream never gave out (another Redis, a reset).
		return true, newest, nil, nil
	}
	// XRANGE from last inclusive: whether last is still held tells
	// whether trimming (always from the head) reached past it.
	msgs, err := h.rdb.XRangeN(ctx, key, last.String(), "+", 2*h.cfg.MaxLen+256).Result()
	if err != nil {
		return false, last, nil, fmt.Errorf("%w: read missed events of tenant %s: %v", live.ErrUnavailable, tenant, err)
	}
	held := len(msgs) > 0 && msgs[0].ID == last.String()
	if held {
		msgs = msgs[1:]
	} else if info.EntriesAdded > info.Length {
		// Entries were trimmed (XINFO's max-deleted-entry-id does not
		// count trimming in Redis 7.0, entries-added does). If last is
		// older than the oldest entry held, its successor may be gone:
		// a gap. (When last itself was the one trimmed and its successor
		// is held, this errs on the side of a gap; the client reloads.)
		first, ok := parseID(info.RecordedFirstEntryID)
		if info.Length == 0 || ok && first.after(last) {
			gap = true
		}
	}
	through = last
	for _, m := range msgs {
		backlog = append(backlog, h.decode(tenant, m))
		through, _ = parseID(m.ID)
	}
	return gap, through, backlog, nil
}

// acquire returns tenant's reading loop, starting it at the stream's
// newest entry if this replica has none yet.
func (h *Hub) acquire(ctx context.Context, tenant tenancy.ID, key string) (*pump, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, live.ErrClosed
	}
	if p := h.pumps[tenant]; p != nil {
		p.refs++
		h.mu.Unlock()
		return p, nil
	}
	h.mu.Unlock()

	start := "0-0"
	msgs, err := h.rdb.XRevRangeN(ctx, key, "+", "-", 1).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: read the stream of tenant %s: %v", live.ErrUnavailable, tenant, err)
	}
	if len(msgs) == 1 {
		start = msgs[0].ID
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, live.ErrClosed
	}
	if p := h.pumps[tenant]; p != nil { // another subscriber was quicker
		p.refs++
		return p, nil
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &pump{ring: ring.New(h.cfg.Buffer), refs: 1, cancel: cancel}
	h.pumps[tenant] = p
	h.wg.Add(1)
	go h.run(pctx, tenant, key, start, p.ring)
	return p, nil
}

func (h *Hub) release(tenant tenancy.ID, p *pump) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.refs--
	if p.refs == 0 && h.pumps[tenant] == p {
		delete(h.pumps, tenant)
		p.cancel()
		p.ring.Close()
	}
}

// run reads tenant's stream from start into r until ctx ends.
func (h *Hub) run(ctx context.Context, tenant tenancy.ID, key, start string, r *ring.Ring) {
	defer h.wg.Done()
	last := start
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		res, err := h.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{key, last}, Count: 256, Block: h.cfg.Block}).Result()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if backoff == 0 {
				h.log.Warn("redislive: reading events failed; retrying", "tenant", tenant, "err", err)
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		for _, s := range res {
			evs := make([]live.Event, 0, len(s.Messages))
			for _, m := range s.Messages {
				evs = append(evs, h.decode(tenant, m))
				last = m.ID
			}
			r.Append(evs...)
		}
	}
}

// decode turns a stream entry into an event; a gap marker, or an entry
// this package did not write, becomes a gap.
func (h *Hub) decode(tenant tenancy.ID, m redis.XMessage) live.Event {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	e := live.Event{ID: m.ID, Tenant: tenant, Type: str("t"), Data: json.RawMessage(str("d"))}
	if ns, err := strconv.ParseInt(str("at"), 10, 64); err == nil {
		e.At = time.Unix(0, ns).UTC()
	}
	if str("gap") != "" {
		e.Type = ring.GapType
		return e
	}
	if live.CheckEvent(tenant, e.Type, e.Data) != nil || len(e.Data) == 0 {
		h.log.Warn("redislive: a stream entry is not an event; subscribers get a gap", "tenant", tenant, "id", m.ID)
		e.Type = ring.GapType
	}
	return e
}

// Close implements live.Hub: it writes what the outbox holds (waiting up
// to 2s for Redis), stops the reading loops and ends the subscriptions.
// It does not close the Redis client.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for tenant, p := range h.pumps {
		p.cancel()
		p.ring.Close()
		delete(h.pumps, tenant)
	}
	h.mu.Unlock()
	h.omu.Lock()
	close(h.stop)
	h.omu.Unlock()
	h.wg.Wait()
	return nil
}

// streamID is a Redis stream entry id.
type streamID struct{ ms, seq uint64 }

func parseID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return streamID{}, false
	}
	return streamID{ms, seq}, true
}

func (x streamID) after(y streamID) bool {
	return x.ms > y.ms || x.ms == y.ms && x.seq > y.seq
}

func (x streamID) String() string {
	return strconv.FormatUint(x.ms, 10) + "-" + strconv.FormatUint(x.seq, 10)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
