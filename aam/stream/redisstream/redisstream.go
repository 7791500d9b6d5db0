// Package redisstream is the Redis Streams driver of package
// [github.com/autonomos/autonomos/aam/stream].
//
// # Keys
//
// Each tenant has its own stream, and each consumer group its own
// dead-letter stream per tenant:
//
//	aam:stream:{<tenant-id>}              the tenant's events
//	aam:stream:{<tenant-id>}:dead:<group>  the group's dead letters
//
// The prefix is configurable. The tenant ID in braces is a Redis Cluster
// hash tag: a tenant's keys share a slot, so moving a message to the dead
// letters (XADD and XACK in one MULTI) and replaying it (a script) stay
// atomic on a cluster.
//
// # Publishing
//
// A batch of events is one pipeline of XADD commands, so publishing costs
// one round trip per batch rather than per event; the last entry of each
// tenant in a batch carries an approximate MAXLEN, so the cap holds after
// every batch. MAXLEN trims the oldest entries whether or not every
// group has consumed them: size it far above the largest backlog a
// consumer group may fall behind by.
//
// # Consuming
//
// A subscriber is one consumer of a consumer group (created idempotently,
// with MKSTREAM, starting at the oldest entry). It reads new entries with
// XREADGROUP ... BLOCK, acknowledges with XACK only after the handler
// succeeded, and regularly takes over entries that have been pending
// longer than MinIdle (a failed handler, a dead consumer) with
// XAUTOCLAIM, reading their delivery counts with XPENDING. The portable
// [stream.Subscriber] decides from those counts when an entry goes to the
// dead letters.
//
// A subscriber reads one tenant's stream; consume several tenants with
// one subscriber each. A running subscriber holds one connection of its
// client's pool while it waits in XREADGROUP, so give the client a
// PoolSize well above the number of running subscribers (or give the
// subscribers a client of their own), or other commands will wait for a
// free connection.
//
// Clients passed to this package belong to the caller: closing a
// publisher or subscriber does not close them.
package redisstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// errClosed is returned by a driver subscription used after Close.
var errClosed = errors.New("redisstream: closed")

// DefaultKeyPrefix starts every key of this package unless configured
// otherwise.
const DefaultKeyPrefix = "aam:stream:"

// Field names of stream entries.
const (
	fieldEvent      = "e" // the encoded event
	fieldMessageID  = "mid"
	fieldDeliveries = "n"
	fieldGroup      = "g"
	fieldConsumer   = "c"
	fieldReason     = "r"
	fieldAt         = "t" // Unix milliseconds
)

type keys struct{ prefix string }

func (k keys) stream(t tenancy.ID) string { return k.prefix + "{" + t.String() + "}" }

func (k keys) dead(t tenancy.ID, group string) string {
	return k.prefix + "{" + t.String() + "}:dead:" + group
}

func checkPrefix(p string) (string, error) {
	if p == "" {
		return DefaultKeyPrefix, nil
	}
	if strings.ContainsAny(p, "{}") {
		return "", fmt.Errorf("%w: KeyPrefix %q must not contain braces", stream.ErrInvalidConfig, p)
	}
	return p, nil
}

func checkGroup(group string) error {
	if group == "" || len(group) > 128 {
		return fmt.Errorf("%w: group name must have 1 to 128 bytes, got %d", stream.ErrInvalidConfig, len(group))
	}
	for _, r := range group {
		if r <= ' ' || r == 0x7f || r == '{' || r == '}' {
			return fmt.Errorf("%w: group name %q has a space, brace or control character", stream.ErrInvalidConfig, group)
		}
	}
	return nil
}

// PublisherConfig configures [NewPublisher]. The zero value is usable.
type PublisherConfig struct {
	// KeyPrefix starts every key. Defaults to DefaultKeyPrefix.
	KeyPrefix string
	// MaxLen caps each tenant's stream, approximately (XADD MAXLEN ~):
	// the oldest entries beyond it are trimmed, consumed or not. Defaults
	// to 1000000.
	MaxLen int64
	// Stream configures the portable publisher (batch size). Defaults to
	// the zero value: all defaults.
	Stream stream.PublisherConfig
}

