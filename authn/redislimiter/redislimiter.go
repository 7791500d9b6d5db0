// Package redislimiter is an [authn.LoginLimiter] in Redis, so that
// replicas of a server share one count of failed logins per account (with
// the in-memory limiter each replica would allow its own 5).
//
// Each account key (the normalized email) is stored as a sorted set of
// failure times under prefix:<sha-256 of the key>, so that no email
// address appears in Redis key names. Login precedes any tenant, so these
// keys are global, not tenant-scoped. Each operation is one Lua script,
// atomic on the server; keys expire after the window. It works with a
// single server or a cluster (one key per script).
//
// The limiter is safe for concurrent use. It does not own the client.
package redislimiter

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/redis/go-redis/v9"
)

// Config configures [New]. The zero value is usable.
type Config struct {
	// Prefix starts every key. Defaults to "aos:authn:login".
	Prefix string
	// MaxFailures is how many failures within Window lock an account.
	// Defaults to 5.
	MaxFailures int
	// Window is the sliding window failures are counted in. Defaults to
	// 15 minutes.
	Window time.Duration
	// Now is the clock; replicas should agree on it to the second.
	// Defaults to time.Now.
	Now func() time.Time
}

// Limiter is the Redis [authn.LoginLimiter].
type Limiter struct {
	client redis.UniversalClient
	cfg    Config
}

var _ authn.LoginLimiter = (*Limiter)(nil)

// New returns a Limiter on client. A nil cfg means the defaults.
func New(client redis.UniversalClient, cfg *Config) (*Limiter, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Prefix == "" {
		c.Prefix = "aos:authn:login"
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.Window == 0 {
		c.Window = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if client == nil || c.MaxFailures < 1 || c.Window < time.Millisecond {
		return nil, fmt.Errorf("%w: redislimiter needs a client, MaxFailures >= 1 and Window >= 1ms", authn.ErrInvalidConfig)
	}
	return &Limiter{client: client, cfg: c}, nil
}

// script prunes failures older than the window, then either records one
// (ARGV[4] == "fail", keeping at most max) or returns how many
// milliseconds the key stays locked (0: not locked).
var script = redis.NewScript(`
local key = KEYS[1]
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if ARGV[4] == 'fail' then
  if n >= max then redis.call('ZREMRANGEBYRANK', key, 0, n - max) end
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, window)
  return 0
end
if n < max then return 0 end
local e = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
return tonumber(e[2]) + window - now
`)

func (l *Limiter) key(account string) string {
	sum := sha256.Sum256([]byte(account))
	return l.cfg.Prefix + ":" + hex.EncodeToString(sum[:16])
}

func (l *Limiter) run(ctx context.Context, op, account string) (int64, error) {
	now := l.cfg.Now().UnixMilli()
	member := ""
	if op == "fail" {
		var r [8]byte
		_, _ = rand.Read(r[:])
		member = strconv.FormatInt(now, 10) + "-" + hex.EncodeToString(r[:])
	}
	n, err := script.Run(ctx, l.client, []string{l.key(account)},
		now, l.cfg.Window.Milliseconds(), l.cfg.MaxFailures, op, member).Int64()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("redislimiter: %s: %w", op, err)
	}
	return n, nil
}

// Check implements [authn.LoginLimiter].
func (l *Limiter) Check(ctx context.Context, account string) error {
	ms, err := l.run(ctx, "check", account)
	if err != nil {
		return err
	}
	if ms > 0 {
		return &authn.ThrottledError{RetryAfter: time.Duration(ms) * time.Millisecond}
	}
	return nil
}

// Fail implements [authn.LoginLimiter].
func (l *Limiter) Fail(ctx context.Context, account string) error {
	_, err := l.run(ctx, "fail", account)
	return err
}

// Reset implements [authn.LoginLimiter].
func (l *Limiter) Reset(ctx context.Context, account string) error {
	if err := l.client.Del(ctx, l.key(account)).Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("redislimiter: reset: %w", err)
	}
	return nil
}
