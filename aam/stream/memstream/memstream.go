// Package memstream is the in-process driver of package
// [github.com/autonomos/autonomos/aam/stream]: the embedded default and
// the fast test double. It keeps every tenant's stream, consumer groups,
// pending messages and dead letters in memory, with the same delivery
// semantics as the Redis Streams driver: a delivered message stays pending
// until it is acknowledged or dead-lettered, and one left pending longer
// than the minimum idle time is delivered again to any consumer of the
// group.
//
// Nothing survives the process: use it where losing the unconsumed
// events on a restart is acceptable, because the sources are read again
// from their saved cursors.
package memstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// errClosed is returned by a driver subscription used after Close.
var errClosed = errors.New("memstream: closed")

// Config configures a [Broker]. The zero value is usable.
type Config struct {
	// MaxLen is how many messages each tenant's stream keeps; the oldest
	// are dropped beyond it, consumed or not. Defaults to 100000.
	MaxLen int
	// DeadMaxLen is how many dead letters each group's list keeps per
	// tenant. Defaults to 10000.
	DeadMaxLen int
	// Now returns the current time; tests set it to control idle times.
	// Defaults to time.Now.
	Now func() time.Time
	// Logger receives warnings (messages trimmed before they were
	// acknowledged). Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.MaxLen <= 0 {
		out.MaxLen = 100000
	}
	if out.DeadMaxLen <= 0 {
		out.DeadMaxLen = 10000
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// Broker holds the streams of every tenant. It is safe for concurrent use;
// the zero value is not usable, use [New]. Publishers and subscribers made
// from one Broker share its streams.
type Broker struct {
	cfg Config

	mu      sync.Mutex
	streams map[tenancy.ID]*tstream
}

type entry struct {
	seq  uint64
	body []byte
}

type tstream struct {
	entries []entry // contiguous sequence numbers, oldest first
	next    uint64  // sequence number of the next entry; starts at 1
	groups  map[string]*cgroup
	dead    map[string]*deadList
	notify  chan struct{} // closed and replaced after every append call (see wake)
}

type cgroup struct {
	last    uint64 // last sequence number delivered as new
	pending map[uint64]*pend
}

type pend struct {
	consumer string
	at       time.Time
	count    int
}

type deadList struct {
	next    uint64
	letters []*driver.DeadLetter
}

// New returns an empty Broker. A nil cfg means defaults.
func New(cfg *Config) *Broker {
	return &Broker{cfg: cfg.withDefaults(), streams: make(map[tenancy.ID]*tstream)}
}

// stream returns the tenant's stream, creating it. b.mu must be held.
func (b *Broker) stream(t tenancy.ID) *tstream {
	s := b.streams[t]
	if s == nil {
		s = &tstream{next: 1, groups: map[string]*cgroup{}, dead: map[string]*deadList{}, notify: make(chan struct{})}
		b.streams[t] = s
	}
	return s
}

// append adds body to s and trims it; body must not change afterwards.
// The caller calls s.wake before releasing b.mu. b.mu must be held.
func (b *Broker) append(s *tstream, body []byte) uint64 {
	seq := s.next
	s.next++
	s.entries = append(s.entries, entry{seq: seq, body: body})
	if over := len(s.entries) - b.cfg.MaxLen; over > 0 {
		clear(s.entries[:over])
		s.entries = s.entries[over:]
	}
	return seq
}

// wake tells the receivers waiting on s that entries were appended. A
// batch wakes them once, not once per entry. b.mu must be held.
func (s *tstream) wake() {
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *tstream) lookup(seq uint64) ([]byte, bool) {
	if len(s.entries) == 0 || seq < s.entries[0].seq {
		return nil, false
	}
	i := seq - s.entries[0].seq
	if i >= uint64(len(s.entries)) {
		return nil, false
	}
	return s.entries[i].body, true
}

func formatID(seq uint64) string { return strconv.FormatUint(seq, 10) }

func parseID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil && n > 0
}

// NewPublisher returns a Publisher that appends to the Broker's streams.
// A nil cfg means defaults. The caller closes it.
func (b *Broker) NewPublisher(cfg *stream.PublisherConfig) (*stream.Publisher, error) {
	return stream.NewPublisher(&publisher{b: b}, cfg)
}

type publisher struct{ b *Broker }

var _ driver.Publisher = (*publisher)(nil)