// NewPublisher returns a Publisher that appends to the tenants' streams
// on client. A nil cfg means defaults. The caller closes the Publisher,
// and the client after it.
func NewPublisher(client redis.UniversalClient, cfg *PublisherConfig) (*stream.Publisher, error) {
	d, err := newPublisher(client, cfg)
	if err != nil {
		return nil, err
	}
	var sc *stream.PublisherConfig
	if cfg != nil {
		sc = &cfg.Stream
	}
	return stream.NewPublisher(d, sc)
}

func newPublisher(client redis.UniversalClient, cfg *PublisherConfig) (*publisher, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", stream.ErrInvalidConfig)
	}
	var c PublisherConfig
	if cfg != nil {
		c = *cfg
	}
	prefix, err := checkPrefix(c.KeyPrefix)
	if err != nil {
		return nil, err
	}
	if c.MaxLen < 0 {
		return nil, fmt.Errorf("%w: MaxLen %d is negative", stream.ErrInvalidConfig, c.MaxLen)
	}
	if c.MaxLen == 0 {
		c.MaxLen = 1_000_000
	}
	return &publisher{c: client, k: keys{prefix}, maxLen: c.MaxLen}, nil
}

type publisher struct {
	c      redis.UniversalClient
	k      keys
	maxLen int64
	keys   sync.Map // tenancy.ID -> string, saves formatting a key per event
}

var _ driver.Publisher = (*publisher)(nil)

func (p *publisher) key(t tenancy.ID) string {
	if k, ok := p.keys.Load(t); ok {
		return k.(string)
	}
	k := p.k.stream(t)
	p.keys.Store(t, k)
	return k
}

func (p *publisher) Publish(ctx context.Context, msgs []*driver.Message) (int, error) {
	// Trim (MAXLEN ~) once per tenant per batch, on its last entry: the
	// cap holds after every batch and Redis checks it once, not per entry.
	type last struct {
		tenant tenancy.ID
		index  int
	}
	var lasts []last
	for i, m := range msgs {
		found := false
		for j := range lasts {
			if lasts[j].tenant == m.Tenant {
				lasts[j].index, found = i, true
				break
			}
		}
		if !found {
			lasts = append(lasts, last{m.Tenant, i})
		}
	}
	trim := make([]bool, len(msgs))
	for _, l := range lasts {
		trim[l.index] = true
	}

	pipe := p.c.Pipeline()
	args := make([]redis.XAddArgs, len(msgs))
	vals := make([][2]any, len(msgs))
	for i, m := range msgs {
		vals[i] = [2]any{fieldEvent, m.Body}
		args[i] = redis.XAddArgs{Stream: p.key(m.Tenant), Values: vals[i][:]}
		if trim[i] {
			args[i].MaxLen, args[i].Approx = p.maxLen, true
		}
		pipe.XAdd(ctx, &args[i])
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		for i, c := range cmds {
			if c.Err() != nil {
				return i, c.Err()
			}
		}
		return 0, err
	}
	return len(msgs), nil
}

func (p *publisher) Close() error { return nil }

// SubscriberConfig configures [NewSubscriber]. The zero value is usable.
type SubscriberConfig struct {
	// KeyPrefix starts every key. Defaults to DefaultKeyPrefix.
	KeyPrefix string
	// Consumer names this consumer within its group; two live consumers
	// of a group must not share a name. Defaults to host-pid-random.
	Consumer string
	// MinIdle is how long an entry may stay pending (delivered, not
	// acknowledged) before any consumer of the group may claim it: the
	// delay before a failed or orphaned entry is delivered again. Keep it
	// above the longest a handler takes. Defaults to 30s.
	MinIdle time.Duration
	// Block is how long one XREADGROUP waits for new entries. It bounds
	// how long Close waits for a blocked read. Defaults to 1s.
	Block time.Duration
	// ClaimInterval is how often the subscriber looks for entries to
	// claim with XAUTOCLAIM. Defaults to MinIdle/2, at most 5s.
	ClaimInterval time.Duration
	// DeadMaxLen caps each dead-letter stream, approximately. Defaults
	// to 100000.
	DeadMaxLen int64
	// Logger receives warnings (entries trimmed before they were
	// acknowledged). Defaults to slog.Default().
	Logger *slog.Logger
	// Stream configures the portable subscriber (batch size, maximum
	// deliveries). Defaults to the zero value: all defaults.
	Stream stream.SubscriberConfig
}

