// Package redisflags is the [flags.Store] of server mode: each tenant's
// settings in one Redis hash, "{prefix}:{tenant}" ([tenancy.Keyspace];
// prefix "flags" by default), field the flag name, value "1" or "0".
//
// Every replica keeps the hashes it read in a local cache, so a check is
// a map read. A Set writes the hash and then PUBLISHes the tenant's id on
// the channel "{prefix}:changed"; every replica (the writer too) is
// subscribed and drops its cached copy of that tenant, so the change is
// seen everywhere within the time a pub/sub message takes.
//
// The cache is trusted only while the subscription is up: after the
// pub/sub connection drops (messages may have been missed), the whole
// cache is dropped again when it is back, and until then every check
// reads Redis. Entries also expire after Config.CacheTTL, as a backstop.
// When Redis cannot be reached, a check answers from the cached (perhaps
// stale) value if there is one, and otherwise fails with
// [flags.ErrUnavailable].
package redisflags

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a Store. The zero value (or nil) gives the defaults.
type Config struct {
	// Prefix is the key and channel prefix. Defaults to "flags".
	Prefix string
	// CacheTTL bounds how long a cached tenant is used without a
	// broadcast. Defaults to 30s.
	CacheTTL time.Duration
	// Logger receives pub/sub outages. Defaults to slog.Default().
	Logger *slog.Logger
}

// Store is a flags.Store on Redis. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	cat     *flags.Catalog
	cfg     Config
	ks      tenancy.Keyspace
	channel string
	log     *slog.Logger

	mu     sync.Mutex
	cache  map[tenancy.ID]entry
	gen    uint64 // bumped by every invalidation; a read older than it is not cached
	live   bool   // the subscription is up: cached entries can be trusted
	closed bool

	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

type entry struct {
	values map[string]bool
	at     time.Time
}

var _ flags.Store = (*Store)(nil)

// New returns a Store on rdb (which the caller keeps owning) and starts
// its subscription.
func New(rdb redis.UniversalClient, cat *flags.Catalog, cfg *Config) (*Store, error) {
	if rdb == nil || cat == nil {
		return nil, errors.New("redisflags: nil Redis client or catalog")
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Prefix == "" {
		c.Prefix = "flags"
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	ks, err := tenancy.NewKeyspace(c.Prefix)
	if err != nil {
		return nil, fmt.Errorf("redisflags: Config.Prefix: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{rdb: rdb, cat: cat, cfg: c, ks: ks, channel: c.Prefix + ":changed", log: c.Logger,
		cache: map[tenancy.ID]entry{}, cancel: cancel, done: make(chan struct{})}
	s.ps = rdb.Subscribe(ctx, s.channel)
	go s.listen(ctx)
	return s, nil
}

// Key returns tenant's hash key.
func (s *Store) Key(tenant tenancy.ID) (string, error) { return s.ks.Key(tenant) }

// Channel returns the pub/sub channel of changes.
func (s *Store) Channel() string { return s.channel }

// Catalog implements flags.Store.
func (s *Store) Catalog() *flags.Catalog { return s.cat }

// listen keeps the subscription to the change channel and drops cached
// tenants as changes arrive.
func (s *Store) listen(ctx context.Context) {
	defer close(s.done)
	ps := s.ps
	backoff := time.Duration(0)
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.mu.Lock()
			wasLive := s.live
			s.live = false
			s.mu.Unlock()
			if wasLive || backoff == 0 {
				s.log.Warn("redisflags: change subscription lost; reading flags from Redis until it is back", "err", err)
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
		switch m := msg.(type) {
		case *redis.Subscription:
			// (Re)subscribed: changes made meanwhile were not heard.
			s.mu.Lock()
			clear(s.cache)
			s.gen++
			s.live = m.Kind == "subscribe"
			s.mu.Unlock()
		case *redis.Message:
			id, err := tenancy.Parse(m.Payload)
			s.mu.Lock()
			if err != nil {
				clear(s.cache) // not ours to understand: drop everything
			} else {
				delete(s.cache, id)
			}
			s.gen++
			s.mu.Unlock()
		}
	}
}

// Subscribed reports whether the change subscription is up (tests wait
// for it before they count on broadcasts).
func (s *Store) Subscribed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

// values returns tenant's settings: from the cache when it can be
// trusted, else from Redis (caching them), else from a stale cache
// entry.
func (s *Store) values(ctx context.Context, tenant tenancy.ID) (map[string]bool, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, flags.ErrClosed
	}
	e, cached := s.cache[tenant]
	if cached && s.live && time.Since(e.at) < s.cfg.CacheTTL {
		s.mu.Unlock()
		return e.values, nil
	}
	gen := s.gen
	s.mu.Unlock()

	key, err := s.Key(tenant)
	if err != nil {
		return nil, err
	}
	raw, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		if cached {
			return e.values, nil // stale but known: better than the defaults
		}
		return nil, fmt.Errorf("%w: read flags of tenant %s: %v", flags.ErrUnavailable, tenant, err)
	}
	vals := make(map[string]bool, len(raw))
	for k, v := range raw {
		vals[k] = v == "1"
	}
	s.mu.Lock()
	if s.gen == gen && !s.closed {
		s.cache[tenant] = entry{values: vals, at: time.Now()}
	}
	s.mu.Unlock()
	return vals, nil
}

// Enabled implements flags.Store.
func (s *Store) Enabled(ctx context.Context, tenant tenancy.ID, name string) (bool, error) {
	f, err := s.cat.Lookup(name)
	if err != nil {
		return false, err
	}
	if err := tenant.Validate(); err != nil {
		return false, err
	}
	vals, err := s.values(ctx, tenant)
	if err != nil {
		return false, err
	}
	if v, ok := vals[name]; ok {
		return v, nil
	}
	return f.Default, nil
}

// List implements flags.Store.
func (s *Store) List(ctx context.Context, tenant tenancy.ID) ([]flags.State, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	vals, err := s.values(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return s.cat.States(vals), nil
}

// Set implements flags.Store: it writes the hash, drops the local copy
// and broadcasts the change. If the broadcast fails the value is stored
// but other replicas may see it only after Config.CacheTTL; the error
// says so.
func (s *Store) Set(ctx context.Context, tenant tenancy.ID, name string, on bool) error {
	if _, err := s.cat.Lookup(name); err != nil {
		return err
	}
	if err := tenant.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return flags.ErrClosed
	}
	key, err := s.Key(tenant)
	if err != nil {
		return err
	}
	v := "0"
	if on {
		v = "1"
	}
	if err := s.rdb.HSet(ctx, key, name, v).Err(); err != nil {
		return fmt.Errorf("%w: set flag %s of tenant %s: %v", flags.ErrUnavailable, name, tenant, err)
	}
	s.mu.Lock()
	delete(s.cache, tenant)
	s.gen++
	s.mu.Unlock()
	if err := s.rdb.Publish(ctx, s.channel, tenant.String()).Err(); err != nil {
		return fmt.Errorf("redisflags: flag %s of tenant %s is stored but the change was not broadcast (other replicas see it within %s): %w", name, tenant, s.cfg.CacheTTL, err)
	}
	return nil
}

// Close implements flags.Store: it ends the subscription. It does not
// close the Redis client.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	clear(s.cache)
	s.mu.Unlock()
	s.cancel()
	_ = s.ps.Close() // a blocked Receive does not watch its context
	<-s.done
	return nil
}