func (p *publisher) Publish(ctx context.Context, msgs []*driver.Message) (int, error) {
	// Copy the batch's bodies into one allocation: the caller reuses its
	// buffers.
	size := 0
	for _, m := range msgs {
		size += len(m.Body)
	}
	all := make([]byte, 0, size)
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	// A batch is usually one tenant's: look its stream up once per run
	// of messages of a tenant, and wake each stream's receivers once.
	var (
		s      *tstream
		tenant tenancy.ID
		woken  []*tstream
	)
	for _, m := range msgs {
		if s == nil || m.Tenant != tenant {
			s, tenant = p.b.stream(m.Tenant), m.Tenant
			if !slices.Contains(woken, s) {
				woken = append(woken, s)
			}
		}
		start := len(all)
		all = append(all, m.Body...)
		p.b.append(s, all[start:len(all):len(all)])
	}
	for _, s := range woken {
		s.wake()
	}
	return len(msgs), nil
}

func (p *publisher) Close() error { return nil }

// SubscriberConfig configures a subscriber made by [Broker.NewSubscriber].
// The zero value is usable.
type SubscriberConfig struct {
	// Consumer names this consumer within its group; two live consumers
	// of a group must not share a name. Defaults to a fresh unique name.
	Consumer string
	// MinIdle is how long a delivered message may stay unacknowledged
	// before it is delivered again, to any consumer of the group: after a
	// handler failure or a consumer's death. Defaults to 30s.
	MinIdle time.Duration
	// Poll is the longest a receive waits before looking for idle
	// pending messages again. Defaults to MinIdle/4, at most 1s.
	Poll time.Duration
	// Stream configures the portable subscriber (batch size, maximum
	// deliveries). Defaults to the zero value: all defaults.
	Stream stream.SubscriberConfig
}

// NewSubscriber returns a subscriber to the tenant's stream as a consumer
// of group, creating the group if it does not exist. A new group starts
// at the oldest message the stream still holds. A nil cfg means defaults.
// The caller closes it.
func (b *Broker) NewSubscriber(tenant tenancy.ID, group string, cfg *SubscriberConfig) (*stream.Subscriber, error) {
	var c SubscriberConfig
	if cfg != nil {
		c = *cfg
	}
	d, err := b.openSubscription(tenant, group, c.Consumer, c.MinIdle, c.Poll)
	if err != nil {
		return nil, err
	}
	return stream.NewSubscriber(d, &c.Stream)
}

var consumerSeq struct {
	sync.Mutex
	n int
}

func (b *Broker) openSubscription(tenant tenancy.ID, group, consumer string, minIdle, poll time.Duration) (*subscription, error) {
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("memstream: subscribe: %w", err)
	}
	if group == "" {
		return nil, fmt.Errorf("memstream: subscribe: %w: empty group name", stream.ErrInvalidConfig)
	}
	if minIdle < 0 || poll < 0 {
		return nil, fmt.Errorf("memstream: subscribe: %w: negative MinIdle or Poll", stream.ErrInvalidConfig)
	}
	if consumer == "" {
		consumerSeq.Lock()
		consumerSeq.n++
		consumer = "consumer-" + strconv.Itoa(consumerSeq.n)
		consumerSeq.Unlock()
	}
	if minIdle == 0 {
		minIdle = 30 * time.Second
	}
	if poll == 0 {
		poll = min(minIdle/4, time.Second)
	}
	b.mu.Lock()
	s := b.stream(tenant)
	if s.groups[group] == nil {
		var last uint64
		if len(s.entries) > 0 {
			last = s.entries[0].seq - 1
		} else {
			last = s.next - 1
		}
		s.groups[group] = &cgroup{last: last, pending: map[uint64]*pend{}}
	}
	b.mu.Unlock()
	return &subscription{b: b, tenant: tenant, group: group, consumer: consumer, minIdle: minIdle, poll: poll, done: make(chan struct{})}, nil
}

type subscription struct {
	b               *Broker
	tenant          tenancy.ID
	group, consumer string
	minIdle, poll   time.Duration
	closeOnce       sync.Once
	done            chan struct{}
}

var _ driver.Subscription = (*subscription)(nil)