// NewSubscriber returns a subscriber to the tenant's stream as one
// consumer of group, creating the group (and the stream) if they do not
// exist; a new group starts at the oldest entry. A nil cfg means
// defaults. The caller closes the Subscriber, and the client after it.
func NewSubscriber(ctx context.Context, client redis.UniversalClient, tenant tenancy.ID, group string, cfg *SubscriberConfig) (*stream.Subscriber, error) {
	d, err := newSubscription(ctx, client, tenant, group, cfg)
	if err != nil {
		return nil, err
	}
	var sc *stream.SubscriberConfig
	if cfg != nil {
		sc = &cfg.Stream
	}
	return stream.NewSubscriber(d, sc)
}

func newSubscription(ctx context.Context, client redis.UniversalClient, tenant tenancy.ID, group string, cfg *SubscriberConfig) (*subscription, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", stream.ErrInvalidConfig)
	}
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("redisstream: subscribe: %w", err)
	}
	if err := checkGroup(group); err != nil {
		return nil, err
	}
	var c SubscriberConfig
	if cfg != nil {
		c = *cfg
	}
	prefix, err := checkPrefix(c.KeyPrefix)
	if err != nil {
		return nil, err
	}
	switch {
	case c.MinIdle < 0, c.Block < 0, c.ClaimInterval < 0, c.DeadMaxLen < 0:
		return nil, fmt.Errorf("%w: MinIdle, Block, ClaimInterval and DeadMaxLen must not be negative", stream.ErrInvalidConfig)
	case strings.ContainsAny(c.Consumer, " \t\r\n"):
		return nil, fmt.Errorf("%w: consumer name %q has white space", stream.ErrInvalidConfig, c.Consumer)
	}
	if c.Consumer == "" {
		c.Consumer = defaultConsumer()
	}
	if c.MinIdle == 0 {
		c.MinIdle = 30 * time.Second
	}
	if c.Block == 0 {
		c.Block = time.Second
	}
	if c.ClaimInterval == 0 {
		c.ClaimInterval = min(c.MinIdle/2, 5*time.Second)
	}
	if c.DeadMaxLen == 0 {
		c.DeadMaxLen = 100_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	k := keys{prefix}
	s := &subscription{
		c: client, tenant: tenant, key: k.stream(tenant), deadKey: k.dead(tenant, group),
		group: group, consumer: c.Consumer, minIdle: c.MinIdle, block: c.Block,
		claimEvery: c.ClaimInterval, deadMaxLen: c.DeadMaxLen, log: c.Logger, cursor: "0-0",
	}
	if err := s.ensureGroup(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func defaultConsumer() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strings.ReplaceAll(host, " ", "_") + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

type subscription struct {
	c                          redis.UniversalClient
	tenant                     tenancy.ID
	key, deadKey               string
	group, consumer            string
	minIdle, block, claimEvery time.Duration
	deadMaxLen                 int64
	log                        *slog.Logger

	nextClaim time.Time
	cursor    string
	closed    atomic.Bool
}

var _ driver.Subscription = (*subscription)(nil)

func (s *subscription) ensureGroup(ctx context.Context) error {
	err := s.c.XGroupCreateMkStream(ctx, s.key, s.group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("redisstream: create group %q for tenant %s: %w", s.group, s.tenant, err)
	}
	return nil
}

func (s *subscription) Receive(ctx context.Context, max int) ([]*driver.Message, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if now := time.Now(); !now.Before(s.nextClaim) {
		msgs, err := s.claim(ctx, max)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
	}
	res, err := s.c.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: s.group, Consumer: s.consumer, Streams: []string{s.key, ">"}, Count: int64(max), Block: s.block,
	}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case redis.HasErrorPrefix(err, "NOGROUP"):
		// The stream was deleted (not trimmed) under us: start over.
		return nil, s.ensureGroup(ctx)
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("redisstream: read tenant %s group %q: %w", s.tenant, s.group, err)
	}
	var out []*driver.Message
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, s.message(m, 1))
		}
	}
	return out, nil
}

// claim takes over up to max entries pending longer than minIdle and
// reads their delivery counts.
func (s *subscription) claim(ctx context.Context, max int) ([]*driver.Message, error) {
	msgs, next, deleted, err := s.c.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
		Stream: s.key, Group: s.group, Consumer: s.consumer, MinIdle: s.minIdle, Start: s.cursor, Count: int64(max),
	}).Result()
	if err != nil {
		if redis.HasErrorPrefix(err, "NOGROUP") {
			return nil, s.ensureGroup(ctx)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("redisstream: claim tenant %s group %q: %w", s.tenant, s.group, err)
	}
	s.cursor = next
	if next == "0-0" || next == "" { // a full sweep is done
		s.cursor = "0-0"
		s.nextClaim = time.Now().Add(s.claimEvery)
	}
	if len(deleted) > 0 {
		s.log.WarnContext(ctx, "redisstream: pending entries were trimmed from the stream before they were acknowledged; raise MaxLen",
			"tenant", s.tenant.String(), "group", s.group, "count", len(deleted))
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	pipe := s.c.Pipeline()
	counts := make([]*redis.XPendingExtCmd, len(msgs))
	for i, m := range msgs {
		counts[i] = pipe.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: s.key, Group: s.group, Start: m.ID, End: m.ID, Count: 1})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstream: read delivery counts of tenant %s group %q: %w", s.tenant, s.group, err)
	}
	out := make([]*driver.Message, 0, len(msgs))
	for i, m := range msgs {
		n := 1
		if p := counts[i].Val(); len(p) == 1 && p[0].ID == m.ID {
			n = int(p[0].RetryCount)
		}
		out = append(out, s.message(m, n))
	}
	return out, nil
}

func (s *subscription) message(m redis.XMessage, deliveries int) *driver.Message {
	return &driver.Message{ID: m.ID, Tenant: s.tenant, Body: bodyOf(m.Values), Deliveries: deliveries}
}

func bodyOf(vals map[string]any) []byte {
	switch v := vals[fieldEvent].(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	return nil
}

func (s *subscription) Ack(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.c.XAck(ctx, s.key, s.group, ids...).Err(); err != nil {
		return fmt.Errorf("redisstream: ack %d entries of tenant %s group %q: %w", len(ids), s.tenant, s.group, err)
	}
	return nil
}

func (s *subscription) DeadLetter(ctx context.Context, letters []*driver.DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	ids := make([]string, 0, len(letters))
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range letters {
			l.Group, l.Consumer = s.group, s.consumer
			p.XAdd(ctx, &redis.XAddArgs{
				Stream: s.deadKey, MaxLen: s.deadMaxLen, Approx: true,
				Values: []any{
					fieldEvent, l.Message.Body,
					fieldMessageID, l.Message.ID,
					fieldDeliveries, l.Message.Deliveries,
					fieldGroup, s.group,
					fieldConsumer, s.consumer,
					fieldReason, l.Reason,
					fieldAt, l.At.UnixMilli(),
				},
			})
			ids = append(ids, l.Message.ID)
		}
		p.XAck(ctx, s.key, s.group, ids...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstream: dead-letter %d entries of tenant %s group %q: %w", len(letters), s.tenant, s.group, err)
	}
	return nil
}

// Close marks the subscription closed. A consumer that holds no pending
// entries is removed from the group, so groups do not collect the names
// of consumers long gone; one that holds some stays, and its entries are
// claimed by the others after MinIdle.
func (s *subscription) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	held, err := s.c.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: s.key, Group: s.group, Consumer: s.consumer, Start: "-", End: "+", Count: 1,
	}).Result()
	if err == nil && len(held) == 0 {
		_ = s.c.XGroupDelConsumer(ctx, s.key, s.group, s.consumer).Err()
	}
	return nil
}

// DeadLettersConfig configures [NewDeadLetters]. The zero value is usable.
type DeadLettersConfig struct {
	// KeyPrefix starts every key. Defaults to DefaultKeyPrefix.
	KeyPrefix string
	// MaxLen caps the tenant's stream when a replay appends to it, like
	// PublisherConfig.MaxLen. Defaults to 1000000.
	MaxLen int64
}

// NewDeadLetters returns the dead-letter list of the tenant and group on
// client. A nil cfg means defaults.
func NewDeadLetters(client redis.UniversalClient, tenant tenancy.ID, group string, cfg *DeadLettersConfig) (*stream.DeadLetters, error) {
	d, err := newDeadLetters(client, tenant, group, cfg)
	if err != nil {
		return nil, err
	}
	return stream.NewDeadLetters(d)
}