func (s *subscription) Receive(ctx context.Context, max int) ([]*driver.Message, error) {
	for {
		select {
		case <-s.done:
			return nil, errClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		msgs, notify := s.take(max)
		if len(msgs) > 0 {
			return msgs, nil
		}
		t := time.NewTimer(s.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-s.done:
			t.Stop()
			return nil, errClosed
		case <-notify:
			t.Stop()
		case <-t.C:
			return nil, nil
		}
	}
}

// take claims idle pending messages, then new ones, up to max.
func (s *subscription) take(max int) ([]*driver.Message, <-chan struct{}) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stream(s.tenant)
	g := st.groups[s.group]
	now := b.cfg.Now()
	var out []*driver.Message

	var idle []uint64
	for seq, p := range g.pending {
		if now.Sub(p.at) >= s.minIdle {
			idle = append(idle, seq)
		}
	}
	slices.Sort(idle)
	for _, seq := range idle {
		if len(out) == max {
			break
		}
		body, ok := st.lookup(seq)
		if !ok { // trimmed before anyone settled it
			delete(g.pending, seq)
			b.cfg.Logger.Warn("memstream: pending message trimmed from the stream before it was acknowledged",
				"tenant", s.tenant.String(), "group", s.group, "message_id", formatID(seq))
			continue
		}
		p := g.pending[seq]
		p.consumer, p.at = s.consumer, now
		p.count++
		out = append(out, &driver.Message{ID: formatID(seq), Tenant: s.tenant, Body: body, Deliveries: p.count})
	}
	if len(out) > 0 {
		return out, st.notify
	}
	if len(st.entries) > 0 && g.last < st.entries[0].seq-1 {
		g.last = st.entries[0].seq - 1 // skip what was trimmed unread
	}
	for len(out) < max && g.last+1 < st.next {
		g.last++
		body, _ := st.lookup(g.last)
		g.pending[g.last] = &pend{consumer: s.consumer, at: now, count: 1}
		out = append(out, &driver.Message{ID: formatID(g.last), Tenant: s.tenant, Body: body, Deliveries: 1})
	}
	return out, st.notify
}

func (s *subscription) Ack(ctx context.Context, ids []string) error {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.stream(s.tenant).groups[s.group]
	for _, id := range ids {
		if seq, ok := parseID(id); ok {
			delete(g.pending, seq)
		}
	}
	return nil
}

func (s *subscription) DeadLetter(ctx context.Context, letters []*driver.DeadLetter) error {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stream(s.tenant)
	g := st.groups[s.group]
	dl := st.dead[s.group]
	if dl == nil {
		dl = &deadList{next: 1}
		st.dead[s.group] = dl
	}
	for _, l := range letters {
		l.Group, l.Consumer = s.group, s.consumer
		c := *l
		c.ID = formatID(dl.next)
		dl.next++
		c.Message.Body = slices.Clone(l.Message.Body)
		dl.letters = append(dl.letters, &c)
		if seq, ok := parseID(l.Message.ID); ok {
			delete(g.pending, seq)
		}
	}
	if over := len(dl.letters) - b.cfg.DeadMaxLen; over > 0 {
		clear(dl.letters[:over])
		dl.letters = dl.letters[over:]
	}
	return nil
}

func (s *subscription) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return nil
}

// NewDeadLetters returns the dead-letter list of the tenant and group.
func (b *Broker) NewDeadLetters(tenant tenancy.ID, group string) (*stream.DeadLetters, error) {
	d, err := b.openDeadLetters(tenant, group)
	if err != nil {
		return nil, err
	}
	return stream.NewDeadLetters(d)
}

func (b *Broker) openDeadLetters(tenant tenancy.ID, group string) (*deadLetters, error) {
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("memstream: dead letters: %w", err)
	}
	if group == "" {
		return nil, fmt.Errorf("memstream: dead letters: %w: empty group name", stream.ErrInvalidConfig)
	}
	return &deadLetters{b: b, tenant: tenant, group: group}, nil
}

type deadLetters struct {
	b      *Broker
	tenant tenancy.ID
	group  string
}

var _ driver.DeadLetters = (*deadLetters)(nil)

func (d *deadLetters) list() *deadList {
	st := d.b.stream(d.tenant)
	dl := st.dead[d.group]
	if dl == nil {
		dl = &deadList{next: 1}
		st.dead[d.group] = dl
	}
	return dl
}

func (d *deadLetters) List(ctx context.Context, after string, limit int) ([]*driver.DeadLetter, error) {
	var from uint64
	if after != "" {
		n, ok := parseID(after)
		if !ok {
			return nil, fmt.Errorf("memstream: %w: dead letter id %q", stream.ErrInvalidID, after)
		}
		from = n
	}
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	var out []*driver.DeadLetter
	for _, l := range d.list().letters {
		if len(out) == limit {
			break
		}
		if n, _ := parseID(l.ID); n > from {
			c := *l
			c.Message.Body = slices.Clone(l.Message.Body)
			out = append(out, &c)
		}
	}
	return out, nil
}

func (d *deadLetters) take(ids []string, replay bool) []string {
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	dl := d.list()
	var done []string
	kept := dl.letters[:0]
	for _, l := range dl.letters {
		if !want[l.ID] {
			kept = append(kept, l)
			continue
		}
		if replay {
			s := d.b.stream(d.tenant)
			d.b.append(s, slices.Clone(l.Message.Body))
			s.wake()
		}
		done = append(done, l.ID)
	}
	clear(dl.letters[len(kept):])
	dl.letters = kept
	return done
}

func (d *deadLetters) Replay(ctx context.Context, ids []string) ([]string, error) {
	return d.take(ids, true), nil
}

func (d *deadLetters) Delete(ctx context.Context, ids []string) (int, error) {
	return len(d.take(ids, false)), nil
}