func newDeadLetters(client redis.UniversalClient, tenant tenancy.ID, group string, cfg *DeadLettersConfig) (*deadLetters, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", stream.ErrInvalidConfig)
	}
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("redisstream: dead letters: %w", err)
	}
	if err := checkGroup(group); err != nil {
		return nil, err
	}
	var c DeadLettersConfig
	if cfg != nil {
		c = *cfg
	}
	prefix, err := checkPrefix(c.KeyPrefix)
	if err != nil {
		return nil, err
	}
	if c.MaxLen < 0 {
		return nil, fmt.Errorf("%w: MaxLen %d is negative", stream.ErrInvalidConfig, c.MaxLen)
	}
	if c.MaxLen == 0 {
		c.MaxLen = 1_000_000
	}
	k := keys{prefix}
	return &deadLetters{c: client, tenant: tenant, group: group, key: k.stream(tenant), deadKey: k.dead(tenant, group), maxLen: c.MaxLen}, nil
}

type deadLetters struct {
	c            redis.UniversalClient
	tenant       tenancy.ID
	group        string
	key, deadKey string
	maxLen       int64
}

var _ driver.DeadLetters = (*deadLetters)(nil)

// checkID accepts a stream entry ID: "<ms>-<seq>".
func checkID(id string) error {
	ms, seq, ok := strings.Cut(id, "-")
	if ok {
		if _, err := strconv.ParseUint(ms, 10, 64); err == nil {
			if _, err := strconv.ParseUint(seq, 10, 64); err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("redisstream: %w: %q is not a stream entry id", stream.ErrInvalidID, id)
}

func (d *deadLetters) List(ctx context.Context, after string, limit int) ([]*driver.DeadLetter, error) {
	start := "-"
	if after != "" {
		if err := checkID(after); err != nil {
			return nil, err
		}
		start = "(" + after
	}
	res, err := d.c.XRangeN(ctx, d.deadKey, start, "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstream: list dead letters of tenant %s group %q: %w", d.tenant, d.group, err)
	}
	out := make([]*driver.DeadLetter, 0, len(res))
	for _, m := range res {
		str := func(f string) string { v, _ := m.Values[f].(string); return v }
		n, _ := strconv.Atoi(str(fieldDeliveries))
		ms, _ := strconv.ParseInt(str(fieldAt), 10, 64)
		out = append(out, &driver.DeadLetter{
			ID:       m.ID,
			Message:  driver.Message{ID: str(fieldMessageID), Tenant: d.tenant, Body: bodyOf(m.Values), Deliveries: n},
			Group:    str(fieldGroup),
			Consumer: str(fieldConsumer),
			Reason:   str(fieldReason),
			At:       time.UnixMilli(ms).UTC(),
		})
	}
	return out, nil
}

// replayScript moves dead letters back to the stream: for each ID in
// ARGV[2:] found in KEYS[2] (the dead letters), XADD its body to KEYS[1]
// (the stream, MAXLEN ~ ARGV[1]) and XDEL it. It returns the IDs moved.
var replayScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV do
  local r = redis.call('XRANGE', KEYS[2], ARGV[i], ARGV[i])
  if #r > 0 then
    local f = r[1][2]
    for j = 1, #f, 2 do
      if f[j] == 'e' then
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', f[j + 1])
      end
    end
    redis.call('XDEL', KEYS[2], ARGV[i])
    out[#out + 1] = ARGV[i]
  end
end
return out
`)

func (d *deadLetters) Replay(ctx context.Context, ids []string) ([]string, error) {
	args := make([]any, 0, len(ids)+1)
	args = append(args, d.maxLen)
	for _, id := range ids {
		if checkID(id) != nil {
			continue // not one of ours: skipped like any unknown ID
		}
		args = append(args, id)
	}
	if len(args) == 1 {
		return nil, nil
	}
	done, err := replayScript.Run(ctx, d.c, []string{d.key, d.deadKey}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstream: replay dead letters of tenant %s group %q: %w", d.tenant, d.group, err)
	}
	return done, nil
}

func (d *deadLetters) Delete(ctx context.Context, ids []string) (int, error) {
	valid := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if checkID(id) == nil && !seen[id] {
			seen[id] = true
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return 0, nil
	}
	n, err := d.c.XDel(ctx, d.deadKey, valid...).Result()
	if err != nil {
		return 0, fmt.Errorf("redisstream: delete dead letters of tenant %s group %q: %w", d.tenant, d.group, err)
	}
	return int(n), nil
}
